package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/store"
)

// ScaleOptions configure Scale.
type ScaleOptions struct {
	Engines []string // "sqlite", "postgres"
	DSN     string   // PostgreSQL base URL; default $JUKINET_TEST_POSTGRES
	Sizes   []int    // persons; default 1,000,000 and 10,000,000
	Dir     string   // where the SQLite files go; default a temporary directory
	Quick   bool     // few samples (tests)
	// Server is "own" for a private PostgreSQL cluster started for the run
	// with a national deployment's settings (startOwnServer), its pool
	// sized for the largest size; else the server of DSN.
	Server string
	// Progress, if set, receives a line per phase.
	Progress io.Writer
	// ProfileDir, if set, receives a CPU profile of each size's measured
	// batch lookups and of each measured round of updates
	// (ENGINE-PERSONS-batches.cpu, …-updates1.cpu to …-updates3.cpu, for go
	// tool pprof, which merges several): where the CPU of a figure went.
	ProfileDir string
}

// profile starts a CPU profile of phase at size s if o asks for one; stop
// ends and writes it.
func (o ScaleOptions) profile(s *ScaleSize, phase string) (stop func(), err error) {
	if o.ProfileDir == "" {
		return func() {}, nil
	}
	if err := os.MkdirAll(o.ProfileDir, 0o755); err != nil {
		return nil, err
	}
	return profileCPU(filepath.Join(o.ProfileDir, fmt.Sprintf("%s-%d-%s.cpu", s.Engine, s.Persons, phase)))
}

// ScaleSize is the figures of one engine at one population.
type ScaleSize struct {
	Persons                int     `json:"persons"`
	Engine                 string  `json:"engine"`
	LoadPerS               float64 `json:"load_per_s"`
	BytesPerPerson         float64 `json:"bytes_per_person"`
	LookupP50Ms            float64 `json:"lookup_p50_ms"`
	LookupP99Ms            float64 `json:"lookup_p99_ms"`
	BatchLookupRecordsPerS float64 `json:"batch_lookup_records_per_s"`
	// BatchClients is how many clients sent batches at once (GOMAXPROCS).
	BatchClients int `json:"batch_clients"`
	// BatchCPUMicrosPerRecord is the process's CPU per batch record.
	BatchCPUMicrosPerRecord float64 `json:"batch_cpu_us_per_record"`
	// UpdatesAppliedPerS is the median of UpdateRoundsPerS: rounds of
	// updates of distinct persons, each started from a checkpoint
	// (scaleUpdates).
	UpdatesAppliedPerS float64   `json:"updates_applied_per_s"`
	UpdateRoundsPerS   []float64 `json:"update_rounds_per_s"`
	// UpdateCheckpointS is the time the checkpoints before the measured
	// rounds took (each writes the round before back): not in the rates.
	UpdateCheckpointS float64 `json:"update_checkpoint_s"`
	// The process's CPU per update applied; on PostgreSQL with the server on
	// this machine the CPU of the server's backends that served this run,
	// read from /proc (the server, not the client, spends most of a lookup),
	// per batch record and per update; on PostgreSQL the share of the
	// updates of flow_identity's rows that were HOT (heap-only: no new index
	// entry; pg_stat_user_tables).
	BatchServerCPUMicrosPerRecord float64 `json:"batch_server_cpu_us_per_record,omitempty"`
	UpdateCPUMicros               float64 `json:"update_cpu_us"`
	UpdateServerCPUMicros         float64 `json:"update_server_cpu_us,omitempty"`
	HOTUpdateShare                float64 `json:"hot_update_share,omitempty"`
	// On PostgreSQL 14 and later, the WAL the server wrote during the
	// updates, per update: its full-page images (a page's first change
	// after a checkpoint writes the whole page) and its bytes
	// (pg_stat_wal; the whole server's, so on a shared one other
	// sessions' too).
	UpdateWALFullPages *float64 `json:"update_wal_fpi,omitempty"`
	UpdateWALBytes     float64  `json:"update_wal_bytes,omitempty"`
	// PrewarmedMB is the hot set read into the own server's pool after the
	// load (node.PrewarmIdentityHotSet), before anything is measured.
	PrewarmedMB float64 `json:"prewarmed_mb,omitempty"`
}

