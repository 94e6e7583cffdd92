package network

import (
	"context"
	"database/sql"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// QueueGauges is QueueStatus's per-peer counts without the rest, read
// through the partial indexes outbox_pending and outbox_rejected and
// inbox_parked, so its cost follows the queues' length, not the tables'
// (the ops metrics call it at scrape time). No personal data.
// Errors: KindInternal.
func QueueGauges(ctx context.Context, db *store.DB) (outbox []DestStatus, parked int, err error) {
	const op = "network.QueueGauges"
	q := db.Bookkeeping(store.Status)
	now := db.Now().UnixMicro()
	byDest := map[string]*DestStatus{}
	var order []string
	get := func(dest string) *DestStatus {
		d, ok := byDest[dest]
		if !ok {
			d = &DestStatus{Dest: dest}
			byDest[dest] = d
			order = append(order, dest)
		}
		return d
	}
	rows, err := q.QueryContext(ctx, `SELECT dest, COUNT(*), MIN(created_at) FROM outbox WHERE state = 'pending' GROUP BY dest`)
	if err != nil {
		return nil, 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	for rows.Next() {
		var dest string
		var n int
		var oldest sql.NullInt64
		if err := rows.Scan(&dest, &n, &oldest); err != nil {
			rows.Close()
			return nil, 0, jukinet.E(op, jukinet.KindInternal, err)
		}
		d := get(dest)
		d.Pending = n
		if oldest.Valid {
			d.OldestPending = time.Duration(now-oldest.Int64) * time.Microsecond
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	rows, err = q.QueryContext(ctx, `SELECT dest, COUNT(*) FROM outbox WHERE state = 'rejected' GROUP BY dest`)
	if err != nil {
		return nil, 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	for rows.Next() {
		var dest string
		var n int
		if err := rows.Scan(&dest, &n); err != nil {
			rows.Close()
			return nil, 0, jukinet.E(op, jukinet.KindInternal, err)
		}
		get(dest).Rejected = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM inbox WHERE state = 'parked'`).Scan(&parked); err != nil {
		return nil, 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	for _, dest := range order {
		outbox = append(outbox, *byDest[dest])
	}
	return outbox, parked, nil
}
