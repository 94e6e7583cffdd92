package oplog

import (
	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// Fill appends n records to the log in tx with bulk inserts, for the load
// generator: it reserves n indices on oplog_head in the same transaction,
// so the log stays contiguous and verifiable, and times them after every
// earlier record and after notBefore (unix µs), one a microsecond, so that
// record times never decrease along idx. record makes the record of index
// idx at time t (Index and Time are set by Fill). It returns the index of
// the first record. Never a deployed node's path: records come from
// store.Update.
func Fill(tx *store.Tx, n int, notBefore int64, record func(idx uint64, t int64) store.LogRecord) (uint64, error) {
	const op = "oplog.Fill"
	var size, newest int64
	if err := tx.QueryRow(`UPDATE oplog_head SET size = size + $1, time = CASE WHEN time > $2 THEN time ELSE $2 END + $1 WHERE id = 1 RETURNING size, time`, n, notBefore).Scan(&size, &newest); err != nil {
		return 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	first := uint64(size) - uint64(n)
	args := make([]any, 0, n*14)
	for i := range n {
		idx, t := first+uint64(i), newest-int64(n-1-i)
		r := record(idx, t)
		r.Index, r.Time = idx, t
		leaf := r.Leaf()
		lh := store.LeafHash(leaf)
		args = append(args, int64(idx), r.Time, r.CollationID, r.OperatorID, r.Authority, r.Terminal, r.Principal,
			r.Operation, r.Subject, r.Purpose, r.Result, r.PolicyVersion, leaf, lh[:])
	}
	if err := tx.InsertRows(`INSERT INTO oplog (idx, time, collation_id, operator_id, authority, terminal, principal, operation, subject, purpose, result, policy_version, leaf, leaf_hash) VALUES `, 14, args); err != nil {
		return 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	return first, nil
}
