package governance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// Category is what an agenda item deliberates (G6.3).
type Category string

// The four categories of G6.3.
const (
	CategoryMeasures   Category = "measures"   // (1) deciding and reviewing security measures
	CategoryCompliance Category = "compliance" // (2) checking compliance with them
	CategoryAudit      Category = "audit"      // (3) security audits
	CategoryTraining   Category = "training"   // (4) training
)

// CouncilMembers are the roles that make up the セキュリティ会議 (G6.1–2).
func CouncilMembers() []Role {
	return []Role{RoleGeneralManager, RoleSystemAdministrator, RoleSecurityManager}
}

// Attendance says whether a council member was present (or why not).
type Attendance struct {
	Role          Role   `json:"role"`
	Present       bool   `json:"present"`
	AbsenceReason string `json:"absence_reason,omitempty"`
}

// Invitee is a member of staff the chair called to attend and explain (G6.5).
type Invitee struct {
	CollationID string `json:"collation_id,omitempty"`
	Name        string `json:"name"`
	Department  string `json:"department"`
	Reason      string `json:"reason"`
}

// AgendaItem is an item put to the council.
type AgendaItem struct {
	Category  Category `json:"category"`
	Title     string   `json:"title"`
	Important bool     `json:"important"` // needs the privacy review board's opinion (G6.4)
	// OutsourcingID links the item that gives the council's opinion on an
	// outsourcing request (G18).
	OutsourcingID string `json:"outsourcing_id,omitempty"`
}

// Meeting is a session of the セキュリティ会議 convened and chaired by the
// セキュリティ統括責任者 (G3, G6).
type Meeting struct {
	HeldOn  jukinet.Date `json:"held_on"`
	Title   string       `json:"title"`
	Members []Attendance `json:"members"`
	Invited []Invitee    `json:"invited,omitempty"`
	Items   []AgendaItem `json:"items"`
}

// MeetingRecord is what ConveneMeeting stored.
type MeetingRecord struct {
	ID      string   `json:"id"`
	ItemIDs []string `json:"item_ids"`
}

// validate finds every rule the meeting's input breaks, so a form shows
// them all at once (jukinet.FieldErrors).
func (in Meeting) validate(op jukinet.Operation) error {
	var fe jukinet.FieldErrors
	fe.Add(requiredDate(op, "held_on", in.HeldOn))
	fe.Add(required(op, "title", in.Title))
	if len(in.Items) == 0 {
		fe.Add(jukinet.Errorf(string(op), jukinet.KindInvalid, "items", "a meeting needs at least one agenda item"))
	}
	seen := map[Role]bool{}
	for i, m := range in.Members {
		f := fmt.Sprintf("members[%d]", i)
		if err := oneOf(op, f+".role", m.Role, CouncilMembers()...); err != nil {
			fe.Add(err)
			continue
		}
		if seen[m.Role] {
			fe.Add(jukinet.Errorf(string(op), jukinet.KindInvalid, f+".role", "role %s listed twice", m.Role))
		}
		seen[m.Role] = true
		if !m.Present && m.AbsenceReason == "" {
			fe.Add(jukinet.Errorf(string(op), jukinet.KindInvalid, f+".absence_reason", "%s is absent: record the reason (G6.1–2)", m.Role.Japanese()))
		}
	}
	for _, r := range CouncilMembers() {
		if !seen[r] {
			fe.Add(jukinet.Errorf(string(op), jukinet.KindInvalid, "members", "the council member %s (%s) is missing: record presence or absence (G6.1–2)", r.Japanese(), r))
		}
	}
	for i, inv := range in.Invited {
		fe.Add(required(op, fmt.Sprintf("invited[%d].name", i), inv.Name))
		fe.Add(required(op, fmt.Sprintf("invited[%d].reason", i), inv.Reason))
	}
	for i, it := range in.Items {
		fe.Add(oneOf(op, fmt.Sprintf("items[%d].category", i), it.Category, CategoryMeasures, CategoryCompliance, CategoryAudit, CategoryTraining))
		fe.Add(required(op, fmt.Sprintf("items[%d].title", i), it.Title))
	}
	return fe.Err()
}

