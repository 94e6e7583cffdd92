package access

import (
	"context"
	"crypto/rand"
	"github.com/jukinet/jukinet/store"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/store/storetest"
)

// Bootstrap gives a node without operators its terminals and an
// アクセス管理責任者 who can log in at them; it needs the appointing decision,
// and refuses a node that already has operators.
func TestBootstrap(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, e, node)
			key, err := biometric.NewNodeKey(1, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			ring, _ := NewKeyRing(key)
			svc, err := New(db, ring, Options{})
			if err != nil {
				t.Fatal(err)
			}
			reader := biometric.NewSyntheticReader(3, 0.1)
			first := FirstOperator{CollationID: "K-1", Name: "山田 花子", Department: "市民課", Reading: reader.Genuine("K-1", 0),
				Terminals: []Terminal{{ID: "T01", Name: "統合端末1", Location: "市民課"}}}
			if _, err := svc.Bootstrap(ctx, first); !jukinet.IsKind(err, jukinet.KindInvalid) || jukinet.ErrorField(err) != "decision" {
				t.Fatalf("Bootstrap without a decision: %v, want KindInvalid on decision", err)
			}
			first.DecisionRef = "任命 第1号"
			opID, err := svc.Bootstrap(ctx, first)
			if err != nil {
				t.Fatal(err)
			}
			// Nobody decides about themselves: the bootstrap principal is
			// named as the one who decided, not the first operator.
			ids, err := svc.operatorIDs(ctx, "K-1")
			if err != nil || len(ids) != 1 || ids[0].SecurityManager == "K-1" || ids[0].DecisionRef != "bootstrap:bootstrap" {
				t.Fatalf("the first 操作者ID's record: %+v, %v; want one decided by the bootstrap principal", ids, err)
			}
			var appointed int
			if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM access_history WHERE id = $1 AND event = 'appointed' AND detail LIKE '%任命 第1号%'`, opID).Scan(&appointed); err != nil || appointed != 1 {
				t.Fatalf("the appointing decision in the register's history: %d rows, %v", appointed, err)
			}
			ch, err := svc.Verify(ctx, "T01", "K-1", reader.Genuine("K-1", 0.1))
			if err != nil {
				t.Fatalf("the first operator's login at T01: %v", err)
			}
			sess, err := svc.Choose(ctx, ch.Token, "T01", opID)
			if err != nil || sess.Actor.Authority != jukinet.AuthorityAccessAdmin {
				t.Fatalf("choosing %s: %+v, %v; want an アクセス管理責任者 session", opID, sess.Actor, err)
			}
			first.CollationID = "K-2"
			if _, err := svc.Bootstrap(ctx, first); !jukinet.IsKind(err, jukinet.KindConflict) {
				t.Errorf("a second Bootstrap: %v, want KindConflict", err)
			}
		})
	}
}