// ScaleResult is the figures of Scale.
type ScaleResult struct {
	Sizes []ScaleSize `json:"sizes"`
	// On PostgreSQL: "own" (the run's own cluster, Server) or "dsn", and
	// the server's shared_buffers and the settings docs/scale.md names,
	// as the server reports them.
	Server                string            `json:"server,omitempty"`
	ServerSharedBuffersMB int64             `json:"server_shared_buffers_mb,omitempty"`
	ServerSettings        map[string]string `json:"server_settings,omitempty"`
}

// Scale fills the national server's identity store at each size, engine by
// engine — with node.LoadIdentities, the same rows the identity flow writes —
// and measures the load rate, the bytes per person on disk, single lookups
// (node.LookupIdentity), batch lookups of 1,000 codes (node.LookupIdentities)
// and identity updates applied through the national server's identity.relay
// handler. Each size gets a fresh database, dropped when measured.
func Scale(ctx context.Context, o ScaleOptions) (ScaleResult, string, error) {
	var r ScaleResult
	if len(o.Engines) == 0 {
		o.Engines = []string{"sqlite"}
	}
	if len(o.Sizes) == 0 {
		o.Sizes = []int{1_000_000, 10_000_000}
	}
	if slices.Contains(o.Engines, "postgres") {
		stop, err := scaleServer(ctx, &o, &r)
		if err != nil {
			return r, "", err
		}
		defer stop()
	}
	for _, e := range o.Engines {
		for _, n := range o.Sizes {
			s, err := scaleOne(ctx, o, e, n)
			if err != nil {
				return r, "", fmt.Errorf("bench scale, %s at %d persons: %w", e, n, err)
			}
			r.Sizes = append(r.Sizes, s)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-8s %12s %12s %10s %10s %10s %14s %12s\n", "engine", "persons", "load/s", "B/person", "p50 ms", "p99 ms", "batch rec/s", "updates/s")
	for _, s := range r.Sizes {
		fmt.Fprintf(&b, "%-8s %12d %12.0f %10.0f %10.3f %10.3f %14.0f %12.0f\n", s.Engine, s.Persons, s.LoadPerS, s.BytesPerPerson,
			s.LookupP50Ms, s.LookupP99Ms, s.BatchLookupRecordsPerS, s.UpdatesAppliedPerS)
	}
	return r, b.String(), nil
}

// scaleOne measures one engine at one size.
func scaleOne(ctx context.Context, o ScaleOptions, engine string, n int) (ScaleSize, error) {
	s := ScaleSize{Persons: n, Engine: engine}
	progress := func(format string, args ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "%s %s %d: %s\n", time.Now().Format("15:04:05"), engine, n, fmt.Sprintf(format, args...))
		}
	}
	db, app, cleanup, err := scaleDB(ctx, o, engine)
	if err != nil {
		return s, err
	}
	defer cleanup()
	defer db.Close()
	actx := jukinet.WithActor(ctx, jukinet.SystemActor("bench"))
	gen, err := newScalePeople(n)
	if err != nil {
		return s, err
	}
	progress("loading")
	start := time.Now()
	i := 0
	loaded, err := node.LoadIdentities(actx, db, func() (jukinet.IdentityInfo, bool) {
		if i == n {
			return jukinet.IdentityInfo{}, false
		}
		i++
		return gen.person(i-1, 1), true
	})
	if err != nil {
		return s, err
	}
	s.LoadPerS = float64(loaded) / time.Since(start).Seconds()
	if engine == "sqlite" {
		// The bytes on disk once the log is copied into the database file.
		if err := checkpoint(ctx, db, app); err != nil {
			return s, err
		}
	}
	size, err := db.SizeOnDisk(ctx)
	if err != nil {
		return s, err
	}
	s.BytesPerPerson = float64(size) / float64(n)
	progress("loaded at %.0f persons/s, %.0f bytes/person; lookups", s.LoadPerS, s.BytesPerPerson)
	if engine == "postgres" && o.Server == "own" {
		pages, err := node.PrewarmIdentityHotSet(ctx, db)
		if err != nil {
			return s, err
		}
		s.PrewarmedMB = float64(pages) * 8192 / (1 << 20)
		progress("%.0f MB of the hot set read into the pool", s.PrewarmedMB)
	}
	if err := scaleLookups(actx, o, db, app, gen, &s); err != nil {
		return s, err
	}
	progress("updates")
	return s, scaleUpdates(actx, o, db, app, gen, &s)
}

