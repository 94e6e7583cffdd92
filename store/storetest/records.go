package storetest

import (
	"testing"

	"github.com/jukinet/jukinet/store"
)

// Records returns every operation-log record in db in index order, each
// decoded from its canonical bytes — also those stored inside record runs
// (store/logrun.go) — with its index and leaf hash as stored. The filter, if
// not nil, keeps only the records it accepts.
func Records(t testing.TB, db *store.DB, filter func(store.LogRecord) bool) []store.LogRecord {
	t.Helper()
	rows, err := db.SQL().Query(`SELECT idx, run, leaf, leaf_hash FROM oplog ORDER BY idx`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []store.LogRecord
	for rows.Next() {
		var idx, run int64
		var leaves, hashes []byte
		if err := rows.Scan(&idx, &run, &leaves, &hashes); err != nil {
			t.Fatal(err)
		}
		if run <= 1 {
			leaves = store.AppendRunLeaf(nil, leaves)
			run = 1
		}
		err := store.RunRecords(leaves, hashes, int(run), func(i int, leaf, hash []byte) bool {
			r, err := store.DecodeLogRecord(leaf)
			if err != nil {
				t.Fatalf("record %d: %v", idx+int64(i), err)
			}
			r.Hash = hash
			if filter == nil || filter(r) {
				out = append(out, r)
			}
			return true
		})
		if err != nil {
			t.Fatalf("row %d: %v", idx, err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
