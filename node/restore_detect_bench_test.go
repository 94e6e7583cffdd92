package node

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// BenchmarkStartChecks measures what the checks of decision 0017 cost the
// national server, beside what a CS's start already cost it: a CS's tally
// with a default pool (120 codes) against the grant of a default batch
// (100 codes), and the national server's own start at a country's 1,741
// municipalities.
func BenchmarkStartChecks(b *testing.B) {
	for _, e := range storetest.Engines() {
		db := storetest.OpenWith(b, e, network.NationalID, storetest.Options{Now: func() time.Time { return testNow }})
		nat, err := NewNational(context.Background(), db, NationalConfig{})
		if err != nil {
			b.Fatal(err)
		}
		pool := make([]jukinet.ResidentCode, 120)
		for i := range pool {
			first := fmt.Sprintf("%010d", 1000000000+i*7919)
			cd, err := jukinet.ResidentCodeCheckDigit(first)
			if err != nil {
				b.Fatal(err)
			}
			pool[i] = jukinet.ResidentCode(first + string(cd))
		}
		handle := func(b *testing.B, kind network.Kind, v any, h func(*store.Tx, *network.Envelope) error) {
			body, err := json.Marshal(v)
			if err != nil {
				b.Fatal(err)
			}
			env, err := network.NewEnvelope(kind, string(hofu), network.NationalID, testNow.UnixMicro(), body)
			if err != nil {
				b.Fatal(err)
			}
			if err := db.Update(as(jukinet.SystemActor("network")), store.Op{Operation: jukinet.OpNetworkReceive, Detail: kind.String()}, func(tx *store.Tx) error {
				return h(tx, env)
			}); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(string(e)+"/grant-100", func(b *testing.B) {
			for b.Loop() {
				handle(b, network.KindResidentCodePoolRequest, CodePoolRequest{Municipality: hofu, Count: 100}, nat.nationalCodePoolRequest)
			}
		})
		b.Run(string(e)+"/tally-120", func(b *testing.B) {
			for b.Loop() {
				handle(b, network.KindResidentCodeTally, CodeTally{Run: uuid.NewString(), Municipality: hofu, Pool: pool}, nat.nationalCodeTally)
			}
		})
		munis := make([]jukinet.LGCode, 1741)
		for i := range munis {
			first := fmt.Sprintf("%02d%03d", 1+i%47, 201+i/47)
			cd, err := jukinet.LGCodeCheckDigit(first)
			if err != nil {
				b.Fatal(err)
			}
			munis[i] = jukinet.LGCode(first + string(cd))
		}
		b.Run(string(e)+"/national-start-1741", func(b *testing.B) {
			for b.Loop() {
				if err := nat.CheckGrantCounts(as(jukinet.SystemActor("node-start")), munis); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
