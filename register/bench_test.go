package register_test

import (
	"context"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store/storetest"
)

// BenchmarkImport measures residents/s of a bulk import on each engine
// (target ≥ 50,000/s on SQLite for 100,000 residents).
func BenchmarkImport(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e), func(b *testing.B) {
			const n = 20000
			rows, err := demo.Population(demo.Hofu, n, 7, jukinet.DateOf(now))
			if err != nil {
				b.Fatal(err)
			}
			ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("bench"))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				db := storetest.Open(b, e, "352063")
				g, _ := register.New(db, register.Config{Municipality: hofu})
				b.StartTimer()
				if _, err := g.Import(ctx, rows, register.ImportOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "residents/s")
		})
	}
}

// BenchmarkMoveWithin measures one 転居 end to end: state, outbox and log row
// in one transaction.
func BenchmarkMoveWithin(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e), func(b *testing.B) {
			db := storetest.Open(b, e, "352063")
			g, _ := register.New(db, register.Config{Municipality: hofu})
			designate(b, db, jukinet.Today(db.Now()).AddDays(-1), clerk.CollationID)
			ctx := jukinet.WithActor(context.Background(), clerk)
			rows, _ := demo.Population(demo.Hofu, 1, 9, jukinet.DateOf(now))
			if _, err := g.Import(jukinet.WithActor(context.Background(), jukinet.SystemActor("bench")), rows, register.ImportOptions{}); err != nil {
				b.Fatal(err)
			}
			addr := []string{"山口県防府市天神1丁目1番1号", "山口県防府市松崎町2丁目2番2号"}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				d := jukinet.DateOf(now)
				if _, err := g.MoveWithin(ctx, register.MoveWithinInput{ResidentCode: rows[0].ResidentCode, AddressText: addr[i%2], Date: d}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
