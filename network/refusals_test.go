package network

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// refusalNode is a node's network listener as the runtime builds it: the
// TLS listener that records refused handshakes, the Server that records
// refused requests and envelopes, and a RefusalLog on a real database.
type refusalNode struct {
	*testNet
	db       *store.DB
	refusals *RefusalLog
	logs     *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startRefusalNode(t *testing.T, db *store.DB, self string, change func(*ServerConfig)) *refusalNode {
	t.Helper()
	n := &refusalNode{testNet: &testNet{keys: newTestKeys(), ca: newTestCA(t, "test network CA"), inbox: &fakeInbox{seen: map[uuid.UUID]bool{}}}, db: db, logs: &syncBuffer{}}
	n.desc = loadTestDescription(t, n.keys, "")
	n.refusals = NewRefusalLog(db, slog.New(slog.NewJSONHandler(n.logs, nil)), nil)
	cfg := ServerConfig{Self: self, SigningKey: n.keys[self], Keys: n.desc.Keys(), Policy: n.desc.Policy(),
		RelayCheck: n.desc.CheckRelay, Inbox: n.inbox, PeerID: peerIDFromState, Refusals: n.refusals, RatePerSecond: 1e6, Burst: 1e6}
	if change != nil {
		change(&cfg)
	}
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tl := NewTLSListener(ln, &tls.Config{MinVersion: tls.VersionTLS13, ClientAuth: tls.RequireAndVerifyClientCert,
		ClientCAs: n.ca.pool, Certificates: []tls.Certificate{n.ca.nodeCert(t, self)}}, n.refusals, 5*time.Second)
	hs := &http.Server{Handler: srv, TLSConfig: tl.TLSConfig(), ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go hs.Serve(tl)
	t.Cleanup(func() { hs.Close() })
	n.addr = ln.Addr().String()
	return n
}

// written reads the network_refusals rows and the network.refused records
// for (peer, reason): their counts, and the number of records.
func written(t *testing.T, db *store.DB, peer, reason string) (rows int, total int64, records int) {
	t.Helper()
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*), COALESCE(SUM(count), 0) FROM network_refusals WHERE peer = $1 AND reason = $2`, peer, reason).Scan(&rows, &total); err != nil {
		t.Fatal(err)
	}
	for _, r := range storetest.Records(t, db, func(r store.LogRecord) bool { return r.Operation == string(jukinet.OpNetworkRefused) }) {
		if strings.Contains(r.Detail, "peer="+peer+" reason="+reason+" ") {
			records++
		}
	}
	return rows, total, records
}

// Each kind of refusal, over a real TLS listener, is an operation-log record
// (network.refused) with the peer and the reason, a network_refusals row and
// a structured log line.
func TestEveryRefusalIsRecorded(t *testing.T) {
	keys := newTestKeys()
	envs := signedEnvelopes(t, keys, KindIdentityNotify, hofu, yamaPref, 20)
	good, err := EncodeBatch(&Batch{Sender: hofu, Envelopes: envs[:1]})
	if err != nil {
		t.Fatal(err)
	}
	countAt := 2 + 1 + len(hofu) // version, record type, sender (length-prefixed)
	if binary.BigEndian.Uint32(good[countAt:]) != 1 {
		t.Fatalf("batch layout changed: no count of 1 at offset %d", countAt)
	}
	giB := func(at int) []byte {
		b := bytes.Clone(good)
		binary.BigEndian.PutUint32(b[at:], 1<<30)
		return b
	}
	post := func(t *testing.T, n *refusalNode, body []byte) {
		t.Helper()
		resp, err := n.client(t, hofu, n.ca).http.Post("https://"+n.addr+BatchPath, contentType, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	send := func(t *testing.T, n *refusalNode, from string, ca *testCA, batch *Batch) {
		t.Helper()
		_, _ = n.client(t, from, ca).Send(t.Context(), yamaPref, n.addr, batch)
	}
	tests := []struct {
		name   string
		change func(*ServerConfig)
		act    func(t *testing.T, n *refusalNode)
		peer   string
		reason string
	}{
		{"certificate of another CA", nil, func(t *testing.T, n *refusalNode) {
			// Go's client offers only a certificate the server's CA list
			// accepts; an attacker offers one anyway.
			rogue := newTestCA(t, "rogue CA").nodeCert(t, hofu)
			c, err := tls.Dial("tcp", n.addr, &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: n.ca.pool, ServerName: "127.0.0.1",
				GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &rogue, nil }})
			if err == nil {
				c.Read(make([]byte, 1))
				c.Close()
			}
		}, "CN=" + hofu + " at 127.0.0.1", RefusalTLSUnknownAuthority},
		{"no client certificate", nil, func(t *testing.T, n *refusalNode) {
			c, err := tls.Dial("tcp", n.addr, &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: n.ca.pool, ServerName: "127.0.0.1"})
			if err == nil {
				c.Read(make([]byte, 1)) // TLS 1.3: the refusal arrives after the client's handshake
				c.Close()
			}
		}, "127.0.0.1", RefusalTLSNoCertificate},
		{"garbage bytes instead of TLS", nil, func(t *testing.T, n *refusalNode) {
			c, err := net.Dial("tcp", n.addr)
			if err != nil {
				t.Fatal(err)
			}
			c.Write([]byte("GET / HTTP/1.0\r\n\r\n\x00\x01garbage"))
			c.Read(make([]byte, 64))
			c.Close()
		}, "127.0.0.1", RefusalTLSHandshake},
		{"truncated batch", nil, func(t *testing.T, n *refusalNode) { post(t, n, good[:len(good)-7]) }, hofu, "malformed"},
		{"garbage batch", nil, func(t *testing.T, n *refusalNode) { post(t, n, []byte{1, 2, 3}) }, hofu, "malformed"},
		{"an envelope announced as 1 GiB", nil, func(t *testing.T, n *refusalNode) { post(t, n, giB(countAt+4)) }, hofu, "malformed"},
		{"a count of 2^30 envelopes", nil, func(t *testing.T, n *refusalNode) { post(t, n, giB(countAt)) }, hofu, "too_large"},
		{"oversize batch", func(c *ServerConfig) { c.MaxRequestBytes = 2000 }, func(t *testing.T, n *refusalNode) {
			send(t, n, hofu, n.ca, &Batch{Sender: hofu, Envelopes: envs})
		}, hofu, "too_large"},
		{"bad signature", nil, func(t *testing.T, n *refusalNode) {
			e := signedEnvelopes(t, keys, KindIdentityNotify, hofu, yamaPref, 4)[1]
			e.Sig.Signature[10] ^= 4
			send(t, n, hofu, n.ca, &Batch{Sender: hofu, Envelopes: []*Envelope{e}})
		}, hofu, "bad_signature"},
		{"forbidden kind", nil, func(t *testing.T, n *refusalNode) {
			send(t, n, hofu, n.ca, &Batch{Sender: hofu, Envelopes: signedEnvelopes(t, keys, KindMoveInNotice, hofu, yamaPref, 1)})
		}, hofu, "forbidden_kind"},
		{"batch sender is not the certificate", nil, func(t *testing.T, n *refusalNode) {
			send(t, n, yamaguch, n.ca, &Batch{Sender: hofu, Envelopes: envs[:1]})
		}, yamaguch, "from_mismatch"},
		{"envelope from is not the certificate", nil, func(t *testing.T, n *refusalNode) {
			send(t, n, hofu, n.ca, &Batch{Sender: hofu, Envelopes: signedEnvelopes(t, keys, KindIdentityNotify, yamaguch, yamaPref, 1)})
		}, hofu, "from_mismatch"},
	}
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					n := startRefusalNode(t, storetest.Open(t, e, yamaPref), yamaPref, tc.change)
					tc.act(t, n)
					// The handshake goroutine records after the client has
					// given up; wait for the count to appear.
					deadline := time.Now().Add(5 * time.Second)
					for !hasCount(n.refusals, tc.peer, tc.reason) && time.Now().Before(deadline) {
						time.Sleep(10 * time.Millisecond)
					}
					if err := n.refusals.Flush(t.Context(), true); err != nil {
						t.Fatal(err)
					}
					rows, total, records := written(t, n.db, tc.peer, tc.reason)
					if rows != 1 || total < 1 || records != 1 {
						t.Errorf("refusal (%s, %s): %d rows counting %d, %d network.refused records; want 1, ≥1, 1 (counts: %+v)", tc.peer, tc.reason, rows, total, records, n.refusals.Counts())
					}
					if logs := n.logs.String(); !strings.Contains(logs, `"peer":"`+tc.peer+`"`) || !strings.Contains(logs, `"reason":"`+tc.reason+`"`) {
						t.Errorf("no structured log line for (%s, %s): %s", tc.peer, tc.reason, logs)
					}
					if len(n.inbox.got) != 0 {
						t.Errorf("inbox got %d envelopes, want 0", len(n.inbox.got))
					}
				})
			}
		})
	}
}

func hasCount(l *RefusalLog, peer, reason string) bool {
	for _, c := range l.Counts() {
		if c.Peer == peer && c.Reason == reason {
			return true
		}
	}
	return false
}

// A flood of 1,000 identical refusals over the real listener adds one
// record per minute it spans (a minute boundary may split it), never one
// per refusal, and counts every refusal.
func TestRefusalFloodIsAggregated(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := startRefusalNode(t, storetest.Open(t, e, yamaPref), yamaPref, nil)
			c := n.client(t, hofu, n.ca)
			start := time.Now()
			for i := range 1000 {
				resp, err := c.http.Post("https://"+n.addr+BatchPath, contentType, bytes.NewReader([]byte{1, 2, 3}))
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if i == 0 && resp.ProtoMajor != 2 {
					t.Errorf("the listener answered HTTP/%d.%d, want HTTP/2 (the TLSListener must keep h2)", resp.ProtoMajor, resp.ProtoMinor)
				}
			}
			end := time.Now()
			if _, _, records := written(t, n.db, hofu, "malformed"); records != 0 {
				t.Errorf("%d records written during the flood, want none before the minute is over", records)
			}
			if err := n.refusals.Flush(t.Context(), true); err != nil {
				t.Fatal(err)
			}
			minutes := int(end.Unix()/60-start.Unix()/60) + 1
			rows, total, records := written(t, n.db, hofu, "malformed")
			if total != 1000 || records < 1 || records > minutes || rows != records {
				t.Errorf("flood of 1000 over %d minute(s): %d rows counting %d, %d records; want ≤ %d records counting 1000", minutes, rows, total, records, minutes)
			}
			t.Logf("1000 refusals in %v: %d record(s)", end.Sub(start), records)
		})
	}
}

// With a clock inside one minute the bound is exact: one record, count
// 1,000; the next minute's refusals are a second record; Counts holds all.
func TestRefusalLogAggregatesPerMinute(t *testing.T) {
	storetest.Run(t, yamaPref, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 11, 26, 9, 0, 5, 0, time.UTC)
		var mu sync.Mutex
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		l := NewRefusalLog(db, nil, clock)
		for range 1000 {
			l.Refused("CN=x at 192.0.2.7", RefusalTLSUnknownAuthority, "x509: certificate signed by unknown authority")
		}
		if err := l.Flush(context.Background(), false); err != nil {
			t.Fatal(err)
		}
		if rows, _, _ := written(t, db, "CN=x at 192.0.2.7", RefusalTLSUnknownAuthority); rows != 0 {
			t.Errorf("the open minute was written (%d rows); want it kept until the minute is over", rows)
		}
		mu.Lock()
		now = now.Add(time.Minute)
		mu.Unlock()
		l.Refused("CN=x at 192.0.2.7", RefusalTLSUnknownAuthority, "again")
		if err := l.Flush(context.Background(), false); err != nil {
			t.Fatal(err)
		}
		rows, total, records := written(t, db, "CN=x at 192.0.2.7", RefusalTLSUnknownAuthority)
		if rows != 1 || total != 1000 || records != 1 {
			t.Errorf("after the minute: %d rows counting %d, %d records; want 1, 1000, 1", rows, total, records)
		}
		if err := l.Flush(context.Background(), true); err != nil {
			t.Fatal(err)
		}
		if rows, total, records := written(t, db, "CN=x at 192.0.2.7", RefusalTLSUnknownAuthority); rows != 2 || total != 1001 || records != 2 {
			t.Errorf("after the second minute: %d rows counting %d, %d records; want 2, 1001, 2", rows, total, records)
		}
		got, err := Refusals(context.Background(), db, now.Add(-time.Hour))
		if err != nil || len(got) != 1 || got[0].Count != 1001 {
			t.Errorf("Refusals = %+v, %v; want one (peer, reason) with 1001", got, err)
		}
		if c := l.Counts(); len(c) != 1 || c[0].Count != 1001 {
			t.Errorf("Counts = %+v, want one with 1001", c)
		}
		// Many distinct peers within a minute: bounded by maxRefusalKeys.
		for i := range maxRefusalKeys + 500 {
			l.Refused(fmt.Sprintf("192.0.2.%d/%d", i%250, i), "tls_handshake", "")
		}
		l.mu.Lock()
		open := len(l.open)
		l.mu.Unlock()
		if open > maxRefusalKeys+1 {
			t.Errorf("%d open aggregates after a flood of distinct peers, want at most %d", open, maxRefusalKeys+1)
		}
	})
}

// The cost of one refusal under a flood: a map update, no database write.
func BenchmarkRefusalLogRefused(b *testing.B) {
	l := NewRefusalLog(nil, nil, nil)
	for b.Loop() {
		l.Refused("352012", "malformed", "envelopes[0]: truncated")
	}
}

// failingInbox fails every delivery as a receiver's database would, with a
// message quoting a resident code (synthetic).
type failingInbox struct{}

func (failingInbox) Deliver(context.Context, string, []*Envelope) ([]Outcome, error) {
	return nil, jukinet.Errorf("node.deliverTest", jukinet.KindUnavailable, "", "disk full while storing resident 12345678901")
}

// A request the receiver fails to process is recorded at the receiver with
// where it failed and how — the operation and the error kind, never the
// message's text — while the sender is told only to retry.
func TestReceiverFailureRecordsItsCause(t *testing.T) {
	keys := newTestKeys()
	envs := signedEnvelopes(t, keys, KindIdentityNotify, hofu, yamaPref, 1)
	n := startRefusalNode(t, storetest.Open(t, store.SQLite, yamaPref), yamaPref, func(c *ServerConfig) { c.Inbox = failingInbox{} })
	good, err := EncodeBatch(&Batch{Sender: hofu, Envelopes: envs})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := n.client(t, hofu, n.ca).http.Post("https://"+n.addr+BatchPath, contentType, bytes.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || resp.Header.Get(ReasonHeader) != "internal" || strings.Contains(string(body), "node.deliverTest") {
		t.Errorf("sender got %d %q %q, want 500 internal without the cause", resp.StatusCode, resp.Header.Get(ReasonHeader), body)
	}
	if err := n.refusals.Flush(t.Context(), true); err != nil {
		t.Fatal(err)
	}
	var detail string
	if err := n.db.Bookkeeping(store.Inspect).QueryRow(`SELECT detail FROM network_refusals WHERE peer = $1 AND reason = 'internal'`, hofu).Scan(&detail); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(detail, "node.deliverTest failed (unavailable)") {
		t.Errorf("refusal detail %q does not name the failed operation and its kind", detail)
	}
	for _, got := range []string{detail, n.logs.String()} {
		if strings.Contains(got, "12345678901") || strings.Contains(got, "disk full") {
			t.Errorf("the receiver's record quotes the error's text: %q", got)
		}
	}
}
