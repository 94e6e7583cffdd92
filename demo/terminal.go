package demo

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/access"
	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/store"
)

// ReaderSeed seeds the demo's 仮想リーダー: the same seed on every start
// gives the same synthetic fingers, so operators enrolled on a first run
// still match after a restart.
const ReaderSeed = 7

// LogDomain is the domain of the demo nodes' operation-log origins.
const LogDomain = "jukinet.example"

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
	Operators []access.DemoOperator // the demo operators (read back from the 管理簿 on a restart)
	// Log verifies the node's operation log: the node's signing key signs
	// its checkpoints, a witness key kept under DIR/ID/ cosigns them.
	Log   oplog.Verifier
	Close func() // stops the checkpointer
}

// PrepareTerminal readies node id for its terminal: the biometric node key
// under DIR/ID/ (access.LoadOrCreateNodeKey), the demo operators with their
// 照合情報 (once; a restart reads them back), 防府市's year of governance
// records, and a checkpointer that signs and cosigns the operation log every
// interval (0 means 10 s) until Close.
func (n *Network) PrepareTerminal(ctx context.Context, id string, interval time.Duration) (TerminalServices, error) {
	const op = "demo.PrepareTerminal"
	db := n.DBs[id]
	if db == nil {
		return TerminalServices{}, jukinet.Errorf(op, jukinet.KindNotFound, "id", "node %s has no open database", id)
	}
	keyDir := filepath.Join(n.cfg.Dir, id)
	ring, err := access.LoadOrCreateNodeKey(keyDir)
	if err != nil {
		return TerminalServices{}, err
	}
	reader := biometric.NewSyntheticReader(ReaderSeed, 0.1)
	ops, err := access.SeedDemoOperators(ctx, db, reader, ring.Current())
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
	origin := oplog.Origin(LogDomain, id)
	signer, err := oplog.NewSigner(origin, n.Creds[id].SigningKey)
	if err != nil {
		return TerminalServices{}, err
	}
	logV, err := oplog.NewVerifier(origin, n.Creds[id].SigningPublicKey())
	if err != nil {
		return TerminalServices{}, err
	}
	witKey, err := loadOrCreateKey(filepath.Join(keyDir, "oplog-witness.key"))
	if err != nil {
		return TerminalServices{}, jukinet.E(op, jukinet.KindInternal, err)
	}
	witName := "witness." + LogDomain + "/" + id
	witSigner, err := oplog.NewSigner(witName, witKey)
	if err != nil {
		return TerminalServices{}, err
	}
	witV, err := oplog.NewVerifier(witName, witKey.Public().(ed25519.PublicKey))
	if err != nil {
		return TerminalServices{}, err
	}
	w, err := oplog.NewSQLWitness(db, witSigner, map[string]note.Verifier{origin: logV})
	if err != nil {
		return TerminalServices{}, err
	}
	if interval <= 0 {
		interval = 10 * time.Second
	}
	cp, err := oplog.NewCheckpointer(oplog.NewSQLLog(db), oplog.CheckpointerConfig{Origin: origin, Signer: signer, Witness: w, Interval: interval})
	if err != nil {
		return TerminalServices{}, err
	}
	ts.Log = oplog.Verifier{Origin: origin, Log: logV, Witnesses: []note.Verifier{witV}}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = cp.Run(runCtx, func(err error) {
			if n.cfg.Logf != nil && runCtx.Err() == nil {
				n.cfg.Logf("node %s: checkpointer: %v", id, err)
			}
		})
	}()
	ts.Close = func() { cancel(); wg.Wait() }
	return ts, nil
}

// demoOperatorsOf reads the demo operators back on a restart (they were
// seeded on the first run): the bootstrap's own listing for the console,
// not a read of the 管理簿 by anyone.
func demoOperatorsOf(ctx context.Context, db *store.DB) ([]access.DemoOperator, error) {
	rows, err := db.SQL().QueryContext(ctx, `SELECT o.collation_id, o.name, o.department, COALESCE(i.operator_id, ''), COALESCE(i.authority, '')
 FROM access_operators o LEFT JOIN access_operator_ids i ON i.collation_id = o.collation_id AND i.withdrawn_at = 0
 ORDER BY o.collation_id, i.operator_id`)
	if err != nil {
		return nil, jukinet.E("demo.PrepareTerminal", jukinet.KindInternal, err)
	}
	defer rows.Close()
	var out []access.DemoOperator
	for rows.Next() {
		var id, name, dept, opID, auth string
		if err := rows.Scan(&id, &name, &dept, &opID, &auth); err != nil {
			return nil, jukinet.E("demo.PrepareTerminal", jukinet.KindInternal, err)
		}
		if len(out) == 0 || out[len(out)-1].CollationID != id {
			out = append(out, access.DemoOperator{CollationID: id, Name: name, Department: dept})
		}
		if opID != "" {
			d := &out[len(out)-1]
			d.OperatorIDs = append(d.OperatorIDs, opID)
			d.Authorities = append(d.Authorities, jukinet.Authority(auth))
		}
	}
	return out, rows.Err()
}

// loadOrCreateKey reads an Ed25519 seed from path, creating it (0600) when
// absent.
func loadOrCreateKey(path string) (ed25519.PrivateKey, error) {
	seed, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		seed = make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, seed, 0o600); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	if len(seed) != ed25519.SeedSize {
		return nil, errors.New("demo: " + path + " is not an Ed25519 seed")
	}
	return ed25519.NewKeyFromSeed(seed), nil
}
