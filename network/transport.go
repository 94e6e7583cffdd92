package network

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/jukinet/jukinet"
)

// BatchPath is the URL path a node's network listener serves batches on.
const BatchPath = "/v1/batch"

// ReasonHeader carries the reason code of a refused request (not of an envelope).
const ReasonHeader = "Jukinet-Reason"

// contentType is the media type of batches and receipt lists.
const contentType = "application/vnd.jukinet.batch"

// MaxFrameBytes is the largest HTTP/2 frame a node's listener reads (and so
// the largest a client writes to it): the protocol's minimum. Each end of a
// connection keeps a buffer as large as the largest frame it carried for as
// long as the connection is open, and at HTTP/2's default of 1 MiB one batch
// of a few hundred envelopes left ≈ 0.6 MB at each end. A TLS record holds
// 16 KiB, so larger frames save nothing on the wire.
const MaxFrameBytes = 16 << 10

// HeaderTableBytes bounds each HPACK dynamic table of a connection (both
// ends encode and decode: four tables). A request carries a few short
// headers, but content-length and date differ on almost every one, so the
// default 4 KiB tables fill with values never used again: ≈ 30 KB a
// connection once it has carried some tens of requests. Without them a
// request's headers are sent literally, ≈ 150 bytes.
const HeaderTableBytes = 256

// HTTP2Config is the HTTP/2 configuration of both ends of a connection:
// the client's transport and the node's listener (http.Server.HTTP2).
func HTTP2Config() *http.HTTP2Config {
	return &http.HTTP2Config{MaxReadFrameSize: MaxFrameBytes,
		MaxDecoderHeaderTableSize: HeaderTableBytes, MaxEncoderHeaderTableSize: HeaderTableBytes}
}

// Inbox takes the envelopes that passed the transport's checks. The store
// deduplicates by message ID and applies them in one transaction, answering
// one Outcome per envelope in order. An error means nothing was applied
// (the sender retries the whole request).
type Inbox interface {
	Deliver(ctx context.Context, from string, envs []*Envelope) ([]Outcome, error)
}

// Allower is the firewall policy as the server uses it; *Policy is one.
type Allower interface {
	Allow(from, to string, kind Kind) error
}

// ServerConfig configures a Server. Fields without a stated default are required.
type ServerConfig struct {
	Self       string             // this node's ID: every envelope's To
	SigningKey ed25519.PrivateKey // signs receipts
	Keys       KeyLookup          // verifies envelope signatures
	Policy     Allower            // e.g. Description.Policy()
	// RelayCheck returns nil if relayer may relay a message created by
	// municipality origin (e.g. Description.CheckRelay).
	RelayCheck func(relayer, origin string) error
	Inbox      Inbox
	// PeerID returns the node ID of the TLS client certificate (pki package).
	PeerID func(*tls.ConnectionState) (string, error)

	// Refusals records every refused request and every envelope the
	// transport's checks refuse (nil: not recorded; a node always sets it).
	Refusals *RefusalLog

	MaxRequestBytes int64            // default 16 MiB
	RatePerSecond   float64          // requests per peer per second; default 20
	Burst           int              // default 40
	Now             func() time.Time // default time.Now
}

// Server is the http.Handler of a node's network listener: it checks each
// batch (size, rate, peer identity, sender, firewall policy, signatures,
// relays), delivers what passes to the Inbox and answers signed receipts.
type Server struct {
	cfg  ServerConfig
	mu   sync.Mutex
	rate map[string]*rate.Limiter // per peer node ID
}

// NewServer checks cfg and returns a Server.
func NewServer(cfg ServerConfig) (*Server, error) {
	const op = "network.NewServer"
	switch {
	case !ValidNodeID(cfg.Self):
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "Self", "not a node ID")
	case len(cfg.SigningKey) != ed25519.PrivateKeySize:
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "SigningKey", "not an Ed25519 private key")
	case cfg.Keys == nil || cfg.Policy == nil || cfg.RelayCheck == nil || cfg.Inbox == nil || cfg.PeerID == nil:
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "", "Keys, Policy, RelayCheck, Inbox and PeerID are required")
	}
	if cfg.MaxRequestBytes <= 0 {
		cfg.MaxRequestBytes = 16 << 20
	}
	if cfg.RatePerSecond <= 0 {
		cfg.RatePerSecond = 20
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 40
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Server{cfg: cfg, rate: make(map[string]*rate.Limiter)}, nil
}

