package bench

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/store"
)

// BenchmarkScaleBatchLookup looks up batches of 1,000 random persons of a
// national store of JUKINET_BENCH_SCALE_PERSONS persons (default 100,000),
// as bench scale does, reporting records/s and the CPU per record. With
// JUKINET_BENCH_SCALE_DB=FILE the SQLite store is kept in FILE and reused
// by later runs of the same size (loading 1 M persons takes a while). With
// JUKINET_BENCH_SCALE_DSN=postgres://… the store is the PostgreSQL schema
// that DSN's search_path names, created and loaded if empty and kept, and
// the CPU its server backends spent per record is reported too (the server
// on this machine).
func BenchmarkScaleBatchLookup(b *testing.B) {
	n := 100_000
	if v := os.Getenv("JUKINET_BENCH_SCALE_PERSONS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < benchBatch {
			b.Fatalf("JUKINET_BENCH_SCALE_PERSONS=%q: want a number ≥ %d", v, benchBatch)
		}
	}
	ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("bench"))
	gen, err := newScalePeople(n)
	if err != nil {
		b.Fatal(err)
	}
	db, app := scaleBenchDB(b, ctx, gen)
	r := rand.New(rand.NewPCG(7, 11))
	pool := make([]string, 256*benchBatch)
	for k := range pool {
		pool[k] = gen.code(r.IntN(gen.n))
	}
	// Warm the page cache as bench scale does before it measures.
	for k := range 256 {
		if _, err := node.LookupIdentities(ctx, db, pool[k*benchBatch:(k+1)*benchBatch], "bench"); err != nil {
			b.Fatal(err)
		}
	}
	// JUKINET_BENCH_SCALE_CLIENTS clients send batches at once (default 1),
	// as bench scale's GOMAXPROCS clients do.
	clients := 1
	if v := os.Getenv("JUKINET_BENCH_SCALE_CLIENTS"); v != "" {
		if clients, err = strconv.Atoi(v); err != nil || clients < 1 {
			b.Fatalf("JUKINET_BENCH_SCALE_CLIENTS=%q: want a number ≥ 1", v)
		}
	}
	b.ResetTimer()
	i := 0
	var got atomic.Int64
	cpu0, server := cpuTime(), serverCPU(ctx, db, app)
	for b.Loop() {
		errs := make([]error, clients)
		var wg sync.WaitGroup
		for c := range clients {
			wg.Go(func() {
				k := (i*clients + c) % 256
				res, err := node.LookupIdentities(ctx, db, pool[k*benchBatch:(k+1)*benchBatch], "bench")
				if err == nil && len(res) == 0 {
					err = errors.New("a batch found none of its loaded persons")
				}
				errs[c] = err
				got.Add(int64(len(res)))
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(got.Load())/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(got.Load()), "cpu-µs/record")
	if app != "" {
		b.ReportMetric(float64(server().Microseconds())/float64(got.Load()), "server-cpu-µs/record")
	}
}

// scaleBenchDB opens the national store of gen's persons: the SQLite file
// named by JUKINET_BENCH_SCALE_DB if it exists, the PostgreSQL schema of
// JUKINET_BENCH_SCALE_DSN if it holds them, else a new one, loaded. It
// returns the application name of the PostgreSQL connections (serverCPU).
func scaleBenchDB(b *testing.B, ctx context.Context, gen *scalePeople) (*store.DB, string) {
	var db *store.DB
	var app string
	loaded := false
	if dsn := os.Getenv("JUKINET_BENCH_SCALE_DSN"); dsn != "" {
		dsn, a, err := withAppName(dsn, "postgres")
		if err != nil {
			b.Fatal(err)
		}
		app = a
		if db, err = store.Open(ctx, store.Config{DSN: dsn, Node: network.NationalID}); err != nil {
			b.Fatal(err)
		}
		var n int
		if err := db.Bookkeeping(store.Inspect).QueryRowContext(ctx, `SELECT count(*) FROM flow_identity`).Scan(&n); err != nil {
			b.Fatal(err)
		}
		loaded = n == gen.n
	} else {
		path := os.Getenv("JUKINET_BENCH_SCALE_DB")
		keep := path != ""
		if !keep {
			path = b.TempDir() + "/national.db"
		}
		_, statErr := os.Stat(path)
		var err error
		if db, err = store.Open(ctx, store.Config{Path: path, Node: network.NationalID}); err != nil {
			b.Fatal(err)
		}
		loaded = keep && statErr == nil
	}
	b.Cleanup(func() { db.Close() })
	if loaded {
		return db, app
	}
	i := 0
	if _, err := node.LoadIdentities(ctx, db, func() (jukinet.IdentityInfo, bool) {
		if i == gen.n {
			return jukinet.IdentityInfo{}, false
		}
		i++
		return gen.person(i-1, 1), true
	}); err != nil {
		b.Fatal(err)
	}
	return db, app
}
