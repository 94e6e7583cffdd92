package network

import (
	"context"
	"database/sql"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// The evidence of the links to the other nodes that the compliance report
// judges (G2.1, G2.3): facts, never sentences. Each function reads through
// q, the Bookkeeping(store.Delivery) handle or a transaction on it, so that
// a test can read every owner's facts from one snapshot.

// Receipts are the signed receipt lists kept from peers in a period (G2.1).
type Receipts struct {
	Lists int       // receipt lists received
	Peers int       // distinct peers that sent them
	Last  time.Time // the latest received in the period; zero when none
}

// ReceiptsBetween reads the receipt lists received in [from, to). Errors:
// KindInternal.
func ReceiptsBetween(ctx context.Context, q store.Reader, from, to time.Time) (Receipts, error) {
	var r Receipts
	var last sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT dest), MAX(received_at) FROM outbox_receipts WHERE received_at >= $1 AND received_at < $2`,
		from.UnixMicro(), to.UnixMicro()).Scan(&r.Lists, &r.Peers, &last); err != nil {
		return r, jukinet.E("network.ReceiptsBetween", jukinet.KindInternal, err)
	}
	if last.Valid {
		r.Last = time.UnixMicro(last.Int64)
	}
	return r, nil
}

// KindCount is how many messages of one kind.
type KindCount struct {
	Kind  string
	Count int
}

// DeliveredBetween counts the messages delivered to peers in [from, to), by
// kind in the kinds' order (G2.3). Errors: KindInternal.
func DeliveredBetween(ctx context.Context, q store.Reader, from, to time.Time) ([]KindCount, error) {
	const op = "network.DeliveredBetween"
	rows, err := q.QueryContext(ctx, `SELECT kind, COUNT(*) FROM outbox WHERE state = 'delivered' AND done_at >= $1 AND done_at < $2 GROUP BY kind ORDER BY kind`,
		from.UnixMicro(), to.UnixMicro())
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	defer rows.Close()
	var out []KindCount
	for rows.Next() {
		var k KindCount
		if err := rows.Scan(&k.Kind, &k.Count); err != nil {
			return nil, jukinet.E(op, jukinet.KindInternal, err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	return out, nil
}
