package network

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// scriptedHandler applies identity.notify bodies {"n":N} on db: it
// records the order in which it applied them (table test_applied, so that a
// rolled-back attempt leaves nothing), fails internally while N is in table
// test_broken, and always with errs[N] if set.
type scriptedHandler struct {
	db   *store.DB
	errs map[int]error
}

func newScripted(t *testing.T, db *store.DB, broken []int, errs map[int]error) *scriptedHandler {
	t.Helper()
	for _, q := range []string{`CREATE TABLE test_applied (pos INTEGER NOT NULL, n INTEGER NOT NULL)`, `CREATE TABLE test_broken (n INTEGER NOT NULL)`} {
		if _, err := db.Bookkeeping(store.Inspect).Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range broken {
		if _, err := db.Bookkeeping(store.Inspect).Exec(`INSERT INTO test_broken (n) VALUES ($1)`, n); err != nil {
			t.Fatal(err)
		}
	}
	return &scriptedHandler{db: db, errs: errs}
}

func (h *scriptedHandler) apply(tx *store.Tx, env *Envelope) error {
	var b struct{ N int }
	if err := json.Unmarshal(env.Body, &b); err != nil {
		return jukinet.E("test", jukinet.KindInvalid, jukinet.Field("body"), err)
	}
	if err := h.errs[b.N]; err != nil {
		return err
	}
	var broken int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM test_broken WHERE n = $1`, b.N).Scan(&broken); err != nil {
		return err
	}
	if broken > 0 {
		return errors.New("injected failure of the receiver")
	}
	_, err := tx.Exec(`INSERT INTO test_applied (pos, n) SELECT COUNT(*), $1 FROM test_applied`, b.N)
	return err
}

func (h *scriptedHandler) repair(t *testing.T, n int) {
	t.Helper()
	if _, err := h.db.Bookkeeping(store.Inspect).Exec(`DELETE FROM test_broken WHERE n = $1`, n); err != nil {
		t.Fatal(err)
	}
}

func (h *scriptedHandler) order(t *testing.T) []int {
	t.Helper()
	rows, err := h.db.Bookkeeping(store.Inspect).Query(`SELECT n FROM test_applied ORDER BY pos`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

func scripted(t *testing.T, n int, key string, version uint64) *Envelope {
	t.Helper()
	e, err := NewEnvelope(KindIdentityNotify, hofu, yamaPref, testTime+int64(n), fmt.Appendf(nil, `{"n":%d}`, n))
	if err != nil {
		t.Fatal(err)
	}
	e.OrderingKey, e.Version = key, version
	return e
}

func inboxVersion(t *testing.T, db *store.DB, key string) int {
	t.Helper()
	var v int
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COALESCE(MAX(applied), 0) FROM inbox_versions WHERE ordering_key = $1`, key).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// A handler's failure is its envelope's own: a business refusal rejects
// that envelope for good (with the reason, and no resident code in the
// detail), an internal failure answers it "internal, retry later" and
// records nothing, and neither advances the key's version — the person's
// later message is parked behind it — while the others of the batch are
// applied. The retried envelope is then applied and its successor with it.
func TestInboxFailureIsTheEnvelopesOwn(t *testing.T) {
	storetest.Run(t, yamaPref, func(t *testing.T, db *store.DB) {
		h := newScripted(t, db, []int{1}, map[int]error{
			4: jukinet.Errorf("test", jukinet.KindNotFound, "resident_code", "no record removed by a move-out for 98765432109"),
			5: jukinet.Errorf("test", jukinet.KindInvalid, "sex", "not a sex code"),
		})
		in := NewStoreInbox(db, map[Kind]ApplyFunc{KindIdentityNotify: h.apply})
		ctx := NetworkContext(context.Background())
		a, b, c := scripted(t, 1, "352063/A", 1), scripted(t, 2, "352063/A", 2), scripted(t, 3, "352063/B", 1)
		d, e, f := scripted(t, 4, "", 0), scripted(t, 5, "352063/C", 1), scripted(t, 6, "352063/C", 2)
		if err := SignBatch(newTestKeys()[hofu], hofu, []*Envelope{a, b, c, d, e, f}); err != nil {
			t.Fatal(err)
		}
		out, err := in.Deliver(ctx, hofu, []*Envelope{a, b, c, d, e, f})
		if err != nil {
			t.Fatalf("Deliver: %v (one failing envelope failed the batch)", err)
		}
		want := []struct {
			status Status
			reason Reason
		}{{StatusRejected, ReasonInternal}, {StatusAccepted, ReasonNone}, {StatusAccepted, ReasonNone},
			{StatusRejected, ReasonRefused}, {StatusRejected, ReasonInvalidBody}, {StatusAccepted, ReasonNone}}
		for i, w := range want {
			if out[i].Status != w.status || out[i].Reason != w.reason {
				t.Errorf("envelope %d: %v %v, want %v %v", i, out[i].Status, out[i].Reason, w.status, w.reason)
			}
		}
		if strings.Contains(out[3].Detail, "98765432109") || !strings.Contains(out[3].Detail, "resident_code") {
			t.Errorf("refusal detail %q: want the field, without the resident code", out[3].Detail)
		}
		if got := h.order(t); fmt.Sprint(got) != "[3]" {
			t.Errorf("applied %v, want [3]: only B's first version (A's waits behind its failed one, C's behind its refused one)", got)
		}
		for key, v := range map[string]int{"352063/A": 0, "352063/B": 1, "352063/C": 0} {
			if got := inboxVersion(t, db, key); got != v {
				t.Errorf("applied version of %s: %d, want %d (only an applied envelope advances it)", key, got, v)
			}
		}
		var rows int
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM inbox WHERE message_id = $1`, a.ID.String()).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows != 0 {
			t.Errorf("the failed envelope left %d inbox rows, want 0 (its retry is not a duplicate)", rows)
		}
		failed := storetest.Records(t, db, func(r store.LogRecord) bool {
			return r.Operation == string(jukinet.OpNetworkReceive) && strings.Contains(r.Detail, a.ID.String())
		})
		if len(failed) != 1 || failed[0].Result != "failed" || !strings.Contains(failed[0].Detail, "handler failed (other)") {
			t.Errorf("log records of the failed envelope: %+v; want one, result failed, saying where it failed", failed)
		}

		// The sender retries the failed envelope alone: now it applies, and
		// the parked successor with it; the refused one stays refused.
		h.repair(t, 1)
		out, err = in.Deliver(ctx, hofu, []*Envelope{a, d})
		if err != nil {
			t.Fatal(err)
		}
		if out[0].Status != StatusAccepted || out[1].Status != StatusRejected || out[1].Reason != ReasonRefused {
			t.Errorf("retry: %+v; want accepted, then rejected (refused) again", out)
		}
		if got := h.order(t); fmt.Sprint(got) != "[3 1 2]" {
			t.Errorf("applied %v, want [3 1 2]", got)
		}
		if got := inboxVersion(t, db, "352063/A"); got != 2 {
			t.Errorf("applied version of A after the retry: %d, want 2", got)
		}
	})
}

// The sender, over real mutual TLS, retries a message the receiver failed
// to apply alone: the rest of its batch, and the batches after it, are
// delivered meanwhile; the person's next message is applied only after it;
// one that keeps failing becomes a dead letter after MaxRetries attempts, as
// does one refused for a business reason at once. Both are status alerts.
func TestSenderRetriesAFailedMessageAlone(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			rdb := storetest.Open(t, e, yamaPref)
			sdb := storetest.Open(t, e, hofu)
			h := newScripted(t, rdb, []int{1, 99}, map[int]error{
				77: jukinet.Errorf("test", jukinet.KindConflict, "resident_code", "already recorded"),
			})
			n := startNode(t, yamaPref, func(c *ServerConfig) {
				c.Inbox = NewStoreInbox(rdb, map[Kind]ApplyFunc{KindIdentityNotify: h.apply})
			})
			client := n.client(t, hofu, n.ca)
			s, err := NewSender(SenderConfig{DB: sdb, SigningKey: n.keys[hofu], MaxRetries: 5,
				Addr:   func(string) (string, bool) { return n.addr, true },
				Client: func(string) (*Client, error) { return client, nil },
				Rand:   rand.New(rand.NewPCG(1, 2))})
			if err != nil {
				t.Fatal(err)
			}
			msgs := []struct {
				n       int
				key     string
				version uint64
			}{{1, "352063/P", 1}, {2, "352063/P", 2}, {3, "352063/Q", 1}, {99, "", 0}, {77, "", 0}, {4, "", 0}}
			ctx := NetworkContext(context.Background())
			if err := sdb.Update(ctx, store.Op{Operation: jukinet.OpNetworkSend, Detail: "test"}, func(tx *store.Tx) error {
				for _, m := range msgs {
					tx.Send(store.Message{Kind: KindIdentityNotify.String(), To: yamaPref, OrderingKey: m.key, Version: m.version,
						Body: fmt.Appendf(nil, `{"n":%d}`, m.n)})
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			runCtx, stop := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- s.Run(runCtx) }()
			defer func() { stop(); <-done }()
			// Message 1 fails until it was retried twice; then the receiver
			// is repaired.
			deadline := time.Now().Add(60 * time.Second)
			for retries(t, sdb, 1) < 2 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if got := h.order(t); fmt.Sprint(got) != "[3 4]" {
				t.Errorf("applied while message 1 fails: %v, want [3 4] (others do not wait; 2 waits behind 1)", got)
			}
			h.repair(t, 1)
			for pending(t, sdb) > 0 && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if p := pending(t, sdb); p != 0 {
				t.Fatalf("%d messages still pending after 60 s", p)
			}
			type row struct {
				state, lastErr string
				retries        int
			}
			rows := map[int]row{}
			for _, m := range msgs {
				var r row
				if err := sdb.Bookkeeping(store.Inspect).QueryRow(`SELECT state, last_error, retries FROM outbox WHERE body = $1`, fmt.Appendf(nil, `{"n":%d}`, m.n)).Scan(&r.state, &r.lastErr, &r.retries); err != nil {
					t.Fatal(err)
				}
				rows[m.n] = r
			}
			if r := rows[1]; r.state != "delivered" || r.retries < 2 || r.retries > 4 {
				t.Errorf("message 1: %+v, want delivered after 2 to 4 retries", r)
			}
			for _, n := range []int{2, 3, 4} {
				if w := (row{"delivered", "", 0}); rows[n] != w {
					t.Errorf("message %d: %+v, want %+v", n, rows[n], w)
				}
			}
			if r := rows[99]; r.state != "rejected" || r.retries != 4 || !strings.HasPrefix(r.lastErr, "internal") || !strings.Contains(r.lastErr, "given up after 5 attempts") {
				t.Errorf("message failing every time: %+v, want a dead letter after 5 attempts", r)
			}
			if r := rows[77]; r.state != "rejected" || r.retries != 0 || !strings.HasPrefix(r.lastErr, "refused") {
				t.Errorf("message refused: %+v, want a dead letter at once, reason refused", r)
			}
			if got := h.order(t); fmt.Sprint(got) != "[3 4 1 2]" {
				t.Errorf("applied order %v, want [3 4 1 2]: the person's next message after the failed one", got)
			}
			st, err := QueueStatus(context.Background(), sdb)
			if err != nil || len(st.Alerts) != 2 || st.Retrying != 0 {
				t.Errorf("QueueStatus: alerts %+v, retrying %d, %v; want the two dead letters", st.Alerts, st.Retrying, err)
			}
		})
	}
}

func retries(t *testing.T, db *store.DB, n int) int {
	t.Helper()
	var c int
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT retries FROM outbox WHERE body = $1`, fmt.Appendf(nil, `{"n":%d}`, n)).Scan(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

func pending(t *testing.T, db *store.DB) int {
	t.Helper()
	var c int
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM outbox WHERE state = 'pending'`).Scan(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// While a peer is down the wait between attempts stays within
// ProbeInterval however many attempts failed (it is not cut below half of
// it either, so that down peers are not hammered), where the backoff
// would reach BackoffMax; a delivery from the peer (Contact) ends a wait.
func TestSenderProbesADownPeer(t *testing.T) {
	db := storetest.Open(t, store.SQLite, hofu)
	s, err := NewSender(SenderConfig{DB: db, SigningKey: newTestKeys()[hofu], Rand: rand.New(rand.NewPCG(3, 4)),
		Addr:   func(string) (string, bool) { return "", false },
		Client: func(string) (*Client, error) { return nil, errors.New("unused") }})
	if err != nil {
		t.Fatal(err)
	}
	var longest time.Duration
	for attempt := 0; attempt < 40; attempt++ {
		for range 50 {
			d := s.backoff(attempt, true)
			if d > ProbeInterval {
				t.Fatalf("backoff(%d) while probing = %v, want ≤ %v", attempt, d, ProbeInterval)
			}
			if attempt >= 10 && d < ProbeInterval/2 {
				t.Fatalf("backoff(%d) while probing = %v, want ≥ %v", attempt, d, ProbeInterval/2)
			}
			longest = max(longest, s.backoff(attempt, false))
		}
	}
	if longest <= ProbeInterval {
		t.Errorf("longest backoff of a reachable peer %v: want it to grow past %v (the probe bound applies only while down)", longest, ProbeInterval)
	}
	r := &destRun{wake: make(chan struct{}, 1), contact: make(chan struct{}, 1)}
	s.dests[yamaPref] = r
	go s.Contact(yamaPref)
	if !waitContact(context.Background(), time.Hour, r.contact) {
		t.Error("waitContact: Contact from the peer did not end the wait")
	}
}

// A parked envelope whose handler fails when its turn comes stays parked —
// its sender was told "parked" and will not send it again — and
// RetryParked applies it (and the one parked behind it) once the handler
// works; while it still fails, RetryParked writes nothing at all.
func TestInboxRetryParked(t *testing.T) {
	storetest.Run(t, yamaPref, func(t *testing.T, db *store.DB) {
		h := newScripted(t, db, []int{2}, nil)
		in := NewStoreInbox(db, map[Kind]ApplyFunc{KindIdentityNotify: h.apply})
		ctx := NetworkContext(context.Background())
		v1, v2, v3 := scripted(t, 1, "352063/K", 1), scripted(t, 2, "352063/K", 2), scripted(t, 3, "352063/K", 3)
		if err := SignBatch(newTestKeys()[hofu], hofu, []*Envelope{v1, v2, v3}); err != nil {
			t.Fatal(err)
		}
		for _, batch := range [][]*Envelope{{v2, v3}, {v1}} {
			out, err := in.Deliver(ctx, hofu, batch)
			if err != nil {
				t.Fatal(err)
			}
			for i, o := range out {
				if o.Status != StatusAccepted {
					t.Fatalf("envelope %d: %+v, want accepted (parked or applied)", i, o)
				}
			}
		}
		if got := h.order(t); fmt.Sprint(got) != "[1]" || inboxVersion(t, db, "352063/K") != 1 {
			t.Fatalf("applied %v, version %d; want [1], 1 (2 failed in its turn, 3 waits)", got, inboxVersion(t, db, "352063/K"))
		}
		records := len(storetest.Records(t, db, nil))
		if n, err := in.RetryParked(ctx); err != nil || n != 0 {
			t.Fatalf("RetryParked while the handler fails: %d, %v; want 0, nil", n, err)
		}
		if got := len(storetest.Records(t, db, nil)); got != records {
			t.Errorf("a RetryParked that settled nothing wrote %d log records, want 0", got-records)
		}
		h.repair(t, 2)
		if n, err := in.RetryParked(ctx); err != nil || n != 2 {
			t.Fatalf("RetryParked after the repair: %d, %v; want 2, nil", n, err)
		}
		if got := h.order(t); fmt.Sprint(got) != "[1 2 3]" || inboxVersion(t, db, "352063/K") != 3 {
			t.Errorf("applied %v, version %d; want [1 2 3], 3", got, inboxVersion(t, db, "352063/K"))
		}
		var parked int
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM inbox WHERE state = 'parked'`).Scan(&parked); err != nil {
			t.Fatal(err)
		}
		if parked != 0 {
			t.Errorf("%d envelopes still parked, want 0", parked)
		}
	})
}
