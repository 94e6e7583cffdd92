package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/ops"
	"github.com/jukinet/jukinet/pki"
	"github.com/jukinet/jukinet/store"
)

// nodeFile is node.toml: which node this process is and where its files are.
//
//	node = "352063"               # node ID
//	network = "network.toml"      # the network description (relative to node.toml)
//	data = "/var/lib/jukinet"     # keys: DATA/<node>/ (pki.LoadNode), SQLite: DATA/<node>.db
//	db = ""                       # SQLite file (default DATA/<node>.db)
//	dsn = ""                      # or a PostgreSQL URL
//	agencies = "agencies.toml"    # national only: the agency list (法30条の9, 別表)
//	agency_addr = "0.0.0.0:8443"  # national only: the agency listener (mTLS, agency certificates)
//	ops_addr = "127.0.0.1:9090"   # the ops listener: /metrics, /healthz, /readyz (plain HTTP)
type nodeFile struct {
	Node       string `toml:"node"`
	Network    string `toml:"network"`
	Data       string `toml:"data"`
	DB         string `toml:"db"`
	DSN        string `toml:"dsn"`
	Agencies   string `toml:"agencies"`
	AgencyAddr string `toml:"agency_addr"`
	OpsAddr    string `toml:"ops_addr"`
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
	var nf nodeFile
	md, err := toml.DecodeFile(*cfgPath, &nf)
	if err != nil {
		return jukinet.E("serve", jukinet.KindInvalid, jukinet.Field("config"), err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return jukinet.Errorf("serve", jukinet.KindInvalid, und[0].String(), "unknown key in %s", *cfgPath)
	}
	if *dbPath != "" || *dsn != "" {
		nf.DB, nf.DSN = *dbPath, *dsn
	}
	if nf.Node == "" || nf.Network == "" || nf.Data == "" {
		return jukinet.Errorf("serve", jukinet.KindInvalid, "config", "node, network and data are required in %s", *cfgPath)
	}
	base := filepath.Dir(*cfgPath)
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(base, p)
	}
	f, err := os.Open(rel(nf.Network))
	if err != nil {
		return jukinet.E("serve", jukinet.KindNotFound, jukinet.Field("network"), err)
	}
	desc, err := network.LoadDescription(f)
	f.Close()
	if err != nil {
		return err
	}
	creds, err := pki.LoadNode(rel(nf.Data), nf.Node)
	if err != nil {
		return err
	}
	crlPath := filepath.Join(rel(nf.Data), pki.CRLFile)
	if _, err := creds.Revocations.LoadFile(crlPath); err != nil {
		return err
	}
	if nf.DB == "" && nf.DSN == "" {
		nf.DB = filepath.Join(rel(nf.Data), nf.Node+".db")
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := store.Open(ctx, store.Config{Path: rel(nf.DB), DSN: nf.DSN, Node: nf.Node})
	if err != nil {
		return err
	}
	defer db.Close()
	logger = logger.With("node", nf.Node)
	// Components that report free text (Logf) get a line each at warning
	// level: they report failures.
	logf := func(f string, a ...any) { logger.Warn(fmt.Sprintf(f, a...)) }
	self, ok := desc.Node(nf.Node)
	if !ok {
		return jukinet.Errorf("serve", jukinet.KindInvalid, "node", "node %s is not in %s", nf.Node, nf.Network)
	}
	var agencies *node.Agencies
	if self.Role == network.RoleNational {
		if nf.Agencies != "" {
			if agencies, err = node.LoadAgencies(rel(nf.Agencies)); err != nil {
				return err
			}
		}
	} else if nf.Agencies != "" || nf.AgencyAddr != "" {
		return jukinet.Errorf("serve", jukinet.KindInvalid, "agency_addr", "agencies and agency_addr are for the national node only (%s is not it)", nf.Node)
	}
	asm, err := node.Assemble(ctx, node.AssemblyConfig{DB: db, Description: desc, SigningKey: creds.SigningKey, Agencies: agencies, Logger: logger})
	if err != nil {
		return err
	}
	national := asm.National
	opsh, err := ops.NewHandler(ops.Config{DB: db, Revocations: creds.Revocations, Refusals: func(ctx context.Context) ([]ops.Refusal, error) {
		// The network listener's refusal record, written per minute.
		rc, err := network.Refusals(ctx, db, time.Time{})
		out := make([]ops.Refusal, len(rc))
		for i, c := range rc {
			out[i] = ops.Refusal{Peer: c.Peer, Reason: c.Reason, Count: int64(c.Count)}
		}
		return out, err
	}})
	if err != nil {
		return err
	}
	cfg := node.Config{DB: db, Credentials: creds, Description: desc, Handlers: asm.Handlers, Logf: logf, ObserveDelivery: opsh.ObserveDelivery,
		ObserveInbox: opsh.ObserveInbox, Logger: logger}
	rt, err := node.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer rt.Close()
	opsh.AddListener("network", rt.NetworkAddr())
	defer asm.RunCheckpointer(ctx, logf)()
	fmt.Fprintf(stdout, "node %s (%s) listening on %s\n", rt.ID(), rt.Node().Role, rt.NetworkAddr())
	n, _ := creds.Revocations.Number()
	logger.Info("node started", "role", string(rt.Node().Role), "version", version, "policy", jukinet.PolicyVersion(),
		"crl", fmt.Sprint(n), "revoked", creds.Revocations.Len())
	logger.Info("listening", "listener", "network", "addr", rt.NetworkAddr())
	if national != nil && nf.AgencyAddr != "" {
		// A port of its own: the network listener speaks only the inter-node protocol.
		l, err := net.Listen("tcp", nf.AgencyAddr)
		if err != nil {
			return jukinet.E("serve", jukinet.KindUnavailable, jukinet.Field("agency_addr"), err)
		}
		al, err := node.StartAgencyListener(node.AgencyListenerConfig{
			AgencyAPIConfig: node.AgencyAPIConfig{National: national, Logf: logf}, Credentials: creds, Listener: l})
		if err != nil {
			l.Close()
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
		fmt.Fprintf(stdout, "ops listener on %s (/metrics, /healthz, /readyz)\n", srv.Addr())
		logger.Info("listening", "listener", "ops", "addr", srv.Addr())
	}
	re := &nodeReloader{network: rel(nf.Network), crl: crlPath, creds: creds, rt: rt, national: national}
	if national != nil && nf.Agencies != "" {
		re.agencies = rel(nf.Agencies)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-hup:
			if err := re.reload(); err != nil {
				logger.Error("reload refused, the running configuration is kept", "err", err)
				continue
			}
			n, _ := creds.Revocations.Number()
			logger.Info("reloaded", "network", re.network, "crl", fmt.Sprint(n), "revoked", creds.Revocations.Len(), "agencies", re.agencies)
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
