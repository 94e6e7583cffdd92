package governance

import (
	"context"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// Assignment appoints a person to a role from a date (G3–G5, G11-2, G16.2).
type Assignment struct {
	Role        Role         `json:"role"`
	CollationID string       `json:"collation_id"` // 照合ID of the holder
	Name        string       `json:"name"`
	Position    string       `json:"position"` // e.g. 副市長, 市民課長
	From        jukinet.Date `json:"from"`
	Until       jukinet.Date `json:"until,omitempty"` // zero: open-ended
}

// RoleHolding is one period of a role, as kept in the history.
type RoleHolding struct {
	ID          string `json:"id"`
	Role        Role   `json:"role"`
	CollationID string `json:"collation_id"`
	Name        string `json:"name"`
	Position    string `json:"position"`
	From        string `json:"from"`
	Until       string `json:"until"`
	AppointedBy string `json:"appointed_by"`
}

// AssignRole appoints a holder. The セキュリティ統括責任者 appoints every
// role, including a successor to themself, but never themself to a role; only the very first セキュリティ統括責任者
// is appointed by a system principal (BootstrapActor) at setup. Hand-over
// closes the previous holder's period the day before From; history is kept.
// Errors: KindInvalid (field named), KindForbidden (actor), KindConflict
// (a later assignment already exists, or the person already holds it).
func (s *Service) AssignRole(ctx context.Context, in Assignment) (RoleHolding, error) {
	const op = jukinet.OpGovRoleAssign
	var out RoleHolding
	err := s.act(ctx, op, "role="+string(in.Role), func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		if !in.Role.Valid() {
			fe.Add(oneOf(op, "role", in.Role, Roles()...))
		}
		fe.Add(required(op, "collation_id", in.CollationID))
		fe.Add(required(op, "name", in.Name))
		fe.Add(requiredDate(op, "from", in.From))
		fe.Add(notBefore(op, "until", in.Until, "from", in.From))
		if err := fe.Err(); err != nil {
			return err
		}
		a := tx.Actor()
		if a.IsSystem() {
			var n int
			if err := tx.QueryRow(`SELECT COUNT(*) FROM gov_roles WHERE role = $1`, string(RoleGeneralManager)).Scan(&n); err != nil {
				return internal(op, err)
			}
			if in.Role != RoleGeneralManager || n > 0 {
				return jukinet.Errorf(string(op), jukinet.KindForbidden, "actor", "a system principal may only appoint the first セキュリティ統括責任者 at setup; after that the セキュリティ統括責任者 appoints")
			}
		} else if err := requireRole(tx, op, today, RoleGeneralManager); err != nil {
			return err
		} else if a.CollationID == in.CollationID {
			// Nobody approves an act that gives themself authority (G13).
			return jukinet.Errorf(string(op), jukinet.KindForbidden, "collation_id", "the セキュリティ統括責任者 may not appoint themself to %s", in.Role.Japanese())
		}
		var later int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM gov_roles WHERE role = $1 AND valid_from >= $2`, string(in.Role), in.From.String()).Scan(&later); err != nil {
			return internal(op, err)
		}
		if later > 0 {
			return jukinet.Errorf(string(op), jukinet.KindConflict, "from", "role %s already has an assignment starting on or after %s; hand-over must move forward in time", in.Role, in.From)
		}
		cur, err := holderOf(tx, in.Role, in.From)
		if err != nil {
			return internal(op, err)
		}
		if cur == in.CollationID {
			return jukinet.Errorf(string(op), jukinet.KindConflict, "collation_id", "照合ID %s already holds %s on %s", in.CollationID, in.Role, in.From)
		}
		// Hand-over: the open or overlapping period ends the day before.
		if _, err := tx.Exec(`UPDATE gov_roles SET valid_until = $1 WHERE role = $2 AND valid_from < $3 AND (valid_until = '' OR valid_until >= $3)`,
			in.From.AddDays(-1).String(), string(in.Role), in.From.String()); err != nil {
			return internal(op, err)
		}
		out = RoleHolding{ID: newID(), Role: in.Role, CollationID: in.CollationID, Name: in.Name, Position: in.Position,
			From: in.From.String(), Until: in.Until.String(), AppointedBy: a.String()}
		_, err = tx.Exec(`INSERT INTO gov_roles (id, role, collation_id, holder_name, position, valid_from, valid_until, appointed_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
			out.ID, string(out.Role), out.CollationID, out.Name, out.Position, out.From, out.Until, out.AppointedBy, tx.NowMicro())
		return internal(op, err)
	})
	return out, err
}

// RoleHistory lists every holding of every role, oldest first.
func (s *Service) RoleHistory(ctx context.Context) ([]RoleHolding, error) {
	rows, err := s.db.Bookkeeping(store.Status).QueryContext(ctx, `SELECT id, role, collation_id, holder_name, position, valid_from, valid_until, appointed_by FROM gov_roles ORDER BY role, valid_from`)
	if err != nil {
		return nil, internal("governance.RoleHistory", err)
	}
	defer rows.Close()
	var out []RoleHolding
	for rows.Next() {
		var h RoleHolding
		if err := rows.Scan(&h.ID, &h.Role, &h.CollationID, &h.Name, &h.Position, &h.From, &h.Until, &h.AppointedBy); err != nil {
			return nil, internal("governance.RoleHistory", err)
		}
		out = append(out, h)
	}
	return out, internal("governance.RoleHistory", rows.Err())
}

// EverAppointed reports whether anyone was ever appointed to role (the demo
// seeds a node's governance records only once).
func EverAppointed(ctx context.Context, db *store.DB, role Role) (bool, error) {
	var n int
	if err := db.Bookkeeping(store.Status).QueryRowContext(ctx, `SELECT COUNT(*) FROM gov_roles WHERE role = $1`, string(role)).Scan(&n); err != nil {
		return false, jukinet.E("governance.EverAppointed", jukinet.KindInternal, err)
	}
	return n > 0, nil
}
