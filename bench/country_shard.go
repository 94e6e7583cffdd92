package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/pki"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
)

// CountryShardEnv names the environment variable that makes a process one
// shard of `jukinet bench country`: the JSON of its shardSpec. The parent
// starts its own executable with it and hands it the shard's network
// listeners as inherited files (fd 3, 4, …, in topology order).
const CountryShardEnv = "JUKINET_COUNTRY_SHARD"

// CountryProfileEnv, when it names a directory, makes each shard write a
// CPU profile of its whole run there (shardN.cpu, for go tool pprof).
const CountryProfileEnv = "JUKINET_COUNTRY_CPUPROFILE"

// CountryHeapProfileEnv, when it names a directory, makes each shard write
// a heap profile there once the replay drained, before it stops its nodes
// (shardN.heap: what the Go heap holds at the end of the month).
const CountryHeapProfileEnv = "JUKINET_COUNTRY_HEAPPROFILE"

// profileCPU starts a CPU profile into path; stop ends and writes it.
func profileCPU(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// shardSpec is what a shard process needs to rebuild the same country and
// month as its parent (both are drawn from the seed).
type shardSpec struct {
	Shard, Shards  int
	Dir            string
	Moves          int
	Prefectures    int
	Municipalities int
	Seed           uint64
	Today          string
}

// assignShards puts each prefecture, with its municipalities, in the shard
// with the fewest nodes so far (national in shard 0): the shard of every
// node, in topology order.
func assignShards(t *countryTopology, shards int) []int {
	out := make([]int, len(t.Nodes))
	size := make([]int, shards)
	size[0] = 1
	for i := 1; i < len(t.Nodes); {
		j := i + 1
		for j < len(t.Nodes) && t.Nodes[j].Role == network.RoleMunicipality {
			j++
		}
		best := 0
		for s := range size {
			if size[s] < size[best] {
				best = s
			}
		}
		for k := i; k < j; k++ {
			out[k] = best
		}
		size[best] += j - i
		i = j
	}
	return out
}

// countryShard is one shard process: its nodes, running, and the commands
// its parent sends on stdin (one a line: "ID COMMAND ARGS…"), each answered
// on stdout ("ID ok TEXT" or "ID err TEXT").
type countryShard struct {
	spec     shardSpec
	topo     *countryTopology
	plan     *countryPlan
	today    jukinet.Date
	dbs      map[string]*store.DB
	munis    map[int]*node.Municipality // by topology index
	runtimes []*node.Runtime
	nodes    int
	base     shardStats // before any node started
	domicile map[string]jukinet.LGCode
	// the handshakes of the runtimes closed (stats adds the running ones')
	tlsFull, tlsResumed int64
	outMu               sync.Mutex
	out                 *bufio.Writer
	logMu               sync.Mutex
	messages            []string
}

// shardStats is what a shard reports of itself.
type shardStats struct {
	Nodes      int     `json:"nodes"`
	RSS        int64   `json:"rss"`
	Files      int     `json:"files"`
	Goroutines int     `json:"goroutines"`
	MaxRSSMB   float64 `json:"max_rss_mb"`
	CPUS       float64 `json:"cpu_s"`
	// TLSFull and TLSResumed are the handshakes the shard's listeners
	// completed since the start, full and resumed.
	TLSFull    int64    `json:"tls_full"`
	TLSResumed int64    `json:"tls_resumed"`
	Messages   []string `json:"messages,omitempty"`
	// Memory is where the resident set is when the shard quits, its nodes
	// still open.
	Memory ShardMemory `json:"memory"`
}

// ShardMemory splits a shard process's resident set: the Go heap in use,
// the goroutine stacks, the rest of what the Go runtime holds, and what is
// outside it (SQLite's memory — the pure-Go SQLite allocates its C heap
// apart from Go's —, mapped files, the binary).
type ShardMemory struct {
	RSSMB      float64 `json:"rss_mb"`
	GoHeapMB   float64 `json:"go_heap_mb"`
	GoStacksMB float64 `json:"go_stacks_mb"`
	GoOtherMB  float64 `json:"go_other_mb"`
	OutsideMB  float64 `json:"outside_go_mb"`
	// MappedDBMB is the part of OutsideMB that is database files mapped
	// (national's mmap_size, every database's WAL index).
	MappedDBMB float64 `json:"mapped_db_mb"`
	// SQLite is SQLite's own count (store.DB.SQLiteMemory) by role:
	// municipality, prefecture, national.
	SQLite map[string]store.SQLiteMemory `json:"sqlite"`
}

// memoryNow is the process's ShardMemory after a garbage collection.
func memoryNow() ShardMemory {
	rss := float64(residentBytes()) / (1 << 20)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mb := func(b uint64) float64 { return float64(b) / (1 << 20) }
	held := mb(ms.Sys - ms.HeapReleased)
	return ShardMemory{RSSMB: rss, GoHeapMB: mb(ms.HeapInuse), GoStacksMB: mb(ms.StackInuse),
		GoOtherMB: held - mb(ms.HeapInuse) - mb(ms.StackInuse), OutsideMB: rss - held, MappedDBMB: float64(mappedDatabasesBytes()) / (1 << 20)}
}

func (s *countryShard) stats() shardStats {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	full, resumed := s.tlsFull, s.tlsResumed
	for _, rt := range s.runtimes {
		f, r := rt.Handshakes()
		full, resumed = full+f, resumed+r
	}
	return shardStats{Nodes: s.nodes, RSS: residentBytes(), Files: openFiles(), Goroutines: runtime.NumGoroutine(), MaxRSSMB: maxRSSMB(),
		CPUS: cpuTime().Seconds(), TLSFull: full, TLSResumed: resumed, Messages: append([]string(nil), s.messages...)}
}

// CountryShard runs a shard process of `jukinet bench country` described
// by spec (the CountryShardEnv variable) until its parent says quit or
// closes stdin.
func CountryShard(ctx context.Context, spec string, in io.Reader, out io.Writer) error {
	s := &countryShard{dbs: map[string]*store.DB{}, munis: map[int]*node.Municipality{}, out: bufio.NewWriter(out)}
	if err := json.Unmarshal([]byte(spec), &s.spec); err != nil {
		return fmt.Errorf("%s: %w", CountryShardEnv, err)
	}
	raiseFileLimit(1 << 20)
	if dir := os.Getenv(CountryProfileEnv); dir != "" {
		stop, err := profileCPU(filepath.Join(dir, fmt.Sprintf("shard%d.cpu", s.spec.Shard)))
		if err != nil {
			return err
		}
		defer stop()
	}
	defer s.close()
	if err := s.startNodes(ctx); err != nil {
		return err
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		if f[1] == "quit" {
			wg.Wait()
			mem, err := s.endMemory(ctx)
			if err != nil {
				return err
			}
			s.close()
			st := s.stats()
			st.Memory = mem
			s.reply(f[0], nil, st)
			return nil
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := s.do(ctx, f[1], f[2:])
			s.reply(f[0], err, v)
		}()
	}
	return sc.Err()
}

// endMemory measures the shard's memory with its nodes still open, and
// writes the heap profile CountryHeapProfileEnv asks for.
func (s *countryShard) endMemory(ctx context.Context) (ShardMemory, error) {
	mem := memoryNow()
	mem.SQLite = map[string]store.SQLiteMemory{}
	for i, n := range s.topo.Nodes {
		db, ok := s.dbs[n.ID]
		if !ok {
			continue
		}
		m, err := db.SQLiteMemory(ctx)
		if err != nil {
			return mem, fmt.Errorf("node %d: %w", i, err)
		}
		sum := mem.SQLite[string(n.Role)]
		sum.Add(m)
		mem.SQLite[string(n.Role)] = sum
	}
	if dir := os.Getenv(CountryHeapProfileEnv); dir != "" {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("shard%d.heap", s.spec.Shard)))
		if err != nil {
			return mem, err
		}
		defer f.Close()
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			return mem, err
		}
	}
	return mem, nil
}

