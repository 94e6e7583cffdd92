package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jukinet/jukinet/bench"
	"github.com/jukinet/jukinet/biometric"
)

// benchOptions are the flags every benchmark shares.
type benchOptions struct {
	engine     string // sqlite or postgres
	dsn        string // PostgreSQL base DSN when engine is postgres
	quick      bool   // a short run (tests use it)
	records    int    // operation-log size for bench oplog
	residents  int    // bench import: residents per engine
	sizes      string // bench scale: populations, comma-separated
	dir        string // bench scale: where the SQLite files go
	server     string // bench scale: own or dsn
	profileDir string // bench scale: where CPU profiles go
	moves      int    // bench country: moves in the month
	prefs      int    // bench country: prefectures
	munis      int    // bench country: municipalities
	processes  int    // bench country: processes the nodes run in
	stderr     io.Writer
}

// benchmark runs one named benchmark and returns its figures (printed as
// JSON with --json) and a human-readable table.
type benchmark func(ctx context.Context, o benchOptions) (figures any, table string, err error)

func benchmarks() map[string]benchmark {
	return map[string]benchmark{
		"biometric": benchBiometric,
		"network":   benchNetwork,
		"oplog":     benchOplog,
		"scale":     benchScale,
		"import":    benchImport,
		"country":   benchCountry,
	}
}

// runBench: jukinet bench NAME [--engine sqlite|postgres] [--dsn URL] [--json]
func runBench(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "country" && os.Getenv(bench.CountryShardEnv) != "" {
		// A shard process that `jukinet bench country` started: it runs
		// its nodes and answers its parent on stdin and stdout.
		return bench.CountryShard(ctx, os.Getenv(bench.CountryShardEnv), stdin, stdout)
	}
	all := benchmarks()
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usageErr("jukinet bench %s [--engine sqlite|postgres] [--dsn URL] [--json]", strings.Join(names, "|"))
	}
	b, ok := all[args[0]]
	if !ok {
		return usageErr("unknown benchmark %q (one of: %s)", args[0], strings.Join(names, ", "))
	}
	fs := newFlags("bench "+args[0], stderr)
	o := benchOptions{stderr: stderr}
	fs.StringVar(&o.engine, "engine", "sqlite", "database engine: sqlite or postgres (bench scale: also both)")
	fs.StringVar(&o.dsn, "dsn", "", "PostgreSQL connection URL (for --engine postgres; default $JUKINET_TEST_POSTGRES)")
	fs.BoolVar(&o.quick, "quick", false, "a short run")
	fs.IntVar(&o.records, "records", 0, "bench oplog: log size (default 10,000,000; 30,000 with --quick)")
	fs.IntVar(&o.residents, "residents", 0, "bench import: residents per engine (default 200,000; 2,000 with --quick)")
	fs.StringVar(&o.sizes, "sizes", "", "bench scale: populations, comma-separated (default 1000000,10000000)")
	fs.StringVar(&o.server, "server", "dsn", "bench scale on PostgreSQL: dsn (the server of --dsn) or own (a private cluster started in --dir with a national deployment's settings, docs/scale.md; deleted at the end)")
	fs.StringVar(&o.profileDir, "cpuprofile", "", "bench scale: directory for CPU profiles of each size's batch lookups and updates")
	fs.StringVar(&o.dir, "dir", "", "bench scale, country: directory for the SQLite files (default a temporary one)")
	fs.IntVar(&o.moves, "moves", 0, "bench country: moves (転出/転入 pairs) in the month, births and deaths in proportion (default 965,000; 300 with --quick)")
	fs.IntVar(&o.prefs, "prefectures", 0, "bench country: prefectures, the first N by code (default 47; 3 with --quick)")
	fs.IntVar(&o.munis, "municipalities", 0, "bench country: municipalities, spread over the prefectures in the real proportions (default the real 1,741 for 47; 6 with --quick)")
	fs.IntVar(&o.processes, "processes", 0, "bench country: processes the nodes run in, whole prefectures each (default one per 500 nodes; 2 with --quick)")
	asJSON := fs.Bool("json", false, "print one JSON object of figures")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if o.engine != "sqlite" && o.engine != "postgres" && (o.engine != "both" || (args[0] != "scale" && args[0] != "import")) {
		return usageErr("--engine must be sqlite or postgres (or both, for bench scale and import)")
	}
	// The benchmarks report no progress of their own: a spinner with the
	// elapsed time shows the run is alive (on a terminal only).
	spin := newSpinner(stderr, "bench "+args[0])
	figures, table, err := b(ctx, o)
	spin.stop()
	if err != nil {
		return err
	}
	if *asJSON {
		if lines, ok := figures.(jsonLines); ok {
			for _, l := range lines {
				if err := json.NewEncoder(stdout).Encode(l); err != nil {
					return err
				}
			}
			return nil
		}
		return json.NewEncoder(stdout).Encode(figures)
	}
	fmt.Fprint(stdout, table)
	return nil
}

