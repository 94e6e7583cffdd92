package access

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/governance"
	"github.com/jukinet/jukinet/store"
)

// CreateOperator issues a 照合ID to a new operator (G13.1), active and without
// 照合情報 until Enroll. Only under アクセス管理. Errors: KindInvalid (field),
// KindConflict when the 照合ID exists, KindForbidden, KindUnauthorized.
func (s *Service) CreateOperator(ctx context.Context, o Operator) error {
	const op = "access.CreateOperator"
	var fe jukinet.FieldErrors // every field in error, at once
	fe.Add(checkID(op, "collation_id", o.CollationID))
	fe.Add(validText(op, "name", o.Name, 64))
	fe.Add(validText(op, "department", o.Department, 64))
	if err := fe.Err(); err != nil {
		return err
	}
	return s.db.Update(ctx, store.Op{Operation: jukinet.OpAccessOperatorCreate, Detail: "collation_id=" + o.CollationID}, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO access_operators (collation_id, name, department, status, created_at) VALUES ($1, $2, $3, $4, $5)`,
			o.CollationID, o.Name, o.Department, string(StatusActive), tx.NowMicro())
		if store.IsUniqueViolation(err) {
			return jukinet.Errorf(op, jukinet.KindConflict, "collation_id", "照合ID %s already exists", o.CollationID)
		}
		if err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		return addHistory(tx, registerCollation, o.CollationID, "created", "department="+o.Department)
	})
}

// ChangeOperator records a change of status (retired, transferred, back to
// active) and/or department; department "" keeps it. Retiring deletes the
// 照合情報 (G13.2). Any change away from active ends the operator's sessions.
// Errors: KindInvalid, KindNotFound, KindForbidden, KindUnauthorized.
func (s *Service) ChangeOperator(ctx context.Context, collationID string, status Status, department, reason string) error {
	const op = "access.ChangeOperator"
	var fe jukinet.FieldErrors // every field in error, at once
	fe.Add(checkID(op, "collation_id", collationID))
	if !status.Valid() {
		fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "status", "status must be active, retired or transferred, not %q", status))
	}
	if department != "" {
		fe.Add(validText(op, "department", department, 64))
	}
	fe.Add(validText(op, "reason", reason, 200))
	if err := fe.Err(); err != nil {
		return err
	}
	detail := fmt.Sprintf("collation_id=%s status=%s", collationID, status)
	return s.db.Update(ctx, store.Op{Operation: jukinet.OpAccessOperatorChange, Detail: detail}, func(tx *store.Tx) error {
		res, err := tx.Exec(`UPDATE access_operators SET status = $1, department = CASE WHEN $2 = '' THEN department ELSE $2 END WHERE collation_id = $3`,
			string(status), department, collationID)
		if err := mustAffect(op, res, err, "collation_id", "照合ID "+collationID); err != nil {
			return err
		}
		if status != StatusActive {
			if _, err := tx.Exec(`DELETE FROM access_sessions WHERE collation_id = $1`, collationID); err != nil {
				return jukinet.E(op, jukinet.KindInternal, err)
			}
		}
		if status == StatusRetired {
			if _, err := tx.Exec(`DELETE FROM access_templates WHERE collation_id = $1`, collationID); err != nil {
				return jukinet.E(op, jukinet.KindInternal, err)
			}
		}
		h := "status=" + string(status) + " reason=" + reason
		if department != "" {
			h += " department=" + department
		}
		return addHistory(tx, registerCollation, collationID, "changed", h)
	})
}

func mustAffect(op string, res sql.Result, err error, field, what string) error {
	if err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	if n == 0 {
		return jukinet.Errorf(op, jukinet.KindNotFound, field, "%s does not exist", what)
	}
	return nil
}

// Enroll registers the 照合情報 of an operator who has none (G2.6, G13.2):
// the reading is turned into a protected template under the current node key
// and dropped. It never replaces a template: that would let whoever enrols
// log in as the operator with their own finger. Re-enrolment is Reenroll
// (with the operator's current reading) or ReplaceLost (a second
// アクセス管理 operator and the セキュリティ責任者's decision). Nobody enrols
// themself. Only under アクセス管理 (or the system during bootstrap). Any
// session of the operator ends. Errors: KindInvalid, KindNotFound,
// KindConflict (operator not active, or already enrolled), KindForbidden.
func (s *Service) Enroll(ctx context.Context, collationID string, r biometric.Reading) error {
	const op = "access.Enroll"
	if err := checkID(op, "collation_id", collationID); err != nil {
		return err
	}
	t, err := s.current().Enroll(r, s.opt.Rand)
	if err != nil {
		return jukinet.E(op, err)
	}
	b, err := t.MarshalBinary()
	if err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	detail := fmt.Sprintf("collation_id=%s key_version=%d", collationID, t.KeyVersion)
	return s.act(ctx, jukinet.OpAccessEnroll, detail, func(tx *store.Tx) error {
		if err := notSelf(tx, op, collationID); err != nil {
			return err
		}
		if err := requireActive(tx, op, collationID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM access_templates WHERE collation_id = $1`, collationID).Scan(&n); err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		if n > 0 {
			return jukinet.Errorf(op, jukinet.KindConflict, "collation_id", "照合ID %s already has 照合情報: re-enrol with the operator's current reading, or for a lost or injured finger with a second アクセス管理 operator and the セキュリティ責任者's decision (G13.2)", collationID)
		}
		return s.writeTemplate(tx, op, collationID, t.KeyVersion, b, "enrolled", "")
	})
}

