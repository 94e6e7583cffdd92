package demo

import (
	"context"
	"errors"
	"fmt"
	"github.com/jukinet/jukinet/access"
	"github.com/jukinet/jukinet/biometric"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/pki"
	"github.com/jukinet/jukinet/store"
)

// NodeSpec is one node of the demo network.
type NodeSpec struct {
	ID         string
	Role       network.Role
	Name       string
	Prefecture string // municipalities only
	City       *City  // municipalities only: the synthetic population's city
}

// Nodes is the demo network of docs/design.md §3: the national server, 山口県 with
// 防府市 and 山口市, 福岡県 with 久留米市.
func Nodes() []NodeSpec {
	return []NodeSpec{
		{ID: network.NationalID, Role: network.RoleNational, Name: "全国サーバ"},
		{ID: "350001", Role: network.RolePrefecture, Name: "山口県"},
		{ID: "352063", Role: network.RoleMunicipality, Name: "防府市", Prefecture: "350001", City: &Hofu},
		{ID: "352012", Role: network.RoleMunicipality, Name: "山口市", Prefecture: "350001", City: &Yamaguchi},
		{ID: "400009", Role: network.RolePrefecture, Name: "福岡県"},
		{ID: "402036", Role: network.RoleMunicipality, Name: "久留米市", Prefecture: "400009", City: &Kurume},
	}
}

// NetworkConfig configures StartNetwork.
type NetworkConfig struct {
	Dir       string // keys, network.toml and (by default) ID.db; created 0700
	Residents int    // synthetic residents per municipality; 0 seeds nothing
	Seed      uint64
	// Open opens a node's database; nil means SQLite DIR/ID.db.
	Open func(ctx context.Context, id string) (*store.DB, error)
	// Handlers returns a node's handlers; nil means the full flows of the
	// node's role (node.Municipality, node.Prefecture, node.National).
	Handlers    func(spec NodeSpec) node.Handlers
	OutboxBatch int
	Logf        func(format string, args ...any)
	// CheckpointEvery and CheckpointInterval pace every node's operation-log
	// checkpointer (defaults node.DefaultCheckpointEvery and
	// node.DefaultCheckpointInterval); its checkpoints are
	// cosigned by the node's witness over the network (node.LogWitness).
	CheckpointEvery    uint64
	CheckpointInterval time.Duration
	// Terminal, if set, builds node spec's terminal listener (統合端末); it
	// runs after the node's Go API exists and before its runtime starts.
	// The listener is on a fresh loopback port.
	Terminal func(ctx context.Context, n *Network, spec NodeSpec) (*Terminal, error)
}

// Network is a running demo network: every node's runtime on loopback.
type Network struct {
	Description *network.Description
	Specs       []NodeSpec
	Runtimes    map[string]*node.Runtime
	DBs         map[string]*store.DB
	Creds       map[string]*pki.NodeCredentials
	Seeded      []SeedResult
	// The nodes' Go APIs (rebuilt when a node restarts on a reopened database).
	Municipalities map[string]*node.Municipality
	Prefectures    map[string]*node.Prefecture
	NationalNode   *node.National
	// Checkpointers of the running nodes' logs; each runs in a goroutine
	// that Stop and Close end.
	Checkpointers    map[string]*oplog.Checkpointer
	stopCheckpointer map[string]func()
	// Agency is the national server's agency listener (法30条の9) on a
	// loopback port; nil while the national node is stopped or runs with
	// caller-supplied handlers. DIR/agencies/pension/ holds a client
	// certificate for the demo agency "pension".
	Agency    *node.AgencyListener
	cfg       NetworkConfig
	terminals map[string]*Terminal
}

