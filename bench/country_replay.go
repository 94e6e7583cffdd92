package bench

import (
	"context"
	"fmt"
	"github.com/jukinet/jukinet/node"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
)

// countryClerk is the counter clerk who records the month's events at every
// municipality: the demo's clerk, designated to handle identity
// information there (G16-2.1) by demo.SeedHandlers.
var countryClerk = jukinet.Actor{CollationID: demo.DemoClerk, OperatorID: demo.OperatorID(demo.DemoClerk, jukinet.AuthorityRecord),
	Authority: jukinet.AuthorityRecord, Terminal: demo.TerminalID}

// seed has every shard designate its municipalities' counter staff and
// import their populations, then waits until national holds them all.
func (c *countryRun) seed(ctx context.Context) error {
	t0 := time.Now()
	c.progress("seeding %d residents", c.plan.residents())
	var wg sync.WaitGroup
	errs := make([]error, len(c.shards))
	counts := make([]int, len(c.shards))
	for i, s := range c.shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.callJSON(ctx, &counts[i], "seed")
		}()
	}
	wg.Wait()
	for i := range c.shards {
		if errs[i] != nil {
			return errs[i]
		}
		c.r.Residents += counts[i]
	}
	c.progress("%d residents imported; waiting for national", c.r.Residents)
	if err := c.waitIdle(ctx, time.Hour); err != nil {
		return err
	}
	c.r.SeedS = time.Since(t0).Seconds()
	return nil
}

// replay commits the month's events with o.Workers goroutines, in the
// plan's order, as fast as the municipalities take them, and waits until
// nothing is pending anywhere.
func (c *countryRun) replay(ctx context.Context) error {
	before, err := c.nationalHistoryNow(ctx)
	if err != nil {
		return err
	}
	c.progress("replaying %d events with %d workers", len(c.plan.events), c.o.Workers)
	events := make(chan countryEvent, 1024)
	var mu sync.Mutex
	var wg sync.WaitGroup
	t0 := time.Now()
	c.replayAt = t0.UnixMicro()
	start, err := c.sampleMemory(ctx, 0, t0)
	if err != nil {
		return err
	}
	cpu0 := totalCPU(start)
	for w := 0; w < c.o.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range events {
				n, err := c.apply(ctx, e)
				mu.Lock()
				c.r.Events += n
				if err != nil {
					c.r.Failed++
					if len(c.r.Errors) < 10 {
						c.r.Errors = append(c.r.Errors, err.Error())
					}
				}
				mu.Unlock()
			}
		}()
	}
	tenth := max(1, len(c.plan.events)/10)
	for i, e := range c.plan.events {
		if i > 0 && i%tenth == 0 {
			if _, err := c.sampleMemory(ctx, i, t0); err != nil {
				return err
			}
		}
		events <- e
	}
	close(events)
	wg.Wait()
	c.r.ReplayS = time.Since(t0).Seconds()
	c.progress("events committed in %.1f s; draining", c.r.ReplayS)
	if err := c.waitIdle(ctx, 2*time.Hour); err != nil {
		return err
	}
	c.r.WallS = time.Since(t0).Seconds()
	drained, err := c.sampleMemory(ctx, len(c.plan.events), t0)
	if err != nil {
		return err
	}
	return c.afterReplay(ctx, before, cpu0, drained)
}

// sampleMemory adds the processes' resident sets, summed, to the result's
// memory over the replay, offered events having been handed to the
// workers, and returns the shards' stats it read them from. Each shard
// collects its garbage first (as for every figure of its stats), a cost
// counted in the replay's CPU: about ten collections a run.
func (c *countryRun) sampleMemory(ctx context.Context, offered int, t0 time.Time) ([]shardStats, error) {
	now, _, err := c.shardStats(ctx)
	if err != nil {
		return nil, err
	}
	rss := residentBytes()
	for _, st := range now {
		rss += st.RSS
	}
	m := MemorySample{EventsOffered: offered, S: time.Since(t0).Seconds(), RSSMB: float64(rss) / (1 << 20)}
	c.r.MemoryOverReplay = append(c.r.MemoryOverReplay, m)
	c.progress("%d of %d events offered, %.0f s, %.0f MB resident in all", offered, len(c.plan.events), m.S, m.RSSMB)
	return now, nil
}