// scaleDB opens a fresh national database of engine and returns, on
// PostgreSQL, the application name of its connections (backendCPU).
func scaleDB(ctx context.Context, o ScaleOptions, engine string) (*store.DB, string, func(), error) {
	dir := o.Dir
	rm := func() {}
	if dir == "" || engine == "postgres" {
		d, err := os.MkdirTemp(o.Dir, "jukinet-scale-")
		if err != nil {
			return nil, "", nil, err
		}
		dir, rm = d, func() { os.RemoveAll(d) }
	}
	if engine == "sqlite" {
		path := filepath.Join(dir, "national-"+strconv.FormatInt(time.Now().UnixNano(), 36)+".db")
		db, err := store.Open(ctx, store.Config{Path: path, Node: network.NationalID})
		if err != nil {
			rm()
			return nil, "", nil, err
		}
		return db, "", func() {
			for _, f := range []string{path, path + "-wal", path + "-shm"} {
				os.Remove(f)
			}
			rm()
		}, nil
	}
	dsn, app, err := withAppName(o.DSN, engine)
	if err != nil {
		rm()
		return nil, "", nil, err
	}
	open, cleanup, err := opener(ctx, engine, dsn, dir)
	if err != nil {
		rm()
		return nil, "", nil, err
	}
	db, err := open(ctx, network.NationalID)
	if err != nil {
		cleanup()
		rm()
		return nil, "", nil, err
	}
	return db, app, func() { cleanup(); rm() }, nil
}

// scaleLookups measures single and batch lookups of random persons, each
// after a warm-up of the same kind (the figures are those of a warm cache).
func scaleLookups(ctx context.Context, o ScaleOptions, db *store.DB, app string, gen *scalePeople, s *ScaleSize) error {
	singles, batchTime := 2000, 3*time.Second
	if o.Quick {
		singles, batchTime = 50, 100*time.Millisecond
	}
	r := rand.New(rand.NewPCG(7, 11))
	var one []float64
	for k := 0; k < 2*singles; k++ {
		code := gen.code(r.IntN(gen.n))
		t := time.Now()
		if _, err := node.LookupIdentity(ctx, db, code, "bench"); err != nil {
			return err
		}
		if k >= singles {
			one = append(one, ms(time.Since(t)))
		}
	}
	s.LookupP50Ms, s.LookupP99Ms = pct(one, 0.5), pct(one, 0.99)
	return scaleBatches(ctx, o, db, app, gen, r, s, batchTime)
}

// scaleBatches measures batch lookups of benchBatch random codes, from
// GOMAXPROCS clients at once (a national server answers many agencies;
// docs/scale.md), for batchTime after a warm-up as long.
func scaleBatches(ctx context.Context, o ScaleOptions, db *store.DB, app string, gen *scalePeople, r *rand.Rand, s *ScaleSize, batchTime time.Duration) error {
	// Random codes drawn beforehand: drawing is not part of a lookup.
	const batches = 256
	pool := make([]string, batches*benchBatch)
	for k := range pool {
		pool[k] = gen.code(r.IntN(gen.n))
	}
	s.BatchClients = runtime.GOMAXPROCS(0)
	run := func(d time.Duration) (int64, error) {
		var got atomic.Int64
		errs := make([]error, s.BatchClients)
		var wg sync.WaitGroup
		for c := range s.BatchClients {
			wg.Go(func() {
				// Each client its own sequence of batches.
				for k, t0 := c*batches/s.BatchClients, time.Now(); time.Since(t0) < d; k = (k + 1) % batches {
					res, err := node.LookupIdentities(ctx, db, pool[k*benchBatch:(k+1)*benchBatch], "bench")
					if err == nil && len(res) == 0 {
						err = fmt.Errorf("a batch lookup found none of %d loaded persons", benchBatch)
					}
					if err != nil {
						errs[c] = err
						return
					}
					got.Add(int64(len(res)))
				}
			})
		}
		wg.Wait()
		return got.Load(), errors.Join(errs...)
	}
	if _, err := run(batchTime); err != nil { // warm-up
		return err
	}
	stop, err := o.profile(s, "batches")
	if err != nil {
		return err
	}
	server := serverCPU(ctx, db, app)
	t0, c0 := time.Now(), cpuTime()
	got, err := run(batchTime)
	stop()
	if err != nil {
		return err
	}
	spent, cpu := time.Since(t0), cpuTime()-c0
	s.BatchServerCPUMicrosPerRecord = float64(server().Microseconds()) / float64(got)
	s.BatchLookupRecordsPerS = float64(got) / spent.Seconds()
	// On a shared machine the wall-clock rate moves with the others' load;
	// the CPU this process spent per record does much less.
	s.BatchCPUMicrosPerRecord = float64(cpu.Microseconds()) / float64(got)
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "%s %s %d: batch lookups %.0f records/s wall (%d clients), %.1f µs CPU per record (server %.1f)\n",
			time.Now().Format("15:04:05"), s.Engine, s.Persons, s.BatchLookupRecordsPerS, s.BatchClients, s.BatchCPUMicrosPerRecord,
			s.BatchServerCPUMicrosPerRecord)
	}
	return nil
}