// allowRate takes a token from peer's bucket (RatePerSecond, Burst). Peers
// are authenticated nodes of the network, so the map stays as small as the
// network.
func (s *Server) allowRate(peer string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	lim, ok := s.rate[peer]
	if !ok {
		lim = rate.NewLimiter(rate.Limit(s.cfg.RatePerSecond), s.cfg.Burst)
		s.rate[peer] = lim
	}
	return lim.AllowN(now, 1)
}

// refuse answers a refused request and records it: peer is the
// certificate's node ID once known, else the client's address.
func (s *Server) refuse(w http.ResponseWriter, peer string, status int, reason Reason, msg string) {
	s.cfg.Refusals.Refused(peer, reason.String(), msg)
	reply(w, status, reason, msg)
}

// refuseInternal refuses a request the receiver failed to process: which
// operation failed and how (failureSummary, never the message's text) goes
// to the receiver's own refusal log, where its operator looks; the sender
// learns only to retry.
func (s *Server) refuseInternal(w http.ResponseWriter, peer string, err error) {
	s.cfg.Refusals.Refused(peer, ReasonInternal.String(), "the receiver failed: "+failureSummary(err))
	reply(w, http.StatusInternalServerError, ReasonInternal, "the receiver failed; retry later")
}

// reply writes a refusal's status, reason header and text.
func reply(w http.ResponseWriter, status int, reason Reason, msg string) {
	w.Header().Set(ReasonHeader, reason.String())
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "%s: %s\n", reason, msg)
}

// ServeHTTP handles POST /v1/batch.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	addr := hostOf(r.RemoteAddr)
	if r.URL.Path != BatchPath {
		s.cfg.Refusals.Refused(addr, ReasonMalformed.String(), "no such path")
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.refuse(w, addr, http.StatusMethodNotAllowed, ReasonMalformed, "POST only")
		return
	}
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		s.refuse(w, addr, http.StatusUnauthorized, ReasonUnauthorized, "a client certificate is required")
		return
	}
	peer, err := s.cfg.PeerID(r.TLS)
	if err != nil || !ValidNodeID(peer) {
		// A revoked certificate on a connection kept across a reload lands
		// here: say why, so the log names the revocation.
		msg := "the client certificate names no node"
		if err != nil {
			msg = "the client certificate is refused: " + jukinet.UserMessage(err)
		}
		s.refuse(w, "CN="+r.TLS.PeerCertificates[0].Subject.CommonName+" at "+addr, http.StatusUnauthorized, ReasonUnauthorized, msg)
		return
	}
	now := s.cfg.Now()
	if !s.allowRate(peer, now) {
		w.Header().Set("Retry-After", "1")
		s.refuse(w, peer, http.StatusTooManyRequests, ReasonRateLimited, "too many requests from "+peer)
		return
	}
	body, err := readAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxRequestBytes), r.ContentLength, s.cfg.MaxRequestBytes)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			s.refuse(w, peer, http.StatusRequestEntityTooLarge, ReasonTooLarge, fmt.Sprintf("request over %d bytes", s.cfg.MaxRequestBytes))
			return
		}
		s.refuse(w, peer, http.StatusBadRequest, ReasonMalformed, "cannot read the request body")
		return
	}
	batch, err := DecodeBatch(body)
	if err != nil {
		status, reason := http.StatusBadRequest, ReasonMalformed
		if jukinet.ErrorKind(err) == jukinet.KindTooLarge {
			status, reason = http.StatusRequestEntityTooLarge, ReasonTooLarge
		}
		s.refuse(w, peer, status, reason, err.Error())
		return
	}
	if batch.Sender != peer {
		s.refuse(w, peer, http.StatusForbidden, ReasonFromMismatch, fmt.Sprintf("batch sender %s is not the certificate's node %s", batch.Sender, peer))
		return
	}
	receipts, err := s.process(r.Context(), peer, batch, now)
	if err != nil {
		s.refuseInternal(w, peer, err)
		return
	}
	var out []byte
	if len(receipts) > 0 && r.Header.Get(ReceiptBatchHeader) == "1" {
		out, err = EncodeReceiptBatch(s.cfg.SigningKey, s.cfg.Self, receipts)
	} else if err = signReceipts(s.cfg.SigningKey, s.cfg.Self, receipts); err == nil {
		out, err = EncodeReceipts(receipts)
	}
	if err != nil {
		s.refuseInternal(w, peer, err)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Write(out)
}

