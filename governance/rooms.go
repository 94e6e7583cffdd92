package governance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// Room is a controlled room (G2.10, G2.12, G9).
type Room string

// The controlled rooms.
const (
	RoomComputer     Room = "computer_room"      // 電子計算機室
	RoomMediaStorage Room = "media_storage_room" // 磁気ディスク等保管室
)

// Direction is entry or exit.
type Direction string

// Directions.
const (
	DirectionIn  Direction = "in"
	DirectionOut Direction = "out"
)

// DoorActor is the system principal the door/badge reader runs as.
var DoorActor = jukinet.SystemActor("door")

// RoomAuthorization is the System Administrator's advance approval of a
// person for a room and period (G9.1).
type RoomAuthorization struct {
	Room        Room         `json:"room"`
	CollationID string       `json:"collation_id"`
	Name        string       `json:"name"`
	Purpose     string       `json:"purpose"`
	From        jukinet.Date `json:"from"`
	Until       jukinet.Date `json:"until"`
}

// AuthorizeRoom records a pre-authorization; only the システム管理者 (under
// a system_admin 操作者ID). Periods are bounded: Until is required.
func (s *Service) AuthorizeRoom(ctx context.Context, in RoomAuthorization) (string, error) {
	const op = jukinet.OpGovRoomAuthorize
	id := newID()
	err := s.act(ctx, op, "authorization="+id, func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		fe.Add(oneOf(op, "room", in.Room, RoomComputer, RoomMediaStorage))
		fe.Add(required(op, "collation_id", in.CollationID))
		fe.Add(required(op, "name", in.Name))
		fe.Add(required(op, "purpose", in.Purpose))
		fe.Add(requiredDate(op, "from", in.From))
		fe.Add(requiredDate(op, "until", in.Until))
		fe.Add(notBefore(op, "until", in.Until, "from", in.From))
		if err := fe.Err(); err != nil {
			return err
		}
		if err := requireRole(tx, op, today, RoleSystemAdministrator); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO gov_room_authorizations (id, room, collation_id, name, purpose, valid_from, valid_until, granted_by) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
			id, string(in.Room), in.CollationID, in.Name, in.Purpose, in.From.String(), in.Until.String(), tx.Actor().CollationID)
		return internal(op, err)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// Revocation ends a room authorization or identity-handler designation early.
type Revocation struct {
	ID        string       `json:"id"`
	RevokedOn jukinet.Date `json:"revoked_on"`
}

// RevokeRoom revokes a pre-authorization from a date; only the システム管理者.
func (s *Service) RevokeRoom(ctx context.Context, in Revocation) error {
	const op = jukinet.OpGovRoomRevoke
	return s.act(ctx, op, "authorization="+in.ID, func(tx *store.Tx, today jukinet.Date) error {
		if err := requiredDate(op, "revoked_on", in.RevokedOn); err != nil {
			return err
		}
		if err := requireRole(tx, op, today, RoleSystemAdministrator); err != nil {
			return err
		}
		var from, revoked string
		err := tx.QueryRow(`SELECT valid_from, revoked_on FROM gov_room_authorizations WHERE id = $1`, in.ID).Scan(&from, &revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(op, "id", in.ID)
		}
		if err != nil {
			return internal(op, err)
		}
		if revoked != "" {
			return jukinet.Errorf(string(op), jukinet.KindConflict, "id", "authorization %s was already revoked on %s", in.ID, revoked)
		}
		if err := notBeforeStored(op, "revoked_on", in.RevokedOn, "from", from); err != nil {
			return err
		}
		_, err = tx.Exec(`UPDATE gov_room_authorizations SET revoked_on = $1 WHERE id = $2`, in.RevokedOn.String(), in.ID)
		return internal(op, err)
	})
}

// authorizationFor returns the id of an authorization of holder for room on
// day, or "".
func authorizationFor(tx *store.Tx, room Room, holder string, day jukinet.Date) (string, error) {
	var id string
	err := tx.QueryRow(`SELECT id FROM gov_room_authorizations WHERE room = $1 AND collation_id = $2 AND valid_from <= $3 AND valid_until >= $3 AND (revoked_on = '' OR revoked_on > $3) ORDER BY valid_until DESC LIMIT 1`,
		string(room), holder, day.String()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// recordPassage stores an entry/exit event, or a refused attempt with an
// alert. It returns the refusal (KindForbidden) to return AFTER commit: the
// attempt and its alert are evidence and must stay.
func recordPassage(tx *store.Tx, op jukinet.Operation, room Room, holder string, dir Direction, at time.Time, source, reason string) (refusal error, err error) {
	day := jukinet.DateOf(at)
	authID, err := authorizationFor(tx, room, holder, day)
	if err != nil {
		return nil, internal(op, err)
	}
	outcome := "allowed"
	if authID == "" {
		outcome = "refused"
	}
	if _, err := tx.Exec(`INSERT INTO gov_room_events (id, room, collation_id, direction, at, source, reason, outcome, authorization_id, recorded_by) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
		newID(), string(room), holder, string(dir), at.UnixMicro(), source, reason, outcome, authID, tx.Actor().String()); err != nil {
		return nil, internal(op, err)
	}
	if authID != "" {
		tx.SetDetail(fmt.Sprintf("%s %s %s allowed", room, holder, dir))
		return nil, nil
	}
	detail := fmt.Sprintf("照合ID %s has no authorization of the システム管理者 for %s on %s (G9.1)", holder, room, day)
	if _, err := tx.Exec(`INSERT INTO gov_alerts (id, kind, room, collation_id, at, detail) VALUES ($1,'room_refused',$2,$3,$4,$5)`,
		newID(), string(room), holder, at.UnixMicro(), detail); err != nil {
		return nil, internal(op, err)
	}
	tx.SetDetail(fmt.Sprintf("%s %s %s refused: alert raised", room, holder, dir))
	return jukinet.Errorf(string(op), jukinet.KindForbidden, "collation_id", "%s", detail), nil
}

// RecordBadge records a badge reading at a room's door; it runs as the
// system principal "door" whatever ctx carries. A holder without a valid
// pre-authorization is refused (KindForbidden), and the attempt and an alert
// are recorded (G9.1–2).
func (s *Service) RecordBadge(ctx context.Context, room Room, badgeHolder string, direction Direction, at time.Time) error {
	const op = jukinet.OpGovRoomBadge
	var fe jukinet.FieldErrors // every field in error, at once
	fe.Add(oneOf(op, "room", room, RoomComputer, RoomMediaStorage))
	fe.Add(oneOf(op, "direction", direction, DirectionIn, DirectionOut))
	fe.Add(required(op, "badge_holder", badgeHolder))
	if err := fe.Err(); err != nil {
		return err
	}
	var refusal error
	err := s.db.Update(jukinet.WithActor(ctx, DoorActor), store.Op{Operation: op}, func(tx *store.Tx) error {
		var err error
		refusal, err = recordPassage(tx, op, room, badgeHolder, direction, at, "badge", "")
		return err
	})
	if err != nil {
		return err
	}
	return refusal
}

// BadgeEvent is one reading of a door's badge reader.
type BadgeEvent struct {
	Room      Room
	Holder    string // 照合ID on the badge
	Direction Direction
	At        time.Time
}

// DoorReader is a door's badge reader. Next blocks until a reading arrives and
// returns io.EOF when the reader is closed.
type DoorReader interface {
	Next(ctx context.Context) (BadgeEvent, error)
}

// RunDoor feeds a reader's events to RecordBadge until the reader ends
// (nil) or ctx is done. Refused attempts do not stop it; onRefusal, if not
// nil, sees each (e.g. to sound the door's alarm).
func (s *Service) RunDoor(ctx context.Context, r DoorReader, onRefusal func(BadgeEvent, error)) error {
	for {
		ev, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := s.RecordBadge(ctx, ev.Room, ev.Holder, ev.Direction, ev.At); err != nil {
			if jukinet.ErrorKind(err) != jukinet.KindForbidden && jukinet.ErrorKind(err) != jukinet.KindInvalid {
				return err
			}
			if onRefusal != nil {
				onRefusal(ev, err)
			}
		}
	}
}

// ManualPassage is an entry or exit recorded by hand when the reader is
// out of order; a reason is required.
type ManualPassage struct {
	Room        Room      `json:"room"`
	CollationID string    `json:"collation_id"`
	Direction   Direction `json:"direction"`
	At          time.Time `json:"at"`
	Reason      string    `json:"reason"`
}

// RecordManualPassage records a passage by hand; only the システム管理者.
// A person without authorization is refused with an alert, as at the door.
func (s *Service) RecordManualPassage(ctx context.Context, in ManualPassage) error {
	const op = jukinet.OpGovRoomManualEntry
	var refusal error
	err := s.act(ctx, op, "", func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		fe.Add(oneOf(op, "room", in.Room, RoomComputer, RoomMediaStorage))
		fe.Add(oneOf(op, "direction", in.Direction, DirectionIn, DirectionOut))
		fe.Add(required(op, "collation_id", in.CollationID))
		fe.Add(required(op, "reason", in.Reason))
		if in.At.IsZero() {
			fe.Add(jukinet.Errorf(string(op), jukinet.KindInvalid, "at", "at (RFC 3339 time of the passage) is required"))
		} else if in.At.After(time.UnixMicro(tx.NowMicro()).Add(5 * time.Minute)) {
			fe.Add(jukinet.Errorf(string(op), jukinet.KindInvalid, "at", "at %s is in the future", in.At.Format(time.RFC3339)))
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if err := requireRole(tx, op, today, RoleSystemAdministrator); err != nil {
			return err
		}
		var err error
		refusal, err = recordPassage(tx, op, in.Room, in.CollationID, in.Direction, in.At, "manual", in.Reason)
		return err
	})
	if err != nil {
		return err
	}
	return refusal
}

// AlertAnswer closes an alert with the System Administrator's explanation (G9.2).
type AlertAnswer struct {
	AlertID string `json:"alert_id"`
	Answer  string `json:"answer"`
}

// AnswerAlert records the システム管理者's answer to an alert.
func (s *Service) AnswerAlert(ctx context.Context, in AlertAnswer) error {
	const op = jukinet.OpGovAlertAnswer
	return s.act(ctx, op, "alert="+in.AlertID, func(tx *store.Tx, today jukinet.Date) error {
		if err := required(op, "answer", in.Answer); err != nil {
			return err
		}
		if err := requireRole(tx, op, today, RoleSystemAdministrator); err != nil {
			return err
		}
		res, err := tx.Exec(`UPDATE gov_alerts SET answer = $1, answered_by = $2, answered_at = $3 WHERE id = $4 AND answered_at = 0`,
			in.Answer, tx.Actor().CollationID, tx.NowMicro(), in.AlertID)
		if err != nil {
			return internal(op, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return jukinet.Errorf(string(op), jukinet.KindNotFound, "alert_id", "no unanswered alert %q", in.AlertID)
		}
		return nil
	})
}

// RoomReport is the System Administrator's periodic report on entry
// management to the セキュリティ統括責任者 (G10).
type RoomReport struct {
	PeriodFrom  jukinet.Date `json:"period_from"`
	PeriodUntil jukinet.Date `json:"period_until"`
	SubmittedOn jukinet.Date `json:"submitted_on"`
	Summary     string       `json:"summary"`
}

// RoomReportRecord is what SubmitRoomReport stored; the counts are computed
// from the recorded events, not typed in.
type RoomReportRecord struct {
	ID       string `json:"id"`
	Entries  int    `json:"entries"`
	Refusals int    `json:"refusals"`
}

// SubmitRoomReport records the report; only the システム管理者.
func (s *Service) SubmitRoomReport(ctx context.Context, in RoomReport) (RoomReportRecord, error) {
	const op = jukinet.OpGovRoomReport
	out := RoomReportRecord{ID: newID()}
	err := s.act(ctx, op, "report="+out.ID, func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		fe.Add(requiredDate(op, "period_from", in.PeriodFrom))
		fe.Add(requiredDate(op, "period_until", in.PeriodUntil))
		fe.Add(requiredDate(op, "submitted_on", in.SubmittedOn))
		fe.Add(notBefore(op, "period_until", in.PeriodUntil, "period_from", in.PeriodFrom))
		fe.Add(notBefore(op, "submitted_on", in.SubmittedOn, "period_until", in.PeriodUntil))
		fe.Add(required(op, "summary", in.Summary))
		if err := fe.Err(); err != nil {
			return err
		}
		if err := requireRole(tx, op, today, RoleSystemAdministrator); err != nil {
			return err
		}
		lo := in.PeriodFrom.Time().UnixMicro()
		hi := in.PeriodUntil.AddDays(1).Time().UnixMicro()
		if err := tx.QueryRow(`SELECT COUNT(*) FROM gov_room_events WHERE at >= $1 AND at < $2 AND direction = 'in' AND outcome = 'allowed'`, lo, hi).Scan(&out.Entries); err != nil {
			return internal(op, err)
		}
		if err := tx.QueryRow(`SELECT COUNT(*) FROM gov_room_events WHERE at >= $1 AND at < $2 AND outcome = 'refused'`, lo, hi).Scan(&out.Refusals); err != nil {
			return internal(op, err)
		}
		_, err := tx.Exec(`INSERT INTO gov_room_reports (id, period_from, period_until, submitted_on, submitted_by, summary, entries, refusals) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
			out.ID, in.PeriodFrom.String(), in.PeriodUntil.String(), in.SubmittedOn.String(), tx.Actor().CollationID, in.Summary, out.Entries, out.Refusals)
		return internal(op, err)
	})
	return out, err
}

// FirstAlertID is the ID of the earliest room alert ("" when there is none).
func FirstAlertID(ctx context.Context, db *store.DB) (string, error) {
	var id string
	err := db.Bookkeeping(store.Status).QueryRowContext(ctx, `SELECT id FROM gov_alerts ORDER BY at LIMIT 1`).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", jukinet.E("governance.FirstAlertID", jukinet.KindInternal, err)
	}
	return id, nil
}
