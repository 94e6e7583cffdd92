package store

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/jukinet/jukinet"
)

// Backup writes a consistent copy of a SQLite node database to out while the
// node keeps running: VACUUM INTO reads one snapshot (a WAL read
// transaction), so writers go on and the copy holds every committed
// transaction up to that point and nothing of a later one. The copy is
// created 0600 before SQLite writes to it: it holds personal data (G12.1).
// A PostgreSQL node is backed up with the server's own tools (pg_dump,
// pg_basebackup; docs/operations.md).
// Errors: KindInvalid on PostgreSQL or without out; KindConflict when out
// exists; KindInternal when the copy fails (out is removed).
func (db *DB) Backup(ctx context.Context, out string) error {
	const op = "store.Backup"
	if db.engine != SQLite {
		return jukinet.E(op, jukinet.KindInvalid, jukinet.Field("dsn"), "a PostgreSQL node is backed up with pg_dump or pg_basebackup (docs/operations.md)")
	}
	if out == "" {
		return jukinet.E(op, jukinet.KindInvalid, jukinet.Field("out"), "the output file is required")
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return jukinet.Errorf(op, jukinet.KindConflict, "out", "%s already exists; a backup never overwrites a file", out)
	}
	if err != nil {
		return jukinet.E(op, jukinet.KindInvalid, jukinet.Field("out"), err)
	}
	f.Close()
	// VACUUM INTO accepts an existing empty file.
	if _, err := db.sql.ExecContext(ctx, `VACUUM INTO $1`, out); err != nil {
		os.Remove(out)
		return jukinet.E(op, jukinet.KindInternal, "copying the database", err)
	}
	if err := markBackup(ctx, out, db.now()); err != nil {
		os.Remove(out)
		return jukinet.E(op, jukinet.KindInternal, "marking the copy as a backup", err)
	}
	return nil
}

// BackupTakenKey is the node_meta key a backup copy carries: when it was
// taken (RFC 3339, UTC). The live database never has it, so a node that
// finds it runs on a restored backup: the unused 住民票コード in its pool may
// have been issued after the backup, and it discards them before it issues
// another code (法30条の2: a code is never given to two persons). The node
// removes the key once it has done so.
const BackupTakenKey = "backup_taken_at"

// MarkRestored records that db was restored from a backup that Backup did
// not make (pg_restore, a file-system snapshot): the node then handles it as
// a restored copy (BackupTakenKey), the time of the backup unknown. The
// operator states it; the node's start records what it discards.
// Errors: KindInternal.
func (db *DB) MarkRestored(ctx context.Context) error {
	v := "unknown (marked restored at " + db.now().UTC().Format(time.RFC3339) + ")"
	if _, err := db.sql.ExecContext(ctx, `INSERT INTO node_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
		BackupTakenKey, v); err != nil {
		return jukinet.E("store.MarkRestored", jukinet.KindInternal, err)
	}
	return nil
}

// markBackup records in the copy at path that it is a backup taken at at.
func markBackup(ctx context.Context, path string, at time.Time) error {
	dsn := "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	conn, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, `INSERT INTO node_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
		BackupTakenKey, at.UTC().Format(time.RFC3339Nano))
	return err
}

// Size is the database's size in bytes: SQLite's pages in use times the page
// size (the WAL not counted), PostgreSQL's pg_database_size.
// Errors: KindUnavailable.
func (db *DB) Size(ctx context.Context) (int64, error) {
	const op = "store.Size"
	var n int64
	var err error
	if db.engine == SQLite {
		err = db.sql.QueryRowContext(ctx, `SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()`).Scan(&n)
	} else {
		err = db.sql.QueryRowContext(ctx, `SELECT pg_database_size(current_database())`).Scan(&n)
	}
	if err != nil {
		return 0, jukinet.E(op, jukinet.KindUnavailable, err)
	}
	return n, nil
}
