package network_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// AdvanceApplied (a restored national server's catch-up) moves a key's
// applied version forward only, settles the parked versions at or below it
// as history, and lets RetryParked apply the one just above it.
func TestAdvanceAppliedSettlesTheGap(t *testing.T) {
	storetest.Run(t, network.NationalID, func(t *testing.T, db *store.DB) {
		const key = "352063/12345678903"
		var applied []uint64
		handler := func(tx *store.Tx, env *network.Envelope) error {
			applied = append(applied, env.Version)
			return nil
		}
		inbox := network.NewStoreInbox(db, map[network.Kind]network.ApplyFunc{network.KindIdentityNotify: handler})
		ctx := network.NetworkContext(context.Background())
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []uint64{1, 3, 4, 5} {
			e, err := network.NewEnvelope(network.KindIdentityNotify, "350001", network.NationalID, time.Now().UnixMicro(), []byte(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			e.OrderingKey, e.Version = key, v
			if err := network.SignBatch(priv, "350001", []*network.Envelope{e}); err != nil {
				t.Fatal(err)
			}
			if _, err := inbox.Deliver(ctx, "350001", []*network.Envelope{e}); err != nil {
				t.Fatal(err)
			}
		}
		count := func(state string) int {
			t.Helper()
			var n int
			if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM inbox WHERE ordering_key = $1 AND state = $2`, key, state).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if count("parked") != 3 {
			t.Fatalf("parked behind the missing version 2: %d, want 3", count("parked"))
		}
		advance := func(v uint64) {
			t.Helper()
			err := db.Update(jukinet.WithActor(context.Background(), jukinet.SystemActor("test")), store.Op{Operation: jukinet.OpNetworkReceive}, func(tx *store.Tx) error {
				return network.AdvanceApplied(tx, key, v)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		version := func() uint64 {
			t.Helper()
			var v uint64
			err := db.View(jukinet.WithActor(context.Background(), jukinet.SystemActor("test")), store.Op{Operation: jukinet.OpNetworkReceive}, func(tx *store.Tx) error {
				var err error
				v, err = network.AppliedVersion(tx, key)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		advance(3) // the catch-up applied the state of version 3
		if got := version(); got != 3 || count("parked") != 2 || count("history") != 1 {
			t.Fatalf("after advancing to 3: applied %d, %d parked, %d history; want 3, 2, 1", got, count("parked"), count("history"))
		}
		if n, err := inbox.RetryParked(ctx); err != nil || n != 2 {
			t.Fatalf("RetryParked = %d, %v; want versions 4 and 5 applied", n, err)
		}
		if len(applied) != 3 || applied[1] != 4 || applied[2] != 5 || version() != 5 {
			t.Errorf("handler applied %v, applied version %d; want [1 4 5] and 5", applied, version())
		}
		advance(2) // never backwards
		if got := version(); got != 5 {
			t.Errorf("after advancing to 2 below 5: applied %d, want 5", got)
		}
	})
}