// Reenroll replaces an operator's 照合情報 in one act with their current
// reading and a fresh one (G13.2): current must match the stored template
// (KindUnauthorized otherwise, a failure counted like a login's), so only the
// operator's own finger can replace it. Sessions of the operator end.
func (s *Service) Reenroll(ctx context.Context, collationID string, current, fresh biometric.Reading) error {
	const op = "access.Reenroll"
	if err := checkID(op, "collation_id", collationID); err != nil {
		return err
	}
	if err := s.authorize(ctx, jukinet.OpAccessReenroll, "collation_id="+collationID); err != nil {
		return err
	}
	old, ok, err := s.template(ctx, collationID)
	if err != nil {
		return jukinet.E(op, err)
	}
	if !ok {
		return s.refuse(ctx, jukinet.OpAccessReenroll, jukinet.Errorf(op, jukinet.KindNotFound, "collation_id", "照合ID %s has no 照合情報 to replace; enrol it", collationID))
	}
	m, ok := s.matchers[old.KeyVersion]
	if !ok {
		return s.refuse(ctx, jukinet.OpAccessReenroll, jukinet.Errorf(op, jukinet.KindConflict, "key_version", "node key version %d is withdrawn: replace the 照合情報 as lost", old.KeyVersion))
	}
	if match, err := m.Verify(old, current); err != nil || !match {
		s.logFailure(ctx, "", collationID, "reenroll_no_match", true)
		return s.refuse(ctx, jukinet.OpAccessReenroll, jukinet.E(op, jukinet.KindUnauthorized, jukinet.Field("current_reading"), "the current reading does not match the operator's 照合情報"))
	}
	t, err := s.current().Enroll(fresh, s.opt.Rand)
	if err != nil {
		return jukinet.E(op, err)
	}
	b, err := t.MarshalBinary()
	if err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	detail := fmt.Sprintf("collation_id=%s key_version=%d by=current_reading", collationID, t.KeyVersion)
	return s.act(ctx, jukinet.OpAccessReenroll, detail, func(tx *store.Tx) error {
		if err := requireActive(tx, op, collationID); err != nil {
			return err
		}
		return s.writeTemplate(tx, op, collationID, t.KeyVersion, b, "reenrolled", "with the current reading")
	})
}

