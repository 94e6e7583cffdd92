package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/compliance"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/ops"
	"github.com/jukinet/jukinet/pki"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/web"
)

// nodeFile is node.toml: which node this process is, where its files are
// and where it listens. Every listener has an address of its own.
//
//	node = "352063"               # node ID
//	network = "network.toml"      # the network description (relative to node.toml)
//	data = "/var/lib/jukinet"     # keys: DATA/<node>/ (pki.LoadNode, biometric node key), SQLite: DATA/<node>.db
//	db = ""                       # SQLite file (default DATA/<node>.db)
//	dsn = ""                      # or a PostgreSQL URL (several hosts and target_session_attrs=read-write
//	                              #   for a replicated cluster: see docs/deploy.md)
//	read_dsn = ""                 # PostgreSQL only: a standby for batch lookups (target_session_attrs=prefer-standby)
//	terminal_addr = "10.0.1.1:8443" # the terminal and the admin console (HTTPS, terminal certificates;
//	                              #   default: the description's terminal_addr; none: no terminal)
//	demo = false                  # the demo setting: 仮想リーダー, demo operators, terminals without a certificate
//	agencies = "agencies.toml"    # national only: the agency list (法30条の9, 別表)
//	agency_addr = "0.0.0.0:8443"  # national only: the agency listener (mTLS, agency certificates)
//	ops_addr = "127.0.0.1:9090"   # the ops listener: /metrics, /healthz, /readyz (plain HTTP)
type nodeFile struct {
	Node         string `toml:"node"`
	Network      string `toml:"network"`
	Data         string `toml:"data"`
	DB           string `toml:"db"`
	DSN          string `toml:"dsn"`
	ReadDSN      string `toml:"read_dsn"`
	TerminalAddr string `toml:"terminal_addr"`
	OpsAddr      string `toml:"ops_addr"`
	Demo         bool   `toml:"demo"`
	Agencies     string `toml:"agencies"`
	AgencyAddr   string `toml:"agency_addr"`
}

// runServe: jukinet serve --config node.toml [--db PATH | --dsn URL]
// SIGHUP reloads the CRL, network.toml and agencies.toml (nodeReloader).
func runServe(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	return serveNode(ctx, args, stdout, stderr, hup)
}

// serveNode is runServe reloading on every value of hup; tests send on it
// what SIGHUP sends.
func serveNode(ctx context.Context, args []string, stdout, stderr io.Writer, hup <-chan os.Signal) error {
	fs := newFlags("serve", stderr)
	cfgPath := fs.String("config", "", "node.toml")
	dbPath := fs.String("db", "", "SQLite database (overrides node.toml)")
	dsn := fs.String("dsn", "", "PostgreSQL URL (overrides node.toml)")
	logFormat := fs.String("log-format", "json", "log lines on stderr as json or text")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	logger, err := newLogger(stderr, *logFormat)
	if err != nil {
		return err
	}
	if *cfgPath == "" {
		return usageErr("--config node.toml is required")
	}
	sc, err := loadServeConfig(*cfgPath, *dbPath, *dsn)
	if err != nil {
		return err
	}
	nf, rel, desc, self, creds := sc.nf, sc.rel, sc.desc, sc.self, sc.creds
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := store.Open(ctx, store.Config{Path: rel(nf.DB), DSN: nf.DSN, ReadDSN: nf.ReadDSN, Node: nf.Node})
	if err != nil {
		return err
	}
	defer db.Close()
	logger = logger.With("node", nf.Node)
	// Components that report free text (Logf) get a line each at warning
	// level: they report failures.
	logf := func(f string, a ...any) { logger.Warn(fmt.Sprintf(f, a...)) }
	var agencies *node.Agencies
	if self.Role == network.RoleNational && nf.Agencies != "" {
		if agencies, err = node.LoadAgencies(rel(nf.Agencies)); err != nil {
			return err
		}
	}
	asm, err := node.Assemble(ctx, node.AssemblyConfig{DB: db, Description: desc, SigningKey: creds.SigningKey, Agencies: agencies, Logger: logger})
	if err != nil {
		return err
	}
	national := asm.National
	opsh, err := newOpsHandler(db, creds)
	if err != nil {
		return err
	}
	cfg := node.Config{DB: db, Credentials: creds, Description: desc, Handlers: asm.Handlers, Logf: logf, ObserveDelivery: opsh.ObserveDelivery,
		ObserveInbox: opsh.ObserveInbox, Logger: logger}
	// The compliance report's live checks (G2.4, G2.5, G12.1) look at the
	// running node; the terminal may ask before Start has returned.
	var running atomic.Pointer[node.Runtime]
	if err := sc.terminal(ctx, &cfg, db, asm, &running, logf); err != nil {
		return err
	}
	rt, err := node.Start(ctx, cfg)
	if err != nil {
		if cfg.TerminalListener != nil {
			cfg.TerminalListener.Close()
		}
		return err
	}
	defer rt.Close()
	running.Store(rt)
	opsh.AddListener("network", rt.NetworkAddr())
	defer asm.RunCheckpointer(ctx, logf)()
	defer asm.RunMaintenance(ctx, node.MaintenanceInterval, logf)()
	announceStarted(stdout, logger, rt, opsh, creds, nf.Demo)
	if national != nil && nf.AgencyAddr != "" {
		al, err := startAgencyListener(nf.AgencyAddr, national, creds, logf)
		if err != nil {
			return err
		}
		defer al.Close()
		opsh.AddListener("agency", al.Addr())
		logger.Info("listening", "listener", "agency", "addr", al.Addr())
		fmt.Fprintf(stdout, "agency listener on %s (POST %s)\n", al.Addr(), node.AgencyProvidePath)
	}
	if nf.OpsAddr != "" {
		srv, err := ops.Listen(nf.OpsAddr, opsh)
		if err != nil {
			return err
		}
		defer srv.Close()
		fmt.Fprintf(stdout, "ops http://%s/ (/metrics, /healthz, /readyz)\n", srv.Addr())
		logger.Info("listening", "listener", "ops", "addr", srv.Addr())
	}
	re := &nodeReloader{network: rel(nf.Network), crl: sc.crlPath, creds: creds, rt: rt, national: national}
	if national != nil && nf.Agencies != "" {
		re.agencies = rel(nf.Agencies)
	}
	re.serve(ctx, hup, logger)
	return nil
}