// reply writes the answer to command id.
func (s *countryShard) reply(id string, err error, v any) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	if err != nil {
		fmt.Fprintf(s.out, "%s err %s\n", id, strings.ReplaceAll(err.Error(), "\n", " "))
	} else {
		b, _ := json.Marshal(v)
		fmt.Fprintf(s.out, "%s ok %s\n", id, b)
	}
	s.out.Flush()
}

// startNodes rebuilds the country and starts this shard's nodes on the
// inherited listeners.
func (s *countryShard) startNodes(ctx context.Context) error {
	var err error
	if s.today, err = jukinet.ParseDate("today", s.spec.Today); err != nil {
		return err
	}
	if s.topo, err = newCountryTopology(s.spec.Prefectures, s.spec.Municipalities, s.spec.Seed); err != nil {
		return err
	}
	if s.plan, err = newCountryPlan(s.topo, s.spec.Moves, s.spec.Seed, s.today); err != nil {
		return err
	}
	s.plan.events = nil // the parent replays them; a shard draws residents

	text, err := os.ReadFile(filepath.Join(s.spec.Dir, "network.toml"))
	if err != nil {
		return err
	}
	desc, err := network.LoadDescription(strings.NewReader(string(text)))
	if err != nil {
		return err
	}
	// One map of 本籍 to municipality for all the shard's municipalities.
	s.domicile = node.DomicileCodesOf(desc)
	s.base = s.stats()
	fd := 3
	for i, sh := range assignShards(s.topo, s.spec.Shards) {
		if sh != s.spec.Shard {
			continue
		}
		l, err := net.FileListener(os.NewFile(uintptr(fd), "listener"))
		if err != nil {
			return fmt.Errorf("listener of node %s: %w", s.topo.Nodes[i].ID, err)
		}
		fd++
		if err := s.startNode(ctx, s.topo.Nodes[i], desc, l); err != nil {
			l.Close()
			return fmt.Errorf("node %s: %w", s.topo.Nodes[i].ID, err)
		}
		s.nodes++
	}
	return nil
}

