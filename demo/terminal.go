package demo

import (
	"context"
	"crypto/tls"
	"net/http"
	"path/filepath"

	"golang.org/x/mod/sumdb/note"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/access"
	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/compliance"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/store"
)

// ReaderSeed seeds the demo's 仮想リーダー: the same seed on every start
// gives the same synthetic fingers, so operators enrolled on a first run
// still match after a restart.
const ReaderSeed = 7

// LogDomain is the domain of the demo nodes' operation-log origins.
const LogDomain = node.DefaultLogDomain

// Terminal is what NetworkConfig.Terminal returns for one node: the handler
// of its terminal listener (統合端末, G2.5), its TLS configuration (nil:
// plain HTTP) and what to stop with the node.
type Terminal struct {
	Handler http.Handler
	TLS     *tls.Config
	Close   func()
}

// TerminalServices are the services a node's terminal is built on, prepared
// by PrepareTerminal.
type TerminalServices struct {
	Auth      *access.Service
	Reader    *biometric.SyntheticReader
	Operators []Operator // the demo operators (read back from the 管理簿 on a restart)
	// Log verifies the node's operation log: the node's signing key signs
	// its checkpoints and its witness node on the network cosigns them.
	Log   oplog.Verifier
	Close func() // releases what the terminal holds
}

// PrepareTerminal readies node id for its terminal: the biometric node key
// under DIR/ID/ (access.LoadOrCreateNodeKey), the demo operators with their
// 照合情報 (once; a restart reads them back), 防府市's year of governance
// records, and the verifier of the node's operation log (the network's
// checkpointers pace themselves: NetworkConfig.CheckpointEvery).
func (n *Network) PrepareTerminal(ctx context.Context, id string) (TerminalServices, error) {
	db := n.DBs[id]
	if db == nil {
		return TerminalServices{}, jukinet.Errorf("demo.PrepareTerminal", jukinet.KindNotFound, "id", "node %s has no open database", id)
	}
	return PrepareNodeTerminal(ctx, db, n.Description, filepath.Join(n.cfg.Dir, id))
}

// PrepareNodeTerminal readies the node of db for its terminal in the demo
// setting, the keys under keyDir: what PrepareTerminal does for a node of a
// running demo network, for `jukinet serve` with demo = true in node.toml.
func PrepareNodeTerminal(ctx context.Context, db *store.DB, desc *network.Description, keyDir string) (TerminalServices, error) {
	id := db.Node()
	ring, err := access.LoadOrCreateNodeKey(keyDir)
	if err != nil {
		return TerminalServices{}, err
	}
	reader := biometric.NewSyntheticReader(ReaderSeed, 0.1)
	ops, err := SeedOperators(ctx, db, reader, ring.Current())
	if jukinet.IsKind(err, jukinet.KindConflict) {
		ops, err = demoOperatorsOf(ctx, db)
	}
	if err != nil {
		return TerminalServices{}, err
	}
	if id == string(Hofu.Code) {
		if _, err := SeedGovernance(ctx, db, jukinet.Today(db.Now())); err != nil {
			return TerminalServices{}, err
		}
	}
	auth, err := access.New(db, ring, access.Options{})
	if err != nil {
		return TerminalServices{}, err
	}
	ts := TerminalServices{Auth: auth, Reader: reader, Operators: ops}
	// The node's checkpointer signs its log with the node's signing key; its
	// witness on the network cosigns it (node.LogWitness): the same keys
	// verify it here.
	logV, witV, err := node.LogVerifiers(desc, LogDomain, id)
	if err != nil {
		return TerminalServices{}, err
	}
	ts.Log = oplog.Verifier{Origin: oplog.Origin(LogDomain, id), Log: logV, Witnesses: []note.Verifier{witV}}
	ts.Close = func() {}
	return ts, nil
}

// LiveFacts are what the compliance report's live checks need of node id
// (compliance.LiveFacts): its key directory, its SQLite file and its
// listeners as they run now (empty while the node is stopped).
func (n *Network) LiveFacts(id string) compliance.LiveFacts {
	f := compliance.LiveFacts{KeyDir: filepath.Join(n.cfg.Dir, id), DBPath: filepath.Join(n.cfg.Dir, id+".db")}
	if rt := n.Runtimes[id]; rt != nil {
		f.NetworkAddr, f.TerminalAddr = rt.NetworkAddr(), rt.TerminalAddr()
	}
	return f
}

// demoOperatorsOf reads the demo operators back on a restart (they were
// seeded on the first run): the bootstrap's own listing for the console,
// not a read of the 管理簿 by anyone.
func demoOperatorsOf(ctx context.Context, db *store.DB) ([]Operator, error) {
	staff, err := access.Staff(ctx, db)
	if err != nil {
		return nil, jukinet.E("demo.PrepareTerminal", err)
	}
	out := make([]Operator, 0, len(staff))
	for _, e := range staff {
		out = append(out, Operator{CollationID: e.CollationID, Name: e.Name, Department: e.Department, OperatorIDs: e.OperatorIDs, Authorities: e.Authorities})
	}
	return out, nil
}
