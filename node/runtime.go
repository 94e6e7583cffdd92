package node

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
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
	// Logger takes the structured lines of refusals at the network listener;
	// default slog.Default() with the node's ID.
	Logger *slog.Logger
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
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	clientMu sync.Mutex
	clients  map[string]*network.Client
	closed   sync.Once
}

// Start starts the node's listeners and sender. The runtime runs until Close
// (ctx is used only while starting).
func Start(ctx context.Context, cfg Config) (*Runtime, error) {
	const op = "node.Start"
	if cfg.DB == nil || cfg.Credentials == nil || cfg.Description == nil {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "", "DB, Credentials and Description are required")
	}
	id := cfg.DB.Node()
	if cfg.Credentials.NodeID != id {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "credentials", "credentials of node %s for the database of node %s", cfg.Credentials.NodeID, id)
	}
	self, ok := cfg.Description.Node(id)
	if !ok {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "node", "node %s is not in the network description", id)
	}
	if !self.SigningKey.Equal(cfg.Credentials.SigningPublicKey()) {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "signing_key", "the description's signing key of %s is not this node's key", id)
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.RatePerPeer <= 0 {
		cfg.RatePerPeer = 500
	}
	if len(cfg.Handlers) == 0 {
		return nil, jukinet.Errorf("node.Start", jukinet.KindInvalid, "handlers", "node %s has no message handlers", self.ID)
	}
	apply := make(map[network.Kind]network.ApplyFunc, len(cfg.Handlers))
	for k, h := range cfg.Handlers {
		apply[k] = network.ApplyFunc(h)
	}
	r := &Runtime{cfg: cfg, self: self, clients: map[string]*network.Client{}}
	r.inbox = network.NewStoreInbox(cfg.DB, apply)
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default().With("node", id)
	}
	r.refusals = network.NewRefusalLog(cfg.DB, logger, nil)
	sender, err := network.NewSender(network.SenderConfig{
		DB: cfg.DB, SigningKey: cfg.Credentials.SigningKey,
		Addr: func(n string) (string, bool) {
			nd, ok := cfg.Description.Node(n)
			return nd.NetworkAddr, ok && nd.NetworkAddr != ""
		},
		Client: r.client, Batch: cfg.OutboxBatch, Logf: cfg.Logf,
	})
	if err != nil {
		return nil, jukinet.E(op, err)
	}
	srv, err := network.NewServer(network.ServerConfig{
		Self: id, SigningKey: cfg.Credentials.SigningKey, Keys: cfg.Description.Keys(),
		Policy: cfg.Description.Policy(), RelayCheck: cfg.Description.CheckRelay,
		Inbox: network.ContactInbox(r.inbox, sender), PeerID: pki.PeerNodeID, Refusals: r.refusals,
		RatePerSecond: cfg.RatePerPeer, Burst: int(2 * cfg.RatePerPeer),
	})
	if err != nil {
		return nil, jukinet.E(op, err)
	}

	ln := cfg.NetworkListener
	if ln == nil {
		if ln, err = net.Listen("tcp", self.NetworkAddr); err != nil {
			return nil, jukinet.E(op, jukinet.KindUnavailable, jukinet.Field("network_addr"), err)
		}
	}
	var tln net.Listener
	if cfg.Terminal != nil {
		tln = cfg.TerminalListener
		if tln == nil {
			if tln, err = net.Listen("tcp", self.TerminalAddr); err != nil {
				ln.Close()
				return nil, jukinet.E(op, jukinet.KindUnavailable, jukinet.Field("terminal_addr"), err)
			}
		}
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.cancel = cancel
	r.netAddr = ln.Addr()
	// The listener completes each handshake so that a refused one (another
	// CA, no certificate, not TLS) is recorded like every other refusal.
	tlsLn := network.NewTLSListener(ln, cfg.Credentials.ServerTLSConfig(), r.refusals, 10*time.Second)
	r.server = &http.Server{Handler: srv, TLSConfig: tlsLn.TLSConfig(),
		ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext: func(net.Listener) context.Context { return runCtx }}
	r.wg.Add(2)
	go func() {
		defer r.wg.Done()
		r.refusals.Run(runCtx)
	}()
	go func() {
		defer r.wg.Done()
		if err := r.server.Serve(tlsLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			cfg.Logf("node %s: network listener: %v", id, err)
		}
	}()
	if tln != nil {
		r.termAddr = tln.Addr()
		r.terminal = &http.Server{Handler: cfg.Terminal, TLSConfig: cfg.TerminalTLS, ReadHeaderTimeout: 10 * time.Second,
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
				cfg.Logf("node %s: terminal listener: %v", id, err)
			}
		}()
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		if err := sender.Run(runCtx); err != nil {
			cfg.Logf("node %s: outbox sender: %v", id, err)
		}
	}()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.retryParked(runCtx)
	}()
	return r, nil
}

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
		Keys: r.cfg.Description.Keys(), PeerID: pki.PeerNodeID, Timeout: 30 * time.Second})
	if err != nil {
		return nil, err
	}
	r.clients[peer] = c
	return c, nil
}

// ID is the node's ID.
func (r *Runtime) ID() string { return r.self.ID }

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
