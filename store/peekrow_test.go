package store_test

import (
	"context"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

var peekInsert = store.NewDeferred(`INSERT INTO pprobe (k) VALUES `, 1, ``)

// PeekRow reads without writing the deferred rows first (they stay one
// statement, written by the next QueryRow or at commit); QueryRow sees them.
func TestPeekRowLeavesDeferredRows(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		ctx := jukinet.WithActor(context.Background(), recorder)
		if _, err := db.Bookkeeping(store.Inspect).Exec(`CREATE TABLE pprobe (k TEXT PRIMARY KEY)`); err != nil {
			t.Fatal(err)
		}
		var peeked, queried, peekedAfter int
		if err := db.Update(ctx, store.Op{Operation: jukinet.OpMoveWithin}, func(tx *store.Tx) error {
			tx.Defer(peekInsert, "", "a")
			tx.Defer(peekInsert, "", "b")
			if err := tx.PeekRow(`SELECT COUNT(*) FROM pprobe`).Scan(&peeked); err != nil {
				return err
			}
			if err := tx.QueryRow(`SELECT COUNT(*) FROM pprobe`).Scan(&queried); err != nil {
				return err
			}
			return tx.PeekRow(`SELECT COUNT(*) FROM pprobe`).Scan(&peekedAfter)
		}); err != nil {
			t.Fatal(err)
		}
		if peeked != 0 || queried != 2 || peekedAfter != 2 {
			t.Errorf("PeekRow, QueryRow, PeekRow saw %d, %d, %d rows; want 0, 2, 2", peeked, queried, peekedAfter)
		}
	})
}
