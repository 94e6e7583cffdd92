package store_test

import (
	"context"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// TestGuardRefusesAfterThePolicy: a guard refuses an operation the policy
// table admits; fn does not run, the refusal is logged as forbidden with the
// actor, and what the guard allows proceeds.
func TestGuardRefusesAfterThePolicy(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		db.SetGuard(func(_ context.Context, a jukinet.Actor, op jukinet.Operation) error {
			if op == jukinet.OpMoveWithin && a.CollationID != "C-OK" {
				return jukinet.E("guard", jukinet.KindForbidden, jukinet.Field("actor"), "not designated")
			}
			return nil
		})
		called := false
		fn := func(*store.Tx) error { called = true; return nil }
		err := db.Update(jukinet.WithActor(context.Background(), recorder), store.Op{Operation: jukinet.OpMoveWithin}, fn)
		if !jukinet.IsKind(err, jukinet.KindForbidden) || jukinet.ErrorField(err) != "actor" || called {
			t.Fatalf("guarded: %v (ran %v), want forbidden on actor without running", err, called)
		}
		var n int
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM oplog WHERE result = 'forbidden' AND operation = $1 AND collation_id = $2`, string(jukinet.OpMoveWithin), recorder.CollationID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("guard refusals logged: %d, want 1", n)
		}
		ok := recorder
		ok.CollationID = "C-OK"
		if err := db.Update(jukinet.WithActor(context.Background(), ok), store.Op{Operation: jukinet.OpMoveWithin}, fn); err != nil || !called {
			t.Errorf("allowed by the guard: %v (ran %v)", err, called)
		}
	})
}
