package access

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// The evidence of the access registers that the compliance report judges
// (G2.5–G2.8, G11, G12.2, G13, G14): facts, never sentences. Each function
// reads through q, the Bookkeeping(store.Status) handle or a transaction on
// it, so that the report reads every owner's facts from one snapshot.

// ActiveTerminals counts the integrated terminals registered and active
// (G2.5, G11.1). Errors: KindInternal.
func ActiveTerminals(ctx context.Context, q store.Reader) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM access_terminals WHERE active = 1`).Scan(&n); err != nil {
		return 0, jukinet.E("access.ActiveTerminals", jukinet.KindInternal, err)
	}
	return n, nil
}

// OperatorFacts are the 照合ID and 操作者ID registers at a time.
type OperatorFacts struct {
	Active     int      // operators in the 照合ID register with status active (G2.7)
	Unenrolled []string // active operators without 照合情報 (access_templates) (G2.6, G11.2)
	IDsInForce int      // 操作者ID in force held by an active operator (G2.8, G11.1)
	// IDsWithoutDecision are 操作者ID in force that name no セキュリティ責任者
	// or no decision (G13.3).
	IDsWithoutDecision []string
	LockedHolders      []string // locked operators holding a 操作者ID in force (G14)
	// Unregistered are active operators (照合ID) and 操作者ID in force
	// without an entry in their register (access_history) (G13.4).
	Unregistered    []string
	RegisterEntries int // entries of the 照合ID and 操作者ID registers
}

// inForce selects the 操作者ID in force at $1 held by an active operator.
const inForce = `FROM access_operator_ids i JOIN access_operators o ON o.collation_id = i.collation_id WHERE o.status = 'active' AND i.withdrawn_at = 0 AND i.valid_from < $1 AND i.valid_until >= $1`

// Operators reads the registers' facts at time at (an ID is in force when
// its validity began before at and ends at or after it). Errors:
// KindInternal.
func Operators(ctx context.Context, q store.Reader, at time.Time) (OperatorFacts, error) {
	const op = "access.Operators"
	var f OperatorFacts
	us := at.UnixMicro()
	var err error
	read := func(dst *[]string, query string, args ...any) {
		if err == nil {
			*dst, err = column(ctx, q, query, args...)
		}
	}
	if err = q.QueryRowContext(ctx, `SELECT COUNT(*) FROM access_operators WHERE status = 'active'`).Scan(&f.Active); err != nil {
		return f, jukinet.E(op, jukinet.KindInternal, err)
	}
	if err = q.QueryRowContext(ctx, `SELECT COUNT(*) `+inForce, us).Scan(&f.IDsInForce); err != nil {
		return f, jukinet.E(op, jukinet.KindInternal, err)
	}
	if err = q.QueryRowContext(ctx, `SELECT COUNT(*) FROM access_history WHERE register IN ('collation', 'operator')`).Scan(&f.RegisterEntries); err != nil {
		return f, jukinet.E(op, jukinet.KindInternal, err)
	}
	read(&f.Unenrolled, `SELECT o.collation_id FROM access_operators o WHERE o.status = 'active' AND NOT EXISTS (SELECT 1 FROM access_templates t WHERE t.collation_id = o.collation_id) ORDER BY o.collation_id`)
	read(&f.IDsWithoutDecision, `SELECT i.operator_id `+inForce+` AND (i.security_manager = '' OR i.decision_ref = '') ORDER BY i.operator_id`, us)
	read(&f.LockedHolders, `SELECT DISTINCT o.collation_id `+inForce+` AND o.locked_at <> 0 ORDER BY o.collation_id`, us)
	var ids []string
	read(&f.Unregistered, `SELECT o.collation_id FROM access_operators o WHERE o.status = 'active' AND NOT EXISTS (SELECT 1 FROM access_history h WHERE h.register = 'collation' AND h.id = o.collation_id) ORDER BY o.collation_id`)
	read(&ids, `SELECT i.operator_id `+inForce+` AND NOT EXISTS (SELECT 1 FROM access_history h WHERE h.register = 'operator' AND h.id = i.operator_id) ORDER BY i.operator_id`, us)
	if err != nil {
		return f, jukinet.E(op, jukinet.KindInternal, err)
	}
	f.Unregistered = append(f.Unregistered, ids...)
	return f, nil
}

// PasswordPolicyIn returns the recorded OS password policy read through q
// (G12.2); ok is false when none is recorded. Errors: KindInternal.
func PasswordPolicyIn(ctx context.Context, q store.Reader) (p PasswordPolicy, ok bool, err error) {
	var at int64
	err = q.QueryRowContext(ctx, `SELECT min_length, char_classes, rotation_days, lockout_threshold, set_at, set_by FROM access_password_policy WHERE id = 1`).
		Scan(&p.MinLength, &p.CharClasses, &p.RotationDays, &p.LockoutThreshold, &at, &p.SetBy)
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, jukinet.E("access.PasswordPolicyIn", jukinet.KindInternal, err)
	}
	p.SetAt = fromMicro(at)
	return p, true, nil
}

// column reads a one-column list.
func column(ctx context.Context, q store.Reader, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
