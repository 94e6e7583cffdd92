package network

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/jukinet/jukinet"
)

// fakeInbox accepts every new message ID and answers duplicate for a repeat.
type fakeInbox struct {
	mu   sync.Mutex
	seen map[uuid.UUID]bool
	got  []*Envelope
}

func (f *fakeInbox) Deliver(_ context.Context, _ string, envs []*Envelope) ([]Outcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Outcome, len(envs))
	for i, e := range envs {
		f.got = append(f.got, e)
		if f.seen[e.ID] {
			out[i] = Outcome{Status: StatusDuplicate}
			continue
		}
		f.seen[e.ID] = true
		out[i] = Outcome{Status: StatusAccepted}
	}
	return out, nil
}

func (f *fakeInbox) delivered(id uuid.UUID) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.got {
		if e.ID == id {
			return true
		}
	}
	return false
}

type testNet struct {
	keys  testKeys
	ca    *testCA
	desc  *Description
	inbox *fakeInbox
	addr  string
}

// startNode starts node self's network listener over real TLS 1.3 with
// mutual authentication; change may adjust the server config.
func startNode(t *testing.T, self string, change func(*ServerConfig)) *testNet {
	t.Helper()
	n := &testNet{keys: newTestKeys(), ca: newTestCA(t, "test network CA"), inbox: &fakeInbox{seen: map[uuid.UUID]bool{}}}
	n.desc = loadTestDescription(t, n.keys, "")
	cfg := ServerConfig{Self: self, SigningKey: n.keys[self], Keys: n.desc.Keys(), Policy: n.desc.Policy(),
		RelayCheck: n.desc.CheckRelay, Inbox: n.inbox, PeerID: peerIDFromState}
	if change != nil {
		change(&cfg)
	}
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.EnableHTTP2 = true
	ts.Config.HTTP2 = HTTP2Config()
	ts.TLS = &tls.Config{MinVersion: tls.VersionTLS13, ClientAuth: tls.RequireAndVerifyClientCert,
		ClientCAs: n.ca.pool, Certificates: []tls.Certificate{n.ca.nodeCert(t, self)}}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	n.addr = ts.Listener.Addr().String()
	return n
}

