package bench

import (
	"context"
	"testing"
)

// BenchmarkNetworkE2E drives the end-to-end part of Network (CS → prefecture
// → national on SQLite) in-process, for CPU, block and mutex profiles:
// go test ./bench -run XXX -bench NetworkE2E -cpuprofile cpu.out -blockprofile block.out -mutexprofile mutex.out
func BenchmarkNetworkE2E(b *testing.B) {
	for b.Loop() {
		r, _, err := Network(context.Background(), NetworkOptions{Dir: b.TempDir(), E2EOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.E2EUpdatesPerS, "updates/s")
		b.ReportMetric(r.E2EP99Ms, "p99-ms")
		b.ReportMetric(r.E2ECPUUsPerUpdate, "cpu-µs/update")
	}
}