// serveConfig is node.toml read and checked against the network
// description, with the node's credentials and revocation list loaded.
type serveConfig struct {
	nf      nodeFile
	rel     func(string) string // a path of node.toml, relative to its directory
	desc    *network.Description
	self    network.Node
	creds   *pki.NodeCredentials
	crlPath string
}

// loadServeConfig reads node.toml at cfgPath (dbPath and dsn, when given,
// override its database) and refuses what cannot serve: unknown keys, a
// node not in the description, agency settings on a node other than
// national, listeners sharing an address.
func loadServeConfig(cfgPath, dbPath, dsn string) (*serveConfig, error) {
	var nf nodeFile
	md, err := toml.DecodeFile(cfgPath, &nf)
	if err != nil {
		return nil, jukinet.E("serve", jukinet.KindInvalid, jukinet.Field("config"), err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, jukinet.Errorf("serve", jukinet.KindInvalid, und[0].String(), "unknown key in %s", cfgPath)
	}
	if dbPath != "" || dsn != "" {
		nf.DB, nf.DSN = dbPath, dsn
	}
	if nf.Node == "" || nf.Network == "" || nf.Data == "" {
		return nil, jukinet.Errorf("serve", jukinet.KindInvalid, "config", "node, network and data are required in %s", cfgPath)
	}
	base := filepath.Dir(cfgPath)
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(base, p)
	}
	desc, err := loadDescription(rel(nf.Network))
	if err != nil {
		return nil, err
	}
	self, ok := desc.Node(nf.Node)
	if !ok {
		return nil, jukinet.Errorf("serve", jukinet.KindInvalid, "node", "node %s is not in %s", nf.Node, nf.Network)
	}
	if nf.TerminalAddr == "" {
		nf.TerminalAddr = self.TerminalAddr
	}
	if self.Role != network.RoleNational && (nf.Agencies != "" || nf.AgencyAddr != "") {
		return nil, jukinet.Errorf("serve", jukinet.KindInvalid, "agency_addr", "agencies and agency_addr are for the national node only (%s is not it)", nf.Node)
	}
	if err := distinctAddrs([][2]string{{"network_addr", self.NetworkAddr}, {"terminal_addr", nf.TerminalAddr},
		{"ops_addr", nf.OpsAddr}, {"agency_addr", nf.AgencyAddr}}); err != nil {
		return nil, err
	}
	creds, err := pki.LoadNode(rel(nf.Data), nf.Node)
	if err != nil {
		return nil, err
	}
	crlPath := filepath.Join(rel(nf.Data), pki.CRLFile)
	if _, err := creds.Revocations.LoadFile(crlPath); err != nil {
		return nil, err
	}
	if nf.DB == "" && nf.DSN == "" {
		nf.DB = filepath.Join(rel(nf.Data), nf.Node+".db")
	}
	return &serveConfig{nf: nf, rel: rel, desc: desc, self: self, creds: creds, crlPath: crlPath}, nil
}

