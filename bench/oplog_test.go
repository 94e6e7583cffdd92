package bench

import (
	"context"
	"testing"
)

// BenchmarkOplogAppend measures durable appends through DB.Update (1,000
// system records a transaction, each with a resident subject, like the
// network's receive records) and the query by resident, on SQLite:
// go test ./bench -run XXX -bench OplogAppend -cpuprofile cpu.out
func BenchmarkOplogAppend(b *testing.B) {
	for b.Loop() {
		f, err := Oplog(context.Background(), OplogConfig{Dir: b.TempDir(), Records: 300_000, AppendRecords: 100_000})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(f.AppendPerS, "appends/s")
		b.ReportMetric(f.QueryByResidentMS, "query-ms")
	}
}