// StartNetwork generates (or loads) the CA and node credentials under
// cfg.Dir, listens on loopback ports, writes DIR/network.toml with the real
// addresses, opens every node's database, starts every runtime and seeds
// each municipality (which queues every seeded person's identity notice).
func StartNetwork(ctx context.Context, cfg NetworkConfig) (*Network, error) {
	const op = "demo.StartNetwork"
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	if err := os.Chmod(cfg.Dir, 0o700); err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	if cfg.Open == nil {
		cfg.Open = func(ctx context.Context, id string) (*store.DB, error) { return OpenNode(ctx, cfg.Dir, id) }
	}
	n := &Network{Specs: Nodes(), Runtimes: map[string]*node.Runtime{}, DBs: map[string]*store.DB{},
		Creds: map[string]*pki.NodeCredentials{}, Municipalities: map[string]*node.Municipality{},
		Prefectures: map[string]*node.Prefecture{}, Checkpointers: map[string]*oplog.Checkpointer{},
		stopCheckpointer: map[string]func(){}, cfg: cfg, terminals: map[string]*Terminal{}}
	if n.cfg.CheckpointEvery == 0 {
		n.cfg.CheckpointEvery = node.DefaultCheckpointEvery
	}
	if n.cfg.CheckpointInterval <= 0 {
		n.cfg.CheckpointInterval = node.DefaultCheckpointInterval
	}
	if err := n.credentials(); err != nil {
		return nil, err
	}
	listeners, err := n.listenAndDescribe()
	if err != nil {
		return nil, err
	}
	closeListeners := func() {
		for _, l := range listeners {
			l.Close()
		}
	}
	for _, s := range n.Specs {
		db, err := cfg.Open(ctx, s.ID)
		if err != nil {
			closeListeners()
			n.Close()
			return nil, err
		}
		n.DBs[s.ID] = db
	}
	for _, s := range n.Specs {
		if err := n.startNode(ctx, s, listeners[s.ID]); err != nil {
			delete(listeners, s.ID)
			closeListeners()
			n.Close()
			return nil, err
		}
		delete(listeners, s.ID)
	}
	if err := n.waitCodePools(ctx); err != nil {
		n.Close()
		return nil, err
	}
	if err := n.seedCities(ctx); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

// credentials loads the demo CA and the nodes' and the agency's
// credentials from the network's directory, issuing those missing.
func (n *Network) credentials() error {
	dir := n.cfg.Dir
	if _, err := pki.LoadCA(dir); errors.Is(err, os.ErrNotExist) || jukinet.ErrorKind(err) == jukinet.KindNotFound {
		if _, err := pki.Init(dir, pki.Options{Name: "jukinet demo network CA"}); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	for _, s := range n.Specs {
		c, err := pki.LoadNode(dir, s.ID)
		if jukinet.ErrorKind(err) == jukinet.KindNotFound {
			c, err = pki.IssueNodeFiles(dir, s.ID, []string{"127.0.0.1", "localhost"}, pki.Options{})
		}
		if err != nil {
			return err
		}
		n.Creds[s.ID] = c
	}
	if _, err := pki.LoadAgency(dir, DemoAgency); jukinet.ErrorKind(err) == jukinet.KindNotFound {
		if _, err := pki.IssueAgencyFiles(dir, DemoAgency, pki.Options{}); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	return nil
}

// listenAndDescribe opens each node's network listener on a free loopback
// port and writes the network description naming them (network.toml);
// on an error no listener stays open.
func (n *Network) listenAndDescribe() (map[string]net.Listener, error) {
	const op = "demo.StartNetwork"
	listeners := map[string]net.Listener{}
	fail := func(err error) (map[string]net.Listener, error) {
		for _, l := range listeners {
			l.Close()
		}
		return nil, err
	}
	var desc strings.Builder
	for _, s := range n.Specs {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fail(jukinet.E(op, jukinet.KindUnavailable, err))
		}
		listeners[s.ID] = l
		fmt.Fprintf(&desc, "[[node]]\nid = %q\nkind = %q\nname = %q\n", s.ID, s.Role, s.Name)
		if s.Prefecture != "" {
			fmt.Fprintf(&desc, "prefecture = %q\n", s.Prefecture)
		}
		fmt.Fprintf(&desc, "network_addr = %q\nsigning_key = %q\n\n", l.Addr().String(), pki.FormatPublicKey(n.Creds[s.ID].SigningPublicKey()))
	}
	d, err := network.LoadDescription(strings.NewReader(desc.String()))
	if err != nil {
		return fail(jukinet.E(op, err))
	}
	n.Description = d
	if err := os.WriteFile(filepath.Join(n.cfg.Dir, "network.toml"), []byte(desc.String()), 0o600); err != nil {
		return fail(jukinet.E(op, jukinet.KindInternal, err))
	}
	return listeners, nil
}

// seedCities seeds each municipality's staff — the demo operators
// (bootstrapped before any セキュリティ責任者 exists), then who may handle
// identity information (G16-2.1): 防府市's year of governance, the
// designations elsewhere — and then, when cfg.Residents > 0, its residents.
func (n *Network) seedCities(ctx context.Context) error {
	for _, s := range n.Specs {
		if s.City == nil {
			continue
		}
		if err := n.seedStaff(ctx, s.ID, s.City.Code == Hofu.Code); err != nil {
			return err
		}
	}
	if n.cfg.Residents <= 0 {
		return nil
	}
	for _, s := range n.Specs {
		if s.City == nil {
			continue
		}
		res, err := SeedMunicipality(ctx, n.DBs[s.ID], *s.City, n.cfg.Residents, n.cfg.Seed)
		if err != nil {
			return err
		}
		n.Seeded = append(n.Seeded, res)
	}
	return nil
}

// waitCodePools waits until every municipality holds resident codes granted
// by the national server and the national server has answered its start's
// check, so that the first birth at a demo node finds neither an empty pool
// nor a pending check. It waits at most two minutes: the national server's
// own start check adds a round trip to every municipality before its first
// grant, and a loaded machine has needed more than one.
func (n *Network) waitCodePools(ctx context.Context) error {
	deadline := time.Now().Add(2 * time.Minute)
	for id, m := range n.Municipalities {
		for {
			size, err := m.PoolSize(ctx)
			if err != nil {
				return err
			}
			checked, err := m.CodesChecked(ctx)
			if err != nil {
				return err
			}
			if size > 0 && checked {
				break
			}
			if time.Now().After(deadline) {
				return jukinet.Errorf("demo.StartNetwork", jukinet.KindUnavailable, "resident_code", "municipality %s received no resident codes from the national server, or no answer to its start's check, within two minutes", id)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

func (n *Network) startNode(ctx context.Context, s NodeSpec, l net.Listener) error {
	var agencies *node.Agencies
	if s.Role == network.RoleNational {
		var err error
		if agencies, err = node.ParseAgencies([]byte(AgenciesTOML)); err != nil {
			l.Close()
			return err
		}
	}
	asm, err := node.Assemble(ctx, node.AssemblyConfig{DB: n.DBs[s.ID], Description: n.Description,
		SigningKey: n.Creds[s.ID].SigningKey, Agencies: agencies,
		CheckpointEvery: n.cfg.CheckpointEvery, CheckpointInterval: n.cfg.CheckpointInterval})
	if err != nil {
		l.Close()
		return err
	}
	switch {
	case asm.Municipality != nil:
		n.Municipalities[s.ID] = asm.Municipality
	case asm.Prefecture != nil:
		n.Prefectures[s.ID] = asm.Prefecture
	case asm.National != nil:
		n.NationalNode = asm.National
	}
	h := asm.Handlers
	if n.cfg.Handlers != nil {
		for k, f := range n.cfg.Handlers(s) { // the caller's handlers win
			h[k] = f
		}
	}
	cfg := node.Config{DB: n.DBs[s.ID], Credentials: n.Creds[s.ID], Description: n.Description,
		Handlers: h, NetworkListener: l, OutboxBatch: n.cfg.OutboxBatch, Logf: n.cfg.Logf}
	var term *Terminal
	if n.cfg.Terminal != nil {
		if term, err = n.cfg.Terminal(ctx, n, s); err != nil {
			l.Close()
			return err
		}
	}
	if term != nil {
		tl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			l.Close()
			term.stop()
			return jukinet.E("demo.Network", jukinet.KindUnavailable, err)
		}
		cfg.Terminal, cfg.TerminalListener, cfg.TerminalTLS = term.Handler, tl, term.TLS
	}
	rt, err := node.Start(ctx, cfg)
	if err != nil {
		if term != nil {
			cfg.TerminalListener.Close()
			term.stop()
		}
		return err
	}
	n.Runtimes[s.ID] = rt
	if s.Role == network.RoleNational && n.cfg.Handlers == nil && n.NationalNode != nil {
		if err := n.startAgencyListener(); err != nil {
			n.Logf()("node %s: agency listener: %v", s.ID, err)
		}
	}
	n.Checkpointers[s.ID] = asm.Checkpointer
	logf := func(f string, a ...any) {
		if n.cfg.Logf != nil {
			n.cfg.Logf("node "+s.ID+": "+f, a...)
		}
	}
	stopCheckpointer := asm.RunCheckpointer(ctx, logf)
	stopMaintenance := asm.RunMaintenance(ctx, node.MaintenanceInterval, logf)
	n.stopCheckpointer[s.ID] = func() { stopMaintenance(); stopCheckpointer() }
	if term != nil {
		n.terminals[s.ID] = term
	}
	return nil
}

// DemoAgency is the agency the demo network issues a client certificate for
// (DIR/agencies/pension/): 日本年金機構 in AgenciesTOML.
const DemoAgency = "pension"

// startAgencyListener starts the national server's agency listener on a
// fresh loopback port.
func (n *Network) startAgencyListener() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return jukinet.E("demo.Network", jukinet.KindUnavailable, err)
	}
	al, err := node.StartAgencyListener(node.AgencyListenerConfig{
		AgencyAPIConfig: node.AgencyAPIConfig{National: n.NationalNode, Logf: n.Logf()},
		Credentials:     n.Creds[network.NationalID], Listener: l})
	if err != nil {
		l.Close()
		return err
	}
	n.Agency = al
	return nil
}

// AgencyURL is the agency listener's provision endpoint, "" without one.
func (n *Network) AgencyURL() string {
	if n.Agency == nil {
		return ""
	}
	return "https://" + n.Agency.Addr() + node.AgencyProvidePath
}

func (n *Network) stopAgencyListener() {
	if n.Agency != nil {
		n.Agency.Close()
		n.Agency = nil
	}
}

// stopCheckpointing ends node id's checkpointer goroutine and waits for it.
func (n *Network) stopCheckpointing(id string) {
	if stop, ok := n.stopCheckpointer[id]; ok {
		stop()
		delete(n.stopCheckpointer, id)
		delete(n.Checkpointers, id)
	}
}

func (t *Terminal) stop() {
	if t.Close != nil {
		t.Close()
	}
}

// TerminalURL is node id's terminal address as a URL, "" without one.
func (n *Network) TerminalURL(id string) string {
	rt, ok := n.Runtimes[id]
	if !ok || rt.TerminalAddr() == "" {
		return ""
	}
	scheme := "http"
	if t := n.terminals[id]; t != nil && t.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + rt.TerminalAddr()
}

// Municipality is the Go API of a municipality's CS (demo.Cluster).
func (n *Network) Municipality(id jukinet.LGCode) *node.Municipality {
	return n.Municipalities[string(id)]
}

// Prefecture is the Go API of a prefecture server (demo.Cluster).
func (n *Network) Prefecture(id jukinet.LGCode) *node.Prefecture { return n.Prefectures[string(id)] }

// National is the Go API of the national server (demo.Cluster).
func (n *Network) National() *node.National { return n.NationalNode }

// WaitIdle returns when no node has a pending outbox message, seen twice in a
// row (a delivery can queue the next hop's message).
func (n *Network) WaitIdle(ctx context.Context) error {
	quiet := 0
	for quiet < 2 {
		pending := 0
		for _, db := range n.DBs {
			c, err := network.PendingTotal(ctx, db)
			if err != nil {
				return jukinet.E("demo.Network.WaitIdle", err)
			}
			pending += c
		}
		if pending == 0 {
			quiet++
		} else {
			quiet = 0
		}
		select {
		case <-ctx.Done():
			return jukinet.E("demo.Network.WaitIdle", jukinet.KindUnavailable, fmt.Sprintf("%d messages still pending", pending), ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// Stop stops node id's runtime abruptly (no drain); with closeDB its
// database is closed too, as in a crash. Restart brings it back.
func (n *Network) Stop(id string, closeDB bool) error {
	rt, ok := n.Runtimes[id]
	if !ok {
		return jukinet.Errorf("demo.Network.Stop", jukinet.KindNotFound, "id", "node %s is not running", id)
	}
	delete(n.Runtimes, id)
	n.stopCheckpointing(id)
	if id == network.NationalID {
		n.stopAgencyListener()
	}
	err := rt.Close()
	if t := n.terminals[id]; t != nil {
		t.stop()
		delete(n.terminals, id)
	}
	if closeDB {
		if e := n.DBs[id].Close(); err == nil {
			err = e
		}
		delete(n.DBs, id)
	}
	return err
}

// Restart starts node id again on its address in the description,
// reopening its database if Stop closed it.
func (n *Network) Restart(ctx context.Context, id string) error {
	const op = "demo.Network.Restart"
	spec, ok := n.spec(id)
	if !ok {
		return jukinet.Errorf(op, jukinet.KindNotFound, "id", "no node %s", id)
	}
	if _, running := n.Runtimes[id]; running {
		return jukinet.Errorf(op, jukinet.KindConflict, "id", "node %s is running", id)
	}
	if n.DBs[id] == nil {
		db, err := n.cfg.Open(ctx, id)
		if err != nil {
			return err
		}
		n.DBs[id] = db
	}
	nd, _ := n.Description.Node(id)
	var l net.Listener
	var err error
	for i := 0; i < 50; i++ { // the port may linger a moment after Close
		if l, err = net.Listen("tcp", nd.NetworkAddr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return jukinet.E(op, jukinet.KindUnavailable, err)
	}
	return n.startNode(ctx, spec, l)
}

func (n *Network) spec(id string) (NodeSpec, bool) {
	for _, s := range n.Specs {
		if s.ID == id {
			return s, true
		}
	}
	return NodeSpec{}, false
}

// IdentityCount is how many persons' identity information node id holds.
func (n *Network) IdentityCount(ctx context.Context, id string) (int, error) {
	c, err := node.IdentityCount(ctx, n.DBs[id])
	if err != nil {
		return 0, jukinet.E("demo.Network.IdentityCount", err)
	}
	return c, nil
}

// WaitNational waits until the national server holds want persons' identity
// information, polling every interval.
func (n *Network) WaitNational(ctx context.Context, want int, interval time.Duration) error {
	for {
		c, err := n.IdentityCount(ctx, network.NationalID)
		if err != nil {
			return err
		}
		if c >= want {
			return nil
		}
		select {
		case <-ctx.Done():
			return jukinet.E("demo.Network.WaitNational", jukinet.KindUnavailable,
				fmt.Sprintf("national holds %d of %d", c, want), ctx.Err())
		case <-time.After(interval):
		}
	}
}

// Close stops every runtime and closes every database.
func (n *Network) Close() error {
	var first error
	for id := range n.stopCheckpointer {
		n.stopCheckpointing(id)
	}
	n.stopAgencyListener()
	for id, rt := range n.Runtimes {
		if err := rt.Close(); err != nil && first == nil {
			first = err
		}
		delete(n.Runtimes, id)
	}
	for id, t := range n.terminals {
		t.stop()
		delete(n.terminals, id)
	}
	for id, db := range n.DBs {
		if err := db.Close(); err != nil && first == nil {
			first = err
		}
		delete(n.DBs, id)
	}
	return first
}

// Logf is the network's diagnostics function (never nil).
func (n *Network) Logf() func(format string, args ...any) {
	if n.cfg.Logf == nil {
		return func(string, ...any) {}
	}
	return n.cfg.Logf
}

// seedStaff seeds node id's demo operators under its biometric node key
// (DIR/ID/) once, then its governance records once.
func (n *Network) seedStaff(ctx context.Context, id string, hofu bool) error {
	db := n.DBs[id]
	ring, err := access.LoadOrCreateNodeKey(filepath.Join(n.cfg.Dir, id))
	if err != nil {
		return err
	}
	reader := biometric.NewSyntheticReader(ReaderSeed, 0.1)
	if _, err := SeedOperators(ctx, db, reader, ring.Current()); err != nil && !jukinet.IsKind(err, jukinet.KindConflict) {
		return err
	}
	today := jukinet.Today(db.Now())
	if hofu {
		_, err = SeedGovernance(ctx, db, today)
		return err
	}
	return SeedHandlers(ctx, db, today)
}
