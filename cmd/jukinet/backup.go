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
	restored := fs.Bool("mark-restored", false, "record that the database was restored from a backup made by other means (pg_restore, a snapshot): when it starts, a CS discards its unused resident codes and a national server learns every municipality's codes before it grants any and has them re-send the identity information it lost")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *restored {
		return markRestored(ctx, df, stdout)
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

// markRestored: jukinet backup --mark-restored --db PATH|--dsn URL — the
// operator states that the database was restored from a backup that
// `jukinet backup` did not write; at its next start a CS discards the unused
// resident codes of its pool and a national server learns every
// municipality's codes before it grants again and has them re-send the
// identity information changed since (store.BackupTakenKey).
func markRestored(ctx context.Context, df dbFlags, stdout io.Writer) error {
	if df.path == "" && df.dsn == "" {
		return usageErr("--mark-restored needs --db PATH or --dsn URL")
	}
	if df.path != "" {
		if _, err := os.Stat(df.path); err != nil {
			return usageErr("--db %s: %v", df.path, err)
		}
	}
	db, err := df.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.MarkRestored(ctx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "marked as restored from a backup: when it starts, a CS discards its unused resident codes and requests new ones; a national server asks every municipality for the codes it holds and grants none before all have answered, and has each re-send the identity information of every person (the backup's time being unknown)")
	return nil
}
