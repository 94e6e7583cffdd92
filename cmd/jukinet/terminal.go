package main

import (
	"context"
	"net/http"
	"path/filepath"
	"sync"

	"golang.org/x/mod/sumdb/note"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/access"
	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/compliance"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/governance"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/web"
)

// terminalWiring is what one node's terminal (統合端末, G2.5) and admin
// console are built on. `jukinet serve` and the in-process `jukinet demo`
// build it the same way; only the demo setting adds the 仮想リーダー.
type terminalWiring struct {
	DB       *store.DB
	Self     network.Node
	Assembly *node.Assembly
	Auth     *access.Service
	Log      oplog.Verifier
	// TerminalOf names the terminal of a request (web.TerminalFromCert).
	TerminalOf func(*http.Request) string
	// Live gives the compliance report's live checks the node's facts
	// (key directory, database file, listeners); nil: not checked.
	Live   func() compliance.LiveFacts
	Demo   bool
	Reader *biometric.SyntheticReader // demo only: the 仮想リーダー
	Logf   func(string, ...any)
}

// terminalHandler is the terminal listener's handler: the counter on a
// municipality's CS, the self-disclosure on the national server's, the
// admin console on every node's.
func terminalHandler(w terminalWiring) (http.Handler, error) {
	cfg := web.Config{TerminalOf: w.TerminalOf, Title: w.Self.Name, Auth: w.Auth, Operators: w.Auth,
		Admin: web.NewAdminVerified(w.DB, w.Log), Demo: w.Demo, Logf: w.Logf}
	if w.Live != nil {
		cfg.Admin = web.NewAdminLive(w.DB, w.Log, w.Live)
	}
	switch w.Self.Role {
	case network.RoleMunicipality:
		if m := w.Assembly.Municipality; m != nil {
			cfg.Counter, cfg.Flows = m.Register(), web.NewFlows(m)
			if w.Demo {
				cfg.Cards = demo.Cards() // the demo's virtual card reader
			}
		}
		cfg.Gov = governance.New(w.DB)
	case network.RoleNational:
		if w.Assembly.National != nil {
			cfg.National = w.Assembly.National
		}
	}
	h, err := web.New(cfg)
	if err != nil || !w.Demo || w.Reader == nil {
		return h, err
	}
	return demo.VirtualReader(h, w.Reader), nil
}

// productionAuth is operator login on a deployed node: the biometric node
// key under keyDir (`jukinet access node-key init`), never created here, and
// the verifier of the node's operation log.
func productionAuth(db *store.DB, desc *network.Description, keyDir string) (*access.Service, oplog.Verifier, error) {
	ring, err := access.LoadNodeKeys(keyDir)
	if err != nil {
		return nil, oplog.Verifier{}, jukinet.E("serve", jukinet.Field("node_key"),
			"the biometric node key is missing: run jukinet access node-key init --keys "+keyDir, err)
	}
	auth, err := access.New(db, ring, access.Options{})
	if err != nil {
		return nil, oplog.Verifier{}, err
	}
	v, err := logVerifier(desc, db.Node())
	return auth, v, err
}

// logVerifier verifies the node's operation log: its checkpoints are signed
// with the node's signing key and cosigned by its witness on the network.
func logVerifier(desc *network.Description, id string) (oplog.Verifier, error) {
	logV, witV, err := node.LogVerifiers(desc, node.DefaultLogDomain, id)
	if err != nil {
		return oplog.Verifier{}, err
	}
	return oplog.Verifier{Origin: oplog.Origin(node.DefaultLogDomain, id), Log: logV, Witnesses: []note.Verifier{witV}}, nil
}

// demoTerminals is the in-process demo network's terminal hook
// (demo.NetworkConfig.Terminal): every node's terminal with the 仮想リーダー,
// the demo operators and a self-signed certificate, terminal demo.Terminal
// without a client certificate. operators receives each node's demo
// operators (to print them) and may be nil.
func demoTerminals(operators func(id string, ops []demo.Operator)) func(context.Context, *demo.Network, demo.NodeSpec) (*demo.Terminal, error) {
	var mu sync.Mutex // the hook runs again when a node restarts
	return func(ctx context.Context, n *demo.Network, spec demo.NodeSpec) (*demo.Terminal, error) {
		ts, err := n.PrepareTerminal(ctx, spec.ID)
		if err != nil {
			return nil, err
		}
		self, _ := n.Description.Node(spec.ID)
		asm := &node.Assembly{Municipality: n.Municipalities[spec.ID], National: n.NationalNode}
		h, err := terminalHandler(terminalWiring{DB: n.DBs[spec.ID], Self: self, Assembly: asm, Auth: ts.Auth, Log: ts.Log,
			TerminalOf: func(*http.Request) string { return demo.TerminalID }, Demo: true, Reader: ts.Reader, Logf: n.Logf(),
			Live: func() compliance.LiveFacts { return n.LiveFacts(spec.ID) }})
		if err != nil {
			ts.Close()
			return nil, err
		}
		tlsCfg, err := demo.SelfSignedTLS("127.0.0.1", "localhost")
		if err != nil {
			ts.Close()
			return nil, err
		}
		if operators != nil {
			mu.Lock()
			operators(spec.ID, ts.Operators)
			mu.Unlock()
		}
		return &demo.Terminal{Handler: h, TLS: tlsCfg, Close: ts.Close}, nil
	}
}

// keyDir is where a node's keys are: DATA/<node>/ (pki.LoadNode's layout;
// the biometric node key beside the certificate).
func keyDir(data, id string) string { return filepath.Join(data, id) }
