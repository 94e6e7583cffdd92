package access

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// Watch puts a resident on the watch list: people whose records staff are
// tempted to browse (celebrities, staff themselves, their acquaintances;
// DOMAIN.md §6), so that every lookup of them gets a second look. The list
// holds the resident's subject token (store.DB.SubjectToken), the same
// token the operation log records, so reports join on oplog.subject; the
// resident code itself is not kept. Adding an entry again replaces its
// reason. Errors: KindInvalid (code, reason), KindForbidden.
func (s *Service) Watch(ctx context.Context, residentCode, reason string) error {
	const op = "access.Watch"
	if !jukinet.ValidResidentCode(residentCode) {
		return jukinet.E(op, jukinet.KindInvalid, jukinet.Field("resident_code"), "not a valid 住民票コード (11 digits with its check digit)")
	}
	if err := validText(op, "reason", reason, 200); err != nil {
		return err
	}
	token := s.db.SubjectToken(residentCode)
	return s.db.Update(ctx, store.Op{Operation: jukinet.OpAccessWatch, Subject: residentCode, Detail: "added"}, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO access_watch (subject, reason, added_at, added_by) VALUES ($1, $2, $3, $4)
			ON CONFLICT (subject) DO UPDATE SET reason = excluded.reason, added_at = excluded.added_at, added_by = excluded.added_by`,
			token, reason, tx.NowMicro(), tx.Actor().String())
		return err
	})
}

// Unwatch removes a resident from the watch list. Errors: KindNotFound,
// KindInvalid, KindForbidden.
func (s *Service) Unwatch(ctx context.Context, residentCode string) error {
	const op = "access.Unwatch"
	if !jukinet.ValidResidentCode(residentCode) {
		return jukinet.E(op, jukinet.KindInvalid, jukinet.Field("resident_code"), "not a valid 住民票コード (11 digits with its check digit)")
	}
	token := s.db.SubjectToken(residentCode)
	return s.db.Update(ctx, store.Op{Operation: jukinet.OpAccessWatch, Subject: residentCode, Detail: "removed"}, func(tx *store.Tx) error {
		res, err := tx.Exec(`DELETE FROM access_watch WHERE subject = $1`, token)
		return mustAffect(op, res, err, "resident_code", "a watch-list entry for this resident")
	})
}

// WatchEntry is one row of the watch list.
type WatchEntry struct {
	Subject string    `json:"subject"` // the subject token, as in the operation log
	Reason  string    `json:"reason"`
	AddedAt time.Time `json:"added_at"`
	AddedBy string    `json:"added_by"`
}

// WatchList returns the watch list (tokens only), oldest first.
func (s *Service) WatchList(ctx context.Context) ([]WatchEntry, error) {
	rows, err := s.db.SQL().QueryContext(ctx, `SELECT subject, reason, added_at, added_by FROM access_watch ORDER BY added_at, subject`)
	if err != nil {
		return nil, jukinet.E("access.WatchList", jukinet.KindInternal, err)
	}
	defer rows.Close()
	var out []WatchEntry
	for rows.Next() {
		var e WatchEntry
		var at int64
		if err := rows.Scan(&e.Subject, &e.Reason, &at, &e.AddedBy); err != nil {
			return nil, jukinet.E("access.WatchList", jukinet.KindInternal, err)
		}
		e.AddedAt = fromMicro(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// PasswordPolicy is the node's recorded OS password policy (G12.2): the
// rules the アクセス管理責任者 set for the passwords of the operating systems
// of the CS and the terminals. jukinet does not manage OS accounts; it keeps
// the record and `jukinet doctor` checks it against a baseline.
type PasswordPolicy struct {
	MinLength        int       `json:"min_length"`        // characters
	CharClasses      int       `json:"char_classes"`      // of upper, lower, digit, symbol (1–4)
	RotationDays     int       `json:"rotation_days"`     // 0: no forced rotation
	LockoutThreshold int       `json:"lockout_threshold"` // failed logins before the OS locks the account; 0: never
	SetAt            time.Time `json:"set_at"`
	SetBy            string    `json:"set_by"`
}

// Validate checks that the numbers are possible at all (not that they are
// strict enough: Deviations says that).
func (p PasswordPolicy) Validate() error {
	const op = "access.PasswordPolicy"
	switch {
	case p.MinLength < 1 || p.MinLength > 256:
		return jukinet.E(op, jukinet.KindInvalid, jukinet.Field("min_length"), "min_length must be 1–256")
	case p.CharClasses < 1 || p.CharClasses > 4:
		return jukinet.E(op, jukinet.KindInvalid, jukinet.Field("char_classes"), "char_classes must be 1–4")
	case p.RotationDays < 0 || p.RotationDays > 3650:
		return jukinet.E(op, jukinet.KindInvalid, jukinet.Field("rotation_days"), "rotation_days must be 0–3650")
	case p.LockoutThreshold < 0 || p.LockoutThreshold > 1000:
		return jukinet.E(op, jukinet.KindInvalid, jukinet.Field("lockout_threshold"), "lockout_threshold must be 0–1000")
	}
	return nil
}

// Deviations lists where p is weaker than jukinet's baseline: at least 12
// characters of 3 classes, and a lockout after at most 10 failures. Forced
// rotation is not required (current guidance advises against it) but is
// recorded.
func (p PasswordPolicy) Deviations() []string {
	var out []string
	if p.MinLength < 12 {
		out = append(out, fmt.Sprintf("OS password minimum length %d is below 12", p.MinLength))
	}
	if p.CharClasses < 3 {
		out = append(out, fmt.Sprintf("OS passwords need only %d character classes (baseline 3)", p.CharClasses))
	}
	if p.LockoutThreshold == 0 || p.LockoutThreshold > 10 {
		out = append(out, fmt.Sprintf("OS account lockout threshold %d is not between 1 and 10", p.LockoutThreshold))
	}
	return out
}

// SetPasswordPolicy records the OS password policy (G12.2). Errors:
// KindInvalid, KindForbidden.
func SetPasswordPolicy(ctx context.Context, db *store.DB, p PasswordPolicy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	detail := fmt.Sprintf("min_length=%d char_classes=%d rotation_days=%d lockout_threshold=%d", p.MinLength, p.CharClasses, p.RotationDays, p.LockoutThreshold)
	return db.Update(ctx, store.Op{Operation: jukinet.OpAccessPasswordPolicy, Detail: detail}, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO access_password_policy (id, min_length, char_classes, rotation_days, lockout_threshold, set_at, set_by) VALUES (1, $1, $2, $3, $4, $5, $6)
			ON CONFLICT (id) DO UPDATE SET min_length = excluded.min_length, char_classes = excluded.char_classes, rotation_days = excluded.rotation_days,
				lockout_threshold = excluded.lockout_threshold, set_at = excluded.set_at, set_by = excluded.set_by`,
			p.MinLength, p.CharClasses, p.RotationDays, p.LockoutThreshold, tx.NowMicro(), tx.Actor().String())
		return err
	})
}

// GetPasswordPolicy returns the recorded policy; ok is false when none is.
func GetPasswordPolicy(ctx context.Context, db *store.DB) (p PasswordPolicy, ok bool, err error) {
	var at int64
	err = db.SQL().QueryRowContext(ctx, `SELECT min_length, char_classes, rotation_days, lockout_threshold, set_at, set_by FROM access_password_policy WHERE id = 1`).
		Scan(&p.MinLength, &p.CharClasses, &p.RotationDays, &p.LockoutThreshold, &at, &p.SetBy)
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, jukinet.E("access.GetPasswordPolicy", jukinet.KindInternal, err)
	}
	p.SetAt = fromMicro(at)
	return p, true, nil
}
