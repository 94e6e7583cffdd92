package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
)

// ImportOptions configure Import.
type ImportOptions struct {
	Engines   []string // "sqlite", "postgres"
	DSN       string   // PostgreSQL base URL; default $JUKINET_TEST_POSTGRES
	Residents int      // default 200,000
	Dir       string   // where the SQLite file goes; default a temporary directory
}

// ImportFigures is the figures of one engine.
type ImportFigures struct {
	Engine        string  `json:"engine"`
	Residents     int     `json:"residents"`
	ResidentsPerS float64 `json:"residents_per_s"`
	// CPUPer1000 is the CPU seconds (user and system) per 1,000 residents
	// of this process and, on PostgreSQL, of the server's backends that
	// served it (ServerCPUPer1000, when the server runs on this machine):
	// on a shared machine the rate follows the other processes' load,
	// the CPU time much less.
	CPUPer1000       float64 `json:"cpu_s_per_1000"`
	ServerCPUPer1000 float64 `json:"server_cpu_s_per_1000,omitempty"`
}

// Import measures the bulk import of a municipality's residents
// (register.Import, the path of `jukinet import`) on a fresh database per
// engine: validated rows in, residents, households, identity notices and
// operation-log records written. The CSV reading is not timed.
func Import(ctx context.Context, o ImportOptions) ([]ImportFigures, string, error) {
	if o.Residents <= 0 {
		o.Residents = 200_000
	}
	if len(o.Engines) == 0 {
		o.Engines = []string{"sqlite"}
	}
	rows, err := demo.Population(demo.Hofu, o.Residents, 17, demo.Today())
	if err != nil {
		return nil, "", err
	}
	var out []ImportFigures
	for _, e := range o.Engines {
		f, err := importOne(ctx, o, e, rows)
		if err != nil {
			return out, "", fmt.Errorf("bench import, %s: %w", e, err)
		}
		out = append(out, f)
	}
	var b strings.Builder
	for _, f := range out {
		fmt.Fprintf(&b, "%-8s %10d residents %10.0f residents/s %8.3f CPU s per 1,000 (server %.3f)\n", f.Engine, f.Residents,
			f.ResidentsPerS, f.CPUPer1000, f.ServerCPUPer1000)
	}
	return out, b.String(), nil
}

func importOne(ctx context.Context, o ImportOptions, engine string, rows []register.ImportRow) (ImportFigures, error) {
	f := ImportFigures{Engine: engine, Residents: len(rows)}
	dir, err := os.MkdirTemp(o.Dir, "jukinet-import-")
	if err != nil {
		return f, err
	}
	defer os.RemoveAll(dir)
	dsn, app, err := withAppName(o.DSN, engine)
	if err != nil {
		return f, err
	}
	open, cleanup, err := opener(ctx, engine, dsn, dir)
	if err != nil {
		return f, err
	}
	defer cleanup()
	db, err := open(ctx, string(demo.Hofu.Code))
	if err != nil {
		return f, err
	}
	defer db.Close()
	g, err := register.New(db, register.Config{Municipality: demo.Hofu.Code})
	if err != nil {
		return f, err
	}
	server, cpu0, start := serverCPU(ctx, db, app), cpuTime(), time.Now()
	res, err := g.Import(jukinet.WithActor(ctx, demo.SeedActor), rows, register.ImportOptions{})
	if err != nil {
		return f, err
	}
	if res.Imported != len(rows) {
		return f, fmt.Errorf("imported %d of %d residents", res.Imported, len(rows))
	}
	f.ResidentsPerS = float64(res.Imported) / time.Since(start).Seconds()
	thousands := float64(res.Imported) / 1000
	f.CPUPer1000 = (cpuTime() - cpu0).Seconds() / thousands
	if d := server(); d > 0 {
		f.ServerCPUPer1000 = d.Seconds() / thousands
		f.CPUPer1000 += f.ServerCPUPer1000
	}
	return f, nil
}

// withAppName gives PostgreSQL connections an application name of their
// own, by which backendCPU finds the backends serving this run.
func withAppName(dsn, engine string) (string, string, error) {
	if engine != "postgres" {
		return dsn, "", nil
	}
	if dsn == "" {
		dsn = os.Getenv("JUKINET_TEST_POSTGRES")
	}
	if dsn == "" {
		return "", "", nil // opener explains
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", "", err
	}
	app := "jukinet-bench-import-" + strings.ToLower(rand.Text()[:8])
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	return u.String(), app, nil
}

// backendCPU returns the CPU time so far of each PostgreSQL backend serving
// connections named app, and of the parallel workers those backends lead
// (an index build's), read from /proc: nil on SQLite, or when the server
// runs elsewhere (its processes are not here to read). A process that
// exited between the query and the read is left out.
func backendCPU(ctx context.Context, db *store.DB, app string) map[int]time.Duration {
	if app == "" {
		return nil
	}
	rows, err := db.Bookkeeping(store.Inspect).QueryContext(ctx, `SELECT pid FROM pg_stat_activity
 WHERE application_name = $1 OR leader_pid IN (SELECT pid FROM pg_stat_activity WHERE application_name = $1)`, app)
	if err != nil {
		return nil
	}
	defer rows.Close()
	out := map[int]time.Duration{}
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			return nil
		}
		if t, ok := procCPU(pid); ok {
			out[pid] = t
		}
	}
	if rows.Err() != nil || len(out) == 0 {
		return nil
	}
	return out
}

// procCPU reads a process's user and system time from /proc/PID/stat
// (fields 14 and 15, in clock ticks of 1/100 s on Linux).
func procCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, true
}
