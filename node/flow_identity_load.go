package node

import (
	"context"
	"encoding/json"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// identityLoadChunk is how many persons one Loader.Rows call writes.
const identityLoadChunk = 20000

// identityTables are the tables a bulk load of identity information writes
// (and whose statistics it refreshes).
var identityTables = []string{"flow_identity", "flow_identity_history", "flow_identity_holders"}

// LoadIdentities loads identity information (本人確認情報) in bulk into a
// prefecture's or the national server's store — the same rows the identity
// flow writes for a first report (storeReport): the current row, the history
// row and the holder (法30条の6, 30条の7). next returns the persons one by
// one, false at the end; each must be valid and new to the store, and, for
// the fastest load, come in resident-code order. It is recorded as
// OpIdentityLoad and refreshes the statistics of the tables. It returns the
// persons loaded. Errors: KindInvalid naming the field of a person that does
// not validate (nothing more is written; on PostgreSQL nothing at all), the
// errors of store.DB.BulkLoad.
func LoadIdentities(ctx context.Context, db *store.DB, next func() (jukinet.IdentityInfo, bool)) (int, error) {
	const op = "node.LoadIdentities"
	n := 0
	_, err := db.BulkLoad(ctx, store.Op{Operation: jukinet.OpIdentityLoad, Detail: "identity information"}, identityTables, func(l *store.Loader) error {
		now := db.Now().UnixMicro()
		for {
			cur, hist, holders, err := identityChunk(next, now, db.Engine() == store.SQLite)
			if err != nil {
				return err
			}
			if len(cur) == 0 {
				return nil
			}
			if err := l.Rows("flow_identity", identityColumns(db.Engine()), cur); err != nil {
				return err
			}
			if err := l.Rows("flow_identity_history", []string{"municipality", "resident_code", "version", "info", "received_at"}, hist); err != nil {
				return err
			}
			if err := l.Rows("flow_identity_holders", []string{"resident_code", "municipality", "released_to", "updated_at"}, holders); err != nil {
				return err
			}
			n += len(cur)
		}
	})
	if err != nil {
		return n, jukinet.E(op, err)
	}
	return n, nil
}

// identityColumns are the columns of flow_identity a load writes: on
// SQLite its row_key first (flow_identity_key.go).
func identityColumns(e store.Engine) []string {
	cols := []string{"municipality", "resident_code", "version", "info", "updated_at"}
	if e == store.SQLite {
		return append([]string{"row_key"}, cols...)
	}
	return cols
}

// identityChunk takes up to identityLoadChunk persons from next and returns
// their rows of the three tables; with keyed, the current rows start with
// their row_key.
func identityChunk(next func() (jukinet.IdentityInfo, bool), now int64, keyed bool) (cur, hist, holders [][]any, err error) {
	for len(cur) < identityLoadChunk {
		info, ok := next()
		if !ok {
			break
		}
		if err := info.Validate(); err != nil {
			return nil, nil, nil, jukinet.E("node.LoadIdentities", err)
		}
		b, err := json.Marshal(info)
		if err != nil {
			return nil, nil, nil, internal("node.LoadIdentities", err)
		}
		m, code, v, s := string(info.Municipality), string(info.ResidentCode), int64(info.Version), string(b)
		if keyed {
			k, err := identityRowKey(code, m)
			if err != nil {
				return nil, nil, nil, jukinet.E("node.LoadIdentities", err)
			}
			cur = append(cur, []any{k, m, code, v, s, now})
		} else {
			cur = append(cur, []any{m, code, v, s, now})
		}
		hist = append(hist, []any{m, code, v, s, now})
		holders = append(holders, []any{code, m, "", now})
	}
	return cur, hist, holders, nil
}
