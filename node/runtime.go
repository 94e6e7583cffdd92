package node

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/pki"
	"github.com/jukinet/jukinet/store"
)

// Config says what one node runtime hosts. DB, Credentials and Description
// are required.
type Config struct {
	DB          *store.DB
	Credentials *pki.NodeCredentials
	Description *network.Description
	// Handlers of the kinds this node accepts (Municipality.Handlers,
	// Prefecture.Handlers or National.Handlers); required.
	Handlers Handlers
	// NetworkListener is the plain TCP listener of the network listener; nil
	// means listen on the description's network_addr. The runtime adds TLS.
	NetworkListener net.Listener
	// Terminal serves the terminal listener (統合端末, the web issue) on a
	// separate port; nil means no terminal listener.
	Terminal         http.Handler
	TerminalListener net.Listener // nil means listen on the description's terminal_addr
	TerminalTLS      *tls.Config  // nil means plain HTTP (for a local reverse proxy)

	OutboxBatch int                              // messages per request; default network.DefaultOutboxBatch
	RatePerPeer float64                          // requests per second per peer; default 500
	Logf        func(format string, args ...any) // diagnostics; default discards
	// Logger takes the structured lines of refusals at the network listener
	// and of requests slower than SlowRequest (default slog.Default() with
	// the node's ID); if set, also the sender's delivery failures (peer,
	// reason) instead of Logf.
	Logger      *slog.Logger
	SlowRequest time.Duration // default 2 s
	// ObserveDelivery, if set, gets each settled outbox batch's delivery
	// latency (network.SenderConfig.Observe; the ops metrics).
	ObserveDelivery func(dest string, messages int, took time.Duration)
	// ObserveInbox, if set, gets each committed received batch and its
	// outcomes (network.StoreInbox.Observe; the ops metrics).
	ObserveInbox func(envs []*network.Envelope, outcomes []network.Outcome)
}

// Runtime hosts ONE node: its database, credentials, network listener
// (mutual TLS 1.3, POST /v1/batch), its inbox and its outbox sender. Close
// stops everything and waits for its goroutines. It does not close the DB.
type Runtime struct {
	cfg      Config
	self     network.Node
	server   *http.Server
	terminal *http.Server
	netAddr  net.Addr
	termAddr net.Addr
	inbox    *network.StoreInbox
	refusals *network.RefusalLog
	tlsLn    *network.TLSListener
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	clientMu sync.Mutex
	clients  map[string]*network.Client
	dials    network.DialLimit // the clients' first connections in progress
	closed   sync.Once
	desc     atomic.Pointer[liveDescription] // SetDescription swaps it
}

// liveDescription is the network description the listener and sender use
// now, with the firewall policy computed from it once.
type liveDescription struct {
	d      *network.Description
	policy *network.Policy
}

// Start starts the node's listeners and sender. The runtime runs until Close
// (ctx is used only while starting).
func Start(ctx context.Context, cfg Config) (*Runtime, error) {
	const op = "node.Start"
	self, err := checkConfig(&cfg)
	if err != nil {
		return nil, err
	}
	id := self.ID
	apply := make(map[network.Kind]network.ApplyFunc, len(cfg.Handlers))
	for k, h := range cfg.Handlers {
		apply[k] = network.ApplyFunc(h)
	}
	r := &Runtime{cfg: cfg, self: self, clients: map[string]*network.Client{}, dials: network.NewDialLimit(0)}
	r.desc.Store(&liveDescription{d: cfg.Description, policy: cfg.Description.Policy()})
	r.inbox = network.NewStoreInbox(cfg.DB, apply)
	r.inbox.AuthorizeKey = KeyAuthorizer(cfg.Description, id)
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default().With("node", id)
	}
	r.refusals = network.NewRefusalLog(cfg.DB, logger, nil)
	if cfg.ObserveInbox != nil {
		r.inbox.Observe(cfg.ObserveInbox)
	}
	sender, srv, err := r.senderAndServer()
	if err != nil {
		return nil, jukinet.E(op, err)
	}
	ln, tln, err := listeners(cfg, self)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.cancel = cancel
	r.serveNetwork(runCtx, ln, srv, logger)
	if tln != nil {
		r.serveTerminal(runCtx, tln)
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		// The label goes to every goroutine the sender starts (its
		// destinations', their recordings, the client connections they
		// dial): a CPU profile splits delivery into sending and receiving.
		pprof.Do(runCtx, pprof.Labels("delivery", "send"), func(ctx context.Context) {
			if err := sender.Run(ctx); err != nil {
				cfg.Logf("node %s: outbox sender: %v", id, err)
			}
		})
	}()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.retryParked(runCtx)
	}()
	return r, nil
}

