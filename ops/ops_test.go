package ops_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/ops"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// clock is a settable clock for the handler's refresh and witness checks.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// metric returns the value of the sample named exactly series (name and
// labels as exposed), and whether it is there.
func metric(body, series string) (float64, bool) {
	for _, line := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v, err == nil
		}
	}
	return 0, false
}

func want(t *testing.T, body, series string, v float64) {
	t.Helper()
	got, ok := metric(body, series)
	if !ok {
		t.Errorf("%s: missing", series)
		return
	}
	if got != v {
		t.Errorf("%s = %v, want %v", series, got, v)
	}
}

var accessSystem = jukinet.SystemActor("access")

// The state metrics come from the database at scrape time, at most once per
// Refresh: messages queued and login failures written after a scrape show
// once the refresh interval has passed, on both engines.
func TestMetricsReadStateAtScrape(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := &clock{t: time.Now()}
		h, err := ops.NewHandler(ops.Config{DB: db, Now: clk.now, Refresh: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		queue := func(to string, n int) {
			t.Helper()
			err := db.Update(jukinet.WithActor(ctx, accessSystem), store.Op{Operation: jukinet.OpAccessLoginFailure, Detail: "metrics test"}, func(tx *store.Tx) error {
				for i := 0; i < n; i++ {
					tx.Send(store.Message{Kind: "identity_update", To: to, Body: []byte(`{}`)})
				}
				tx.Log(jukinet.OpAccessLockout, "", "ok", "metrics test")
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		queue("350001", 3)
		queue("national", 1)
		_, body := get(t, h, "/metrics")
		want(t, body, `jukinet_outbox_pending{peer="350001"}`, 3)
		want(t, body, `jukinet_outbox_pending{peer="national"}`, 1)
		want(t, body, `jukinet_outbox_dead_letters{peer="350001"}`, 0)
		want(t, body, `jukinet_login_failures_total`, 2)
		want(t, body, `jukinet_login_lockouts_total`, 2)
		want(t, body, `jukinet_logins_total`, 0)
		want(t, body, `jukinet_ops_read_ok`, 1)
		size, err := oplog.NewSQLLog(db).Size(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want(t, body, `jukinet_oplog_records`, float64(size))
		want(t, body, `jukinet_oplog_unwitnessed_records`, float64(size))
		if v, ok := metric(body, "jukinet_db_size_bytes"); !ok || v <= 0 {
			t.Errorf("jukinet_db_size_bytes = %v, %v; want > 0", v, ok)
		}
		if _, ok := metric(body, "go_goroutines"); !ok {
			t.Error("no Go runtime metrics")
		}

		queue("350001", 2)
		_, body = get(t, h, "/metrics")
		want(t, body, `jukinet_outbox_pending{peer="350001"}`, 3) // within Refresh: not read again
		clk.add(time.Minute)
		_, body = get(t, h, "/metrics")
		want(t, body, `jukinet_outbox_pending{peer="350001"}`, 5)
		want(t, body, `jukinet_login_failures_total`, 3)

		// A dead letter: the peer rejected a message (set as the sender
		// records it).
		if _, err := db.Bookkeeping(store.Inspect).Exec(`UPDATE outbox SET state = 'rejected' WHERE seq = (SELECT MIN(seq) FROM outbox WHERE dest = 'national')`); err != nil {
			t.Fatal(err)
		}
		clk.add(time.Minute)
		_, body = get(t, h, "/metrics")
		want(t, body, `jukinet_outbox_dead_letters{peer="national"}`, 1)
		want(t, body, `jukinet_outbox_pending{peer="national"}`, 0)

		// Received messages are counted as the inbox commits them.
		inbox := network.NewStoreInbox(db, map[network.Kind]network.ApplyFunc{
			network.KindIdentityNotify: func(*store.Tx, *network.Envelope) error { return nil }})
		inbox.Observe(h.ObserveInbox)
		var envs []*network.Envelope
		for i := 0; i < 2; i++ {
			e, err := network.NewEnvelope(network.KindIdentityNotify, "352012", "352063", time.Now().UnixMicro(), []byte(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			envs = append(envs, e)
		}
		for _, batch := range [][]*network.Envelope{envs, envs[:1]} { // the second is a duplicate
			if _, err := inbox.Deliver(network.NetworkContext(ctx), "352012", batch); err != nil {
				t.Fatal(err)
			}
		}
		_, body = get(t, h, "/metrics")
		want(t, body, `jukinet_inbox_received_total{kind="identity.notify",status="accepted"}`, 2)
		want(t, body, `jukinet_inbox_received_total{kind="identity.notify",status="duplicate"}`, 1)

		h.ObserveDelivery("350001", 5, 30*time.Millisecond)
		h.ObserveDelivery("350001", 5, 2*time.Second)
		_, body = get(t, h, "/metrics")
		want(t, body, `jukinet_delivery_latency_seconds_count{peer="350001"}`, 2)
		want(t, body, `jukinet_delivery_latency_seconds_bucket{peer="350001",le="0.05"}`, 1)
		if strings.Contains(body, "metrics test") {
			t.Error("a log record's detail is in the metrics")
		}
	})
}

// /readyz names each check; it fails for a listener that does not accept
// and, once records have waited longer than WitnessOverdue for a cosigned
// checkpoint, for the witness. /healthz answers while the process is up.
func TestReadyz(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		ctx := jukinet.WithActor(context.Background(), accessSystem)
		clk := &clock{t: time.Now()}
		h, err := ops.NewHandler(ops.Config{DB: db, Now: clk.now, Refresh: time.Nanosecond, WitnessOverdue: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if code, body := get(t, h, "/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
			t.Errorf("/healthz: %d %q", code, body)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		h.AddListener("network", l.Addr().String())
		if err := db.Update(ctx, store.Op{Operation: jukinet.OpAccessLoginFailure, Detail: "readyz test"}, func(*store.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
		code, body := get(t, h, "/readyz")
		if code != 200 || !strings.Contains(body, "ok db") || !strings.Contains(body, "ok listener network") || !strings.Contains(body, "ok witness") {
			t.Errorf("/readyz with a fresh record: %d %q, want 200 and every check ok", code, body)
		}
		clk.add(2 * time.Minute)
		code, body = get(t, h, "/readyz")
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "fail witness") {
			t.Errorf("/readyz with a record waiting 2 min: %d %q, want 503 naming the witness", code, body)
		}
		l.Close()
		clk.add(-2 * time.Minute)
		code, body = get(t, h, "/readyz")
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "fail listener network") || !strings.Contains(body, "ok witness") {
			t.Errorf("/readyz with the listener closed: %d %q, want 503 naming the listener", code, body)
		}
	})
}

// On a running network the prefecture's metrics show its log, its
// checkpoints cosigned by the national server, and /readyz passes.
func TestMetricsOnDemoNetwork(t *testing.T) {
	ctx := context.Background()
	n, err := demo.StartNetwork(ctx, demo.NetworkConfig{Dir: t.TempDir(), Residents: 10, Seed: 7,
		CheckpointEvery: 20, CheckpointInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	db := n.DBs["350001"]
	l := oplog.NewSQLLog(db)
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, ok, err := l.LatestCheckpoint(ctx, true)
		if err == nil && ok && c.Size > 10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no cosigned checkpoint of 350001 within 20 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	h, err := ops.NewHandler(ops.Config{DB: db, Refresh: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	// The network keeps running: the scrape lies between two sizes.
	before, err := l.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, body := get(t, h, "/metrics")
	after, err := l.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := metric(body, "jukinet_oplog_records"); !ok || v < float64(before) || v > float64(after) {
		t.Errorf("jukinet_oplog_records = %v, %v; want between %d and %d", v, ok, before, after)
	}
	if v, ok := metric(body, "jukinet_oplog_cosigned_checkpoint_age_seconds"); !ok || v < 0 || v > 60 {
		t.Errorf("cosigned checkpoint age = %v, %v; want within a minute", v, ok)
	}
	if code, body := get(t, h, "/readyz"); code != 200 {
		t.Errorf("/readyz: %d %q", code, body)
	}
}

// Refusals come from Config.Refusals at scrape time, one series per peer
// and reason.
func TestRefusalsMetric(t *testing.T) {
	db := storetest.Open(t, store.SQLite, "350001")
	calls := 0
	h, err := ops.NewHandler(ops.Config{DB: db, Refresh: time.Nanosecond, Refusals: func(context.Context) ([]ops.Refusal, error) {
		calls++
		return []ops.Refusal{{Peer: "352063", Reason: "rate_limited", Count: int64(3 * calls)}, {Peer: "127.0.0.1", Reason: "tls_handshake", Count: 1}}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	_, body := get(t, h, "/metrics")
	want(t, body, `jukinet_refusals_total{peer="352063",reason="rate_limited"}`, 3)
	want(t, body, `jukinet_refusals_total{peer="127.0.0.1",reason="tls_handshake"}`, 1)
	_, body = get(t, h, "/metrics")
	want(t, body, `jukinet_refusals_total{peer="352063",reason="rate_limited"}`, 6)
}
