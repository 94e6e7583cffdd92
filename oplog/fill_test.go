package oplog_test

import (
	"context"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// TestFillKeepsTheLogContiguous: Fill reserves its indices on the head
// after the records already there, the log's size counts them and the
// transaction's own record, and every record reads back with the index and
// a time no earlier than the record before it.
func TestFillKeepsTheLogContiguous(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("test"))
		op := store.Op{Operation: jukinet.OpNetworkReceive, Detail: "fill"}
		if err := db.Update(ctx, op, func(*store.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
		var first uint64
		if err := db.Update(ctx, op, func(tx *store.Tx) error {
			var err error
			first, err = oplog.Fill(tx, 5, 0, func(idx uint64, _ int64) store.LogRecord {
				return store.LogRecord{V: 1, Node: db.Node(), Principal: "system:fill", Operation: string(jukinet.OpNetworkReceive), Result: "ok", PolicyVersion: jukinet.PolicyVersion()}
			})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if first != 1 {
			t.Errorf("Fill's first index = %d, want 1 (after the one record before)", first)
		}
		size, err := oplog.NewSQLLog(db).Size(ctx)
		if err != nil || size != 7 {
			t.Fatalf("log size = %d, %v; want 1 + 5 + the fill's own record", size, err)
		}
		recs := storetest.Records(t, db, nil)
		if len(recs) != 7 {
			t.Fatalf("%d records read back, want 7", len(recs))
		}
		for i, r := range recs {
			if r.Index != uint64(i) || (i > 0 && r.Time < recs[i-1].Time) {
				t.Errorf("record %d: index %d time %d after %v", i, r.Index, r.Time, recs[max(i-1, 0)].Time)
			}
		}
	})
}