func (n *testNet) client(t *testing.T, self string, ca *testCA) *Client {
	t.Helper()
	c, err := NewClient(ClientConfig{Keys: n.desc.Keys(), PeerID: peerIDFromState, TLS: &tls.Config{
		MinVersion: tls.VersionTLS13, RootCAs: n.ca.pool, Certificates: []tls.Certificate{ca.nodeCert(t, self)}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func TestTransportAccepts(t *testing.T) {
	n := startNode(t, yamaPref, nil)
	c := n.client(t, hofu, n.ca)
	envs := signedEnvelopes(t, n.keys, KindIdentityNotify, hofu, yamaPref, 3)
	batch := &Batch{Sender: hofu, Envelopes: envs}
	for round, want := range []Status{StatusAccepted, StatusDuplicate} {
		rs, err := c.Send(t.Context(), yamaPref, n.addr, batch)
		if err != nil {
			t.Fatalf("round %d: Send: %v", round, err)
		}
		for i, r := range rs {
			if r.Status != want || r.MessageID != envs[i].ID {
				t.Errorf("round %d receipt %d: %v for %v, want %v for %v", round, i, r.Status, r.MessageID, want, envs[i].ID)
			}
		}
		if err := VerifyReceipts(rs, n.desc.Keys()); err != nil {
			t.Errorf("round %d: VerifyReceipts: %v", round, err)
		}
	}
}

func TestTransportRejectsEnvelopes(t *testing.T) {
	keys := newTestKeys()
	relay := func(t *testing.T, relayer string, inner *Envelope) *Envelope {
		body, err := EncodeEnvelope(inner)
		if err != nil {
			t.Fatal(err)
		}
		e := newTestEnvelope(t, KindIdentityRelay, relayer, NationalID, 1)
		e.Body = body
		if err := SignBatch(keys[relayer], relayer, []*Envelope{e}); err != nil {
			t.Fatal(err)
		}
		return e
	}
	tests := []struct {
		name     string
		receiver string
		sender   string
		env      func(t *testing.T) *Envelope
		keys     func(KeyLookup) KeyLookup
		want     Status
		reason   Reason
	}{
		{"relayed identity notice verified end to end", NationalID, yamaPref, func(t *testing.T) *Envelope {
			return relay(t, yamaPref, signedEnvelopes(t, keys, KindIdentityNotify, hofu, yamaPref, 3)[2])
		}, nil, StatusAccepted, ReasonNone},
		{"relay by the wrong prefecture", NationalID, fukuPref, func(t *testing.T) *Envelope {
			inner := signedEnvelopes(t, keys, KindIdentityNotify, hofu, yamaPref, 1)[0]
			inner.To = fukuPref // the forged inner no longer verifies either; the relay check comes first
			return relay(t, fukuPref, inner)
		}, nil, StatusRejected, ReasonRelayMismatch},
		{"relay of a tampered inner message", NationalID, yamaPref, func(t *testing.T) *Envelope {
			inner := signedEnvelopes(t, keys, KindIdentityNotify, hofu, yamaPref, 1)[0]
			inner.Body = []byte(`{"forged":true}`)
			return relay(t, yamaPref, inner)
		}, nil, StatusRejected, ReasonBadProof},
		{"relay of a kind never relayed", NationalID, yamaPref, func(t *testing.T) *Envelope {
			return relay(t, yamaPref, signedEnvelopes(t, keys, KindCheckpointCosignRequest, hofu, yamaPref, 1)[0])
		}, nil, StatusRejected, ReasonRelayMismatch},
		{"kind the role may not send", yamaPref, hofu, func(t *testing.T) *Envelope {
			return signedEnvelopes(t, keys, KindMoveInNotice, hofu, yamaPref, 1)[0]
		}, nil, StatusRejected, ReasonForbiddenKind},
		{"from is not the certificate", yamaPref, hofu, func(t *testing.T) *Envelope {
			return signedEnvelopes(t, keys, KindIdentityNotify, yamaguch, yamaPref, 1)[0]
		}, nil, StatusRejected, ReasonFromMismatch},
		{"tampered body", yamaPref, hofu, func(t *testing.T) *Envelope {
			e := signedEnvelopes(t, keys, KindIdentityNotify, hofu, yamaPref, 4)[1]
			e.Body = []byte(`{"n":1000}`)
			return e
		}, nil, StatusRejected, ReasonBadProof},
		{"forged signature", yamaPref, hofu, func(t *testing.T) *Envelope {
			e := signedEnvelopes(t, keys, KindIdentityNotify, hofu, yamaPref, 4)[1]
			e.Sig.Signature[10] ^= 4
			return e
		}, nil, StatusRejected, ReasonBadSignature},
		{"unknown signer", yamaPref, hofu, func(t *testing.T) *Envelope {
			return signedEnvelopes(t, keys, KindIdentityNotify, hofu, yamaPref, 1)[0]
		}, func(k KeyLookup) KeyLookup {
			return func(id string) (ed25519.PublicKey, bool) {
				if id == hofu {
					return nil, false
				}
				return k(id)
			}
		}, StatusRejected, ReasonUnknownSigner},
		{"wrong recipient", yamaPref, hofu, func(t *testing.T) *Envelope {
			return signedEnvelopes(t, keys, KindMoveInNotice, hofu, kurume, 1)[0]
		}, nil, StatusRejected, ReasonWrongRecipient},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := startNode(t, tc.receiver, func(c *ServerConfig) {
				if tc.keys != nil {
					c.Keys = tc.keys(c.Keys)
				}
			})
			env := tc.env(t)
			good := signedEnvelopes(t, keys, KindIdentityNotify, tc.sender, tc.receiver, 1)
			if tc.sender == yamaPref || tc.sender == fukuPref || tc.keys != nil { // no independent good companion
				good = nil
			}
			batch := &Batch{Sender: tc.sender, Envelopes: append([]*Envelope{env}, good...)}
			rs, err := n.client(t, tc.sender, n.ca).Send(t.Context(), tc.receiver, n.addr, batch)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if rs[0].Status != tc.want || rs[0].Reason != tc.reason {
				t.Errorf("receipt: %v/%v (%s), want %v/%v", rs[0].Status, rs[0].Reason, rs[0].Detail, tc.want, tc.reason)
			}
			if delivered := n.inbox.delivered(env.ID); delivered != (tc.want == StatusAccepted) {
				t.Errorf("inbox got the envelope: %v, want %v", delivered, tc.want == StatusAccepted)
			}
			for i := range good {
				if rs[i+1].Status != StatusAccepted {
					t.Errorf("the good envelope beside it: %v/%v, want accepted", rs[i+1].Status, rs[i+1].Reason)
				}
			}
		})
	}
}

func TestTransportRefusesRequests(t *testing.T) {
	keys := newTestKeys()
	envs := signedEnvelopes(t, keys, KindIdentityNotify, hofu, yamaPref, 20)
	t.Run("certificate of another CA", func(t *testing.T) {
		n := startNode(t, yamaPref, nil)
		_, err := n.client(t, hofu, newTestCA(t, "rogue CA")).Send(t.Context(), yamaPref, n.addr, &Batch{Sender: hofu, Envelopes: envs})
		if jukinet.ErrorKind(err) != jukinet.KindUnavailable {
			t.Errorf("Send: %v, want a KindUnavailable handshake failure", err)
		}
		if len(n.inbox.got) != 0 {
			t.Errorf("inbox got %d envelopes, want 0", len(n.inbox.got))
		}
	})
	tests := []struct {
		name   string
		change func(*ServerConfig)
		sender string
		sends  int // requests; the last one is checked
		kind   jukinet.Kind
		reason Reason
	}{
		{"oversized request", func(c *ServerConfig) { c.MaxRequestBytes = 2000 }, hofu, 1, jukinet.KindTooLarge, ReasonTooLarge},
		{"rate limit", func(c *ServerConfig) { c.RatePerSecond, c.Burst = 0.001, 2 }, hofu, 3, jukinet.KindRateLimited, ReasonRateLimited},
		{"batch sender is not the certificate", nil, yamaguch, 1, jukinet.KindForbidden, ReasonFromMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := startNode(t, yamaPref, tc.change)
			c := n.client(t, tc.sender, n.ca)
			var err error
			for range tc.sends {
				_, err = c.Send(t.Context(), yamaPref, n.addr, &Batch{Sender: hofu, Envelopes: envs[:10]})
			}
			if jukinet.ErrorKind(err) != tc.kind || ReasonOf(err) != tc.reason {
				t.Errorf("Send: %v (kind %v, reason %v), want %v/%v", err, jukinet.ErrorKind(err), ReasonOf(err), tc.kind, tc.reason)
			}
			if tc.sends == 1 && len(n.inbox.got) != 0 {
				t.Errorf("inbox got %d envelopes, want 0", len(n.inbox.got))
			}
		})
	}
	t.Run("truncated and malformed bodies", func(t *testing.T) {
		n := startNode(t, yamaPref, nil)
		c := n.client(t, hofu, n.ca)
		good, _ := EncodeBatch(&Batch{Sender: hofu, Envelopes: envs[:3]})
		for _, body := range [][]byte{good[:len(good)-7], {1, 2, 3}, append(good, 0)} {
			resp, err := c.http.Post("https://"+n.addr+BatchPath, contentType, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get(ReasonHeader) != "malformed" {
				t.Errorf("POST %d bytes: HTTP %d reason %q, want 400 malformed", len(body), resp.StatusCode, resp.Header.Get(ReasonHeader))
			}
		}
		if len(n.inbox.got) != 0 {
			t.Errorf("inbox got %d envelopes, want 0", len(n.inbox.got))
		}
	})
}

func TestBackoff(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for attempt := range 40 {
		ceiling := BackoffMax
		if attempt < 30 {
			ceiling = min(BackoffMax, BackoffBase<<attempt)
		}
		var maxSeen time.Duration
		for range 200 {
			d := Backoff(attempt, rnd)
			if d < 0 || d > ceiling {
				t.Fatalf("Backoff(%d) = %v, want within [0, %v]", attempt, d, ceiling)
			}
			maxSeen = max(maxSeen, d)
		}
		if maxSeen < ceiling/2 {
			t.Errorf("Backoff(%d): largest of 200 draws %v, want jitter over [0, %v]", attempt, maxSeen, ceiling)
		}
	}
}

// discardInbox accepts every envelope and keeps none, so that what stays on
// the heap after a request is the connections'.
type discardInbox struct{}

func (discardInbox) Deliver(_ context.Context, _ string, envs []*Envelope) ([]Outcome, error) {
	out := make([]Outcome, len(envs))
	for i := range out {
		out[i] = Outcome{Status: StatusAccepted}
	}
	return out, nil
}

// A connection keeps buffers as large as the largest frame it carried; with
// the listener's frames at MaxFrameBytes a large batch leaves tens of
// kilobytes on each connection, not the batch's size at each end.
func TestLargeBatchLeavesSmallBuffers(t *testing.T) {
	n := startNode(t, yamaPref, func(c *ServerConfig) { c.Inbox = discardInbox{} })
	small := &Batch{Sender: hofu, Envelopes: signedEnvelopes(t, n.keys, KindIdentityNotify, hofu, yamaPref, 1)}
	envs := make([]*Envelope, 100)
	for i := range envs {
		e, err := NewEnvelope(KindIdentityNotify, hofu, yamaPref, testTime+int64(i), bytes.Repeat([]byte{'x'}, 6000))
		if err != nil {
			t.Fatal(err)
		}
		e.OrderingKey, e.Version = fmt.Sprintf("%s/%011d", hofu, i), 1
		envs[i] = e
	}
	if err := SignBatch(n.keys[hofu], hofu, envs); err != nil {
		t.Fatal(err)
	}
	large := &Batch{Sender: hofu, Envelopes: envs} // ≈ 0.6 MB
	const conns = 8
	clients := make([]*Client, conns)
	for i := range clients {
		clients[i] = n.client(t, hofu, n.ca) // a client per connection, as a node has per peer
		if _, err := clients[i].Send(t.Context(), yamaPref, n.addr, small); err != nil {
			t.Fatal(err)
		}
	}
	before := heapInUse()
	for _, c := range clients {
		if _, err := c.Send(t.Context(), yamaPref, n.addr, large); err != nil {
			t.Fatal(err)
		}
	}
	grown := (int64(heapInUse()) - int64(before)) / conns
	t.Logf("a large batch: %d bytes a connection", grown)
	if grown > 200<<10 {
		t.Errorf("a large batch left %d KB on each connection, want at most 200 KB", grown>>10)
	}
}

// Each request's content-length differs, and with HPACK's default 4 KiB
// tables every value stayed in four tables of each connection; with
// HeaderTableBytes they hold a few entries.
func TestManyRequestsLeaveSmallHeaderTables(t *testing.T) {
	n := startNode(t, yamaPref, func(c *ServerConfig) { c.Inbox, c.RatePerSecond, c.Burst = discardInbox{}, 1e6, 1e6 })
	const requests, conns = 80, 8
	batches := make([]*Batch, requests)
	for i := range batches {
		e, err := NewEnvelope(KindIdentityNotify, hofu, yamaPref, testTime, bytes.Repeat([]byte{'x'}, 100+i))
		if err != nil {
			t.Fatal(err)
		}
		e.OrderingKey, e.Version = hofu+"/00000000001", 1
		if err := SignBatch(n.keys[hofu], hofu, []*Envelope{e}); err != nil {
			t.Fatal(err)
		}
		batches[i] = &Batch{Sender: hofu, Envelopes: []*Envelope{e}}
	}
	clients := make([]*Client, conns)
	for i := range clients {
		clients[i] = n.client(t, hofu, n.ca)
		if _, err := clients[i].Send(t.Context(), yamaPref, n.addr, batches[0]); err != nil {
			t.Fatal(err)
		}
	}
	before := heapInUse()
	for _, c := range clients {
		for _, b := range batches {
			if _, err := c.Send(t.Context(), yamaPref, n.addr, b); err != nil {
				t.Fatal(err)
			}
		}
	}
	grown := (int64(heapInUse()) - int64(before)) / conns
	t.Logf("%d requests: %d bytes a connection", requests, grown)
	if grown > 12<<10 {
		t.Errorf("%d requests left %d KB on each connection, want at most 12 KB", requests, grown>>10)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