// scaleUpdates applies version 2 of random persons through the national
// server's identity.relay handler, 500 per transaction (the inbox's batch),
// in a warm-up round and then updateRounds measured rounds, each of distinct
// persons, and records the median round's updates/s and the CPU per update
// of the measured ones (the lookups are measured after a warm-up too). The
// envelopes carry a signature of the right shape only: the transport
// verifies signatures before any handler runs, and this measures what
// follows.
//
// Each round starts from a checkpoint, so that every size is measured in
// the state a deployed server is in between its timed checkpoints: after
// one, a page's first change writes the whole page to the log (PostgreSQL's
// full-page images; SQLite appends to a WAL restarted from its start).
// Without it the sizes were measured in whatever state their loads left
// (a small load set off no checkpoint, a large one did), which is not a
// property of the size.
func scaleUpdates(ctx context.Context, o ScaleOptions, db *store.DB, app string, gen *scalePeople, s *ScaleSize) error {
	perRound := 20000
	if o.Quick {
		perRound = 500
	}
	perRound = min(perRound, gen.n/(1+updateRounds))
	nat, err := node.NewNational(ctx, db, node.NationalConfig{})
	if err != nil {
		return err
	}
	apply := nat.Handlers()[network.KindIdentityRelay]
	envs := make([]*network.Envelope, perRound*(1+updateRounds))
	perm := rand.New(rand.NewPCG(3, 5)).Perm(gen.n)[:len(envs)]
	for k, i := range perm {
		if envs[k], err = gen.relayed(gen.person(i, 2)); err != nil {
			return err
		}
	}
	if err := checkpoint(ctx, db, app); err != nil {
		return err
	}
	if err := applyUpdates(ctx, db, apply, envs[:perRound]); err != nil { // warm-up
		return err
	}
	// The WAL counters from here, once the warm-up's have arrived (a
	// backend reports its statistics when it idles; hotShare waits for
	// them). They include the checkpoints' own records, a few hundred
	// bytes each.
	hotShare(ctx, db, app, perRound)
	wal := walSince(ctx, db, app)
	s.UpdateRoundsPerS = make([]float64, updateRounds)
	var cpu, server, checkpoints time.Duration
	for r := range updateRounds {
		// The checkpoint writes the previous round's pages back; it is
		// timed apart (update_checkpoint_s), not as part of the round.
		t0 := time.Now()
		if err := checkpoint(ctx, db, app); err != nil {
			return err
		}
		checkpoints += time.Since(t0)
		serverSince := serverCPU(ctx, db, app)
		stop, err := o.profile(s, fmt.Sprintf("updates%d", r+1))
		if err != nil {
			return err
		}
		c0, start := cpuTime(), time.Now()
		err = applyUpdates(ctx, db, apply, envs[(1+r)*perRound:(2+r)*perRound])
		s.UpdateRoundsPerS[r] = float64(perRound) / time.Since(start).Seconds()
		cpu += cpuTime() - c0
		stop()
		server += serverSince()
		if err != nil {
			return err
		}
	}
	count := perRound * updateRounds
	s.UpdatesAppliedPerS = pct(s.UpdateRoundsPerS, 0.5) // the middle of three
	s.UpdateCPUMicros = float64(cpu.Microseconds()) / float64(count)
	s.UpdateServerCPUMicros = float64(server.Microseconds()) / float64(count)
	s.UpdateCheckpointS = checkpoints.Seconds()
	s.HOTUpdateShare = hotShare(ctx, db, app, len(envs))
	// After hotShare: the backend has flushed its statistics, the WAL's
	// with the table's.
	if fpi, bytes, ok := wal(); ok {
		perUpdate := float64(fpi) / float64(count)
		s.UpdateWALFullPages, s.UpdateWALBytes = &perUpdate, float64(bytes)/float64(count)
	}
	return nil
}