// process checks every envelope, delivers the ones that pass and returns one
// receipt per envelope, in order (ServeHTTP signs them).
func (s *Server) process(ctx context.Context, peer string, batch *Batch, now time.Time) ([]*Receipt, error) {
	v := NewVerifier(s.cfg.Keys)
	// Relayed messages decoded once; both layers verified batch by batch
	// (Verifier.PrimeEnvelopes), then checked one by one.
	inner := make([]*Envelope, len(batch.Envelopes))
	innerErr := make([]error, len(batch.Envelopes)) // reported by check
	for i, e := range batch.Envelopes {
		if e.Kind == KindIdentityRelay {
			inner[i], innerErr[i] = DecodeEnvelope(e.Body)
		}
	}
	v.PrimeEnvelopes(batch.Envelopes)
	v.PrimeEnvelopes(inner)
	outcomes := make([]Outcome, len(batch.Envelopes))
	var pass []*Envelope
	var passIdx []int
	seen := make(map[[16]byte]bool, len(batch.Envelopes))
	for i, e := range batch.Envelopes {
		if seen[e.ID] {
			outcomes[i] = Outcome{Status: StatusDuplicate, Detail: "repeated within the request"}
			continue
		}
		seen[e.ID] = true
		if err := s.check(v, peer, e, inner[i], innerErr[i]); err != nil {
			outcomes[i] = Outcome{Status: StatusRejected, Reason: ReasonOf(err), Detail: detail(err)}
			s.cfg.Refusals.Refused(peer, ReasonOf(err).String(), outcomes[i].Detail)
			continue
		}
		pass = append(pass, e)
		passIdx = append(passIdx, i)
	}
	if len(pass) > 0 {
		got, err := s.cfg.Inbox.Deliver(ctx, peer, pass)
		if err != nil {
			return nil, err
		}
		if len(got) != len(pass) {
			return nil, jukinet.Errorf("network.Server", jukinet.KindInternal, "", "inbox answered %d outcomes for %d envelopes", len(got), len(pass))
		}
		for j, o := range got {
			outcomes[passIdx[j]] = o
		}
	}
	receipts := make([]*Receipt, len(outcomes))
	for i, o := range outcomes {
		if o.Status == StatusRejected && (o.Reason == ReasonNone || !o.Reason.Valid()) {
			o.Reason = ReasonInternal
		}
		if o.Status != StatusRejected {
			o.Reason = ReasonNone
		}
		if len(o.Detail) > MaxDetailSize || !validUTF8Text(o.Detail) {
			o.Detail = ""
		}
		receipts[i] = &Receipt{MessageID: batch.Envelopes[i].ID, Status: o.Status, Reason: o.Reason,
			Detail: o.Detail, Receiver: s.cfg.Self, Time: now.UnixMicro()}
	}
	return receipts, nil
}

// signReceipts is SignReceipts allowing an empty list.
func signReceipts(key ed25519.PrivateKey, receiver string, rs []*Receipt) error {
	if len(rs) == 0 {
		return nil
	}
	return SignReceipts(key, receiver, rs)
}

// detail is the text of a refusal for the receipt: the error's rule, which
// never holds personal data (bodies are not quoted).
func detail(err error) string {
	d := err.Error()
	if len(d) > MaxDetailSize {
		d = d[:MaxDetailSize]
		for !validUTF8Text(d) && len(d) > 0 {
			d = d[:len(d)-1]
		}
	}
	if !validUTF8Text(d) {
		return ""
	}
	return d
}

// check applies the transport's rules to one envelope from peer; for a
// relay, inner is its decoded body (or innerErr why it does not decode). The
// error carries the reason (ReasonOf).
func (s *Server) check(v *Verifier, peer string, e, inner *Envelope, innerErr error) error {
	const op = "network.Server"
	if e.From != peer {
		return withReason(ReasonFromMismatch, jukinet.Errorf(op, jukinet.KindForbidden, "from", "from %s is not the certificate's node %s", e.From, peer))
	}
	if e.To != s.cfg.Self {
		return withReason(ReasonWrongRecipient, jukinet.Errorf(op, jukinet.KindInvalid, "to", "addressed to %s, not to %s", e.To, s.cfg.Self))
	}
	if err := s.cfg.Policy.Allow(peer, s.cfg.Self, e.Kind); err != nil {
		return err
	}
	if err := v.VerifyEnvelope(e); err != nil {
		return err
	}
	if e.Kind != KindIdentityRelay {
		return nil
	}
	// 法30条の7: the prefecture forwards the municipality's own signed
	// message; check it end to end.
	if innerErr != nil {
		return withReason(ReasonMalformed, jukinet.E(op, jukinet.Field("body"), innerErr))
	}
	if !inner.Kind.Relayable() {
		return withReason(ReasonRelayMismatch, jukinet.Errorf(op, jukinet.KindForbidden, "body.kind", "%s is not relayed", inner.Kind))
	}
	if inner.To != peer {
		return withReason(ReasonRelayMismatch, jukinet.Errorf(op, jukinet.KindForbidden, "body.to", "the relayed message was for %s, not for the relaying node %s", inner.To, peer))
	}
	if err := s.cfg.RelayCheck(peer, inner.From); err != nil {
		if ReasonOf(err) == ReasonInternal {
			err = withReason(ReasonRelayMismatch, err)
		}
		return err
	}
	if err := s.cfg.Policy.Allow(inner.From, inner.To, inner.Kind); err != nil {
		return err
	}
	return v.VerifyEnvelope(inner)
}

