package node_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/store"
)

// lookupDB is a national database holding n persons' identity information.
func lookupDB(tb testing.TB, n int) (*store.DB, []string) {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{Path: filepath.Join(tb.TempDir(), "national.db"), Node: "national"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	rows, err := demo.Population(demo.Hofu, n, 7, demo.Today())
	if err != nil {
		tb.Fatal(err)
	}
	codes := make([]string, len(rows))
	args := make([]any, 0, 5*len(rows))
	for i, p := range rows {
		info := jukinet.IdentityInfo{Municipality: demo.Hofu.Code, ResidentCode: p.ResidentCode, Name: p.Name,
			BirthDate: p.BirthDate, Sex: p.Sex, Address: jukinet.Address{LGCode: demo.Hofu.Code, Text: p.AddressText},
			Change: jukinet.ChangeInfo{Reason: jukinet.ReasonRemakeAdd, Date: demo.Today()}, Version: 1}
		b, err := json.Marshal(info)
		if err != nil {
			tb.Fatal(err)
		}
		codes[i] = string(p.ResidentCode)
		args = append(args, string(info.Municipality), codes[i], 1, string(b), int64(i))
	}
	actx := jukinet.WithActor(ctx, jukinet.SystemActor("bench"))
	if err := db.Update(actx, store.Op{Operation: jukinet.OpNetworkReceive}, func(tx *store.Tx) error {
		return tx.InsertRows(`INSERT INTO flow_identity (municipality, resident_code, version, info, updated_at) VALUES `, 5, args)
	}); err != nil {
		tb.Fatal(err)
	}
	return db, codes
}

func TestLookupIdentitiesBatch(t *testing.T) {
	db, codes := lookupDB(t, 1200)
	ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("bench"))
	got, err := node.LookupIdentities(ctx, db, codes, "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(codes) {
		t.Fatalf("LookupIdentities(%d codes) returned %d records, want %d", len(codes), len(got), len(codes))
	}
	for _, c := range codes {
		if string(got[c].ResidentCode) != c || got[c].Version != 1 || got[c].Name.Kanji == "" {
			t.Fatalf("LookupIdentities: record of %s = %+v, want its own record, version 1, with a name", c, got[c])
		}
	}
}

// BenchmarkLookupIdentities looks up batches of 1,000 among 20,000 persons.
func BenchmarkLookupIdentities(b *testing.B) {
	db, codes := lookupDB(b, 20000)
	ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("bench"))
	i := 0
	cpu0 := processCPU(b)
	for b.Loop() {
		start := (i * 1000) % len(codes)
		if _, err := node.LookupIdentities(ctx, db, codes[start:start+1000], "bench"); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "records/s")
	// CPU per record: steadier than the rate on a shared machine.
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(1000*b.N), "cpu-µs/record")
}

// processCPU is the process's user + system CPU time.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
