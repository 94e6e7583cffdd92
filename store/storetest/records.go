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
	rows, err := db.Bookkeeping(store.Inspect).Query(`SELECT idx, run, leaf, leaf_hash FROM oplog ORDER BY idx`)
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
		keep := func(leaf, hash []byte) {
			r, err := store.DecodeLogRecord(leaf)
			if err != nil {
				t.Fatalf("record at row %d: %v", idx, err)
			}
			r.Hash = hash
			if filter == nil || filter(r) {
				out = append(out, r)
			}
		}
		if run <= 1 {
			keep(leaves, hashes)
			continue
		}
		err := store.RunRecords(uint64(idx), leaves, hashes, int(run), func(_ int, leaf, hash []byte) bool {
			keep(leaf, hash)
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