// Replacement replaces the 照合情報 of an operator who cannot give a current
// reading (a lost or injured finger, G13.2). The actor (under アクセス管理) is
// one person; a second operator holding a valid アクセス管理 操作者ID proves
// their presence with their own 照合 on the actor's terminal; the
// セキュリティ責任者 has recorded a re-enrolment decision about the operator.
// Neither of the two may be the operator.
type Replacement struct {
	CollationID       string
	Reading           biometric.Reading // the new reading of the operator
	DecisionID        string            // governance.DecisionReenrol about CollationID
	SecondCollationID string            // the second アクセス管理 operator
	SecondReading     biometric.Reading // their reading
}

// ReplaceLost replaces an operator's 照合情報 under two people and a recorded
// decision (see Replacement). Sessions of the operator end. Errors:
// KindForbidden (self, second operator missing, the same person, or without
// アクセス管理), KindUnauthorized (second reading), KindNotFound/KindConflict
// (decision, field "decision_id"), as Enroll otherwise.
func (s *Service) ReplaceLost(ctx context.Context, in Replacement) error {
	const op = "access.ReplaceLost"
	if err := checkID(op, "collation_id", in.CollationID); err != nil {
		return err
	}
	if err := s.authorize(ctx, jukinet.OpAccessReenroll, "collation_id="+in.CollationID); err != nil {
		return err
	}
	actor, _ := jukinet.ActorFrom(ctx)
	refuse := func(err error) error { return s.refuse(ctx, jukinet.OpAccessReenroll, err) }
	if !jukinet.ValidID(in.SecondCollationID) {
		return refuse(jukinet.E(op, jukinet.KindInvalid, jukinet.Field("second_collation_id"), "a second operator holding アクセス管理 must give their 照合ID and reading"))
	}
	if in.SecondCollationID == actor.CollationID || in.SecondCollationID == in.CollationID {
		return refuse(jukinet.E(op, jukinet.KindForbidden, jukinet.Field("second_collation_id"), "the second operator must be another person than the actor and the operator concerned"))
	}
	m, err := s.match(ctx, op, actor.Terminal, in.SecondCollationID, in.SecondReading)
	if err != nil {
		return refuse(jukinet.E(op, jukinet.Field("second_reading"), err))
	}
	ids, err := s.validOperatorIDs(ctx, in.SecondCollationID, s.now())
	if err != nil {
		return jukinet.E(op, err)
	}
	admin := false
	for _, r := range s.inScope(ids, actor.Terminal) {
		admin = admin || r.Authority == jukinet.AuthorityAccessAdmin
	}
	if !admin {
		return refuse(jukinet.E(op, jukinet.KindForbidden, jukinet.Field("second_collation_id"), "the second operator holds no valid アクセス管理 操作者ID on this terminal"))
	}
	t, err := s.current().Enroll(in.Reading, s.opt.Rand)
	if err != nil {
		return jukinet.E(op, err)
	}
	b, err := t.MarshalBinary()
	if err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	detail := fmt.Sprintf("collation_id=%s key_version=%d by=decision second=%s", in.CollationID, t.KeyVersion, in.SecondCollationID)
	return s.act(ctx, jukinet.OpAccessReenroll, detail, func(tx *store.Tx) error {
		if err := notSelf(tx, op, in.CollationID); err != nil {
			return err
		}
		if err := requireActive(tx, op, in.CollationID); err != nil {
			return err
		}
		d, err := governance.SpendDecision(tx, strings.TrimSpace(in.DecisionID), governance.DecisionReenrol, in.CollationID, "", "reenroll:"+in.CollationID)
		if err != nil {
			return jukinet.E(op, err)
		}
		if err := s.afterMatch(tx, m); err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		return s.writeTemplate(tx, op, in.CollationID, t.KeyVersion, b, "reenrolled",
			fmt.Sprintf("lost; second=%s decision=%s by %s", in.SecondCollationID, d.ID, d.DecidedBy))
	})
}

// notSelf refuses an act of the actor on their own 照合ID (G13: nobody
// approves themself).
func notSelf(tx *store.Tx, op, collationID string) error {
	if a := tx.Actor(); !a.IsSystem() && a.CollationID == collationID {
		return jukinet.Errorf(op, jukinet.KindForbidden, "collation_id", "an operator may not do this on their own 照合ID (G13)")
	}
	return nil
}

