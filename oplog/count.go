package oplog

import (
	"context"
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// CountOperations counts the log's records of each operation in ops since
// the log began (the ops metrics' logins, login failures and lockouts). A
// run row counts its records. It reads the operation index and the run
// column only, never a leaf. Errors: KindInternal.
func CountOperations(ctx context.Context, db *store.DB, ops ...jukinet.Operation) (map[jukinet.Operation]int64, error) {
	const op = "oplog.CountOperations"
	out := make(map[jukinet.Operation]int64, len(ops))
	if len(ops) == 0 {
		return out, nil
	}
	marks := make([]string, len(ops))
	args := make([]any, len(ops))
	for i, o := range ops {
		marks[i] = "$" + itoa(uint64(i+1))
		args[i] = string(o)
		out[o] = 0
	}
	rows, err := db.Bookkeeping(store.LogRead).QueryContext(ctx, `SELECT operation, CAST(SUM(run) AS BIGINT) FROM oplog WHERE operation IN (`+strings.Join(marks, ", ")+`) GROUP BY operation`, args...)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return nil, jukinet.E(op, jukinet.KindInternal, err)
		}
		out[jukinet.Operation(name)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	return out, nil
}
