package node

import (
	"context"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
)

// IdentityCount is how many persons' identity information (本人確認情報)
// the prefecture or national store of db holds: a count, no person read.
// Errors: KindInternal.
func IdentityCount(ctx context.Context, db *store.DB) (int, error) {
	var n int
	if err := db.Bookkeeping(store.Counts).QueryRowContext(ctx, `SELECT COUNT(*) FROM flow_identity`).Scan(&n); err != nil {
		return 0, jukinet.E("node.IdentityCount", jukinet.KindInternal, err)
	}
	return n, nil
}

// IdentityVersions counts the versions of identity information the store
// of db received (its history's rows). Errors: KindInternal.
func IdentityVersions(ctx context.Context, db *store.DB) (int, error) {
	var n int
	if err := db.Bookkeeping(store.Inspect).QueryRowContext(ctx, `SELECT COUNT(*) FROM flow_identity_history`).Scan(&n); err != nil {
		return 0, jukinet.E("node.IdentityVersions", jukinet.KindInternal, err)
	}
	return n, nil
}

// IdentityReceivedAt maps each version of identity information the store of
// db received to the time its transaction stored it, keyed as the message's
// ordering key and version ("municipality/resident code#version", the key
// network.QueuedAt uses): the load generator's end of a latency. It reads
// no identity information, only the keys and times; never a deployed
// node's path. A municipality other than "" keeps that municipality's
// versions only (a country's audit holds one municipality's at a time).
// Errors: KindInternal.
func IdentityReceivedAt(ctx context.Context, db *store.DB, municipality jukinet.LGCode) (map[string]int64, error) {
	const op = "node.IdentityReceivedAt"
	q, args := `SELECT municipality, resident_code, version, received_at FROM flow_identity_history`, []any{}
	if municipality != "" {
		q, args = q+` WHERE municipality = $1`, append(args, string(municipality))
	}
	rows, err := db.Bookkeeping(store.Inspect).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var m, code string
		var version, at int64
		if err := rows.Scan(&m, &code, &version, &at); err != nil {
			return nil, jukinet.E(op, jukinet.KindInternal, err)
		}
		info := jukinet.IdentityInfo{Municipality: jukinet.LGCode(m), ResidentCode: jukinet.ResidentCode(code)}
		out[network.VersionKey(info.OrderingKey(), version)] = at
	}
	if err := rows.Err(); err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	return out, nil
}

// IdentityBaseline writes in tx, for the load generator's baseline, the
// rows the identity flow keeps for a first report of each person (version
// 1, bodies their JSON): the current row, and with history the history row
// too. Never a deployed node's path: the flow writes these in its handlers.
func IdentityBaseline(tx *store.Tx, infos []jukinet.IdentityInfo, bodies [][]byte, history bool) error {
	now := tx.NowMicro()
	st := make([]any, 0, 5*len(infos))
	for i := range infos {
		st = append(st, string(infos[i].Municipality), string(infos[i].ResidentCode), 1, string(bodies[i]), now)
	}
	if history {
		if err := tx.InsertRows(`INSERT INTO flow_identity_history (municipality, resident_code, version, info, received_at) VALUES `, 5, st); err != nil {
			return err
		}
	}
	if tx.Engine() != store.SQLite {
		return tx.InsertRows(`INSERT INTO flow_identity (municipality, resident_code, version, info, updated_at) VALUES `, 5, st)
	}
	keyed := make([]any, 0, 6*len(infos))
	for i := range infos {
		k, err := identityRowKey(string(infos[i].ResidentCode), string(infos[i].Municipality))
		if err != nil {
			return jukinet.E("node.IdentityBaseline", err)
		}
		keyed = append(keyed, k)
		keyed = append(keyed, st[5*i:5*i+5]...)
	}
	return tx.InsertRows(`INSERT INTO flow_identity (row_key, municipality, resident_code, version, info, updated_at) VALUES `, 6, keyed)
}