// ConveneMeeting records a council meeting. Only the セキュリティ統括責任者
// (the chair) convenes. Every council member role must be listed, present or
// with an absence reason; every item has one of the four categories.
func (s *Service) ConveneMeeting(ctx context.Context, in Meeting) (MeetingRecord, error) {
	const op = jukinet.OpGovMeetingConvene
	var out MeetingRecord
	err := s.act(ctx, op, "", func(tx *store.Tx, today jukinet.Date) error {
		if err := in.validate(op); err != nil {
			return err
		}
		if err := requireRole(tx, op, today, RoleGeneralManager); err != nil {
			return err
		}
		out.ID = newID()
		if _, err := tx.Exec(`INSERT INTO gov_meetings (id, held_on, title, chair, created_at) VALUES ($1,$2,$3,$4,$5)`,
			out.ID, in.HeldOn.String(), in.Title, tx.Actor().CollationID, tx.NowMicro()); err != nil {
			return internal(op, err)
		}
		for _, m := range in.Members {
			h, err := holderOf(tx, m.Role, in.HeldOn)
			if err != nil {
				return internal(op, err)
			}
			if _, err := tx.Exec(`INSERT INTO gov_attendance (meeting_id, kind, role, collation_id, present, note) VALUES ($1,'member',$2,$3,$4,$5)`,
				out.ID, string(m.Role), h, b2i(m.Present), m.AbsenceReason); err != nil {
				return internal(op, err)
			}
		}
		for _, inv := range in.Invited {
			if _, err := tx.Exec(`INSERT INTO gov_attendance (meeting_id, kind, collation_id, name, department, present, note) VALUES ($1,'invited',$2,$3,$4,1,$5)`,
				out.ID, inv.CollationID, inv.Name, inv.Department, inv.Reason); err != nil {
				return internal(op, err)
			}
		}
		for i, it := range in.Items {
			if it.OutsourcingID != "" {
				var n int
				if err := tx.QueryRow(`SELECT COUNT(*) FROM gov_outsourcing WHERE id = $1`, it.OutsourcingID).Scan(&n); err != nil {
					return internal(op, err)
				}
				if n == 0 {
					return notFound(op, fmt.Sprintf("items[%d].outsourcing_id", i), it.OutsourcingID)
				}
			}
			id := newID()
			out.ItemIDs = append(out.ItemIDs, id)
			if _, err := tx.Exec(`INSERT INTO gov_agenda_items (id, meeting_id, seq, category, title, important, outsourcing_id) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
				id, out.ID, i+1, string(it.Category), it.Title, b2i(it.Important), it.OutsourcingID); err != nil {
				return internal(op, err)
			}
		}
		tx.SetDetail("meeting=" + out.ID)
		return nil
	})
	return out, err
}

type itemRow struct {
	meetingID, heldOn, opinion, decision, decidedOn, outsourcingID string
	important                                                      bool
}

func loadItem(tx *store.Tx, op jukinet.Operation, id string) (itemRow, error) {
	var r itemRow
	var imp int
	err := tx.QueryRow(`SELECT i.meeting_id, m.held_on, i.board_opinion, i.decision, i.decided_on, i.outsourcing_id, i.important FROM gov_agenda_items i JOIN gov_meetings m ON m.id = i.meeting_id WHERE i.id = $1`, id).
		Scan(&r.meetingID, &r.heldOn, &r.opinion, &r.decision, &r.decidedOn, &r.outsourcingID, &imp)
	if errors.Is(err, sql.ErrNoRows) {
		return r, notFound(op, "item_id", id)
	}
	r.important = imp != 0
	return r, internal(op, err)
}

// BoardOpinion is the 防府市個人情報保護審査会's opinion on an item (G6.4).
type BoardOpinion struct {
	ItemID     string       `json:"item_id"`
	Opinion    string       `json:"opinion"`
	ReceivedOn jukinet.Date `json:"received_on"`
}

// RecordBoardOpinion records the privacy review board's opinion on an item;
// only the chair (セキュリティ統括責任者) hears the board.
func (s *Service) RecordBoardOpinion(ctx context.Context, in BoardOpinion) error {
	const op = jukinet.OpGovBoardOpinion
	return s.act(ctx, op, "item="+in.ItemID, func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		fe.Add(required(op, "opinion", in.Opinion))
		fe.Add(requiredDate(op, "received_on", in.ReceivedOn))
		if err := fe.Err(); err != nil {
			return err
		}
		if err := requireRole(tx, op, today, RoleGeneralManager); err != nil {
			return err
		}
		it, err := loadItem(tx, op, in.ItemID)
		if err != nil {
			return err
		}
		if it.decision != "" {
			return jukinet.Errorf(string(op), jukinet.KindConflict, "item_id", "item %s is already decided; the opinion must come before the decision", in.ItemID)
		}
		_, err = tx.Exec(`UPDATE gov_agenda_items SET board_opinion = $1, board_opinion_on = $2 WHERE id = $3`, in.Opinion, in.ReceivedOn.String(), in.ItemID)
		return internal(op, err)
	})
}

// Decision is the council's result on an item.
type Decision struct {
	ItemID    string       `json:"item_id"`
	Decision  string       `json:"decision"`
	DecidedOn jukinet.Date `json:"decided_on"`
}

// DecideItem records the council's decision. An item marked important cannot
// be decided before the review board's opinion is recorded (G6.4). An item
// linked to an outsourcing request gives the council's opinion on it (G18).
func (s *Service) DecideItem(ctx context.Context, in Decision) error {
	const op = jukinet.OpGovItemDecide
	return s.act(ctx, op, "item="+in.ItemID, func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		fe.Add(required(op, "decision", in.Decision))
		fe.Add(requiredDate(op, "decided_on", in.DecidedOn))
		if err := fe.Err(); err != nil {
			return err
		}
		if err := requireRole(tx, op, today, RoleGeneralManager); err != nil {
			return err
		}
		it, err := loadItem(tx, op, in.ItemID)
		if err != nil {
			return err
		}
		if it.decision != "" {
			return jukinet.Errorf(string(op), jukinet.KindConflict, "item_id", "item %s is already decided", in.ItemID)
		}
		if err := notBeforeStored(op, "decided_on", in.DecidedOn, "the meeting date", it.heldOn); err != nil {
			return err
		}
		if it.important && it.opinion == "" {
			return jukinet.Errorf(string(op), jukinet.KindConflict, "board_opinion", "item %s is marked important: record the privacy review board's opinion first (G6.4)", in.ItemID)
		}
		if _, err := tx.Exec(`UPDATE gov_agenda_items SET decision = $1, decided_on = $2 WHERE id = $3`, in.Decision, in.DecidedOn.String(), in.ItemID); err != nil {
			return internal(op, err)
		}
		if it.outsourcingID != "" {
			_, err := tx.Exec(`UPDATE gov_outsourcing SET council_item_id = $1, council_opinion = $2, opinion_on = $3 WHERE id = $4`,
				in.ItemID, in.Decision, in.DecidedOn.String(), it.outsourcingID)
			return internal(op, err)
		}
		return nil
	})
}

// Minutes are the council's minutes, kept by its secretariat (G6.6).
type Minutes struct {
	MeetingID  string       `json:"meeting_id"`
	Text       string       `json:"text"`
	RecordedOn jukinet.Date `json:"recorded_on"`
}

// RecordMinutes stores a meeting's minutes. Only the secretariat (the
// Citizen Division staff holding council_secretariat) records them.
func (s *Service) RecordMinutes(ctx context.Context, in Minutes) error {
	const op = jukinet.OpGovMinutesRecord
	return s.act(ctx, op, "meeting="+in.MeetingID, func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		fe.Add(required(op, "text", in.Text))
		fe.Add(requiredDate(op, "recorded_on", in.RecordedOn))
		if err := fe.Err(); err != nil {
			return err
		}
		if err := requireRole(tx, op, today, RoleCouncilSecretariat); err != nil {
			return err
		}
		var held string
		err := tx.QueryRow(`SELECT held_on FROM gov_meetings WHERE id = $1`, in.MeetingID).Scan(&held)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(op, "meeting_id", in.MeetingID)
		}
		if err != nil {
			return internal(op, err)
		}
		if err := notBeforeStored(op, "recorded_on", in.RecordedOn, "the meeting date", held); err != nil {
			return err
		}
		_, err = tx.Exec(`UPDATE gov_meetings SET minutes = $1, minutes_by = $2, minutes_on = $3 WHERE id = $4`, in.Text, tx.Actor().CollationID, in.RecordedOn.String(), in.MeetingID)
		return internal(op, err)
	})
}

// InstructionKind distinguishes 指示 from 要請 (G7).
type InstructionKind string

// Instruction kinds.
const (
	KindInstruction InstructionKind = "instruction" // 指示
	KindRequest     InstructionKind = "request"     // 要請
)

// Instruction is an instruction or request of the セキュリティ統括責任者 to a
// security manager or department head, following a council decision (G7)
// or concerning room entry management (G10).
type Instruction struct {
	// ItemID is the decided council item it follows (G7); empty for a G10
	// instruction about the rooms, which names RoomReportID or nothing.
	ItemID               string          `json:"item_id,omitempty"`
	RoomReportID         string          `json:"room_report_id,omitempty"`
	Rooms                bool            `json:"rooms,omitempty"` // G10: about room entry management
	Kind                 InstructionKind `json:"kind"`
	AddresseeCollationID string          `json:"addressee_collation_id"`
	AddresseeName        string          `json:"addressee_name"`
	AddresseeDepartment  string          `json:"addressee_department"`
	Content              string          `json:"content"`
	IssuedOn             jukinet.Date    `json:"issued_on"`
	DueOn                jukinet.Date    `json:"due_on"`
}

// IssueInstruction records an instruction or request. Only the
// セキュリティ統括責任者; a council instruction must follow a decided item.
func (s *Service) IssueInstruction(ctx context.Context, in Instruction) (string, error) {
	const op = jukinet.OpGovInstructionIssue
	id := newID()
	err := s.act(ctx, op, "instruction="+id, func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		fe.Add(oneOf(op, "kind", in.Kind, KindInstruction, KindRequest))
		fe.Add(required(op, "addressee_collation_id", in.AddresseeCollationID))
		fe.Add(required(op, "content", in.Content))
		fe.Add(requiredDate(op, "issued_on", in.IssuedOn))
		fe.Add(requiredDate(op, "due_on", in.DueOn))
		fe.Add(notBefore(op, "due_on", in.DueOn, "issued_on", in.IssuedOn))
		if err := fe.Err(); err != nil {
			return err
		}
		if err := requireRole(tx, op, today, RoleGeneralManager); err != nil {
			return err
		}
		source, ref := "council", in.ItemID
		switch {
		case in.ItemID != "":
			it, err := loadItem(tx, op, in.ItemID)
			if err != nil {
				return err
			}
			if it.decision == "" {
				return jukinet.Errorf(string(op), jukinet.KindConflict, "item_id", "item %s is not decided yet; instructions follow the council's results (G7)", in.ItemID)
			}
			if err := notBeforeStored(op, "issued_on", in.IssuedOn, "the decision date", it.decidedOn); err != nil {
				return err
			}
		case in.RoomReportID != "" || in.Rooms:
			source, ref = "rooms", in.RoomReportID
			if ref != "" {
				var n int
				if err := tx.QueryRow(`SELECT COUNT(*) FROM gov_room_reports WHERE id = $1`, ref).Scan(&n); err != nil {
					return internal(op, err)
				}
				if n == 0 {
					return notFound(op, "room_report_id", ref)
				}
			}
		default:
			return jukinet.Errorf(string(op), jukinet.KindInvalid, "item_id", "give the decided council item it follows (G7), or rooms/room_report_id for room entry management (G10)")
		}
		_, err := tx.Exec(`INSERT INTO gov_instructions (id, source, source_ref, kind, addressee_collation_id, addressee_name, addressee_department, content, issued_on, due_on) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
			id, source, ref, string(in.Kind), in.AddresseeCollationID, in.AddresseeName, in.AddresseeDepartment, in.Content, in.IssuedOn.String(), in.DueOn.String())
		return internal(op, err)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// Response is the addressee's answer to an instruction or request.
type Response struct {
	InstructionID string       `json:"instruction_id"`
	Response      string       `json:"response"`
	RespondedOn   jukinet.Date `json:"responded_on"`
}

// RespondInstruction records the response; only the addressee (by 照合ID).
func (s *Service) RespondInstruction(ctx context.Context, in Response) error {
	const op = jukinet.OpGovInstructionRespond
	return s.act(ctx, op, "instruction="+in.InstructionID, func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		fe.Add(required(op, "response", in.Response))
		fe.Add(requiredDate(op, "responded_on", in.RespondedOn))
		if err := fe.Err(); err != nil {
			return err
		}
		var addressee, issued, responded string
		err := tx.QueryRow(`SELECT addressee_collation_id, issued_on, responded_on FROM gov_instructions WHERE id = $1`, in.InstructionID).Scan(&addressee, &issued, &responded)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(op, "instruction_id", in.InstructionID)
		}
		if err != nil {
			return internal(op, err)
		}
		if tx.Actor().CollationID != addressee {
			return jukinet.Errorf(string(op), jukinet.KindForbidden, "actor", "only the addressee (照合ID %s) responds to this instruction", addressee)
		}
		if responded != "" {
			return jukinet.Errorf(string(op), jukinet.KindConflict, "instruction_id", "instruction %s was already answered on %s", in.InstructionID, responded)
		}
		if err := notBeforeStored(op, "responded_on", in.RespondedOn, "issued_on", issued); err != nil {
			return err
		}
		_, err = tx.Exec(`UPDATE gov_instructions SET response = $1, responded_on = $2 WHERE id = $3`, in.Response, in.RespondedOn.String(), in.InstructionID)
		return internal(op, err)
	})
}
