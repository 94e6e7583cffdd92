package network

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// A commit that queues messages for one destination wakes that
// destination's sender only: once B's queue is delivered, commits for A
// make B's goroutine load nothing (a load per destination and commit was
// most of a sender's work at a country's rates), and every message still
// arrives without polling.
func TestSenderWakesOnlyTheDestination(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			sdb := storetest.Open(t, e, hofu)
			a, b := startNode(t, yamaPref, nil), startNode(t, yamaguch, nil)
			nets := map[string]*testNet{yamaPref: a, yamaguch: b}
			clients := map[string]*Client{yamaPref: a.client(t, hofu, a.ca), yamaguch: b.client(t, hofu, b.ca)}
			s, err := NewSender(SenderConfig{DB: sdb, SigningKey: a.keys[hofu], Rand: rand.New(rand.NewPCG(5, 6)),
				Addr:   func(d string) (string, bool) { return nets[d].addr, nets[d] != nil },
				Client: func(d string) (*Client, error) { return clients[d], nil }})
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			loads := map[string]int{}
			s.loaded = func(d string) {
				mu.Lock()
				loads[d]++
				mu.Unlock()
			}
			count := func(d string) int {
				mu.Lock()
				defer mu.Unlock()
				return loads[d]
			}
			runCtx, stop := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- s.Run(runCtx) }()
			defer func() { stop(); <-done }()

			queue(t, sdb, yamaguch, KindMoveInNotice, 1)
			waitDelivered(t, sdb, yamaguch, 1)
			before := count(yamaguch)
			for i := range 5 {
				queue(t, sdb, yamaPref, KindIdentityNotify, 1)
				waitDelivered(t, sdb, yamaPref, i+1)
			}
			if got := count(yamaguch) - before; got != 0 {
				t.Errorf("%s's sender loaded its queue %d times at 5 commits for %s, want 0", yamaguch, got, yamaPref)
			}
			// One load per commit (a sixth if the 5 s listing restarted it):
			// not a load more to see the queue empty after each batch.
			if got := count(yamaPref); got < 5 || got > 6 {
				t.Errorf("%s's sender loaded its queue %d times for 5 commits, want 5 or 6", yamaPref, got)
			}
			// B's goroutine left; a commit for B starts it again.
			queue(t, sdb, yamaguch, KindMoveInNotice, 2)
			waitDelivered(t, sdb, yamaguch, 3)
		})
	}
}

// queue commits n messages of kind to dest.
func queue(t *testing.T, db *store.DB, dest string, kind Kind, n int) {
	t.Helper()
	if err := db.Update(NetworkContext(context.Background()), store.Op{Operation: jukinet.OpNetworkSend, Detail: "test"}, func(tx *store.Tx) error {
		for i := range n {
			tx.Send(store.Message{Kind: kind.String(), To: dest, Body: fmt.Appendf(nil, `{"n":%d}`, i)})
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// waitDelivered waits until n messages to dest are delivered (a minute at most).
func waitDelivered(t *testing.T, db *store.DB, dest string, n int) {
	t.Helper()
	var got int
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM outbox WHERE dest = $1 AND state = 'delivered'`, dest).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got == n {
			return
		}
	}
	t.Fatalf("%d messages to %s delivered after a minute, want %d", got, dest, n)
}