// Renew re-enrols an operator's 照合情報 under the current node key version:
// the reading must match the template under its old key first
// (KindUnauthorized otherwise). Login does the same by itself. Sessions of
// the operator end.
func (s *Service) Renew(ctx context.Context, collationID string, r biometric.Reading) error {
	const op = "access.Renew"
	if err := checkID(op, "collation_id", collationID); err != nil {
		return err
	}
	old, ok, err := s.template(ctx, collationID)
	if err != nil {
		return jukinet.E(op, err)
	}
	if !ok {
		return jukinet.Errorf(op, jukinet.KindNotFound, "collation_id", "照合ID %s has no 照合情報 to renew", collationID)
	}
	oldKey, ok := s.keys.Key(old.KeyVersion)
	if !ok {
		return jukinet.Errorf(op, jukinet.KindConflict, "key_version", "node key version %d is withdrawn: enrol the operator anew", old.KeyVersion)
	}
	t, err := biometric.Renew(oldKey, s.keys.Current(), old, r, s.opt.Rand)
	if err != nil {
		return jukinet.E(op, err)
	}
	return s.storeTemplate(ctx, op, jukinet.OpAccessRenew, "renewed", collationID, t)
}

func (s *Service) storeTemplate(ctx context.Context, op string, operation jukinet.Operation, event, collationID string, t biometric.Template) error {
	b, err := t.MarshalBinary()
	if err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	detail := fmt.Sprintf("collation_id=%s key_version=%d", collationID, t.KeyVersion)
	return s.act(ctx, operation, detail, func(tx *store.Tx) error {
		if err := requireActive(tx, op, collationID); err != nil {
			return err
		}
		return s.writeTemplate(tx, op, collationID, t.KeyVersion, b, event, "")
	})
}

// writeTemplate stores a template, ends the operator's sessions (a session
// opened with the old 照合情報 does not outlive it) and writes the history.
func (s *Service) writeTemplate(tx *store.Tx, op, collationID string, version uint32, b []byte, event, note string) error {
	if err := putTemplate(tx, collationID, version, b); err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	if _, err := tx.Exec(`DELETE FROM access_sessions WHERE collation_id = $1`, collationID); err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	h := fmt.Sprintf("key_version=%d", version)
	if note != "" {
		h += " " + note
	}
	return addHistory(tx, registerCollation, collationID, event, h)
}

func putTemplate(tx *store.Tx, collationID string, version uint32, b []byte) error {
	_, err := tx.Exec(`INSERT INTO access_templates (collation_id, key_version, template, enrolled_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (collation_id) DO UPDATE SET key_version = excluded.key_version, template = excluded.template, enrolled_at = excluded.enrolled_at`,
		collationID, int64(version), b, tx.NowMicro())
	return err
}

func requireActive(tx *store.Tx, op, collationID string) error {
	var status string
	err := tx.QueryRow(`SELECT status FROM access_operators WHERE collation_id = $1`, collationID).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return jukinet.Errorf(op, jukinet.KindNotFound, "collation_id", "照合ID %s does not exist", collationID)
	}
	if err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	if Status(status) != StatusActive {
		return jukinet.Errorf(op, jukinet.KindConflict, "collation_id", "照合ID %s is %s", collationID, status)
	}
	return nil
}

// template reads an operator's stored template (ok false when none).
func (s *Service) template(ctx context.Context, collationID string) (biometric.Template, bool, error) {
	var b []byte
	err := s.db.Bookkeeping(store.Sessions).QueryRowContext(ctx, `SELECT template FROM access_templates WHERE collation_id = $1`, collationID).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return biometric.Template{}, false, nil
	}
	if err != nil {
		return biometric.Template{}, false, jukinet.E("access.template", jukinet.KindInternal, err)
	}
	var t biometric.Template
	if err := t.UnmarshalBinary(b); err != nil {
		return t, false, err
	}
	return t, true, nil
}