// terminal sets up the terminal listener in cfg when node.toml names one:
// the counter and admin pages, served with the node's certificate (network
// CA) to terminals presenting certificates of this node's terminals (G2.5,
// G12). The compliance report's live facts read the running node.
func (sc *serveConfig) terminal(ctx context.Context, cfg *node.Config, db *store.DB, asm *node.Assembly, running *atomic.Pointer[node.Runtime], logf func(string, ...any)) error {
	nf, rel := sc.nf, sc.rel
	if nf.TerminalAddr == "" {
		return nil
	}
	live := func() compliance.LiveFacts {
		f := compliance.LiveFacts{KeyDir: keyDir(rel(nf.Data), sc.self.ID)}
		if nf.DSN == "" {
			f.DBPath = rel(nf.DB)
		}
		if rt := running.Load(); rt != nil {
			f.NetworkAddr, f.TerminalAddr = rt.NetworkAddr(), rt.TerminalAddr()
		}
		return f
	}
	h, err := serveTerminal(ctx, nf, rel(nf.Data), db, sc.desc, sc.self, asm, live, logf)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", nf.TerminalAddr)
	if err != nil {
		return jukinet.E("serve", jukinet.KindUnavailable, jukinet.Field("terminal_addr"), err)
	}
	cfg.Terminal, cfg.TerminalListener, cfg.TerminalTLS = h, l, sc.creds.TerminalServerTLSConfig(nf.Demo)
	return nil
}

// newOpsHandler is the node's ops endpoint, which also reports the network
// listener's refusal record, written per minute.
func newOpsHandler(db *store.DB, creds *pki.NodeCredentials) (*ops.Handler, error) {
	return ops.NewHandler(ops.Config{DB: db, Revocations: creds.Revocations, Refusals: func(ctx context.Context) ([]ops.Refusal, error) {
		rc, err := network.Refusals(ctx, db, time.Time{})
		out := make([]ops.Refusal, len(rc))
		for i, c := range rc {
			out[i] = ops.Refusal{Peer: c.Peer, Reason: c.Reason, Count: int64(c.Count)}
		}
		return out, err
	}})
}

// announceStarted says on stdout and in the log that the node runs, and
// where it listens.
func announceStarted(stdout io.Writer, logger *slog.Logger, rt *node.Runtime, opsh *ops.Handler, creds *pki.NodeCredentials, demo bool) {
	fmt.Fprintf(stdout, "node %s (%s) listening on %s\n", rt.ID(), rt.Node().Role, rt.NetworkAddr())
	n, _ := creds.Revocations.Number()
	logger.Info("node started", "role", string(rt.Node().Role), "version", version, "policy", jukinet.PolicyVersion(),
		"crl", fmt.Sprint(n), "revoked", creds.Revocations.Len(), "demo", demo)
	logger.Info("listening", "listener", "network", "addr", rt.NetworkAddr())
	if a := rt.TerminalAddr(); a != "" {
		mode := "terminal certificates required"
		if demo {
			mode = "DEMO: 仮想リーダー, terminals without a certificate admitted"
		}
		opsh.AddListener("terminal", a)
		logger.Info("listening", "listener", "terminal", "addr", a)
		fmt.Fprintf(stdout, "terminal https://%s/ (%s)\n", a, mode)
	}
}

// startAgencyListener serves the agencies (法30条の9) on a port of its own:
// the network listener speaks only the inter-node protocol.
func startAgencyListener(addr string, national *node.National, creds *pki.NodeCredentials, logf func(string, ...any)) (*node.AgencyListener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, jukinet.E("serve", jukinet.KindUnavailable, jukinet.Field("agency_addr"), err)
	}
	al, err := node.StartAgencyListener(node.AgencyListenerConfig{
		AgencyAPIConfig: node.AgencyAPIConfig{National: national, Logf: logf}, Credentials: creds, Listener: l})
	if err != nil {
		l.Close()
		return nil, err
	}
	return al, nil
}

// serve reloads the network description, the CRL and the agencies on each
// SIGHUP until ctx ends; a reload that fails keeps the running
// configuration.
func (re *nodeReloader) serve(ctx context.Context, hup <-chan os.Signal, logger *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if err := re.reload(); err != nil {
				logger.Error("reload refused, the running configuration is kept", "err", err)
				continue
			}
			n, _ := re.creds.Revocations.Number()
			logger.Info("reloaded", "network", re.network, "crl", fmt.Sprint(n), "revoked", re.creds.Revocations.Len(), "agencies", re.agencies)
		}
	}
}

