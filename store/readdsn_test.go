package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// A read DSN must reach a copy of the node's own PostgreSQL database: on
// SQLite it is refused, and one that reaches another node's database is
// refused by the node recorded in it. Both name the field read_dsn.
func TestReadDSNReachesTheNodesOwnDatabase(t *testing.T) {
	ctx := context.Background()
	_, err := store.Open(ctx, store.Config{Path: filepath.Join(t.TempDir(), "n.db"), ReadDSN: "postgres://x@127.0.0.1/none", Node: "352063"})
	if !jukinet.IsKind(err, jukinet.KindInvalid) || jukinet.ErrorField(err) != "read_dsn" {
		t.Errorf("SQLite with a read DSN: %v, want invalid read_dsn", err)
	}
	for _, e := range storetest.Engines() {
		if e != store.Postgres {
			continue
		}
		own := storetest.Config(t, e, "352063")
		other := storetest.Config(t, e, "352012") // another node's database
		cfg := own
		cfg.ReadDSN = own.DSN
		same, err := store.Open(ctx, cfg)
		if err != nil {
			t.Fatalf("a read DSN on the node's own database: %v", err)
		}
		conn, err := same.ReadConn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conn.Close()
		same.Close()
		cfg.ReadDSN = other.DSN
		otherDB, err := store.Open(ctx, other)
		if err != nil {
			t.Fatal(err)
		}
		otherDB.Close()
		_, err = store.Open(ctx, cfg)
		if !jukinet.IsKind(err, jukinet.KindInvalid) || jukinet.ErrorField(err) != "read_dsn" {
			t.Errorf("a read DSN reaching 352012's database: %v, want invalid read_dsn", err)
		}
	}
}

// On SQLite ReadConn gives a connection of the reader pool: read-only, with
// the small page cache of a connection whose cache lives for one read
// (readerCacheKiB), while the writing connections keep their large one.
func TestSQLiteReadConnIsAReaderWithASmallCache(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{Path: filepath.Join(t.TempDir(), "n.db"), Node: "national"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.ReadConn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var cache, writerCache int64
	if err := conn.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&cache); err != nil {
		t.Fatal(err)
	}
	if err := db.Bookkeeping(store.Inspect).QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&writerCache); err != nil {
		t.Fatal(err)
	}
	if cache != -store.ReaderCacheKiB || writerCache != -store.NationalCacheKiB {
		t.Errorf("cache_size: reader %d, writer %d; want -%d and -%d (KiB)", cache, writerCache, store.ReaderCacheKiB, store.NationalCacheKiB)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE reader_wrote (x INTEGER)`); err == nil {
		t.Error("a reader-pool connection wrote to the database, want a query_only refusal")
	}
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE name = 'reader_wrote'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("reader_wrote tables: %d, %v; want none", n, err)
	}
}
