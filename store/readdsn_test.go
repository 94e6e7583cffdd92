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

// Config.MmapBytes sets how much of the file the writing connections map:
// national maps its default unless told otherwise, a negative value maps
// nothing there, another node maps only what it is given.
func TestSQLiteMmapBytes(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		node string
		mmap int64
		want int64
	}{
		{"national", 0, store.NationalMmapBytes},
		{"national", -1, 0},
		{"national", 64 << 20, 64 << 20},
		{"352063", 0, 0},
		{"352063", 8 << 20, 8 << 20},
	} {
		db, err := store.Open(ctx, store.Config{Path: filepath.Join(t.TempDir(), "n.db"), Node: c.node, MmapBytes: c.mmap})
		if err != nil {
			t.Fatal(err)
		}
		var got int64
		err = db.Bookkeeping(store.Inspect).QueryRowContext(ctx, `PRAGMA mmap_size`).Scan(&got)
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("node %s, MmapBytes %d: mmap_size %d, want %d", c.node, c.mmap, got, c.want)
		}
	}
}

// SQLiteMemory counts the connections a database opened and what SQLite
// holds for them: every connection parses the schema, and a read fills the
// page cache; a smaller cache holds less after the same reads.
func TestSQLiteMemory(t *testing.T) {
	ctx := context.Background()
	used := func(cacheKiB int) store.SQLiteMemory {
		db, err := store.Open(ctx, store.Config{Path: filepath.Join(t.TempDir(), "n.db"), Node: "352063", Conns: 2, CacheKiB: cacheKiB})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		in := db.Bookkeeping(store.Inspect)
		if _, err := in.ExecContext(ctx, `CREATE TABLE filler (x TEXT)`); err != nil {
			t.Fatal(err)
		}
		if _, err := in.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 4000) INSERT INTO filler SELECT printf('%0500d', i) FROM n`); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := in.QueryRowContext(ctx, `SELECT COUNT(*) FROM filler WHERE x LIKE '%9%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		m, err := db.SQLiteMemory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	big, small := used(4096), used(128)
	if big.Conns < 1 || big.Schema <= 0 || big.Cache <= 0 {
		t.Fatalf("SQLiteMemory of a used database: %+v", big)
	}
	if small.Cache >= big.Cache || small.Cache > 2*128<<10*int64(small.Conns) {
		t.Fatalf("page caches: %d bytes with 128 KiB a connection, %d with 4 MiB", small.Cache, big.Cache)
	}
}

// ReleaseStatements frees the statements a bulk insert left prepared on
// the connections (on SQLite, SQLiteMemory's statements fall; PostgreSQL
// reports no SQLite memory), and the database prepares what it runs next
// again.
func TestReleaseStatements(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		ctx := jukinet.WithActor(context.Background(), recorder)
		if _, err := db.Bookkeeping(store.Inspect).ExecContext(ctx, `CREATE TABLE rprobe (k BIGINT PRIMARY KEY, a TEXT, b TEXT, c TEXT)`); err != nil {
			t.Fatal(err)
		}
		insert := func(from, n int) {
			t.Helper()
			err := db.Update(ctx, store.Op{Operation: jukinet.OpMoveWithin}, func(tx *store.Tx) error {
				var args []any
				for i := from; i < from+n; i++ {
					args = append(args, int64(i), "a", "b", "c")
				}
				return tx.InsertRows(`INSERT INTO rprobe (k, a, b, c) VALUES `, 4, args)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		insert(0, 2000) // full chunks of 500 rows: 2,000 parameters a statement
		loaded, err := db.SQLiteMemory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		db.ReleaseStatements()
		released, err := db.SQLiteMemory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if db.Engine() == store.SQLite && (loaded.Stmts == 0 || released.Stmts*2 > loaded.Stmts) {
			t.Fatalf("prepared statements: %d bytes after the load, %d after releasing them; want less than half", loaded.Stmts, released.Stmts)
		}
		if db.Engine() == store.Postgres && (loaded != store.SQLiteMemory{}) {
			t.Fatalf("SQLite memory of a PostgreSQL database: %+v", loaded)
		}
		insert(2000, 3)
		var n int
		if err := db.Bookkeeping(store.Inspect).QueryRowContext(ctx, `SELECT COUNT(*) FROM rprobe`).Scan(&n); err != nil || n != 2003 {
			t.Fatalf("rows after releasing the statements: %d, %v; want 2003", n, err)
		}
	})
}