// nodeReloader re-reads what `serve` may change without a restart: the CRL,
// the network description and (national) the agency list. Queues,
// connections and listeners stay; a revoked peer is refused from its next
// handshake or request.
type nodeReloader struct {
	network, crl, agencies string
	creds                  *pki.NodeCredentials
	rt                     *node.Runtime
	national               *node.National
}

// reload applies the CRL first and on its own (a revocation never waits for
// another file to be fixed), then the description and the agency list
// together: a bad one of those changes neither.
func (re *nodeReloader) reload() error {
	if _, err := re.creds.Revocations.LoadFile(re.crl); err != nil {
		return err
	}
	f, err := os.Open(re.network)
	if err != nil {
		return jukinet.E("serve.reload", jukinet.KindNotFound, jukinet.Field("network"), err)
	}
	desc, err := network.LoadDescription(f)
	f.Close()
	if err != nil {
		return err
	}
	var agencies *node.Agencies
	if re.agencies != "" {
		if agencies, err = node.LoadAgencies(re.agencies); err != nil {
			return err
		}
	}
	if err := re.rt.SetDescription(desc); err != nil {
		return err
	}
	if agencies != nil {
		re.national.SetAgencies(agencies)
	}
	return nil
}

// serveTerminal builds the terminal's handler for serve. A deployed node
// (the default) logs operators in with the biometric node key it was given
// and knows each terminal only from its certificate. The demo setting
// (demo = true) creates the key, seeds the demo operators, adds the
// 仮想リーダー and admits a terminal without a certificate as
// demo.TerminalID.
func serveTerminal(ctx context.Context, nf nodeFile, data string, db *store.DB, desc *network.Description, self network.Node,
	asm *node.Assembly, live func() compliance.LiveFacts, logf func(string, ...any)) (http.Handler, error) {
	w := terminalWiring{DB: db, Self: self, Assembly: asm, Demo: nf.Demo, Logf: logf, Live: live,
		TerminalOf: web.TerminalFromCert(self.ID, "")}
	if nf.Demo {
		ts, err := demo.PrepareNodeTerminal(ctx, db, desc, keyDir(data, self.ID))
		if err != nil {
			return nil, err
		}
		w.Auth, w.Log, w.Reader = ts.Auth, ts.Log, ts.Reader
		w.TerminalOf = web.TerminalFromCert(self.ID, demo.TerminalID)
	} else {
		var err error
		if w.Auth, w.Log, err = productionAuth(db, desc, keyDir(data, self.ID)); err != nil {
			return nil, err
		}
	}
	return terminalHandler(w)
}

// distinctAddrs refuses two listeners on one address: the same host:port,
// or the same port where one listens on every interface. Port 0 (any free
// port) never collides.
func distinctAddrs(addrs [][2]string) error {
	type hp struct{ key, host, port string }
	var seen []hp
	for _, a := range addrs {
		if a[1] == "" {
			continue
		}
		host, port, err := net.SplitHostPort(a[1])
		if n, perr := strconv.ParseUint(port, 10, 16); err == nil && (perr != nil || n == 0 && port != "0") {
			err = fmt.Errorf("the port must be a number from 0 to 65535")
		}
		if err != nil {
			return jukinet.Errorf("serve", jukinet.KindInvalid, a[0], "%s %q is not host:port: %v", a[0], a[1], err)
		}
		if port == "0" {
			continue
		}
		wildcard := func(h string) bool { ip := net.ParseIP(h); return h == "" || ip != nil && ip.IsUnspecified() }
		for _, s := range seen {
			if s.port == port && (s.host == host || wildcard(s.host) || wildcard(host)) {
				return jukinet.Errorf("serve", jukinet.KindInvalid, a[0], "%s %s is also %s's address: every listener needs an address of its own", a[0], a[1], s.key)
			}
		}
		seen = append(seen, hp{a[0], host, port})
	}
	return nil
}

// loadDescription reads the network description (network.toml).
func loadDescription(path string) (*network.Description, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, jukinet.E("network.toml", jukinet.KindNotFound, jukinet.Field("network"), err)
	}
	defer f.Close()
	return network.LoadDescription(f)
}

// newLogger returns the slog logger of a command: JSON lines (serve's
// default: log collectors parse them) or text (the CLI's). Lines never hold
// personal data: components log node IDs, kinds, reasons and sizes.
func newLogger(w io.Writer, format string) (*slog.Logger, error) {
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	}
	return nil, usageErr("--log-format must be json or text, not %q", format)
}
