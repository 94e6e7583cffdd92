package bench

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/store"
)

// BenchmarkOplogAppend measures durable appends through DB.Update (1,000
// system records a transaction, each with a resident subject, like the
// network's receive records) and the query by resident, on SQLite:
// go test ./bench -run XXX -bench OplogAppend -cpuprofile cpu.out
func BenchmarkOplogAppend(b *testing.B) {
	for b.Loop() {
		f, err := Oplog(context.Background(), OplogConfig{Dir: b.TempDir(), Records: 300_000, AppendRecords: 100_000, RunRecords: 100_000})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(f.AppendPerS, "appends/s")
		b.ReportMetric(f.AppendCPUUs*1000, "cpu-ns/append")
		b.ReportMetric(f.AppendRunCPUUs*1000, "cpu-ns/run-append")
		b.ReportMetric(f.QueryByResidentMS, "query-ms")
	}
}

// BenchmarkOplogVerify measures oplog.SQLLog.Verify over a 1,000,000-record
// SQLite log (filled once, ~20 s), the figure of `jukinet bench oplog`:
// go test ./bench -run XXX -bench OplogVerify -benchtime 3x -cpuprofile cpu.out
// With JUKINET_BENCH_OPLOG_DB=FILE the log is filled into FILE once and
// reused by later runs (for profiling; delete FILE after a schema change).
func BenchmarkOplogVerify(b *testing.B) {
	ctx := context.Background()
	path := os.Getenv("JUKINET_BENCH_OPLOG_DB")
	if path == "" {
		path = filepath.Join(b.TempDir(), benchNode+".db")
	}
	_, statErr := os.Stat(path)
	db, err := store.Open(ctx, store.Config{Path: path, Node: benchNode})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const records = 1_000_000
	if statErr != nil {
		if _, err := fillOplog(jukinet.WithActor(ctx, jukinet.SystemActor("bench")), db, 0, records, records/20); err != nil {
			b.Fatal(err)
		}
	}
	_, logKey, err := benchKey(oplog.Origin("jukinet.example", benchNode))
	if err != nil {
		b.Fatal(err)
	}
	l := oplog.NewSQLLog(db)
	v := oplog.Verifier{Origin: oplog.Origin("jukinet.example", benchNode), Log: logKey}
	b.ResetTimer()
	for b.Loop() {
		start, cpu := time.Now(), cpuTime()
		r, err := l.Verify(ctx, v)
		if err != nil || !r.OK() || r.Rows < records {
			b.Fatalf("Verify: rows %d, failure %v, error %v; want %d rows, no failure", r.Rows, r.Failure, err, records)
		}
		b.ReportMetric(float64(r.Rows)/time.Since(start).Seconds(), "records/s")
		b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(r.Rows), "cpu-ns/record")
	}
}
