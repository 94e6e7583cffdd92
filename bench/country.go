package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/pki"
	"github.com/jukinet/jukinet/store"
)

// CountryOptions configure Country.
type CountryOptions struct {
	Moves          int // default 965,000 (a peak month); 300 with Quick
	Prefectures    int // default 47; 3 with Quick
	Municipalities int // default the real count of those prefectures (1,741 for 47); 6 with Quick
	Dir            string
	Quick          bool
	Workers        int // replaying goroutines; default 8
	Seed           uint64
	Progress       io.Writer // a line per phase, if set
}

// CountryResult is the figures of Country.
type CountryResult struct {
	Nodes          int `json:"nodes"`
	Prefectures    int `json:"prefectures"`
	Municipalities int `json:"municipalities"`
	// Events is the register events the replay committed at the
	// municipalities: a move is two (転出 there, 転入 here).
	Events    int `json:"events"`
	Moves     int `json:"moves"`
	Births    int `json:"births"`
	Deaths    int `json:"deaths"`
	Failed    int `json:"failed"` // events refused or failed (not committed)
	Residents int `json:"residents_seeded"`
	// StartS: credentials, listeners, databases, runtimes; SeedS: the
	// population imported and drained to national; ReplayS: the month's
	// events committed; WallS: from the first event until national holds
	// every identity update (the drain included).
	StartS  float64 `json:"start_s"`
	SeedS   float64 `json:"seed_s"`
	ReplayS float64 `json:"replay_s"`
	WallS   float64 `json:"wall_s"`
	// IdentityUpdates is the identity notices (本人確認情報) the
	// municipalities committed, seed included; Lost those national does not
	// hold once drained (counted per municipality against national's
	// history, not assumed).
	IdentityUpdates     int     `json:"identity_updates"`
	Lost                int     `json:"lost"`
	NationalApplied     int     `json:"national_applied"` // identity versions national applied during the replay
	NationalAppliedPerS float64 `json:"national_applied_per_s"`
	// ReplayCPUS is the process's CPU time (all nodes) from the first event
	// to the drain; CPUMsPerEvent that per register event: on a shared
	// machine the figure to extrapolate from, not the wall time.
	ReplayCPUS    float64 `json:"replay_cpu_s"`
	CPUMsPerEvent float64 `json:"cpu_ms_per_event"`
	Rejected      int     `json:"rejected"` // messages their receiver refused (dead letters), all nodes
	MaxRSSMB      float64 `json:"max_rss_mb"`
	// Per idle node (started, code pools granted, nothing seeded): resident
	// memory, open files and goroutines the process gained, divided by nodes.
	IdleNodeMB         float64 `json:"idle_node_mb"`
	IdleNodeFiles      float64 `json:"idle_node_open_files"`
	IdleNodeGoroutines float64 `json:"idle_node_goroutines"`
	OpenFilesLimit     uint64  `json:"open_files_limit"`
	PeakOpenFiles      int     `json:"open_files_after_replay"`
	// The slowest prefecture: the largest CS commit → national commit delay
	// of an identity update of the replay from one of its municipalities.
	SlowestPrefecture     string   `json:"slowest_prefecture"`
	SlowestPrefectureLagS float64  `json:"slowest_prefecture_lag_s"`
	SlowestPrefectureP99S float64  `json:"slowest_prefecture_p99_s"`
	LoadAverageStart      string   `json:"load_average_start"`
	LoadAverageEnd        string   `json:"load_average_end"`
	NodeMessages          []string `json:"node_messages,omitempty"`
	Errors                []string `json:"errors,omitempty"` // the first failed events
}

// Country replays a month of moves, births and deaths through a whole
// country — the national server, the prefectures and every municipality,
// each a node with its own SQLite database and network listener, in one
// process over loopback mutual TLS — and counts what reached national.
func Country(ctx context.Context, o CountryOptions) (CountryResult, string, error) {
	o.defaults()
	c := &countryRun{o: o, dbs: map[string]*store.DB{}, creds: map[string]*pki.NodeCredentials{}}
	c.r.LoadAverageStart = loadAverage()
	c.r.OpenFilesLimit = raiseFileLimit(1 << 20)
	defer c.close()
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "jukinet-country-")
		if err != nil {
			return c.r, "", err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	c.dir = dir
	// The keys live there: a private directory (pki refuses any other).
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return c.r, "", err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return c.r, "", err
	}
	for _, step := range []func(context.Context) error{c.build, c.start, c.seed, c.replay, c.audit} {
		if err := step(ctx); err != nil {
			return c.r, "", err
		}
	}
	c.r.MaxRSSMB = maxRSSMB()
	c.r.LoadAverageEnd = loadAverage()
	c.logMu.Lock()
	defer c.logMu.Unlock()
	return c.r, c.r.summary(), nil
}