// Revoke deletes an operator's 照合情報 (G13.2): the operator can no longer
// log in until enrolled again; open sessions end. Errors: KindNotFound when
// there is no template, KindInvalid, KindForbidden.
func (s *Service) Revoke(ctx context.Context, collationID, reason string) error {
	const op = "access.Revoke"
	var fe jukinet.FieldErrors // every field in error, at once
	fe.Add(checkID(op, "collation_id", collationID))
	fe.Add(validText(op, "reason", reason, 200))
	if err := fe.Err(); err != nil {
		return err
	}
	return s.act(ctx, jukinet.OpAccessRevoke, "collation_id="+collationID, func(tx *store.Tx) error {
		res, err := tx.Exec(`DELETE FROM access_templates WHERE collation_id = $1`, collationID)
		if err := mustAffect(op, res, err, "collation_id", "照合情報 of "+collationID); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM access_sessions WHERE collation_id = $1`, collationID); err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		return addHistory(tx, registerCollation, collationID, "revoked", "reason="+reason)
	})
}

// Assign gives an operator a 操作者ID (G2.8, G13.3) and returns it. The
// assignment spends a decision the holder of the セキュリティ責任者 role
// recorded in governance about this operator and authority (DecisionID); the
// register keeps its maker. Nobody assigns a 操作者ID to themself, and the
// decision's maker is never its subject. A system principal may assign
// without a decision only while no セキュリティ責任者 was ever appointed
// (bootstrap of a new node, recorded as such). Errors: KindInvalid (field),
// KindNotFound (operator, decision), KindConflict (operator not active, ID
// taken, decision spent or about someone or something else), KindForbidden.
func (s *Service) Assign(ctx context.Context, a Assignment) (string, error) {
	const op = "access.Assign"
	if a.OperatorID == "" {
		var b [5]byte
		if _, err := io.ReadFull(s.opt.Rand, b[:]); err != nil {
			return "", jukinet.E(op, jukinet.KindInternal, err)
		}
		a.OperatorID = "OP-" + strings.ToUpper(hex.EncodeToString(b[:]))
	}
	a.DecisionID = strings.TrimSpace(a.DecisionID)
	if err := s.validateAssignment(op, a); err != nil {
		return "", err
	}
	detail := fmt.Sprintf("operator_id=%s collation_id=%s authority=%s decision=%s", a.OperatorID, a.CollationID, a.Authority, logText(a.DecisionID))
	err := s.act(ctx, jukinet.OpAccessAssign, detail, func(tx *store.Tx) error {
		if err := notSelf(tx, op, a.CollationID); err != nil {
			return err
		}
		if err := requireActive(tx, op, a.CollationID); err != nil {
			return err
		}
		manager, ref := "", ""
		if actor := tx.Actor(); actor.IsSystem() && a.DecisionID == "" {
			appointed, err := governance.RoleEverHeld(tx, governance.RoleSecurityManager)
			if err != nil {
				return jukinet.E(op, jukinet.KindInternal, err)
			}
			if appointed {
				return jukinet.E(op, jukinet.KindForbidden, jukinet.Field("decision_id"), "a セキュリティ責任者 is appointed: every 操作者ID needs their recorded decision (G13.3)")
			}
			// The bootstrap principal decided it: the register names it.
			manager, ref = actor.String(), "bootstrap:"+actor.System
		} else {
			if a.DecisionID == "" {
				return jukinet.E(op, jukinet.KindInvalid, jukinet.Field("decision_id"), "the セキュリティ責任者's recorded decision is required (G13.3)")
			}
			d, err := governance.SpendDecision(tx, a.DecisionID, governance.DecisionAssign, a.CollationID, a.Authority, "assign:"+a.OperatorID)
			if err != nil {
				return jukinet.E(op, err)
			}
			manager, ref = d.DecidedBy, d.ID
		}
		_, err := tx.Exec(`INSERT INTO access_operator_ids (operator_id, collation_id, authority, scope, valid_from, valid_until, security_manager, decision_ref, assigned_at, assigned_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			a.OperatorID, a.CollationID, string(a.Authority), a.Scope, micro(a.ValidFrom), micro(a.ValidUntil), manager, ref, tx.NowMicro(), tx.Actor().String())
		if store.IsUniqueViolation(err) {
			return jukinet.Errorf(op, jukinet.KindConflict, "operator_id", "操作者ID %s already exists", a.OperatorID)
		}
		if err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		return addHistory(tx, registerOperator, a.OperatorID, "assigned", fmt.Sprintf("collation_id=%s authority=%s scope=%s valid=%s..%s security_manager=%s decision=%s",
			a.CollationID, a.Authority, a.Scope, a.ValidFrom.UTC().Format("2006-01-02T15:04Z"), a.ValidUntil.UTC().Format("2006-01-02T15:04Z"), manager, ref))
	})
	if err != nil {
		return "", err
	}
	return a.OperatorID, nil
}

