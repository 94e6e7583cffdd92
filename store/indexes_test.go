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
