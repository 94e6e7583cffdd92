package store_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// A request's client address (G2.5) is in the record's leaf, so the Merkle
// tree covers it, and in its column, for every record of the transaction
// and for a refused operation; a record of no request has none.
func TestClientAddrRecorded(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		const addr = "192.0.2.7:50123"
		ctx := jukinet.WithClientAddr(jukinet.WithActor(context.Background(), recorder), addr)
		if err := db.Update(ctx, store.Op{Operation: jukinet.OpMoveWithin, Subject: "12345678901"}, func(tx *store.Tx) error {
			tx.Log(jukinet.OpMoveWithin, "12345678902", "ok", "second")
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		// A refusal (an audit authority cannot record) is logged with it too.
		audit := jukinet.Actor{CollationID: "C0002", OperatorID: "OP-AUD-1", Authority: jukinet.AuthorityAudit, Terminal: "T1"}
		if err := db.Update(jukinet.WithClientAddr(jukinet.WithActor(context.Background(), audit), addr),
			store.Op{Operation: jukinet.OpMoveWithin}, func(*store.Tx) error { return nil }); !jukinet.IsKind(err, jukinet.KindForbidden) {
			t.Fatalf("audit authority recording: %v, want KindForbidden", err)
		}
		if err := db.Update(jukinet.WithActor(context.Background(), recorder), store.Op{Operation: jukinet.OpMoveWithin}, func(*store.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
		rows, err := db.Bookkeeping(store.Inspect).Query(`SELECT idx, client_addr, leaf FROM oplog ORDER BY idx`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var idx int64
			var col string
			var leaf []byte
			if err := rows.Scan(&idx, &col, &leaf); err != nil {
				t.Fatal(err)
			}
			rec, err := store.DecodeLogRecord(leaf)
			if err != nil {
				t.Fatal(err)
			}
			if rec.ClientAddr != col {
				t.Errorf("record %d: leaf says %q, column %q", idx, rec.ClientAddr, col)
			}
			if (col != "") != bytes.Contains(leaf, []byte(`"client_addr"`)) {
				t.Errorf("record %d: column %q but leaf %s", idx, col, leaf)
			}
			got = append(got, col)
		}
		// Verification binds the column to the leaf: every row agrees.
		crows, err := db.Bookkeeping(store.Inspect).Query(`SELECT leaf, run, ` + store.RowColumnsSQL(db.Engine()) + ` FROM oplog ORDER BY idx`)
		if err != nil {
			t.Fatal(err)
		}
		defer crows.Close()
		var buf []byte
		for crows.Next() {
			var leaf, cols []byte
			var run int
			if err := crows.Scan(&leaf, &run, &cols); err != nil {
				t.Fatal(err)
			}
			if c := store.CheckRowColumns(leaf, run, cols, &buf); c != store.ColumnsAgree {
				t.Errorf("row with leaf %s: column %d disagrees with its leaf", leaf, c)
			}
		}
		want := []string{addr, addr, addr, ""}
		if len(got) != len(want) {
			t.Fatalf("records' client addresses %q, want %q", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("record %d: client address %q, want %q", i, got[i], want[i])
			}
		}
	})
}
