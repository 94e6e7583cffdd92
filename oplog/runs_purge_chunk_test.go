package oplog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// G15: the purge reads the rows to delete in chunks of indices; a run that
// begins in one chunk and ends in a later one is expanded whole, once, and
// every record of [from, before) gets exactly its own hash row, whatever the
// chunk.
func TestKeepPurgedHashesAcrossChunks(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("network"))
		for _, n := range []int{40, 1, 10} { // rows: 0, [1, 41) a run; 41, 42; 43, [44, 54) a run
			err := db.Update(ctx, store.Op{Operation: jukinet.OpNetworkReceive}, func(tx *store.Tx) error {
				for i := range n {
					tx.Log(jukinet.OpNetworkReceive, fmt.Sprintf("%011d", 30000000000+i), "applied", "message")
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		recs := storetest.Records(t, db, nil)
		var runs int
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM oplog WHERE run > 1`).Scan(&runs); err != nil || runs != 2 || len(recs) != 54 {
			t.Fatalf("%d runs, %d records (%v), want 2 runs of 54 records", runs, len(recs), err)
		}
		rollback := errors.New("rollback")
		for _, tc := range []struct{ from, before, chunk uint64 }{
			{0, 54, 1}, {0, 54, 2}, {0, 54, 3}, {0, 54, 7}, {0, 54, 16}, {0, 54, 4096},
			{0, 43, 5}, {41, 54, 3}, {43, 54, 1},
		} {
			err := db.Update(ctx, store.Op{Operation: jukinet.OpNetworkReceive}, func(tx *store.Tx) error {
				if err := keepPurgedHashes(tx, tc.from, tc.before, tc.chunk); err != nil {
					return err
				}
				rows, err := tx.Query(`SELECT idx, leaf_hash FROM oplog_purged_hash ORDER BY idx`)
				if err != nil {
					return err
				}
				defer rows.Close()
				next := tc.from
				for rows.Next() {
					var idx int64
					var h []byte
					if err := rows.Scan(&idx, &h); err != nil {
						return err
					}
					if uint64(idx) != next || !bytes.Equal(h, recs[idx].Hash) {
						t.Errorf("%+v: hash row %d (%d bytes), want record %d's own hash", tc, idx, len(h), next)
					}
					next++
				}
				if next != tc.before {
					t.Errorf("%+v: hash rows for [%d, %d), want [%d, %d)", tc, tc.from, next, tc.from, tc.before)
				}
				if err := rows.Err(); err != nil {
					return err
				}
				return rollback
			})
			if !errors.Is(err, rollback) {
				t.Errorf("%+v: %v", tc, err)
			}
		}
		// A bound inside a run: refused whatever the chunk.
		for _, chunk := range []uint64{1, 4, 4096} {
			err := db.Update(ctx, store.Op{Operation: jukinet.OpNetworkReceive}, func(tx *store.Tx) error {
				return keepPurgedHashes(tx, 0, 20, chunk)
			})
			if jukinet.ErrorKind(err) != jukinet.KindConflict {
				t.Errorf("bound 20 inside the run [1, 41), chunk %d: got %v, want a conflict", chunk, err)
			}
		}
	})
}