func (o *CountryOptions) defaults() {
	if o.Quick {
		o.Moves = max(o.Moves, 0)
		if o.Moves == 0 {
			o.Moves = 300
		}
		if o.Prefectures == 0 {
			o.Prefectures = 3
		}
		if o.Municipalities == 0 {
			o.Municipalities = 6
		}
	}
	if o.Moves <= 0 {
		o.Moves = countryMonthMoves
	}
	if o.Prefectures == 0 {
		o.Prefectures = len(countryPrefectures)
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
}

// countryRun is one run of Country.
type countryRun struct {
	o         CountryOptions
	r         CountryResult
	dir       string
	topo      *countryTopology
	plan      *countryPlan
	today     jukinet.Date
	creds     map[string]*pki.NodeCredentials
	desc      *network.Description
	dbs       map[string]*store.DB
	munis     []*node.Municipality // by topology index
	runtimes  []*node.Runtime
	listeners map[string]net.Listener
	replayAt  int64 // when the replay began (µs)
	logMu     sync.Mutex
}

func (c *countryRun) progress(format string, args ...any) {
	if c.o.Progress != nil {
		fmt.Fprintf(c.o.Progress, "%s country: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
}

// logf keeps the first node diagnostics (a stall has its cause there).
func (c *countryRun) logf(format string, args ...any) {
	c.logMu.Lock()
	defer c.logMu.Unlock()
	if len(c.r.NodeMessages) < 20 {
		c.r.NodeMessages = append(c.r.NodeMessages, time.Now().Format("15:04:05.000 ")+fmt.Sprintf(format, args...))
	}
}

// build draws the topology and the month, issues every node's
// credentials, opens the listeners and writes the network description.
func (c *countryRun) build(ctx context.Context) error {
	t0 := time.Now()
	var err error
	if c.topo, err = newCountryTopology(c.o.Prefectures, c.o.Municipalities, c.o.Seed); err != nil {
		return err
	}
	c.today = demo.Today()
	if c.plan, err = newCountryPlan(c.topo, c.o.Moves, c.o.Seed, c.today); err != nil {
		return err
	}
	c.r.Nodes, c.r.Municipalities = len(c.topo.Nodes), len(c.topo.Munis)
	c.r.Prefectures = c.r.Nodes - c.r.Municipalities - 1
	c.r.Moves, c.r.Births, c.r.Deaths = c.plan.moves, c.plan.births, c.plan.deaths
	c.progress("%d nodes, %d events planned; issuing credentials", c.r.Nodes, len(c.plan.events))
	if _, err := pki.Init(c.dir, pki.Options{Name: "jukinet country CA"}); err != nil {
		return err
	}
	addrs := map[string]string{}
	c.listeners = map[string]net.Listener{}
	for _, n := range c.topo.Nodes {
		if c.creds[n.ID], err = pki.IssueNodeFiles(c.dir, n.ID, []string{"127.0.0.1", "localhost"}, pki.Options{}); err != nil {
			return err
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return jukinet.E("bench.Country", jukinet.KindUnavailable, err)
		}
		c.listeners[n.ID] = l
		addrs[n.ID] = l.Addr().String()
	}
	text, err := c.topo.description(addrs, c.creds)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(c.dir, "network.toml"), []byte(text), 0o600); err != nil {
		return err
	}
	if c.desc, err = network.LoadDescription(strings.NewReader(text)); err != nil {
		return err
	}
	c.r.StartS = time.Since(t0).Seconds()
	return ctx.Err()
}

// start opens every node's database and starts its runtime, then waits
// until every municipality holds resident codes and nothing is pending,
// and measures what an idle node costs.
func (c *countryRun) start(ctx context.Context) error {
	t0 := time.Now()
	rss0, files0, g0 := residentBytes(), openFiles(), runtime.NumGoroutine()
	c.munis = make([]*node.Municipality, len(c.topo.Munis))
	for i, n := range c.topo.Nodes {
		if i%200 == 0 {
			c.progress("starting node %d of %d", i+1, len(c.topo.Nodes))
		}
		if err := c.startNode(ctx, n); err != nil {
			return fmt.Errorf("node %s: %w", n.ID, err)
		}
	}
	c.progress("waiting for the code pools")
	if err := c.waitIdle(ctx, 10*time.Minute); err != nil {
		return err
	}
	for i, m := range c.munis {
		if n, err := m.PoolSize(ctx); err != nil || n == 0 {
			return fmt.Errorf("municipality %s has no resident codes (%d): %v", c.topo.Munis[i].ID, n, err)
		}
	}
	nodes := float64(len(c.topo.Nodes))
	c.r.IdleNodeMB = float64(residentBytes()-rss0) / nodes / (1 << 20)
	c.r.IdleNodeFiles = float64(openFiles()-files0) / nodes
	c.r.IdleNodeGoroutines = float64(runtime.NumGoroutine()-g0) / nodes
	c.r.StartS += time.Since(t0).Seconds()
	return nil
}

// startNode opens node n's database, assembles it and starts its runtime on
// its listener. No terminal, agency listener, checkpointer or maintenance
// runs: the replay measures the register and the network.
func (c *countryRun) startNode(ctx context.Context, n countryNode) error {
	cfg := store.Config{Path: filepath.Join(c.dir, n.ID+".db"), Node: n.ID}
	if n.Role == network.RoleMunicipality {
		cfg.Conns, cfg.CacheKiB = countryMuniConns, countryMuniCacheKiB
	}
	db, err := store.Open(ctx, cfg)
	if err != nil {
		return err
	}
	c.dbs[n.ID] = db
	asm, err := node.Assemble(ctx, node.AssemblyConfig{DB: db, Description: c.desc, SigningKey: c.creds[n.ID].SigningKey})
	if err != nil {
		return err
	}
	l := c.listeners[n.ID]
	delete(c.listeners, n.ID)
	rt, err := node.Start(ctx, node.Config{DB: db, Credentials: c.creds[n.ID], Description: c.desc, Handlers: asm.Handlers,
		NetworkListener: l, Logf: func(f string, a ...any) { c.logf("node "+n.ID+": "+f, a...) },
		Logger: slog.New(slog.NewTextHandler(logWriter{c, n.ID}, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		l.Close()
		return err
	}
	c.runtimes = append(c.runtimes, rt)
	if asm.Municipality != nil {
		c.munis[n.Index] = asm.Municipality
	}
	return nil
}

// A municipality's database in the country: two connections (a write and
// a read beside it) and a 2 MiB page cache each — its register is a few
// thousand rows — instead of four of up to 64 MiB; the prefectures and
// national keep the defaults.
const (
	countryMuniConns    = 2
	countryMuniCacheKiB = 2 << 10
)

// logWriter takes a node's structured log lines (slow requests, refusals)
// into the run's node messages instead of stderr.
type logWriter struct {
	c  *countryRun
	id string
}

func (w logWriter) Write(p []byte) (int, error) {
	w.c.logf("node %s: %s", w.id, strings.TrimSpace(string(p)))
	return len(p), nil
}

// close stops every runtime and closes every database and listener.
func (c *countryRun) close() {
	for _, rt := range c.runtimes {
		rt.Close()
	}
	for _, db := range c.dbs {
		db.Close()
	}
	for _, l := range c.listeners {
		l.Close()
	}
}

// waitIdle returns when no node has a pending outbox message, seen twice
// in a row (a delivery can queue the next hop's message).
func (c *countryRun) waitIdle(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for quiet := 0; quiet < 2; {
		pending, err := c.pending(ctx)
		if err != nil {
			return err
		}
		if pending == 0 {
			quiet++
		} else {
			quiet = 0
		}
		if time.Now().After(deadline) {
			return jukinet.Errorf("bench.Country", jukinet.KindUnavailable, "", "%d messages still pending after %s", pending, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil
}

// pending counts the pending outbox messages of every node.
func (c *countryRun) pending(ctx context.Context) (int, error) {
	total := 0
	for id, db := range c.dbs {
		var n int
		if err := db.Bookkeeping(store.Inspect).QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE state = 'pending'`).Scan(&n); err != nil {
			return 0, fmt.Errorf("node %s: %w", id, err)
		}
		total += n
	}
	return total, nil
}
