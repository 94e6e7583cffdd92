package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

// runBackup: jukinet backup --db PATH --out FILE — a consistent copy of a
// SQLite node database, safe while the node runs (store.DB.Backup). Verify
// the copy with `jukinet oplog verify --db FILE`.
func runBackup(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("backup", stderr)
	var df dbFlags
	df.register(fs, "")
	out := fs.String("out", "", "the copy to write (must not exist; created 0600)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if df.dsn != "" {
		return usageErr("backup copies a SQLite node database; back up PostgreSQL with pg_dump or pg_basebackup (docs/operations.md)")
	}
	if df.path == "" || *out == "" {
		return usageErr("--db PATH and --out FILE are required")
	}
	if _, err := os.Stat(df.path); err != nil {
		return usageErr("--db %s: %v", df.path, err)
	}
	db, err := df.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	if err := db.Backup(ctx, *out); err != nil {
		return err
	}
	info, err := os.Stat(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s (%d bytes, %.1fs)\n", df.path, *out, info.Size(), time.Since(start).Seconds())
	return nil
}
