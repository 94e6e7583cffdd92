package node_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// TestIdentityInspect: IdentityBaseline writes current rows (and history
// rows when asked), IdentityCount counts the current rows, IdentityVersions
// the history's, and IdentityReceivedAt keys each history row as
// network.VersionKey keys the message that carried it, of every
// municipality or of one.
func TestIdentityInspect(t *testing.T) {
	people := loadPeople(t, 5)
	people[2].Municipality = "352012" // another municipality's resident
	bodies := make([][]byte, len(people))
	for i, p := range people {
		bodies[i], _ = json.Marshal(p)
	}
	storetest.Run(t, network.NationalID, func(t *testing.T, db *store.DB) {
		ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("test"))
		if n, err := node.IdentityCount(ctx, db); err != nil || n != 0 {
			t.Fatalf("IdentityCount of a fresh store = %d, %v", n, err)
		}
		op := store.Op{Operation: jukinet.OpNetworkReceive, Detail: "test"}
		if err := db.Update(ctx, op, func(tx *store.Tx) error {
			if err := node.IdentityBaseline(tx, people[:3], bodies[:3], true); err != nil {
				return err
			}
			return node.IdentityBaseline(tx, people[3:], bodies[3:], false)
		}); err != nil {
			t.Fatal(err)
		}
		if n, err := node.IdentityCount(ctx, db); err != nil || n != 5 {
			t.Errorf("IdentityCount = %d, %v; want 5", n, err)
		}
		if n, err := node.IdentityVersions(ctx, db); err != nil || n != 3 {
			t.Errorf("IdentityVersions = %d, %v; want the 3 written with history", n, err)
		}
		at, err := node.IdentityReceivedAt(ctx, db, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(at) != 3 {
			t.Errorf("IdentityReceivedAt has %d entries, want the 3 written with history", len(at))
		}
		for _, p := range people[:3] {
			if at[network.VersionKey(p.OrderingKey(), 1)] == 0 {
				t.Errorf("no receive time for %s", network.VersionKey(p.OrderingKey(), 1))
			}
		}
		// One municipality's versions: those of its residents only.
		m := people[0].Municipality
		of, err := node.IdentityReceivedAt(ctx, db, m)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, p := range people[:3] {
			if p.Municipality == m {
				want++
				if of[network.VersionKey(p.OrderingKey(), 1)] == 0 {
					t.Errorf("no receive time for %s among %s's", network.VersionKey(p.OrderingKey(), 1), m)
				}
			}
		}
		if len(of) != want {
			t.Errorf("IdentityReceivedAt of %s has %d entries, want %d", m, len(of), want)
		}
		if none, err := node.IdentityReceivedAt(ctx, db, "011002"); err != nil || len(none) != 0 {
			t.Errorf("IdentityReceivedAt of a municipality with no residents: %d entries, %v", len(none), err)
		}
	})
}