// afterReplay takes the CPU, national's applied count and the open files
// from the shards' stats once the replay drained.
func (c *countryRun) afterReplay(ctx context.Context, before int, cpu0 float64, drained []shardStats) error {
	c.r.ReplayCPUS = totalCPU(drained) - cpu0
	c.r.CPUMsPerEvent = c.r.ReplayCPUS * 1000 / float64(max(1, c.r.Events))
	after, err := c.nationalHistoryNow(ctx)
	if err != nil {
		return err
	}
	c.r.NationalApplied = after - before
	c.r.NationalAppliedPerS = float64(c.r.NationalApplied) / c.r.WallS
	for _, st := range drained {
		c.r.PeakOpenFiles = max(c.r.PeakOpenFiles, st.Files)
	}
	return nil
}

// apply commits one event through the shards: a move is the 転出 at the
// municipality moved out of, then the 転入 at the one moved into. It
// returns the register events committed.
func (c *countryRun) apply(ctx context.Context, e countryEvent) (int, error) {
	from := c.shards[c.shardOf[c.topo.Munis[e.from].nodeIndex()]]
	switch e.kind {
	case eventBirth:
		_, err := from.call(ctx, "birth", e.from)
		return boolInt(err == nil), err
	case eventDeath:
		_, err := from.call(ctx, "death", e.from, e.person)
		return boolInt(err == nil), err
	}
	if _, err := from.call(ctx, "out", e.from, e.person, e.to); err != nil {
		return 0, err
	}
	to := c.shards[c.shardOf[c.topo.Munis[e.to].nodeIndex()]]
	if _, err := to.call(ctx, "in", e.from, e.person, e.to); err != nil {
		return 1, err
	}
	return 2, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// nationalHistoryNow counts the identity versions national holds, reading
// its database beside the running national server (WAL: a reader does not
// stop the writer).
func (c *countryRun) nationalHistoryNow(ctx context.Context) (int, error) {
	db, err := c.openNode(ctx, network.NationalID)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	return node.IdentityVersions(ctx, db)
}

// openNode opens node id's database from the parent (small pool and cache,
// no mapping: national's file, mapped by default, is the month's largest,
// and a read of all its history would put it in the parent's resident set).
func (c *countryRun) openNode(ctx context.Context, id string) (*store.DB, error) {
	return store.Open(ctx, store.Config{Path: filepath.Join(c.dir, id+".db"), Node: id, Conns: countryMuniConns, CacheKiB: countryMuniCacheKiB,
		MmapBytes: -1})
}

// audit compares, municipality by municipality, every identity notice it
// committed (its outbox) with the versions national holds of it (Lost),
// measures each replayed update's CS commit → national commit per
// prefecture, and counts the messages refused anywhere (dead letters). It
// holds one municipality's keys at a time: the month's are millions.
func (c *countryRun) audit(ctx context.Context) error {
	nat, err := c.openNode(ctx, network.NationalID)
	if err != nil {
		return err
	}
	defer nat.Close()
	lags := map[string][]float64{}
	for _, n := range c.topo.Nodes {
		if err := c.auditNode(ctx, nat, n, lags); err != nil {
			return fmt.Errorf("node %s: %w", n.ID, err)
		}
	}
	for pref, l := range lags {
		if mx := pct(l, 1); mx > c.r.SlowestPrefectureLagS {
			c.r.SlowestPrefecture, c.r.SlowestPrefectureLagS, c.r.SlowestPrefectureP99S = pref, mx, pct(l, 0.99)
		}
	}
	return nil
}

// auditNode counts node n's dead letters and, at a municipality, its
// identity notices national lacks, and appends the replay's lags.
func (c *countryRun) auditNode(ctx context.Context, nat *store.DB, n countryNode, lags map[string][]float64) error {
	db, err := c.openNode(ctx, n.ID)
	if err != nil {
		return err
	}
	defer db.Close()
	dead, err := network.DeadLetters(ctx, db, 1000)
	if err != nil {
		return err
	}
	c.r.Rejected += len(dead)
	if n.Role != network.RoleMunicipality {
		return nil
	}
	committed, err := network.QueuedAt(ctx, db, network.KindIdentityNotify, 0)
	if err != nil {
		return err
	}
	held, err := node.IdentityReceivedAt(ctx, nat, jukinet.LGCode(n.ID))
	if err != nil {
		return err
	}
	for key, created := range committed {
		c.r.IdentityUpdates++
		at, ok := held[key]
		if !ok {
			c.r.Lost++
		} else if created >= c.replayAt {
			lags[n.Prefecture] = append(lags[n.Prefecture], float64(at-created)/1e6)
		}
	}
	return nil
}

// summary is the result as `jukinet bench country` prints it.
func (r *CountryResult) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "country: %d nodes (national, %d prefectures, %d municipalities) in %d processes, loopback mTLS, SQLite\n", r.Nodes, r.Prefectures, r.Municipalities, r.Processes)
	fmt.Fprintf(&b, "month            %d moves, %d births, %d deaths → %d register events (%d failed)\n", r.Moves, r.Births, r.Deaths, r.Events, r.Failed)
	fmt.Fprintf(&b, "start / seed     %.1f s / %.1f s (%d residents)\n", r.StartS, r.SeedS, r.Residents)
	fmt.Fprintf(&b, "replay           %.1f s committed, %.1f s until national held everything\n", r.ReplayS, r.WallS)
	fmt.Fprintf(&b, "CPU              %.1f s (all nodes), %.2f ms per register event\n", r.ReplayCPUS, r.CPUMsPerEvent)
	fmt.Fprintf(&b, "TLS handshakes   %d full, %d resumed (all listeners, the whole run)\n", r.TLSHandshakes, r.TLSResumed)
	fmt.Fprintf(&b, "national         %d identity versions applied, %.0f/s\n", r.NationalApplied, r.NationalAppliedPerS)
	fmt.Fprintf(&b, "lost             %d of %d identity notices committed at municipalities; %d messages refused\n", r.Lost, r.IdentityUpdates, r.Rejected)
	fmt.Fprintf(&b, "slowest pref.    %s: max %.2f s, p99 %.2f s (CS commit → national commit)\n", r.SlowestPrefecture, r.SlowestPrefectureLagS, r.SlowestPrefectureP99S)
	fmt.Fprintf(&b, "memory           max RSS %.0f MB (sum of the processes' peaks); idle node %.2f MB, %.1f open files, %.1f goroutines (limit %d files)\n",
		r.MaxRSSMB, r.IdleNodeMB, r.IdleNodeFiles, r.IdleNodeGoroutines, r.OpenFilesLimit)
	fmt.Fprintf(&b, "                 parent's peak %.0f MB\n", r.ParentMaxRSSMB)
	for _, m := range r.MemoryOverReplay {
		fmt.Fprintf(&b, "over the replay  %7d events offered, %6.0f s: %.0f MB resident in all\n", m.EventsOffered, m.S, m.RSSMB)
	}
	for i, m := range r.ShardMemory {
		fmt.Fprintf(&b, "shard %d at end   %.0f MB resident: Go heap %.0f, stacks %.0f, other Go %.0f, outside Go %.0f (mapped databases %.0f)\n",
			i, m.RSSMB, m.GoHeapMB, m.GoStacksMB, m.GoOtherMB, m.OutsideMB, m.MappedDBMB)
		for _, role := range []string{"municipality", "prefecture", "national"} {
			if q, ok := m.SQLite[role]; ok {
				fmt.Fprintf(&b, "                 SQLite of the %s nodes: %d connections, cache %.0f MB, schema %.0f MB, statements %.0f MB\n",
					role, q.Conns, float64(q.Cache)/(1<<20), float64(q.Schema)/(1<<20), float64(q.Stmts)/(1<<20))
			}
		}
	}
	fmt.Fprintf(&b, "load average     %s → %s\n", r.LoadAverageStart, r.LoadAverageEnd)
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "error: %s\n", e)
	}
	for _, m := range r.NodeMessages {
		fmt.Fprintf(&b, "node message: %s\n", m)
	}
	return b.String()
}
