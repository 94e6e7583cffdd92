package bench

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"time"
)

// scaleServer starts the own server when o.Server is "own" (pointing
// o.DSN at it) and records in r which server the run measures and its
// settings. stop stops and deletes the own server.
func scaleServer(ctx context.Context, o *ScaleOptions, r *ScaleResult) (stop func(), err error) {
	stop = func() {}
	switch o.Server {
	case "", "dsn":
		r.Server = "dsn"
	case "own":
		if o.DSN != "" {
			return stop, fmt.Errorf("--server own starts its own server: give no --dsn")
		}
		mem, err := memTotal()
		if err != nil {
			return stop, err
		}
		mb, capped := ownSharedBuffersMB(slices.Max(o.Sizes), mem)
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "%s starting an own PostgreSQL server, shared_buffers %d MB (capped at a third of the memory: %v)\n",
				time.Now().Format("15:04:05"), mb, capped)
		}
		srv, err := startOwnServer(ctx, o.Dir, ownServerSettings(mb, mem))
		if err != nil {
			return stop, err
		}
		stop = func() {
			if err := srv.stop(); err != nil && o.Progress != nil {
				fmt.Fprintf(o.Progress, "stopping the own PostgreSQL server: %v\n", err)
			}
		}
		o.DSN, r.Server = srv.DSN(), "own"
	default:
		return stop, fmt.Errorf("--server must be own or dsn, not %q", o.Server)
	}
	dsn := o.DSN
	if dsn == "" {
		dsn = os.Getenv("JUKINET_TEST_POSTGRES")
	}
	if dsn == "" {
		return stop, nil // opener explains
	}
	if r.ServerSettings, r.ServerSharedBuffersMB, err = serverSettings(ctx, dsn); err != nil {
		stop()
		return func() {}, err
	}
	return stop, nil
}

// serverSettingNames are the settings a national deployment sets
// (docs/scale.md), reported with the figures.
var serverSettingNames = []string{"server_version", "shared_buffers", "effective_cache_size", "huge_pages", "autovacuum",
	"wal_compression", "checkpoint_timeout", "max_wal_size", "synchronous_commit"}

// serverSettings reads the server's settings (as SHOW prints them) and its
// shared_buffers in MB.
func serverSettings(ctx context.Context, dsn string) (map[string]string, int64, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, 0, err
	}
	defer db.Close()
	out := map[string]string{}
	for _, name := range serverSettingNames {
		var v string
		if err := db.QueryRowContext(ctx, `SELECT current_setting($1)`, name).Scan(&v); err != nil {
			return nil, 0, fmt.Errorf("reading the server's %s: %w", name, err)
		}
		out[name] = v
	}
	var mb int64
	err = db.QueryRowContext(ctx, `SELECT setting::bigint * current_setting('block_size')::bigint / 1048576 FROM pg_settings WHERE name = 'shared_buffers'`).Scan(&mb)
	return out, mb, err
}
