package web

import (
	"context"
	"sync"

	"github.com/jukinet/jukinet/compliance"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/governance"
	"github.com/jukinet/jukinet/network"
)

// DemoTerminals is the browser tests' demo-network terminal hook
// (demo.NetworkConfig's Terminal; `jukinet demo` wires its own in
// cmd/jukinet): every node gets a terminal on a self-signed TLS listener with
// the 仮想リーダー, the demo operators and its log's verifier
// (demo.Network.PrepareTerminal). A municipality's
// terminal has the counter on its CS (the node's own register, so the
// counter's events run the flows); the national server's has the
// self-disclosure; every node has the admin console. Operators receives
// each node's demo operators (to print them), and may be nil.
func DemoTerminals(operators func(id string, ops []demo.Operator)) func(context.Context, *demo.Network, demo.NodeSpec) (*demo.Terminal, error) {
	var mu sync.Mutex // the hook may run again when a node restarts
	return func(ctx context.Context, n *demo.Network, spec demo.NodeSpec) (*demo.Terminal, error) {
		ts, err := n.PrepareTerminal(ctx, spec.ID)
		if err != nil {
			return nil, err
		}
		cfg := Config{Terminal: demo.TerminalID, Title: spec.Name, Auth: ts.Auth, Demo: true,
			Operators: ts.Auth, Admin: NewAdminLive(n.DBs[spec.ID], ts.Log, func() compliance.LiveFacts { return n.LiveFacts(spec.ID) }), Logf: n.Logf()}
		switch spec.Role {
		case network.RoleMunicipality:
			if m := n.Municipalities[spec.ID]; m != nil {
				cfg.Counter, cfg.Flows, cfg.Cards = m.Register(), NewFlows(m), demo.Cards()
			}
			cfg.Gov = governance.New(n.DBs[spec.ID])
		case network.RoleNational:
			if n.NationalNode != nil {
				cfg.National = n.NationalNode
			}
		}
		h, err := New(cfg)
		if err != nil {
			ts.Close()
			return nil, err
		}
		h = demo.VirtualReader(h, ts.Reader)
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