// ClientConfig configures a Client.
type ClientConfig struct {
	TLS  *tls.Config // this node's certificate and the network CA
	Keys KeyLookup   // verifies the receivers' receipts
	// PeerID, if set, returns the node ID of the server's certificate; Send
	// then checks it is the peer it meant to reach.
	PeerID  func(*tls.ConnectionState) (string, error)
	Timeout time.Duration // per request; default 30 s
	// FirstDials, if set, paces the first connections of a node's clients:
	// until a client has had a connection, its request holds a slot while
	// it dials and shakes hands, so a node that writes to many peers at
	// once (the national server's start asks every CS) has at most
	// cap(FirstDials) TLS handshakes in progress instead of hundreds, each
	// of which would then take longer than its timeout. One per node,
	// shared by its clients (NewDialLimit).
	FirstDials DialLimit
}

// DialLimit bounds the first connections in progress of the clients that
// share it (ClientConfig.FirstDials).
type DialLimit chan struct{}

// DefaultFirstDials is how many first connections a node opens at once.
const DefaultFirstDials = 16

// NewDialLimit returns a DialLimit of n slots (DefaultFirstDials if n ≤ 0).
func NewDialLimit(n int) DialLimit {
	if n <= 0 {
		n = DefaultFirstDials
	}
	return make(DialLimit, n)
}

// Client sends batches to other nodes, reusing connections (HTTP/2).
type Client struct {
	http      *http.Client
	keys      KeyLookup
	peerID    func(*tls.ConnectionState) (string, error)
	dials     DialLimit
	connected atomic.Bool // a request was answered: the connection is up
}

// NewClient returns a Client. Call CloseIdleConnections when done.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.TLS == nil || cfg.Keys == nil {
		return nil, jukinet.Errorf("network.NewClient", jukinet.KindInvalid, "", "TLS and Keys are required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	tr := &http.Transport{
		TLSClientConfig:     cfg.TLS.Clone(),
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		HTTP2:               HTTP2Config(),
	}
	return &Client{http: &http.Client{Transport: tr, Timeout: cfg.Timeout}, keys: cfg.Keys, peerID: cfg.PeerID, dials: cfg.FirstDials}, nil
}

// do sends req; until the client has had a connection it waits for a slot
// of the node's first connections (ClientConfig.FirstDials), held until
// the connection is up (its handshake done) or the attempt failed — not
// while the peer applies the request.
func (c *Client) do(req *http.Request) (*http.Response, error) {
	if c.dials == nil || c.connected.Load() {
		return c.http.Do(req)
	}
	select {
	case c.dials <- struct{}{}:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	var once sync.Once
	release := func() { once.Do(func() { <-c.dials }) }
	defer release()
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) {
			c.connected.Store(true)
			release()
		}}))
	return c.http.Do(req)
}

// CloseIdleConnections closes the client's idle connections.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// statusKinds maps the HTTP status of a refused request to an error kind.
var statusKinds = map[int]jukinet.Kind{
	http.StatusBadRequest:            jukinet.KindInvalid,
	http.StatusUnauthorized:          jukinet.KindUnauthorized,
	http.StatusForbidden:             jukinet.KindForbidden,
	http.StatusRequestEntityTooLarge: jukinet.KindTooLarge,
	http.StatusTooManyRequests:       jukinet.KindRateLimited,
}

// Send posts batch to peerID at addr (host:port) and returns one verified
// receipt per envelope, in order. Errors: KindUnavailable for network
// failures, 5xx answers and answers that do not verify (retry with Backoff);
// KindRateLimited (retry later); KindTooLarge (split the batch); KindInvalid,
// KindUnauthorized, KindForbidden for a refused request (do not retry as is).
// A refused request's error carries the receiver's reason (ReasonOf).
func (c *Client) Send(ctx context.Context, peerID, addr string, batch *Batch) ([]*Receipt, error) {
	rs, _, err := c.SendBatch(ctx, peerID, addr, batch)
	return rs, err
}

