package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

var looker = jukinet.Actor{CollationID: "C0002", OperatorID: "OP-LOOK-1", Authority: jukinet.AuthorityLookup, Terminal: "T2"}

type storedRow struct{ idx, run int64 }

func oplogRows(t *testing.T, db *store.DB) []storedRow {
	t.Helper()
	rows, err := db.SQL().Query(`SELECT idx, run FROM oplog ORDER BY idx`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []storedRow
	for rows.Next() {
		var r storedRow
		if err := rows.Scan(&r.idx, &r.run); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// Issue 4 / G15: a system principal's per-message records are stored as
// runs — cut where the operation changes and at multiples of RunAlign —
// with their residents in oplog_resident; the main record and an
// operator's records keep rows of their own; and every record reads back
// exactly as it was appended.
func TestRecordRuns(t *testing.T) {
	storetest.Run(t, "350001", func(t *testing.T, db *store.DB) {
		var appended []store.LogRecord
		db.OnLog(func(_ context.Context, recs []store.LogRecord) { appended = append(appended, recs...) })
		sys := jukinet.WithActor(context.Background(), jukinet.SystemActor("network"))
		logN := func(ctx context.Context, n int, op func(i int) jukinet.Operation) {
			t.Helper()
			main := store.Op{Operation: jukinet.OpNetworkReceive, Detail: "batch"}
			if a, _ := jukinet.ActorFrom(ctx); !a.IsSystem() {
				main = store.Op{Operation: jukinet.OpResidentRead, Purpose: "case 1"}
			}
			if err := db.Update(ctx, main, func(tx *store.Tx) error {
				for i := 0; i < n; i++ {
					subject := ""
					if i%3 != 0 {
						subject = fmt.Sprintf("%011d", 40000000000+i)
					}
					tx.Log(op(i), subject, "applied", fmt.Sprintf("message %d", i))
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		receive := func(int) jukinet.Operation { return jukinet.OpNetworkReceive }
		logN(sys, 3000, receive) // records 0..3000: main, run 1..3000
		logN(sys, 2000, receive) // 3001..5001: main, runs 3002..4095 and 4096..5001
		logN(sys, 1, receive)    // 5002, 5003: a run of one is a plain row
		logN(sys, 6, func(i int) jukinet.Operation {
			return []jukinet.Operation{jukinet.OpNetworkReceive, jukinet.OpNetworkDeliveryResult}[i/3]
		}) // 5004..5010
		logN(jukinet.WithActor(context.Background(), looker), 4, func(int) jukinet.Operation { return jukinet.OpResidentRead }) // an operator's records: rows of their own
		want := []storedRow{{0, 1}, {1, 3000}, {3001, 1}, {3002, 1094}, {4096, 906}, {5002, 1}, {5003, 1}, {5004, 1}, {5005, 3}, {5008, 3},
			{5011, 1}, {5012, 1}, {5013, 1}, {5014, 1}, {5015, 1}}
		got := oplogRows(t, db)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("rows (idx, run):\n got %v\nwant %v", got, want)
		}
		stored := storetest.Records(t, db, nil)
		if len(stored) != len(appended) {
			t.Fatalf("%d records stored, %d appended", len(stored), len(appended))
		}
		for i := range stored {
			a, s := appended[i], stored[i]
			if string(s.Leaf()) != string(a.Leaf()) || string(s.Hash) != string(a.Hash) || string(store.LeafHash(a.Leaf())) != string(a.Hash) {
				t.Fatalf("record %d reads back as %s, appended %s", i, s.Leaf(), a.Leaf())
			}
		}
		// The residents of records inside runs, and only those.
		var residents, inRuns int
		db.SQL().QueryRow(`SELECT COUNT(*) FROM oplog_resident`).Scan(&residents)
		for _, r := range stored {
			holder := got[0]
			for _, row := range got {
				if uint64(row.idx) <= r.Index {
					holder = row
				}
			}
			if holder.run > 1 && r.Subject != "" {
				inRuns++
				var n int
				db.SQL().QueryRow(`SELECT COUNT(*) FROM oplog_resident WHERE subject_key = $1 AND idx = $2`, store.SubjectKey(r.Subject), int64(r.Index)).Scan(&n)
				if n != 1 {
					t.Errorf("record %d (in a run) is not in oplog_resident", r.Index)
				}
			}
		}
		if residents != inRuns || inRuns == 0 {
			t.Errorf("oplog_resident has %d rows, want %d", residents, inRuns)
		}
		if _, err := db.SQL().Exec(`DELETE FROM oplog_resident`); err == nil {
			t.Error("DELETE from oplog_resident succeeded")
		}
		if _, err := db.SQL().Exec(`UPDATE oplog_resident SET subject_key = 1`); err == nil {
			t.Error("UPDATE of oplog_resident succeeded")
		}
	})
}

// FuzzRunRecords: any bytes in a run row's columns are read without a
// panic, every record is given exactly once in order, and a run read
// without error encodes back to the same bytes (one encoding only).
func FuzzRunRecords(f *testing.F) {
	recs := []store.LogRecord{
		{V: 1, Time: 1764100000000000, Node: "350001", Authority: "system", Principal: "network", Operation: "network.receive",
			Subject: "tok", Result: "applied", PolicyVersion: "p1", Detail: "identity.notify m1 from 352063"},
		{V: 1, Time: 1764100000000000, Node: "350001", Authority: "system", Principal: "network", Operation: "network.receive",
			Result: "rejected", PolicyVersion: "p1", NumberAccessed: true, Detail: "d <&> \u2028"},
	}
	f.Add(store.EncodeRun(recs), make([]byte, 64), uint64(7), 2)
	f.Add([]byte("\x01\xff\xff\xff\xff\x0f"), []byte{}, uint64(0), 1)
	f.Fuzz(func(t *testing.T, leaves, hashes []byte, first uint64, n int) {
		if n < 1 || n > 1<<12 || first > 1<<62 {
			return
		}
		next := 0
		var got []store.LogRecord
		err := store.RunRecords(first, leaves, hashes, n, func(i int, leaf, hash []byte) bool {
			if i != next {
				t.Fatalf("record %d given after %d", i, next-1)
			}
			next++
			if hash != nil && len(hash) != 32 {
				t.Fatalf("hash of %d bytes", len(hash))
			}
			if leaf != nil {
				r, err := store.DecodeLogRecord(leaf)
				if err != nil {
					t.Fatalf("record %d rebuilt as %q: %v", i, leaf, err)
				}
				if r.Index != first+uint64(i) {
					t.Fatalf("record %d rebuilt with index %d", i, r.Index)
				}
				if utf8.Valid(leaves) && string(r.Leaf()) != string(leaf) {
					t.Fatalf("record %d rebuilt as %q, its canonical bytes are %q", i, leaf, r.Leaf())
				}
				got = append(got, r)
			}
			return true
		})
		if next != n {
			t.Fatalf("%d records given, want %d", next, n)
		}
		// Invalid UTF-8 is kept as stored (the canonical bytes escape it),
		// so only valid text decodes back to the same strings.
		if err == nil && utf8.Valid(leaves) && string(store.EncodeRun(got)) != string(leaves) {
			t.Fatalf("a run read without error does not encode back as stored")
		}
	})
}

// FuzzEncodeRun: any records' run, read back, gives each record's
// canonical bytes exactly (invalid UTF-8 and characters JSON escapes
// included).
func FuzzEncodeRun(f *testing.F) {
	f.Add("350001", "network", "network.receive", "p1", "tok", "applied", "d <&> \u2028", "", true, uint64(5), int64(1764100000000000))
	f.Add("\xff", "", "", "", "\x00", "\"", "\xed\xa0\x80", "c", false, uint64(0), int64(-1))
	f.Fuzz(func(t *testing.T, node, principal, operation, policy, subject, result, detail, purpose string, number bool, first uint64, at int64) {
		if first > 1<<62 {
			return
		}
		recs := make([]store.LogRecord, 3)
		for i := range recs {
			recs[i] = store.LogRecord{V: 1, Index: first + uint64(i), Time: at, Node: node, Authority: "system", Principal: principal,
				Operation: operation, Subject: subject + strings.Repeat("x", i), Purpose: purpose, Result: result, PolicyVersion: policy,
				NumberAccessed: number && i != 1, Detail: detail}
		}
		err := store.RunRecords(first, store.EncodeRun(recs), make([]byte, 96), 3, func(i int, leaf, _ []byte) bool {
			if string(leaf) != string(recs[i].Leaf()) {
				t.Fatalf("record %d read back as %q, want %q", i, leaf, recs[i].Leaf())
			}
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
