package oplog

import (
	"database/sql"
	"errors"

	"github.com/jukinet/jukinet"
)

// rowQuery runs a one-row query (db.Bookkeeping(store.LogRead).QueryRowContext or tx.QueryRow).
type rowQuery func(query string, args ...any) *sql.Row

// firstIndexAt is the first index whose record time is ≥ micros, or the
// log's size when there is none, by binary search on the primary key: the
// oplog table has no time index (each index is an insert per record, and
// every message is a record), and record times never decrease
// along idx (store.appendLog keeps the newest time in oplog_head).
// About log2(size) point reads: 24 for 10 million records.
func firstIndexAt(q rowQuery, micros int64) (uint64, error) {
	const op = "oplog.firstIndexAt"
	var size int64
	var lo sql.NullInt64
	if err := q(`SELECT size FROM oplog_head WHERE id = 1`).Scan(&size); err != nil {
		return 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	if err := q(`SELECT MIN(idx) FROM oplog`).Scan(&lo); err != nil {
		return 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	if !lo.Valid {
		return uint64(size), nil
	}
	// Invariant: every index < lo has time < micros (or is purged); every
	// index ≥ hi has time ≥ micros (or does not exist yet).
	l, hi := lo.Int64, size
	for l < hi {
		mid := l + (hi-l)/2
		var t int64
		// The row holding mid: a run's records share its row's time.
		err := q(`SELECT time FROM oplog WHERE idx <= $1 ORDER BY idx DESC LIMIT 1`, mid).Scan(&t)
		if errors.Is(err, sql.ErrNoRows) {
			hi = mid
			continue
		}
		if err != nil {
			return 0, jukinet.E(op, jukinet.KindInternal, err)
		}
		if t >= micros {
			hi = mid
		} else {
			l = mid + 1
		}
	}
	return uint64(l), nil
}
