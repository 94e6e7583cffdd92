package network_test

import (
	"context"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// TestInspectCounts: PendingTotal counts the queued messages to every peer,
// QueuedAt keys each queued message of a kind by ordering key and version
// with its queue time (and only that kind, only since the time given),
// SettleBaseline settles them all, and AppliedBaseline writes inbox rows
// that QueueStatus counts.
func TestInspectCounts(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("test"))
		op := store.Op{Operation: jukinet.OpNetworkSend, Detail: "test"}
		if err := db.Update(ctx, op, func(tx *store.Tx) error {
			tx.Send(store.Message{Kind: "identity.notify", To: "350001", OrderingKey: "352063/A", Version: 1, Body: []byte(`{}`)})
			tx.Send(store.Message{Kind: "identity.notify", To: "350001", OrderingKey: "352063/A", Version: 2, Body: []byte(`{}`)})
			tx.Send(store.Message{Kind: "movein.notice", To: "402036", OrderingKey: "352063/B", Version: 1, Body: []byte(`{}`)})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if n, err := network.PendingTotal(ctx, db); err != nil || n != 3 {
			t.Fatalf("PendingTotal = %d, %v; want 3", n, err)
		}
		at, err := network.QueuedAt(ctx, db, network.KindIdentityNotify, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(at) != 2 || at["352063/A#1"] == 0 || at["352063/A#2"] == 0 {
			t.Errorf("QueuedAt = %v, want the two identity.notify versions of 352063/A", at)
		}
		if later, err := network.QueuedAt(ctx, db, network.KindIdentityNotify, at["352063/A#1"]+1); err != nil || len(later) != 0 {
			t.Errorf("QueuedAt since after the queue time = %v, %v; want none", later, err)
		}
		var settled int64
		if err := db.Update(ctx, op, func(tx *store.Tx) error {
			var err error
			settled, err = network.SettleBaseline(tx)
			if err != nil {
				return err
			}
			return network.AppliedBaseline(tx, network.KindIdentityNotify, "350001", []string{"m1", "m2"}, []string{"k1", "k2"}, true)
		}); err != nil {
			t.Fatal(err)
		}
		if settled != 3 {
			t.Errorf("SettleBaseline settled %d, want 3", settled)
		}
		if n, err := network.PendingTotal(ctx, db); err != nil || n != 0 {
			t.Errorf("PendingTotal after settling = %d, %v; want 0", n, err)
		}
		rep, err := network.QueueStatus(ctx, db)
		if err != nil || rep.InboxTotal != 2 {
			t.Errorf("inbox rows after AppliedBaseline = %d, %v; want 2", rep.InboxTotal, err)
		}
	})
}
