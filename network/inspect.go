package network

import (
	"context"
	"database/sql"
	"strconv"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// PendingTotal is how many outbox messages wait for delivery, to every
// peer: what the demo waits on to call the network idle. No personal data.
// Errors: KindInternal.
func PendingTotal(ctx context.Context, db *store.DB) (int, error) {
	var n int
	if err := db.Bookkeeping(store.Status).QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE state = 'pending'`).Scan(&n); err != nil {
		return 0, jukinet.E("network.PendingTotal", jukinet.KindInternal, err)
	}
	return n, nil
}

// QueuedAt maps each message of kind queued at or after since (unix µs) to
// the time its transaction queued it, keyed "ordering key#version": the
// load generator's start of a message's latency. No personal data.
// Errors: KindInternal.
func QueuedAt(ctx context.Context, db *store.DB, kind Kind, since int64) (map[string]int64, error) {
	const op = "network.QueuedAt"
	rows, err := db.Bookkeeping(store.Inspect).QueryContext(ctx, `SELECT ordering_key, version, created_at FROM outbox WHERE kind = $1 AND created_at >= $2`, kind.String(), since)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var key string
		var version, at int64
		if err := rows.Scan(&key, &version, &at); err != nil {
			return nil, jukinet.E(op, jukinet.KindInternal, err)
		}
		out[VersionKey(key, version)] = at
	}
	if err := rows.Err(); err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	return out, nil
}

// VersionKey is QueuedAt's key of a message: "ordering key#version".
func VersionKey(orderingKey string, version int64) string {
	return orderingKey + "#" + strconv.FormatInt(version, 10)
}

// SettleBaseline marks every pending outbox message delivered in tx and
// returns how many: the load generator's baseline, which writes the rows a
// sender keeps without a network (the settlement a receipt brings). Never a
// deployed node's path: a real sender settles by receipt.
func SettleBaseline(tx *store.Tx) (int64, error) {
	var first, last sql.NullInt64
	if err := tx.QueryRow(`SELECT MIN(seq), MAX(seq) FROM outbox WHERE state = 'pending'`).Scan(&first, &last); err != nil {
		return 0, jukinet.E("network.SettleBaseline", jukinet.KindInternal, err)
	}
	if !first.Valid {
		return 0, nil
	}
	res, err := tx.Exec(`UPDATE outbox SET state = 'delivered', done_at = $1, attempts = attempts + 1 WHERE state = 'pending' AND seq BETWEEN $2 AND $3`, tx.NowMicro(), first.Int64, last.Int64)
	if err != nil {
		return 0, jukinet.E("network.SettleBaseline", jukinet.KindInternal, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, jukinet.E("network.SettleBaseline", jukinet.KindInternal, err)
	}
	return n, nil
}

// AppliedBaseline writes in tx, for the load generator's baseline, the
// inbox rows a receiver keeps for messages of kind from sender it applied
// (version 1 each, no envelope), and with versions the inbox_versions rows
// too. ids are the messages' IDs, keys their ordering keys, one each. Never
// a deployed node's path: a real receiver writes these in Deliver.
func AppliedBaseline(tx *store.Tx, kind Kind, from string, ids, keys []string, versions bool) error {
	now := tx.NowMicro()
	in := make([]any, 0, 10*len(ids))
	ver := make([]any, 0, 2*len(ids))
	for i, id := range ids {
		in = append(in, id, kind.String(), from, keys[i], 1, "applied", "", nil, now, now)
		ver = append(ver, keys[i], 1)
	}
	if err := tx.InsertRows(`INSERT INTO inbox (message_id, kind, sender, ordering_key, version, state, reason, envelope, received_at, applied_at) VALUES `, 10, in); err != nil {
		return err
	}
	if !versions {
		return nil
	}
	return tx.InsertRows(`INSERT INTO inbox_versions (ordering_key, applied) VALUES `, 2, ver, ` ON CONFLICT (ordering_key) DO UPDATE SET applied = excluded.applied`)
}