// checkConfig checks that cfg's database, credentials and description name
// one node with one signing key and that it has handlers, fills in the
// defaults, and returns the node as the description has it.
func checkConfig(cfg *Config) (network.Node, error) {
	const op = "node.Start"
	if cfg.DB == nil || cfg.Credentials == nil || cfg.Description == nil {
		return network.Node{}, jukinet.Errorf(op, jukinet.KindInvalid, "", "DB, Credentials and Description are required")
	}
	id := cfg.DB.Node()
	if cfg.Credentials.NodeID != id {
		return network.Node{}, jukinet.Errorf(op, jukinet.KindInvalid, "credentials", "credentials of node %s for the database of node %s", cfg.Credentials.NodeID, id)
	}
	self, ok := cfg.Description.Node(id)
	if !ok {
		return network.Node{}, jukinet.Errorf(op, jukinet.KindInvalid, "node", "node %s is not in the network description", id)
	}
	if !self.SigningKey.Equal(cfg.Credentials.SigningPublicKey()) {
		return network.Node{}, jukinet.Errorf(op, jukinet.KindInvalid, "signing_key", "the description's signing key of %s is not this node's key", id)
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.RatePerPeer <= 0 {
		cfg.RatePerPeer = 500
	}
	if cfg.SlowRequest <= 0 {
		cfg.SlowRequest = 2 * time.Second
	}
	if len(cfg.Handlers) == 0 {
		return network.Node{}, jukinet.Errorf("node.Start", jukinet.KindInvalid, "handlers", "node %s has no message handlers", self.ID)
	}
	return self, nil
}

// senderAndServer builds the outbox sender, which finds peers through the
// live description, and the network server in front of the inbox; a batch
// from a peer ends the sender's wait for that peer (ContactInbox).
func (r *Runtime) senderAndServer() (*network.Sender, *network.Server, error) {
	cfg := r.cfg
	sender, err := network.NewSender(network.SenderConfig{
		DB: cfg.DB, SigningKey: cfg.Credentials.SigningKey,
		Addr: func(n string) (string, bool) {
			nd, ok := r.desc.Load().d.Node(n)
			return nd.NetworkAddr, ok && nd.NetworkAddr != ""
		},
		Client: r.client, Batch: cfg.OutboxBatch, Logf: cfg.Logf, Observe: cfg.ObserveDelivery, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, nil, err
	}
	srv, err := network.NewServer(network.ServerConfig{
		Self: r.self.ID, SigningKey: cfg.Credentials.SigningKey, Keys: r.keys,
		Policy: runtimePolicy{r}, RelayCheck: func(relayer, origin string) error { return r.desc.Load().d.CheckRelay(relayer, origin) },
		Inbox: network.ContactInbox(r.inbox, sender), PeerID: cfg.Credentials.PeerNodeID, Refusals: r.refusals, // PeerNodeID refuses revoked certificates per request
		RatePerSecond: cfg.RatePerPeer, Burst: int(2 * cfg.RatePerPeer),
	})
	if err != nil {
		return nil, nil, err
	}
	return sender, srv, nil
}

// listeners returns the network listener and, when the node serves
// terminals, the terminal listener: those cfg gives, or new ones on the
// description's addresses.
func listeners(cfg Config, self network.Node) (ln, tln net.Listener, err error) {
	const op = "node.Start"
	ln = cfg.NetworkListener
	if ln == nil {
		if ln, err = net.Listen("tcp", self.NetworkAddr); err != nil {
			return nil, nil, jukinet.E(op, jukinet.KindUnavailable, jukinet.Field("network_addr"), err)
		}
	}
	if cfg.Terminal == nil {
		return ln, nil, nil
	}
	tln = cfg.TerminalListener
	if tln == nil {
		if tln, err = net.Listen("tcp", self.TerminalAddr); err != nil {
			ln.Close()
			return nil, nil, jukinet.E(op, jukinet.KindUnavailable, jukinet.Field("terminal_addr"), err)
		}
	}
	return ln, tln, nil
}

// serveNetwork serves the inter-node protocol on ln, and records refusals.
// The listener completes each handshake so that a refused one (another CA,
// no certificate, not TLS) is recorded like every other refusal. Threat
// model (c): a slow or idle client holds a connection for a bounded time;
// headers are small. The transport bounds bodies.
func (r *Runtime) serveNetwork(runCtx context.Context, ln net.Listener, srv *network.Server, logger *slog.Logger) {
	cfg := r.cfg
	r.netAddr = ln.Addr()
	tlsLn := network.NewTLSListener(ln, cfg.Credentials.ServerTLSConfig(), r.refusals, 10*time.Second)
	r.tlsLn = tlsLn
	r.server = &http.Server{Handler: srv, TLSConfig: tlsLn.TLSConfig(),
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute, WriteTimeout: 2 * time.Minute,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10, HTTP2: network.HTTP2Config(),
		ErrorLog:    slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext: func(net.Listener) context.Context { return runCtx }}
	r.server.Handler = logSlow(logger, "network", cfg.SlowRequest, srv)
	r.wg.Add(2)
	go func() {
		defer r.wg.Done()
		r.refusals.Run(runCtx)
	}()
	go func() {
		defer r.wg.Done()
		// Inherited by each connection's goroutines: handshake, requests, inbox.
		pprof.Do(runCtx, pprof.Labels("delivery", "receive"), func(context.Context) {
			if err := r.server.Serve(tlsLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				cfg.Logf("node %s: network listener: %v", r.self.ID, err)
			}
		})
	}()
}

// serveTerminal serves the terminals on tln. Its limits are web's
// (web.ServerLimits, which node cannot import): the same values.
func (r *Runtime) serveTerminal(runCtx context.Context, tln net.Listener) {
	cfg := r.cfg
	r.termAddr = tln.Addr()
	r.terminal = &http.Server{Handler: cfg.Terminal, TLSConfig: cfg.TerminalTLS,
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 2 * time.Minute,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10,
		BaseContext: func(net.Listener) context.Context { return runCtx }}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		var err error
		if cfg.TerminalTLS != nil {
			err = r.terminal.ServeTLS(tln, "", "")
		} else {
			err = r.terminal.Serve(tln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			cfg.Logf("node %s: terminal listener: %v", r.self.ID, err)
		}
	}()
}

// logSlow logs requests slower than limit: listener, path, status and
// duration (no query string, no body, no peer certificate detail).
func logSlow(l *slog.Logger, listener string, limit time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, req)
		if took := time.Since(start); took > limit {
			l.Warn("slow request", "listener", listener, "method", req.Method, "path", req.URL.Path, "status", sw.status,
				"took", took.Round(time.Millisecond).String(), "remote", req.RemoteAddr)
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// keys looks signing keys up in the current description.
func (r *Runtime) keys(id string) (ed25519.PublicKey, bool) {
	n, ok := r.desc.Load().d.Node(id)
	return n.SigningKey, ok
}

// runtimePolicy is the firewall policy of the current description.
type runtimePolicy struct{ r *Runtime }

func (p runtimePolicy) Allow(from, to string, kind network.Kind) error {
	return p.r.desc.Load().policy.Allow(from, to, kind)
}

// SetDescription makes the listener and the sender use d from their next
// request on (`jukinet serve` on SIGHUP): peers' addresses, signing keys and
// accept rules. Queues and connections are kept. This node must keep its
// role and signing key. The message handlers and the log witness keep the
// description they were assembled with: a change of role, prefecture or
// witness needs a restart.
// Errors: KindInvalid when d does not hold this node as it is.
func (r *Runtime) SetDescription(d *network.Description) error {
	const op = "node.Runtime.SetDescription"
	self, ok := d.Node(r.self.ID)
	switch {
	case !ok:
		return jukinet.Errorf(op, jukinet.KindInvalid, "node", "node %s is not in the new network description", r.self.ID)
	case self.Role != r.self.Role || self.Prefecture != r.self.Prefecture:
		return jukinet.Errorf(op, jukinet.KindInvalid, "kind", "node %s changes role or prefecture in the new description; restart to apply that", r.self.ID)
	case !self.SigningKey.Equal(r.cfg.Credentials.SigningPublicKey()):
		return jukinet.Errorf(op, jukinet.KindInvalid, "signing_key", "the new description's signing key of %s is not this node's key", r.self.ID)
	}
	r.desc.Store(&liveDescription{d: d, policy: d.Policy()})
	return nil
}

// Description is the network description in use.
func (r *Runtime) Description() *network.Description { return r.desc.Load().d }

// RetryParkedInterval is how often a runtime retries the parked envelopes
// whose handler failed when their turn came (network.StoreInbox.RetryParked).
const RetryParkedInterval = 30 * time.Second

func (r *Runtime) retryParked(ctx context.Context) {
	t := time.NewTicker(RetryParkedInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := r.inbox.RetryParked(ctx); err != nil && ctx.Err() == nil {
			r.cfg.Logf("node %s: retrying parked messages: %v", r.self.ID, err)
		} else if n > 0 {
			r.cfg.Logf("node %s: %d parked message(s) settled on retry", r.self.ID, n)
		}
	}
}

// client returns the (cached) client that reaches peer.
func (r *Runtime) client(peer string) (*network.Client, error) {
	r.clientMu.Lock()
	defer r.clientMu.Unlock()
	if c, ok := r.clients[peer]; ok {
		return c, nil
	}
	c, err := network.NewClient(network.ClientConfig{TLS: r.cfg.Credentials.ClientTLSConfig(peer),
		Keys: r.keys, PeerID: r.cfg.Credentials.PeerNodeID, Timeout: 30 * time.Second, FirstDials: r.dials})
	if err != nil {
		return nil, err
	}
	r.clients[peer] = c
	return c, nil
}

// ID is the node's ID.
func (r *Runtime) ID() string { return r.self.ID }

// Handshakes is how many TLS handshakes the network listener completed
// since the start: full ones and resumed ones (pki.NodeCredentials.Sessions).
func (r *Runtime) Handshakes() (full, resumed int64) { return r.tlsLn.Handshakes() }

// Refusals is the record of refusals at the network listener; its Counts
// are the figures by peer and reason since the start.
func (r *Runtime) Refusals() *network.RefusalLog { return r.refusals }

// Node is the node's entry in the network description.
func (r *Runtime) Node() network.Node { return r.self }

// DB is the node's database.
func (r *Runtime) DB() *store.DB { return r.cfg.DB }

// NetworkAddr is the address the network listener listens on.
func (r *Runtime) NetworkAddr() string { return r.netAddr.String() }

// TerminalAddr is the terminal listener's address, "" without one.
func (r *Runtime) TerminalAddr() string {
	if r.termAddr == nil {
		return ""
	}
	return r.termAddr.String()
}

// Close stops the listeners (open connections are cut, not drained) and the
// sender, and waits for every goroutine. Messages in flight stay in the
// outbox: the transactional outbox makes an abrupt stop safe.
func (r *Runtime) Close() error {
	var err error
	r.closed.Do(func() {
		r.cancel()
		err = r.server.Close()
		if r.terminal != nil {
			if e := r.terminal.Close(); err == nil {
				err = e
			}
		}
		r.wg.Wait()
		r.clientMu.Lock()
		for _, c := range r.clients {
			c.CloseIdleConnections()
		}
		r.clientMu.Unlock()
	})
	return err
}