// SendBatch is Send that also returns the receipt list's wire form exactly as
// the peer answered (the sender keeps it as evidence, outbox_receipts).
func (c *Client) SendBatch(ctx context.Context, peerID, addr string, batch *Batch) ([]*Receipt, []byte, error) {
	const op = "network.Client.Send"
	body, err := EncodeBatch(batch)
	if err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+addr+BatchPath, bytes.NewReader(body))
	if err != nil {
		return nil, nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("addr"), err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set(ReceiptBatchHeader, "1")
	resp, err := c.do(req)
	if err != nil {
		return nil, nil, jukinet.E(op, jukinet.KindUnavailable, fmt.Sprintf("cannot reach %s at %s", peerID, addr), err)
	}
	defer resp.Body.Close()
	data, err := readAll(io.LimitReader(resp.Body, 64<<20), resp.ContentLength, 64<<20)
	if err != nil {
		return nil, nil, jukinet.E(op, jukinet.KindUnavailable, fmt.Sprintf("reading the answer of %s", peerID), err)
	}
	if c.peerID != nil {
		if got, err := c.peerID(resp.TLS); err != nil || got != peerID {
			return nil, nil, jukinet.Errorf(op, jukinet.KindUnavailable, "peer", "the server at %s is not node %s", addr, peerID)
		}
	}
	if resp.StatusCode != http.StatusOK {
		kind, ok := statusKinds[resp.StatusCode]
		if !ok {
			kind = jukinet.KindUnavailable
		}
		reason, _ := ParseReason(resp.Header.Get(ReasonHeader))
		return nil, nil, withReason(reason, jukinet.Errorf(op, kind, "", "%s refused the batch: %s (HTTP %d)", peerID, reason, resp.StatusCode))
	}
	rs, err := DecodeReceiptAnswer(data)
	if err != nil {
		return nil, nil, jukinet.E(op, jukinet.KindUnavailable, fmt.Sprintf("%s answered malformed receipts", peerID), err)
	}
	if len(rs) != len(batch.Envelopes) {
		return nil, nil, jukinet.Errorf(op, jukinet.KindUnavailable, "receipts", "%s answered %d receipts for %d envelopes", peerID, len(rs), len(batch.Envelopes))
	}
	for i, r := range rs {
		if r.MessageID != batch.Envelopes[i].ID || r.Receiver != peerID {
			return nil, nil, jukinet.Errorf(op, jukinet.KindUnavailable, fmt.Sprintf("receipts[%d]", i), "receipt is not %s's for envelope %d", peerID, i)
		}
	}
	if err := VerifyReceipts(rs, c.keys); err != nil {
		return nil, nil, jukinet.E(op, jukinet.KindUnavailable, fmt.Sprintf("receipts of %s do not verify", peerID), err)
	}
	return rs, data, nil
}

// Backoff bounds for Backoff.
const (
	BackoffBase = 500 * time.Millisecond
	BackoffMax  = 5 * time.Minute
)

// Backoff returns how long to wait before retry number attempt (0 = the
// first retry): exponential with full jitter, uniform in [0, min(BackoffMax,
// BackoffBase·2^attempt)], so senders that failed together do not retry together.
func Backoff(attempt int, rnd *rand.Rand) time.Duration {
	ceiling := BackoffMax
	if attempt >= 0 && attempt < 30 {
		ceiling = min(BackoffMax, BackoffBase<<attempt)
	} else if attempt < 0 {
		ceiling = BackoffBase
	}
	return time.Duration(rnd.Int64N(int64(ceiling) + 1))
}

// readAll is io.ReadAll that grows its buffer towards the announced length
// (capped at max): batches and receipt lists are megabytes, and growing by
// small steps was the largest allocation of a hop. It never allocates more
// than twice what has arrived (plus the first step), so a peer announcing a
// large body and sending nothing cannot make it allocate.
func readAll(r io.Reader, length, max int64) ([]byte, error) {
	if length <= 0 || length > max {
		return io.ReadAll(r)
	}
	const first = 256 << 10
	b := make([]byte, 0, min(length+1, first)) // +1: EOF is seen without growing
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			// Double, up to the announced length; beyond it (a body longer
			// than announced) as append grows.
			next := min(2*int64(cap(b)), length+1)
			if next <= int64(cap(b)) {
				b = append(b, 0)[:len(b)]
				continue
			}
			grown := make([]byte, len(b), next)
			copy(grown, b)
			b = grown
		}
	}
}
