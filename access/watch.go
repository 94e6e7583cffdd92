package access

import (
	"context"
	"fmt"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// Watch puts a resident on the watch list: people whose records staff are
// tempted to browse (celebrities, staff themselves, their acquaintances;
// docs/domain.md §6), so that every lookup of them gets a second look. The list
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

// WatchedSubjects is the set of watch-listed subject tokens, for the
// operation-history report (oplog.Analyse) to flag their records.
func WatchedSubjects(ctx context.Context, db *store.DB) (map[string]bool, error) {
	rows, err := db.Bookkeeping(store.Status).QueryContext(ctx, `SELECT subject FROM access_watch`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out[s] = true
	}
	return out, rows.Err()
}

// WatchList returns the watch list (tokens only), oldest first.
func (s *Service) WatchList(ctx context.Context) ([]WatchEntry, error) {
	rows, err := s.db.Bookkeeping(store.Status).QueryContext(ctx, `SELECT subject, reason, added_at, added_by FROM access_watch ORDER BY added_at, subject`)
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

// PasswordPolicy is the node's recorded OS password policy (G12.2); the
// type lives in the root package so that the compliance report can judge it
// without importing access.
type PasswordPolicy = jukinet.PasswordPolicy

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
	return PasswordPolicyIn(ctx, db.Bookkeeping(store.Status))
}
