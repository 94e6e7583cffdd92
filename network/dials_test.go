package network

import (
	"crypto/tls"
	"sync"
	"testing"
	"time"
)

// concurrency counts calls in progress and the most at once.
type concurrency struct {
	mu          sync.Mutex
	active, max int
}

func (c *concurrency) enter() {
	c.mu.Lock()
	c.active++
	c.max = max(c.max, c.active)
	c.mu.Unlock()
}

func (c *concurrency) leave() {
	c.mu.Lock()
	c.active--
	c.mu.Unlock()
}

func (c *concurrency) takeMax() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.max
	c.max = 0
	return m
}

// A node that writes to many peers at once (the national server's start
// asks every CS for its tally) has at most FirstDials TLS handshakes in
// progress: a client without a connection waits for a slot. Once
// connected, a client no longer takes one: its requests go while every
// slot is held.
func TestFirstDialsArePaced(t *testing.T) {
	n := startNode(t, yamaPref, nil)
	const clients, slots = 12, 3
	dials := NewDialLimit(slots)
	var shakes concurrency
	cert := n.ca.nodeCert(t, hofu)
	cs := make([]*Client, clients)
	for i := range cs {
		c, err := NewClient(ClientConfig{Keys: n.desc.Keys(), PeerID: peerIDFromState, FirstDials: dials, TLS: &tls.Config{
			MinVersion: tls.VersionTLS13, RootCAs: n.ca.pool,
			// Asked for during the handshake: a slow one, counted.
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
				shakes.enter()
				defer shakes.leave()
				time.Sleep(100 * time.Millisecond)
				return &cert, nil
			}}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.CloseIdleConnections)
		cs[i] = c
	}
	sendAll := func() {
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		for _, c := range cs {
			envs := signedEnvelopes(t, n.keys, KindIdentityNotify, hofu, yamaPref, 1)
			wg.Go(func() {
				if _, err := c.Send(t.Context(), yamaPref, n.addr, &Batch{Sender: hofu, Envelopes: envs}); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}
	sendAll()
	if got := shakes.takeMax(); got > slots || got == 0 {
		t.Errorf("%d TLS handshakes in progress at once, want at most %d", got, slots)
	}
	for range slots {
		dials <- struct{}{} // every slot held: only connected clients can send
	}
	done := make(chan struct{})
	go func() { sendAll(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("connected clients waited for a first-connection slot")
	}
	if got := n.inbox.count(); got != 2*clients {
		t.Errorf("the receiver got %d batches, want %d", got, 2*clients)
	}
}

// count is how many envelopes the inbox got.
func (f *fakeInbox) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.got)
}
