package bench

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/register"
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
		fmt.Fprintf(&b, "%-8s %10d residents %10.0f residents/s\n", f.Engine, f.Residents, f.ResidentsPerS)
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
	open, cleanup, err := opener(ctx, engine, o.DSN, dir)
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
	start := time.Now()
	res, err := g.Import(jukinet.WithActor(ctx, demo.SeedActor), rows, register.ImportOptions{})
	if err != nil {
		return f, err
	}
	if res.Imported != len(rows) {
		return f, fmt.Errorf("imported %d of %d residents", res.Imported, len(rows))
	}
	f.ResidentsPerS = float64(res.Imported) / time.Since(start).Seconds()
	return f, nil
}