// validateAssignment finds every field of a in error, at once (a form
// shows them all).
func (s *Service) validateAssignment(op string, a Assignment) error {
	var fe jukinet.FieldErrors
	fe.Add(checkID(op, "operator_id", a.OperatorID))
	fe.Add(checkID(op, "collation_id", a.CollationID))
	if !a.Authority.Valid() || a.Authority == jukinet.AuthoritySystem {
		fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "authority", "%q is not an operator authority", a.Authority))
	}
	if err := ValidateScope(s.db.Node(), a.Scope); err != nil {
		fe.Add(jukinet.E(op, err))
	}
	if a.ValidFrom.IsZero() || a.ValidUntil.IsZero() || !a.ValidUntil.After(a.ValidFrom) {
		fe.Add(jukinet.E(op, jukinet.KindInvalid, jukinet.Field("valid_until"), "a validity period with valid_from before valid_until is required"))
	}
	if len(a.DecisionID) > 64 {
		fe.Add(jukinet.E(op, jukinet.KindInvalid, jukinet.Field("decision_id"), "decision_id is the ID of a recorded decision"))
	}
	return fe.Err()
}

// Withdraw ends a 操作者ID now; sessions under it end. Errors: KindNotFound
// (no such ID in force), KindInvalid, KindForbidden.
func (s *Service) Withdraw(ctx context.Context, operatorID, reason string) error {
	const op = "access.Withdraw"
	var fe jukinet.FieldErrors // every field in error, at once
	fe.Add(checkID(op, "operator_id", operatorID))
	fe.Add(validText(op, "reason", reason, 200))
	if err := fe.Err(); err != nil {
		return err
	}
	return s.act(ctx, jukinet.OpAccessWithdraw, "operator_id="+operatorID, func(tx *store.Tx) error {
		res, err := tx.Exec(`UPDATE access_operator_ids SET withdrawn_at = $1, withdrawn_by = $2 WHERE operator_id = $3 AND withdrawn_at = 0`,
			tx.NowMicro(), tx.Actor().String(), operatorID)
		if err := mustAffect(op, res, err, "operator_id", "操作者ID "+operatorID+" in force"); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM access_sessions WHERE operator_id = $1`, operatorID); err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		return addHistory(tx, registerOperator, operatorID, "withdrawn", "reason="+reason)
	})
}

// RegisterTerminal registers a 統合端末 (G2.5), active. Errors: KindInvalid,
// KindConflict (ID taken), KindForbidden.
func (s *Service) RegisterTerminal(ctx context.Context, t Terminal) error {
	const op = "access.RegisterTerminal"
	var fe jukinet.FieldErrors // every field in error, at once
	fe.Add(checkID(op, "terminal", t.ID))
	fe.Add(validText(op, "name", t.Name, 64))
	fe.Add(validText(op, "location", t.Location, 100))
	if err := fe.Err(); err != nil {
		return err
	}
	return s.db.Update(ctx, store.Op{Operation: jukinet.OpAccessTerminal, Detail: "terminal=" + t.ID + " registered"}, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO access_terminals (terminal_id, name, location, active, registered_at) VALUES ($1, $2, $3, 1, $4)`,
			t.ID, t.Name, t.Location, tx.NowMicro())
		if store.IsUniqueViolation(err) {
			return jukinet.Errorf(op, jukinet.KindConflict, "terminal", "terminal %s is already registered", t.ID)
		}
		if err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		return addHistory(tx, registerTerminal, t.ID, "registered", "location="+t.Location)
	})
}