// startNode opens node n's database, assembles it and starts its runtime on
// l. No terminal, agency listener, checkpointer or maintenance runs: the
// replay measures the register and the network.
func (s *countryShard) startNode(ctx context.Context, n countryNode, desc *network.Description, l net.Listener) error {
	creds, err := pki.LoadNode(s.spec.Dir, n.ID)
	if err != nil {
		return err
	}
	cfg := store.Config{Path: filepath.Join(s.spec.Dir, n.ID+".db"), Node: n.ID}
	switch n.Role {
	case network.RoleMunicipality:
		cfg.Conns, cfg.CacheKiB = countryMuniConns, countryMuniCacheKiB
	case network.RolePrefecture:
		cfg.CacheKiB, cfg.MmapBytes = countryPrefectureCacheKiB, -1
	default:
		cfg.CacheKiB, cfg.MmapBytes = countryNationalCacheKiB, -1
	}
	db, err := store.Open(ctx, cfg)
	if err != nil {
		return err
	}
	s.dbs[n.ID] = db
	asm, err := node.Assemble(ctx, node.AssemblyConfig{DB: db, Description: desc, SigningKey: creds.SigningKey, DomicileCodes: s.domicile})
	if err != nil {
		return err
	}
	// No operation-log checkpoints run here: the checkpointer must not keep
	// every record's hash for one (up to 65,536 of them, megabytes, per node).
	asm.Checkpointer.Detach()
	rt, err := node.Start(ctx, node.Config{DB: db, Credentials: creds, Description: desc, Handlers: asm.Handlers,
		NetworkListener: l, Logf: func(f string, a ...any) { s.logf("node "+n.ID+": "+f, a...) },
		Logger: slog.New(slog.NewTextHandler(logWriter{s, n.ID}, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return err
	}
	s.runtimes = append(s.runtimes, rt)
	if asm.Municipality != nil {
		s.munis[n.Index] = asm.Municipality
	}
	return nil
}

// A municipality's database in the country: two connections (a write and
// a read beside it) and a 256 KiB page cache each — its register is a few
// thousand rows, and a page missed is a read from the OS's cache — instead
// of four of up to 64 MiB; the prefectures and national keep the defaults.
// Each connection caches up to the whole file (≈ 0.8 MB when empty): a
// database of 100 opened with a 2 MiB cache took 2.3 MB of memory, with
// 128 KiB 1.0 MB.
//
// The prefectures' and national's databases grow with every event of the
// month (each relays or keeps every identity notice): with the defaults —
// four connections of up to 64 MiB of cache at a prefecture, 512 MiB and
// a 2 GiB mapping of the file at national — their memory grew with the
// events towards 47 × 256 MiB + 4 GiB. Here their caches are bounded and
// national maps nothing: a page missed is a read from the OS's cache.
const (
	countryMuniConns          = 2
	countryMuniCacheKiB       = 256
	countryPrefectureCacheKiB = 4 << 10
	countryNationalCacheKiB   = 32 << 10
)

// logf keeps the first node diagnostics (a stall has its cause there).
func (s *countryShard) logf(format string, args ...any) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	if len(s.messages) < 10 {
		s.messages = append(s.messages, time.Now().Format("15:04:05.000 ")+fmt.Sprintf(format, args...))
	}
}

// logWriter takes a node's structured log lines (slow requests, refusals)
// into the shard's messages instead of stderr.
type logWriter struct {
	s  *countryShard
	id string
}

func (w logWriter) Write(p []byte) (int, error) {
	w.s.logf("node %s: %s", w.id, strings.TrimSpace(string(p)))
	return len(p), nil
}

// close stops every runtime and closes every database.
func (s *countryShard) close() {
	for _, rt := range s.runtimes {
		rt.Close()
		f, r := rt.Handshakes()
		s.tlsFull, s.tlsResumed = s.tlsFull+f, s.tlsResumed+r
	}
	s.runtimes = nil
	for id, db := range s.dbs {
		db.Close()
		delete(s.dbs, id)
	}
}

// do runs one command.
func (s *countryShard) do(ctx context.Context, cmd string, args []string) (any, error) {
	n := make([]int, len(args))
	for i, a := range args {
		v, err := strconv.Atoi(a)
		if err != nil {
			return nil, fmt.Errorf("command %s: argument %q", cmd, a)
		}
		n[i] = v
	}
	actx := jukinet.WithActor(ctx, countryClerk)
	switch {
	case cmd == "stats":
		return struct {
			Now  shardStats `json:"now"`
			Base shardStats `json:"base"`
		}{s.stats(), s.base}, nil
	case cmd == "pending":
		return s.pending(ctx)
	case cmd == "pools":
		return nil, s.pools(ctx)
	case cmd == "seed":
		return s.seed(ctx)
	case cmd == "out" && len(n) == 3:
		return nil, s.moveOut(actx, n[0], n[1], n[2])
	case cmd == "in" && len(n) == 3:
		return nil, s.moveIn(actx, n[0], n[1], n[2])
	case cmd == "birth" && len(n) == 1:
		return nil, s.birth(actx, n[0])
	case cmd == "death" && len(n) == 2:
		return nil, s.death(actx, n[0], n[1])
	}
	return nil, fmt.Errorf("unknown command %s %v", cmd, args)
}

// pending counts the pending outbox messages of the shard's nodes.
func (s *countryShard) pending(ctx context.Context) (int, error) {
	total := 0
	for id, db := range s.dbs {
		n, err := network.PendingTotal(ctx, db)
		if err != nil {
			return 0, fmt.Errorf("node %s: %w", id, err)
		}
		total += n
	}
	return total, nil
}

// pools checks that every municipality of the shard holds resident codes.
func (s *countryShard) pools(ctx context.Context) error {
	for _, m := range s.munis {
		if n, err := m.PoolSize(ctx); err != nil || n == 0 {
			return fmt.Errorf("municipality %s has no resident codes yet (%v)", m.Code(), err)
		}
	}
	return nil
}

// seed designates each municipality's counter staff and imports its
// population (register.Import: each resident's identity notice is queued
// with them); it returns the residents imported.
func (s *countryShard) seed(ctx context.Context) (int, error) {
	sctx := jukinet.WithActor(ctx, demo.SeedActor)
	imported := 0
	for i, m := range s.munis {
		if err := demo.SeedHandlers(ctx, m.DB(), s.today); err != nil {
			return imported, fmt.Errorf("municipality %s: %w", m.Code(), err)
		}
		if rows := s.plan.population(i); len(rows) > 0 {
			res, err := m.Register().Import(sctx, rows, register.ImportOptions{})
			if err != nil {
				return imported, fmt.Errorf("municipality %s: %w", m.Code(), err)
			}
			imported += res.Imported
		}
		// The import's multi-row inserts are most of a municipality's
		// prepared statements' memory, and the replay does not run them.
		m.DB().ReleaseStatements()
	}
	return imported, nil
}

// destination is where resident person of municipality from moves in to:
// the same address at both ends of the move.
func (s *countryShard) destination(from, person, to int) jukinet.Address {
	r := rand.New(rand.NewPCG(uint64(from), uint64(person)))
	return jukinet.Address{LGCode: jukinet.LGCode(s.topo.Munis[to].ID), Text: countryAddress(s.topo.Munis[to].Place, r)}
}

func (s *countryShard) muni(i int) (*node.Municipality, error) {
	m, ok := s.munis[i]
	if !ok {
		return nil, fmt.Errorf("municipality %d is not in shard %d", i, s.spec.Shard)
	}
	return m, nil
}

// moveOut records the 転出 of resident person of municipality from.
func (s *countryShard) moveOut(ctx context.Context, from, person, to int) error {
	m, err := s.muni(from)
	if err != nil {
		return err
	}
	p := s.plan.resident(from, person)
	_, err = m.Register().MoveOut(ctx, register.MoveOutInput{ResidentCode: p.ResidentCode, PlannedDate: s.today, ReportDate: s.today,
		Destination: s.destination(from, person, to)})
	if err != nil {
		return fmt.Errorf("転出 at %s: %w", m.Code(), err)
	}
	return nil
}

// moveIn records the 転入 at municipality to, with what the 転出証明書 says:
// the resident code, the 個人番号, the person and the address moved out of.
func (s *countryShard) moveIn(ctx context.Context, from, person, to int) error {
	m, err := s.muni(to)
	if err != nil {
		return err
	}
	p := s.plan.resident(from, person)
	_, err = m.Register().MoveInDomestic(ctx, register.MoveInInput{
		PersonInput:  register.PersonInput{Name: p.Name, BirthDate: p.BirthDate, Sex: p.Sex, Domicile: p.Domicile, DomicileHead: p.DomicileHead},
		ResidentCode: p.ResidentCode, IndividualNumber: p.IndividualNumber, MoveInDate: s.today, PlannedMoveOut: s.today,
		PreviousAddress: jukinet.Address{LGCode: jukinet.LGCode(s.topo.Munis[from].ID), Text: p.AddressText},
		AddressText:     s.destination(from, person, to).Text})
	if err != nil {
		return fmt.Errorf("転入 at %s: %w", m.Code(), err)
	}
	return nil
}

// death records the death of resident person of municipality at.
func (s *countryShard) death(ctx context.Context, at, person int) error {
	m, err := s.muni(at)
	if err != nil {
		return err
	}
	p := s.plan.resident(at, person)
	if _, err := m.Register().Death(ctx, register.DeathInput{ResidentCode: p.ResidentCode, Date: s.today}); err != nil {
		return fmt.Errorf("死亡 at %s: %w", m.Code(), err)
	}
	return nil
}

// birth records a birth in a new household at municipality at (codes from
// its pool, which national refills; a momentarily empty pool is waited for).
func (s *countryShard) birth(ctx context.Context, at int) error {
	m, err := s.muni(at)
	if err != nil {
		return err
	}
	place := s.topo.Munis[at].Place
	r := rand.New(rand.NewPCG(uint64(at), uint64(time.Now().UnixNano())))
	name := countryName(r)
	in := register.BirthInput{PersonInput: register.PersonInput{Name: name, BirthDate: s.today, Sex: jukinet.Sex(1 + r.IntN(2)),
		Domicile: place + "本町1番地", DomicileHead: name.Kanji}, AddressText: countryAddress(place, r)}
	for try := 0; try < 100; try++ {
		if _, err = m.Register().Birth(ctx, in); err == nil {
			return nil
		}
		if !jukinet.IsKind(err, jukinet.KindUnavailable) && !jukinet.IsKind(err, jukinet.KindConflict) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("出生 at %s: %w", m.Code(), err)
}