func benchBiometric(ctx context.Context, o benchOptions) (any, string, error) {
	cfg := biometric.AccuracyConfig{}
	if o.quick {
		cfg = biometric.AccuracyConfig{Persons: 4, GenuineTrials: 500, CurveTrials: 50, ImpostorBudget: 100 * time.Millisecond, MaxImpostorTrials: 200, VerifyTimings: 50}
	}
	r, err := biometric.MeasureAccuracy(ctx, cfg)
	if err != nil {
		return nil, "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "biometric template: fuzzy commitment, RS(%d,%d) over GF(2^%d) outer, RM(1,%d) inner, %d-bit key\n",
		r.Params.OuterN, r.Params.OuterK, r.Params.FieldBits, r.Params.InnerOrder, r.KeyBits)
	fmt.Fprintf(&b, "FRR at 20%% bit errors   %.4g (sampled, %d trials; analytic bound %.2g)\n", r.FRRAt20, r.FRRAt20Trials, r.FRRAt20Bound)
	fmt.Fprintf(&b, "FAR at 40%% bit errors   ≤ %.2g (analytic); %d/%d accepted empirically\n", r.FARAt40, int(r.FARAt40Sampled*float64(r.FARAt40Trials)), r.FARAt40Trials)
	fmt.Fprintf(&b, "impostors accepted      %d of %d\n", r.ImpostorAccepted, r.ImpostorTrials)
	fmt.Fprintf(&b, "verify (median)         %.3f ms\n", r.VerifyMs)
	b.WriteString("bit errors  accept rate\n")
	for _, p := range r.Curve {
		fmt.Fprintf(&b, "  %4.0f%%     %.4f\n", p.BitErrorRate*100, p.AcceptRate)
	}
	return r, b.String(), nil
}

func benchNetwork(ctx context.Context, o benchOptions) (any, string, error) {
	return bench.Network(ctx, bench.NetworkOptions{Engine: o.engine, DSN: o.dsn, Quick: o.quick})
}

func benchScale(ctx context.Context, o benchOptions) (any, string, error) {
	so := bench.ScaleOptions{Engines: []string{o.engine}, DSN: o.dsn, Dir: o.dir, Quick: o.quick, Progress: o.stderr, Server: o.server, ProfileDir: o.profileDir}
	if o.engine == "both" {
		so.Engines = []string{"sqlite", "postgres"}
	}
	for _, f := range strings.Split(o.sizes, ",") {
		if f = strings.TrimSpace(strings.ReplaceAll(f, "_", "")); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, "", usageErr("--sizes: %q is not a positive number of persons", f)
		}
		so.Sizes = append(so.Sizes, n)
	}
	return bench.Scale(ctx, so)
}

// benchCountry replays a month through the whole country (bench.Country),
// reporting each phase on stderr.
func benchCountry(ctx context.Context, o benchOptions) (any, string, error) {
	if o.engine != "sqlite" {
		return nil, "", usageErr("bench country runs on SQLite only (one database file per node)")
	}
	return bench.Country(ctx, bench.CountryOptions{Moves: o.moves, Prefectures: o.prefs, Municipalities: o.munis, Dir: o.dir,
		Quick: o.quick, Processes: o.processes, Progress: o.stderr})
}

// jsonLines are figures printed as one JSON object per line.
type jsonLines []any

// benchImport prints one JSON object per engine.
func benchImport(ctx context.Context, o benchOptions) (any, string, error) {
	io := bench.ImportOptions{Engines: []string{o.engine}, DSN: o.dsn, Dir: o.dir, Residents: o.residents}
	if o.engine == "both" {
		io.Engines = []string{"sqlite", "postgres"}
	}
	if o.quick && io.Residents == 0 {
		io.Residents = 2000
	}
	figs, table, err := bench.Import(ctx, io)
	if err != nil {
		return nil, "", err
	}
	lines := make(jsonLines, len(figs))
	for i, f := range figs {
		lines[i] = f
	}
	return lines, table, nil
}
