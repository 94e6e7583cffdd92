package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// DropIndexes takes a table's indexes away for the rest of the transaction
// only: whether its fn fails or forgets RebuildIndexes, the indexes of the
// table and of the outbox are there after the Update, defined as before.
func TestDroppedIndexesComeBackWhateverTheUpdateDoes(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		ctx := jukinet.WithActor(context.Background(), recorder)
		defs := func() []string {
			list, err := db.Indexes(ctx, "residents", "outbox")
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, ix := range list {
				out = append(out, ix.Table+" "+ix.Name+" "+ix.Create)
			}
			return out
		}
		before := defs()
		if len(before) < 3 {
			t.Fatalf("indexes of residents and the outbox: %q, want the schema's", before)
		}
		failed := errors.New("failed")
		err := db.Update(ctx, store.Op{Operation: jukinet.OpMoveWithin}, func(tx *store.Tx) error {
			if err := tx.DropIndexes("residents"); err != nil {
				return err
			}
			return failed
		})
		if !errors.Is(err, failed) {
			t.Fatalf("got %v, want the fn's error", err)
		}
		if got := defs(); !slices.Equal(got, before) {
			t.Errorf("after a failed Update: %q, want %q", got, before)
		}
		err = db.Update(ctx, store.Op{Operation: jukinet.OpMoveWithin}, func(tx *store.Tx) error {
			tx.Send(store.Message{Kind: "probe", To: "350001", Body: []byte("{}")})
			return tx.DropIndexes("residents") // no RebuildIndexes: Update does it
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := defs(); !slices.Equal(got, before) {
			t.Errorf("after an Update that did not rebuild: %q, want %q", got, before)
		}
	})
}

// On SQLite a transaction that dropped indexes has a larger page cache
// until it rebuilds them, then its connection's own again.
func TestDropIndexesRaisesThePageCacheUntilTheRebuild(t *testing.T) {
	db := storetest.Open(t, store.SQLite, "352063")
	ctx := jukinet.WithActor(context.Background(), recorder)
	err := db.Update(ctx, store.Op{Operation: jukinet.OpMoveWithin}, func(tx *store.Tx) error {
		cache := func() int {
			var n int
			if err := tx.QueryRow(`PRAGMA cache_size`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		own := cache()
		if err := tx.DropIndexes("residents"); err != nil {
			return err
		}
		if c := cache(); c >= own || c != -store.LoadCacheKiB {
			t.Errorf("page cache while loading: %d, want -%d (own %d)", c, store.LoadCacheKiB, own)
		}
		if err := tx.RebuildIndexes(); err != nil {
			return err
		}
		if c := cache(); c != own {
			t.Errorf("page cache after the rebuild: %d, want the connection's own %d", c, own)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
