package governance

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// DecisionKind says what an access decision allows.
type DecisionKind string

// The kinds of access decision (G13.2, G13.3).
const (
	// DecisionAssign: the operator may be given a 操作者ID of the authority
	// (G13.3: decided by the アクセス管理責任者 with the セキュリティ責任者).
	DecisionAssign DecisionKind = "assign"
	// DecisionReenrol: the operator's 照合情報 may be replaced without their
	// current reading (a lost or injured finger, G13.2).
	DecisionReenrol DecisionKind = "reenrol"
)

// AccessDecision is the セキュリティ責任者's recorded decision about one
// operator (G13.3). Access control spends it once.
type AccessDecision struct {
	ID          string            `json:"id"`
	Kind        DecisionKind      `json:"kind"`
	CollationID string            `json:"collation_id"`        // whom it concerns
	Authority   jukinet.Authority `json:"authority,omitempty"` // for DecisionAssign
	Reason      string            `json:"reason"`
	DecidedBy   string            `json:"decided_by"` // 照合ID of the セキュリティ責任者 that day
	DecidedOn   string            `json:"decided_on"`
	UsedBy      string            `json:"used_by,omitempty"` // the act that spent it
}

// DecideAccess records a decision of the セキュリティ責任者: only the holder of
// that role on the day may record it, and never about themself (nobody
// approves an act that gives themself authority). Errors: KindInvalid (field
// named), KindForbidden (actor not the セキュリティ責任者, or the subject).
func (s *Service) DecideAccess(ctx context.Context, in AccessDecision) (string, error) {
	const op = jukinet.OpGovAccessDecide
	id := newID()
	err := s.act(ctx, op, "decision="+id+" kind="+string(in.Kind), func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		fe.Add(oneOf(op, "kind", in.Kind, DecisionAssign, DecisionReenrol))
		if !jukinet.ValidID(in.CollationID) {
			fe.Add(jukinet.Errorf(string(op), jukinet.KindInvalid, "collation_id", "collation_id must be a 照合ID (1–32 letters, digits, '-' or '_')"))
		}
		if in.Kind == DecisionAssign && (!in.Authority.Valid() || in.Authority == jukinet.AuthoritySystem) {
			fe.Add(jukinet.Errorf(string(op), jukinet.KindInvalid, "authority", "authority %q is not an operator authority", in.Authority))
		}
		if in.Kind == DecisionReenrol && in.Authority != "" {
			fe.Add(jukinet.Errorf(string(op), jukinet.KindInvalid, "authority", "a re-enrolment decision names no authority"))
		}
		fe.Add(required(op, "reason", in.Reason))
		if err := fe.Err(); err != nil {
			return err
		}
		if err := requireRole(tx, op, today, RoleSecurityManager); err != nil {
			return err
		}
		if tx.Actor().CollationID == in.CollationID {
			return jukinet.Errorf(string(op), jukinet.KindForbidden, "collation_id", "the セキュリティ責任者 may not decide about themself (G13.3); the セキュリティ統括責任者 appoints another holder for that")
		}
		_, err := tx.Exec(`INSERT INTO gov_access_decisions (id, kind, collation_id, authority, reason, decided_by, decided_on, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
			id, string(in.Kind), in.CollationID, string(in.Authority), in.Reason, tx.Actor().CollationID, today.String(), tx.NowMicro())
		return internal(op, err)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// SpendDecision checks, inside an access-control transaction, that decision
// id exists, is of kind, concerns collationID (and authority, for an
// assignment), was recorded by the holder of the セキュリティ責任者 role on its
// day, is not about its own maker and was not spent; then marks it spent by
// usedBy. It returns the decision. Errors name the field "decision_id":
// KindNotFound, KindConflict (spent, or another kind, person or authority),
// KindForbidden (the maker did not hold the role, or decided about themself).
func SpendDecision(tx *store.Tx, id string, kind DecisionKind, collationID string, authority jukinet.Authority, usedBy string) (AccessDecision, error) {
	const op = "governance.SpendDecision"
	var d AccessDecision
	var authorityS, kindS string
	var usedAt int64
	err := tx.QueryRow(`SELECT id, kind, collation_id, authority, reason, decided_by, decided_on, used_by, used_at FROM gov_access_decisions WHERE id = $1`, id).
		Scan(&d.ID, &kindS, &d.CollationID, &authorityS, &d.Reason, &d.DecidedBy, &d.DecidedOn, &d.UsedBy, &usedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return d, jukinet.Errorf(op, jukinet.KindNotFound, "decision_id", "no セキュリティ責任者 decision %q is recorded (G13.3)", jukinet.Clip(id, 40))
	}
	if err != nil {
		return d, jukinet.E(op, jukinet.KindInternal, err)
	}
	d.Kind, d.Authority = DecisionKind(kindS), jukinet.Authority(authorityS)
	switch {
	case usedAt != 0:
		return d, jukinet.Errorf(op, jukinet.KindConflict, "decision_id", "decision %s was already used (%s)", d.ID, d.UsedBy)
	case d.Kind != kind:
		return d, jukinet.Errorf(op, jukinet.KindConflict, "decision_id", "decision %s is a %s decision, not %s", d.ID, d.Kind, kind)
	case d.CollationID != collationID:
		return d, jukinet.Errorf(op, jukinet.KindConflict, "decision_id", "decision %s concerns 照合ID %s, not %s", d.ID, d.CollationID, collationID)
	case kind == DecisionAssign && d.Authority != authority:
		return d, jukinet.Errorf(op, jukinet.KindConflict, "decision_id", "decision %s allows authority %s, not %s", d.ID, d.Authority, authority)
	case d.DecidedBy == collationID:
		return d, jukinet.Errorf(op, jukinet.KindForbidden, "decision_id", "decision %s was made by the person it concerns (G13.3)", d.ID)
	}
	// Re-read the role holder of the decision's day: a row written into the
	// table without the act (insider with the database file) names someone
	// who did not hold the role.
	day, err := jukinet.ParseDate("decided_on", d.DecidedOn)
	if err != nil {
		return d, jukinet.E(op, jukinet.KindConflict, jukinet.Field("decision_id"), "the decision's date is unreadable", err)
	}
	holder, err := holderOf(tx, RoleSecurityManager, day)
	if err != nil {
		return d, jukinet.E(op, jukinet.KindInternal, err)
	}
	if holder == "" || holder != d.DecidedBy {
		return d, jukinet.Errorf(op, jukinet.KindForbidden, "decision_id", "decision %s was not made by the セキュリティ責任者 of %s", d.ID, d.DecidedOn)
	}
	d.UsedBy = usedBy
	if _, err := tx.Exec(`UPDATE gov_access_decisions SET used_by = $1, used_at = $2 WHERE id = $3 AND used_at = 0`, usedBy, tx.NowMicro(), d.ID); err != nil {
		return d, jukinet.E(op, jukinet.KindInternal, err)
	}
	return d, nil
}

// AccessDecisions lists the recorded decisions, newest first.
func (s *Service) AccessDecisions(ctx context.Context) ([]AccessDecision, error) {
	rows, err := s.db.Bookkeeping(store.Status).QueryContext(ctx, `SELECT id, kind, collation_id, authority, reason, decided_by, decided_on, used_by FROM gov_access_decisions ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, internal("governance.AccessDecisions", err)
	}
	defer rows.Close()
	var out []AccessDecision
	for rows.Next() {
		var d AccessDecision
		var k, a string
		if err := rows.Scan(&d.ID, &k, &d.CollationID, &a, &d.Reason, &d.DecidedBy, &d.DecidedOn, &d.UsedBy); err != nil {
			return nil, internal("governance.AccessDecisions", err)
		}
		d.Kind, d.Authority = DecisionKind(k), jukinet.Authority(a)
		out = append(out, d)
	}
	return out, internal("governance.AccessDecisions", rows.Err())
}

// GuardIdentityInfo makes db refuse every operation on residents' identity
// information (jukinet.HandlesIdentityInfo) by an operator whom the
// 本人確認情報管理責任者 has not designated for that day, and every such
// operation by the console principal (G16-2.1). It is installed where the
// store authorizes, so every screen, API and command is held to it; the store
// logs each refusal. System principals (network receipt, setup) are not
// operators and pass.
func GuardIdentityInfo(db *store.DB) {
	// Prepared once: the guard runs before every register event, and
	// parsing the query was most of its cost (nil: it runs unprepared).
	st, err := db.Bookkeeping(store.Status).Prepare(handlerQuery)
	if err != nil {
		st = nil
	}
	db.SetGuard(func(ctx context.Context, a jukinet.Actor, op jukinet.Operation) error {
		if !jukinet.HandlesIdentityInfo(op) || a.IsSystem() {
			return nil
		}
		day := jukinet.DateOf(db.Now())
		may := false
		switch {
		case a.IsConsole():
		case st == nil:
			may = MayHandleIdentityInfo(ctx, db, a.CollationID, day)
		case a.CollationID != "" && !day.IsZero():
			may = designated(st.QueryRowContext(ctx, a.CollationID, day.String()))
		}
		if !may {
			return jukinet.Errorf("authorize", jukinet.KindForbidden, "actor", "%s is not designated by the 本人確認情報管理責任者 to handle identity information on %s (G16-2.1)", a, day)
		}
		return nil
	})
}

// RoleEverHeld reports, inside a transaction, whether role was ever
// appointed (access control's bootstrap ends when a セキュリティ責任者 exists).
func RoleEverHeld(tx *store.Tx, role Role) (bool, error) {
	var n int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM gov_roles WHERE role = $1`, string(role)).Scan(&n); err != nil {
		return false, jukinet.E("governance.RoleEverHeld", jukinet.KindInternal, err)
	}
	return n > 0, nil
}