// SetTerminalActive enables or disables a terminal; disabling ends its
// sessions. Errors: KindNotFound, KindForbidden.
func (s *Service) SetTerminalActive(ctx context.Context, id string, active bool) error {
	const op = "access.SetTerminalActive"
	if err := checkID(op, "terminal", id); err != nil {
		return err
	}
	v := 0
	if active {
		v = 1
	}
	detail := fmt.Sprintf("terminal=%s active=%t", id, active)
	return s.db.Update(ctx, store.Op{Operation: jukinet.OpAccessTerminal, Detail: detail}, func(tx *store.Tx) error {
		res, err := tx.Exec(`UPDATE access_terminals SET active = $1 WHERE terminal_id = $2`, v, id)
		if err := mustAffect(op, res, err, "terminal", "terminal "+id); err != nil {
			return err
		}
		if !active {
			if _, err := tx.Exec(`DELETE FROM access_sessions WHERE terminal = $1`, id); err != nil {
				return jukinet.E(op, jukinet.KindInternal, err)
			}
		}
		return addHistory(tx, registerTerminal, id, "status", fmt.Sprintf("active=%t", active))
	})
}

// Unlock clears the lockout of a 照合ID. Only under アクセス管理.
// Errors: KindNotFound, KindConflict (not locked), KindForbidden.
func (s *Service) Unlock(ctx context.Context, collationID string) error {
	const op = "access.Unlock"
	if err := checkID(op, "collation_id", collationID); err != nil {
		return err
	}
	return s.db.Update(ctx, store.Op{Operation: jukinet.OpAccessUnlock, Detail: "collation_id=" + collationID}, func(tx *store.Tx) error {
		var locked int64
		err := tx.QueryRow(`SELECT locked_at FROM access_operators WHERE collation_id = $1`, collationID).Scan(&locked)
		if errors.Is(err, sql.ErrNoRows) {
			return jukinet.Errorf(op, jukinet.KindNotFound, "collation_id", "照合ID %s does not exist", collationID)
		}
		if err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		if locked == 0 {
			return jukinet.Errorf(op, jukinet.KindConflict, "collation_id", "照合ID %s is not locked", collationID)
		}
		if _, err := tx.Exec(`UPDATE access_operators SET failures = 0, locked_at = 0 WHERE collation_id = $1`, collationID); err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		return addHistory(tx, registerCollation, collationID, "unlocked", "")
	})
}

// Operator returns one operator (no personal data of residents: a status
// read, not logged). Errors: KindNotFound.
func (s *Service) Operator(ctx context.Context, collationID string) (Operator, error) {
	const op = "access.Operator"
	var o Operator
	var status string
	var created, locked, enrolled int64
	var version sql.NullInt64
	err := s.db.Bookkeeping(store.Status).QueryRowContext(ctx, `SELECT o.collation_id, o.name, o.department, o.status, o.created_at, o.failures, o.locked_at, t.key_version, COALESCE(t.enrolled_at, 0)
		FROM access_operators o LEFT JOIN access_templates t ON t.collation_id = o.collation_id WHERE o.collation_id = $1`, collationID).
		Scan(&o.CollationID, &o.Name, &o.Department, &status, &created, &o.Failures, &locked, &version, &enrolled)
	if errors.Is(err, sql.ErrNoRows) {
		return o, jukinet.Errorf(op, jukinet.KindNotFound, "collation_id", "照合ID %s does not exist", logID(collationID))
	}
	if err != nil {
		return o, jukinet.E(op, jukinet.KindInternal, err)
	}
	o.Status, o.CreatedAt, o.Locked, o.TemplateVersion, o.EnrolledAt = Status(status), fromMicro(created), locked != 0, uint32(version.Int64), fromMicro(enrolled)
	return o, nil
}
