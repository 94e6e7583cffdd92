package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/pki"
)

// CountryOptions configure Country.
type CountryOptions struct {
	Moves          int // default 965,000 (a peak month); 300 with Quick
	Prefectures    int // default 47; 3 with Quick
	Municipalities int // default the real count of those prefectures (1,741 for 47); 6 with Quick
	Dir            string
	Quick          bool
	Workers        int // replaying goroutines; default 8
	// Processes the nodes run in (each a shard of whole prefectures; the
	// parent drives them): default one per 500 nodes, 2 with Quick. One
	// process cannot hold a country's files: 1,789 SQLite databases and
	// their TLS connections need more than the usual 20,000 descriptors.
	Processes int
	Seed      uint64
	Progress  io.Writer // a line per phase, if set
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
	// TLSHandshakes and TLSResumed are the TLS handshakes the nodes'
	// listeners completed over the whole run (start and seed included):
	// full ones (a pair of nodes meeting for the first time, certificate
	// chains verified) and resumed ones. A short replay pays most of its
	// pairs' first handshakes; a month pays them once.
	TLSHandshakes int64 `json:"tls_handshakes"`
	TLSResumed    int64 `json:"tls_resumed"`
	// MaxRSSMB is the sum of each process's peak resident set (an upper
	// bound of the peak in all: the peaks need not coincide).
	MaxRSSMB  float64 `json:"max_rss_mb"`
	Processes int     `json:"processes"`
	// ParentMaxRSSMB is the parent's own peak (in MaxRSSMB): the plan of the
	// month and the audit's maps. ShardMemory is each shard's resident set
	// split when it quits, after the drain, its nodes still open.
	ParentMaxRSSMB float64       `json:"parent_max_rss_mb"`
	ShardMemory    []ShardMemory `json:"shard_memory"`
	// MemoryOverReplay is the processes' resident sets summed at the
	// replay's start, after each tenth of its events was offered and once
	// it drained: whether memory levels off within one run, which peaks
	// alone cannot tell.
	MemoryOverReplay []MemorySample `json:"memory_over_replay"`
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

// MemorySample is the resident memory of all the replay's processes at one
// point of it.
type MemorySample struct {
	EventsOffered int     `json:"events_offered"` // planned events handed to the workers so far
	S             float64 `json:"s"`              // since the replay's first event
	RSSMB         float64 `json:"rss_mb"`         // the shards' and the parent's resident sets, summed
}

// Country replays a month of moves, births and deaths through a whole
// country — the national server, the prefectures and every municipality,
// each a node with its own SQLite database and network listener, in one
// process over loopback mutual TLS — and counts what reached national.
func Country(ctx context.Context, o CountryOptions) (CountryResult, string, error) {
	o.defaults()
	c := &countryRun{o: o, creds: map[string]*pki.NodeCredentials{}}
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
	for _, step := range []func(context.Context) error{c.build, c.spawn, c.start, c.seed, c.replay, c.stop, c.audit} {
		if err := step(ctx); err != nil {
			return c.r, "", err
		}
	}
	c.r.ParentMaxRSSMB = maxRSSMB()
	c.r.MaxRSSMB += c.r.ParentMaxRSSMB
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
	if o.Processes <= 0 && o.Quick {
		o.Processes = 2 // else one per 500 nodes, once the country is drawn
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
}

// countryRun is one run of Country: the parent process, which draws the
// country and the month, starts the shard processes that run the nodes and
// drives the replay through them.
type countryRun struct {
	o         CountryOptions
	r         CountryResult
	dir       string
	topo      *countryTopology
	plan      *countryPlan
	today     jukinet.Date
	creds     map[string]*pki.NodeCredentials
	listeners []net.Listener // by topology index, until the shards inherit them
	shardOf   []int          // by topology index
	shards    []*shardClient
	replayAt  int64 // when the replay began (µs)
	logMu     sync.Mutex
}

func (c *countryRun) progress(format string, args ...any) {
	if c.o.Progress != nil {
		fmt.Fprintf(c.o.Progress, "%s country: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
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
	for _, n := range c.topo.Nodes {
		if c.creds[n.ID], err = pki.IssueNodeFiles(c.dir, n.ID, []string{"127.0.0.1", "localhost"}, pki.Options{}); err != nil {
			return err
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return jukinet.E("bench.Country", jukinet.KindUnavailable, err)
		}
		c.listeners = append(c.listeners, l)
		addrs[n.ID] = l.Addr().String()
	}
	text, err := c.topo.description(addrs, c.creds)
	if err != nil {
		return err
	}
	if _, err := network.LoadDescription(strings.NewReader(text)); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(c.dir, "network.toml"), []byte(text), 0o600); err != nil {
		return err
	}
	c.r.StartS = time.Since(t0).Seconds()
	return ctx.Err()
}

// close ends the shard processes still running and the listeners not
// handed over.
func (c *countryRun) close() {
	for _, s := range c.shards {
		s.kill()
	}
	for _, l := range c.listeners {
		if l != nil {
			l.Close()
		}
	}
}

// waitIdle returns when no node has a pending outbox message, seen twice
// in a row (a delivery can queue the next hop's message).
func (c *countryRun) waitIdle(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for quiet := 0; quiet < 2; {
		pending := 0
		for _, s := range c.shards {
			var n int
			if err := s.callJSON(ctx, &n, "pending"); err != nil {
				return err
			}
			pending += n
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
