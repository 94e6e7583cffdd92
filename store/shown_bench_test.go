package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// BenchmarkShownPersons measures what recording every person a 50-result
// search shows costs the operation log: a search's transaction with its
// main record only ("none"), with the 50 persons as one run ("run"), and
// as 50 rows of their own ("rows", what a record per person would cost
// without runs). stored-B/op is the bytes the log's rows hold per search
// (leaf and hash columns, and 16 bytes per oplog_resident entry).
func BenchmarkShownPersons(b *testing.B) {
	codes := make([]string, 50)
	for i := range codes {
		codes[i] = fmt.Sprintf("%011d", 40000000000+i*7919)
	}
	for _, e := range storetest.Engines() {
		for _, mode := range []string{"none", "run", "rows"} {
			b.Run(string(e)+"/"+mode, func(b *testing.B) {
				db := storetest.Open(b, e, "352063")
				ctx := jukinet.WithActor(context.Background(), looker)
				search := func() error {
					return db.Update(ctx, store.Op{Operation: jukinet.OpResidentSearch, Purpose: "case 2026-118"}, func(tx *store.Tx) error {
						tx.SetDetail("results: 50")
						for _, c := range codes {
							switch mode {
							case "run":
								tx.Shown(c, "name,kana,birth_date,sex,address,resident_code", false)
							case "rows":
								tx.Log(jukinet.OpResidentSearch, c, store.ResultShown, "name,kana,birth_date,sex,address,resident_code")
							}
						}
						return nil
					})
				}
				for b.Loop() {
					if err := search(); err != nil {
						b.Fatal(err)
					}
				}
				var leaf, idx int64
				if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COALESCE(SUM(LENGTH(leaf) + LENGTH(leaf_hash)), 0) FROM oplog`).Scan(&leaf); err != nil {
					b.Fatal(err)
				}
				if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM oplog_resident`).Scan(&idx); err != nil {
					b.Fatal(err)
				}
				var rows, recs int64
				if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*), COALESCE(SUM(run), 0) FROM oplog`).Scan(&rows, &recs); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(leaf+16*idx)/float64(b.N), "stored-B/op")
				b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
				b.ReportMetric(float64(recs)/float64(b.N), "records/op")
			})
		}
	}
}
