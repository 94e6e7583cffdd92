package access

import (
	"context"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// StaffEntry is an operator with the 操作者ID they hold now: who may log in
// at a terminal, with which authorities.
type StaffEntry struct {
	CollationID string
	Name        string
	Department  string
	OperatorIDs []string            // in force, in 操作者ID order
	Authorities []jukinet.Authority // one per OperatorIDs entry
}

// Staff lists every operator with the 操作者ID in force, by 照合ID: the
// bootstrap's own listing for the console (the demo reads back the
// operators it seeded), not a read of the 管理簿 by an operator, which is
// Registers. Staff records only, no resident's data. Errors: KindInternal.
func Staff(ctx context.Context, db *store.DB) ([]StaffEntry, error) {
	const op = "access.Staff"
	rows, err := db.Bookkeeping(store.Status).QueryContext(ctx, `SELECT o.collation_id, o.name, o.department, COALESCE(i.operator_id, ''), COALESCE(i.authority, '')
 FROM access_operators o LEFT JOIN access_operator_ids i ON i.collation_id = o.collation_id AND i.withdrawn_at = 0
 ORDER BY o.collation_id, i.operator_id`)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	defer rows.Close()
	var out []StaffEntry
	for rows.Next() {
		var id, name, dept, opID, auth string
		if err := rows.Scan(&id, &name, &dept, &opID, &auth); err != nil {
			return nil, jukinet.E(op, jukinet.KindInternal, err)
		}
		if len(out) == 0 || out[len(out)-1].CollationID != id {
			out = append(out, StaffEntry{CollationID: id, Name: name, Department: dept})
		}
		if opID != "" {
			e := &out[len(out)-1]
			e.OperatorIDs = append(e.OperatorIDs, opID)
			e.Authorities = append(e.Authorities, jukinet.Authority(auth))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	return out, nil
}