// applyUpdates applies envs with the national server's handler, 500 per
// transaction (the inbox's batch).
func applyUpdates(ctx context.Context, db *store.DB, apply node.Handler, envs []*network.Envelope) error {
	const batch = 500
	for lo := 0; lo < len(envs); lo += batch {
		err := db.Update(ctx, store.Op{Operation: jukinet.OpNetworkReceive, Detail: "bench scale"}, func(tx *store.Tx) error {
			for _, env := range envs[lo:min(lo+batch, len(envs))] {
				if err := apply(tx, env); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// updateRounds is how many rounds of updates bench scale measures: the
// median of three is steadier than one round of a few seconds on a shared
// machine.
const updateRounds = 3

// checkpoint writes every changed page to the database file and restarts
// the log: CHECKPOINT on PostgreSQL (a superuser's or pg_checkpoint's
// right), a truncating WAL checkpoint on SQLite.
func checkpoint(ctx context.Context, db *store.DB, app string) error {
	q := `PRAGMA wal_checkpoint(TRUNCATE)`
	if app != "" {
		q = `CHECKPOINT`
	}
	if _, err := db.Bookkeeping(store.Inspect).ExecContext(ctx, q); err != nil {
		return fmt.Errorf("bench scale: %s (on PostgreSQL a superuser's or pg_checkpoint's right): %w", q, err)
	}
	return nil
}

// walSince reads the server's WAL counters (pg_stat_wal, PostgreSQL 14 and
// later) and returns a function giving the full-page images and bytes
// written since; ok is false where they cannot be read (SQLite, an older
// server).
func walSince(ctx context.Context, db *store.DB, app string) func() (fpi, bytes int64, ok bool) {
	read := func() (fpi, bytes int64, err error) {
		err = db.Bookkeeping(store.Inspect).QueryRowContext(ctx, `SELECT wal_fpi, wal_bytes::bigint FROM pg_stat_wal`).Scan(&fpi, &bytes)
		return fpi, bytes, err
	}
	if app == "" {
		return func() (int64, int64, bool) { return 0, 0, false }
	}
	fpi0, bytes0, err0 := read()
	return func() (int64, int64, bool) {
		fpi, bytes, err := read()
		if err0 != nil || err != nil {
			return 0, 0, false
		}
		return fpi - fpi0, bytes - bytes0, true
	}
}

// serverCPU starts counting the CPU of the PostgreSQL backends serving
// connections named app and returns what they spent since (0 when it
// cannot be read: SQLite, a server elsewhere). The backends are read again
// every serverSample meanwhile, so that a parallel worker which exits
// before the end (an index build's) still counts up to its last reading.
func serverCPU(ctx context.Context, db *store.DB, app string) func() time.Duration {
	if app == "" {
		return func() time.Duration { return 0 }
	}
	before := backendCPU(ctx, db, app)
	last := map[int]time.Duration{}
	var mu sync.Mutex
	read := func() {
		now := backendCPU(ctx, db, app)
		mu.Lock()
		defer mu.Unlock()
		for pid, t := range now {
			last[pid] = t
		}
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(serverSample)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				read()
			}
		}
	}()
	var once sync.Once
	var total time.Duration
	return func() time.Duration {
		once.Do(func() {
			close(stop)
			<-done
			read()
			for pid, t := range last {
				total += t - before[pid] // a backend started meanwhile counts from zero
			}
		})
		return total
	}
}

// serverSample is how often serverCPU reads the backends during a run:
// often enough to see a parallel index build's workers, rarely enough that
// its own query costs the server nothing measurable.
const serverSample = 100 * time.Millisecond

// hotShare returns the share of flow_identity's updated rows that were
// heap-only (HOT) updates, once the server's statistics show the count
// updates (backends report them when idle, within about 10 s); 0 on SQLite.
func hotShare(ctx context.Context, db *store.DB, app string, count int) float64 {
	if app == "" {
		return 0
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		var upd, hot int64
		err := db.Bookkeeping(store.Inspect).QueryRowContext(ctx, `SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables
 WHERE schemaname = current_schema() AND relname = 'flow_identity'`).Scan(&upd, &hot)
		if err != nil || upd == 0 {
			if err != nil || time.Now().After(deadline) {
				return 0
			}
			continue
		}
		if upd >= int64(count) || time.Now().After(deadline) {
			return float64(hot) / float64(upd)
		}
	}
}
