package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// CopyRows writes inside the Update's transaction on both engines (on
// PostgreSQL by COPY on the transaction's connection): the rows are seen by
// the transaction and by no one else before it commits, go with it when it
// fails, and stay with its outbox rows — a bulk outbox, by COPY too — and
// log record when it commits.
func TestCopyRowsIsPartOfTheUpdate(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		ctx := jukinet.WithActor(context.Background(), recorder)
		if _, err := db.Bookkeeping(store.Inspect).Exec(`CREATE TABLE probe (k TEXT PRIMARY KEY, n BIGINT NOT NULL, at BIGINT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		const rows = 300
		probes := func() int {
			var n int
			if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM probe`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		boom := errors.New("boom")
		write := func(fail bool) error {
			return db.Update(ctx, store.Op{Operation: jukinet.OpMoveWithin}, func(tx *store.Tx) error {
				args := make([]any, 0, 3*rows)
				for i := 0; i < rows; i++ {
					args = append(args, fmt.Sprintf("k%04d", i), int64(i), tx.NowMicro())
					tx.Send(store.Message{Kind: "identity.notify", To: "350001", OrderingKey: fmt.Sprintf("352063/%011d", i), Version: 1, Body: []byte(`{}`)})
				}
				if err := tx.CopyRows("probe", []string{"k", "n", "at"}, args); err != nil {
					return err
				}
				var inside, sum int
				if err := tx.QueryRow(`SELECT COUNT(*), SUM(n) FROM probe`).Scan(&inside, &sum); err != nil {
					return err
				}
				if inside != rows || sum != rows*(rows-1)/2 || probes() != 0 {
					t.Errorf("inside the transaction: %d rows summing to %d, %d seen outside; want %d, %d and none", inside, sum, probes(), rows, rows*(rows-1)/2)
				}
				if fail {
					return boom
				}
				return nil
			})
		}
		if err := write(true); !errors.Is(err, boom) {
			t.Fatalf("failing update: %v", err)
		}
		if ob, ol, _ := counts(t, db); probes() != 0 || ob != 0 || ol != 0 {
			t.Fatalf("after a failed update: %d rows, outbox %d, oplog %d; want none", probes(), ob, ol)
		}
		if err := write(false); err != nil {
			t.Fatal(err)
		}
		if ob, ol, _ := counts(t, db); probes() != rows || ob != rows || ol != 1 {
			t.Errorf("after the update: %d rows, outbox %d, oplog %d; want %d, %d, 1", probes(), ob, ol, rows, rows)
		}
	})
}
