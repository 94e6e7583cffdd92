package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
)

// countryClerk is the counter clerk who records the month's events at every
// municipality: the demo's clerk, designated to handle identity
// information there (G16-2.1) by demo.SeedHandlers.
var countryClerk = jukinet.Actor{CollationID: demo.DemoClerk, OperatorID: demo.OperatorID(demo.DemoClerk, jukinet.AuthorityRecord),
	Authority: jukinet.AuthorityRecord, Terminal: demo.TerminalID}

// seed designates each municipality's counter staff and imports its
// population (register.Import: each resident's identity notice is queued
// with them), then waits until national holds them all.
func (c *countryRun) seed(ctx context.Context) error {
	t0 := time.Now()
	sctx := jukinet.WithActor(ctx, demo.SeedActor)
	for i, m := range c.munis {
		if i%200 == 0 {
			c.progress("seeding municipality %d of %d", i+1, len(c.munis))
		}
		if err := demo.SeedHandlers(ctx, m.DB(), c.today); err != nil {
			return fmt.Errorf("municipality %s: %w", m.Code(), err)
		}
		rows := c.plan.pop[i]
		if len(rows) == 0 {
			continue
		}
		res, err := m.Register().Import(sctx, rows, register.ImportOptions{})
		if err != nil {
			return fmt.Errorf("municipality %s: %w", m.Code(), err)
		}
		c.r.Residents += res.Imported
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
	before, err := c.nationalHistory(ctx)
	if err != nil {
		return err
	}
	c.progress("replaying %d events with %d workers", len(c.plan.events), c.o.Workers)
	actx := jukinet.WithActor(ctx, countryClerk)
	events := make(chan countryEvent, 1024)
	var mu sync.Mutex
	var wg sync.WaitGroup
	t0, cpu0 := time.Now(), cpuTime()
	c.replayAt = t0.UnixMicro()
	for w := 0; w < c.o.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range events {
				n, err := c.apply(actx, e)
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
	for i, e := range c.plan.events {
		if i > 0 && i%50000 == 0 {
			c.progress("%d events offered, %.0f s", i, time.Since(t0).Seconds())
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
	c.r.ReplayCPUS = (cpuTime() - cpu0).Seconds()
	c.r.CPUMsPerEvent = c.r.ReplayCPUS * 1000 / float64(max(1, c.r.Events))
	after, err := c.nationalHistory(ctx)
	if err != nil {
		return err
	}
	c.r.NationalApplied = after - before
	c.r.NationalAppliedPerS = float64(c.r.NationalApplied) / c.r.WallS
	return nil
}

// apply commits one event: a move is the 転出 at the municipality moved
// out of, then the 転入 (with the resident code, the 個人番号 and the
// person's data of the 転出証明書) at the one moved into. It returns the
// register events committed.
func (c *countryRun) apply(ctx context.Context, e countryEvent) (int, error) {
	from := c.munis[e.from]
	switch e.kind {
	case eventBirth:
		return c.birth(ctx, e)
	case eventDeath:
		p := c.plan.pop[e.from][e.person]
		if _, err := from.Register().Death(ctx, register.DeathInput{ResidentCode: p.ResidentCode, Date: c.today}); err != nil {
			return 0, fmt.Errorf("死亡 at %s: %w", from.Code(), err)
		}
		return 1, nil
	}
	p := c.plan.pop[e.from][e.person]
	to := c.munis[e.to]
	toPlace := c.topo.Munis[e.to].Place
	r := rand.New(rand.NewPCG(uint64(e.from), uint64(e.person)))
	dest := jukinet.Address{LGCode: to.Code(), Text: countryAddress(toPlace, r)}
	out, err := from.Register().MoveOut(ctx, register.MoveOutInput{ResidentCode: p.ResidentCode, PlannedDate: c.today, ReportDate: c.today, Destination: dest})
	if err != nil {
		return 0, fmt.Errorf("転出 at %s: %w", from.Code(), err)
	}
	_, err = to.Register().MoveInDomestic(ctx, register.MoveInInput{
		PersonInput:  register.PersonInput{Name: p.Name, BirthDate: p.BirthDate, Sex: p.Sex, Domicile: p.Domicile, DomicileHead: p.DomicileHead},
		ResidentCode: p.ResidentCode, IndividualNumber: p.IndividualNumber, MoveInDate: c.today, PlannedMoveOut: c.today,
		PreviousAddress: out.Address, AddressText: dest.Text})
	if err != nil {
		return 1, fmt.Errorf("転入 at %s: %w", to.Code(), err)
	}
	return 2, nil
}

// birth records a birth in a new household (codes from the municipality's
// pool, which national refills; a momentarily empty pool is waited for).
func (c *countryRun) birth(ctx context.Context, e countryEvent) (int, error) {
	m := c.munis[e.from]
	place := c.topo.Munis[e.from].Place
	r := rand.New(rand.NewPCG(uint64(e.from), uint64(time.Now().UnixNano())))
	name := countryName(r)
	in := register.BirthInput{PersonInput: register.PersonInput{Name: name, BirthDate: c.today, Sex: jukinet.Sex(1 + r.IntN(2)),
		Domicile: place + "本町1番地", DomicileHead: name.Kanji}, AddressText: countryAddress(place, r)}
	var err error
	for try := 0; try < 100; try++ {
		if _, err = m.Register().Birth(ctx, in); err == nil {
			return 1, nil
		}
		if !jukinet.IsKind(err, jukinet.KindUnavailable) && !jukinet.IsKind(err, jukinet.KindConflict) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return 0, fmt.Errorf("出生 at %s: %w", m.Code(), err)
}

// nationalHistory counts the identity versions national holds.
func (c *countryRun) nationalHistory(ctx context.Context) (int, error) {
	var n int
	err := c.dbs[network.NationalID].Bookkeeping(store.Inspect).QueryRowContext(ctx, `SELECT COUNT(*) FROM flow_identity_history`).Scan(&n)
	return n, err
}

// audit compares, municipality by municipality, every identity notice it
// committed with the versions national holds (Lost), measures each
// replayed update's CS commit → national commit per prefecture, and
// counts the messages refused anywhere.
func (c *countryRun) audit(ctx context.Context) error {
	nat := c.dbs[network.NationalID]
	lags := map[string][]float64{}
	for i, m := range c.munis {
		committed, err := committedNotices(ctx, m.DB())
		if err != nil {
			return err
		}
		held, err := nationalHolds(ctx, nat, string(m.Code()))
		if err != nil {
			return err
		}
		pref := c.topo.Munis[i].Prefecture
		for key, created := range committed {
			c.r.IdentityUpdates++
			at, ok := held[key]
			if !ok {
				c.r.Lost++
				continue
			}
			if created >= c.replayAt {
				lags[pref] = append(lags[pref], float64(at-created)/1e6)
			}
		}
	}
	for pref, l := range lags {
		if mx := pct(l, 1); mx > c.r.SlowestPrefectureLagS {
			c.r.SlowestPrefecture, c.r.SlowestPrefectureLagS, c.r.SlowestPrefectureP99S = pref, mx, pct(l, 0.99)
		}
	}
	for id, db := range c.dbs {
		var n int
		if err := db.Bookkeeping(store.Inspect).QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE state <> 'delivered' AND state <> 'pending'`).Scan(&n); err != nil {
			return fmt.Errorf("node %s: %w", id, err)
		}
		c.r.Rejected += n
	}
	c.r.PeakOpenFiles = openFiles()
	return nil
}

// committedNotices is every identity notice a municipality committed:
// "resident code#version" → the commit's time (µs).
func committedNotices(ctx context.Context, db *store.DB) (map[string]int64, error) {
	rows, err := db.Bookkeeping(store.Inspect).QueryContext(ctx, `SELECT ordering_key, version, created_at FROM outbox WHERE kind = $1`, network.KindIdentityNotify.String())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var key string
		var version, at int64
		if err := rows.Scan(&key, &version, &at); err != nil {
			return nil, err
		}
		out[fmt.Sprintf("%s#%d", key[strings.LastIndexByte(key, '/')+1:], version)] = at
	}
	return out, rows.Err()
}

// nationalHolds is every identity version national holds of municipality
// m: "resident code#version" → national's commit time (µs).
func nationalHolds(ctx context.Context, nat *store.DB, m string) (map[string]int64, error) {
	rows, err := nat.Bookkeeping(store.Inspect).QueryContext(ctx, `SELECT resident_code, version, received_at FROM flow_identity_history WHERE municipality = $1`, m)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var code string
		var version, at int64
		if err := rows.Scan(&code, &version, &at); err != nil {
			return nil, err
		}
		out[fmt.Sprintf("%s#%d", code, version)] = at
	}
	return out, rows.Err()
}

// summary is the result as `jukinet bench country` prints it.
func (r *CountryResult) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "country: %d nodes (national, %d prefectures, %d municipalities), one process, loopback mTLS, SQLite\n", r.Nodes, r.Prefectures, r.Municipalities)
	fmt.Fprintf(&b, "month            %d moves, %d births, %d deaths → %d register events (%d failed)\n", r.Moves, r.Births, r.Deaths, r.Events, r.Failed)
	fmt.Fprintf(&b, "start / seed     %.1f s / %.1f s (%d residents)\n", r.StartS, r.SeedS, r.Residents)
	fmt.Fprintf(&b, "replay           %.1f s committed, %.1f s until national held everything\n", r.ReplayS, r.WallS)
	fmt.Fprintf(&b, "CPU              %.1f s (all nodes), %.2f ms per register event\n", r.ReplayCPUS, r.CPUMsPerEvent)
	fmt.Fprintf(&b, "national         %d identity versions applied, %.0f/s\n", r.NationalApplied, r.NationalAppliedPerS)
	fmt.Fprintf(&b, "lost             %d of %d identity notices committed at municipalities; %d messages refused\n", r.Lost, r.IdentityUpdates, r.Rejected)
	fmt.Fprintf(&b, "slowest pref.    %s: max %.2f s, p99 %.2f s (CS commit → national commit)\n", r.SlowestPrefecture, r.SlowestPrefectureLagS, r.SlowestPrefectureP99S)
	fmt.Fprintf(&b, "memory           max RSS %.0f MB; idle node %.2f MB, %.1f open files, %.1f goroutines (limit %d files)\n",
		r.MaxRSSMB, r.IdleNodeMB, r.IdleNodeFiles, r.IdleNodeGoroutines, r.OpenFilesLimit)
	fmt.Fprintf(&b, "load average     %s → %s\n", r.LoadAverageStart, r.LoadAverageEnd)
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "error: %s\n", e)
	}
	for _, m := range r.NodeMessages {
		fmt.Fprintf(&b, "node message: %s\n", m)
	}
	return b.String()
}
