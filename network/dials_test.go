package network

import (
	"context"
	"crypto/tls"
	"sync"
	"testing"
	"time"
)

// slowInbox accepts everything after a pause and remembers how many
// deliveries ran at once.
type slowInbox struct {
	mu          sync.Mutex
	active, max int
}

func (s *slowInbox) Deliver(_ context.Context, _ string, envs []*Envelope) ([]Outcome, error) {
	s.mu.Lock()
	s.active++
	s.max = max(s.max, s.active)
	s.mu.Unlock()
	time.Sleep(100 * time.Millisecond)
	s.mu.Lock()
	s.active--
	s.mu.Unlock()
	out := make([]Outcome, len(envs))
	for i := range out {
		out[i] = Outcome{Status: StatusAccepted}
	}
	return out, nil
}

func (s *slowInbox) takeMax() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.max
	s.max = 0
	return m
}

// A node that writes to many peers at once (the national server's start
// asks every CS for its tally) opens at most FirstDials connections at a
// time: a client waits for a slot until its first request is answered.
// Once connected, a client no longer takes one: its later requests go while
// every slot is held.
func TestFirstDialsArePaced(t *testing.T) {
	in := &slowInbox{}
	n := startNode(t, yamaPref, func(c *ServerConfig) { c.Inbox = in })
	const clients, slots = 12, 3
	dials := NewDialLimit(slots)
	cs := make([]*Client, clients)
	for i := range cs {
		c, err := NewClient(ClientConfig{Keys: n.desc.Keys(), PeerID: peerIDFromState, FirstDials: dials, TLS: &tls.Config{
			MinVersion: tls.VersionTLS13, RootCAs: n.ca.pool, Certificates: []tls.Certificate{n.ca.nodeCert(t, hofu)}}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.CloseIdleConnections)
		cs[i] = c
	}
	sendAll := func() {
		t.Helper()
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
			t.Fatal(err)
		}
	}
	sendAll()
	if got := in.takeMax(); got > slots || got == 0 {
		t.Errorf("%d first requests delivered at once, want at most %d", got, slots)
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
	if got := in.takeMax(); got <= slots {
		t.Errorf("connected clients delivered at most %d at once, want more than %d (not paced)", got, slots)
	}
}
