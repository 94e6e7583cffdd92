package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/jukinet/jukinet/store"
)

// The page size a connection's DSN names is the one a new file gets, in WAL
// mode (page_size takes effect only before the file's first page is
// written, which switching to WAL does); a file keeps the page size it was
// created with; a new national database has SQLitePageSize pages.
func TestSQLitePageSize(t *testing.T) {
	ctx := context.Background()
	pragmas := func(t *testing.T, db interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}) (int, string) {
		t.Helper()
		var size int
		var mode string
		if err := db.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&size); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		return size, mode
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "raw.db")
	for _, c := range []struct {
		dsnSize, want int
	}{{16384, 16384}, {8192, 16384}} {
		raw, err := sql.Open("sqlite", store.SQLiteDSN(path, c.dsnSize))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS t (x)`); err != nil {
			t.Fatal(err)
		}
		if size, mode := pragmas(t, raw); size != c.want || mode != "wal" {
			t.Errorf("file opened with page_size %d: page size %d, journal %q; want %d and wal", c.dsnSize, size, mode, c.want)
		}
		raw.Close()
	}
	db, err := store.Open(ctx, store.Config{Path: filepath.Join(dir, "national.db"), Node: "national"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if size, mode := pragmas(t, db.Bookkeeping(store.Inspect)); size != store.SQLitePageSize || mode != "wal" {
		t.Errorf("new national database: page size %d, journal %q; want %d and wal", size, mode, store.SQLitePageSize)
	}
}
