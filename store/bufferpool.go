package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jukinet/jukinet"
)

// BufferPool returns, on PostgreSQL, the server's shared_buffers and the
// bytes the hot set of tables takes: of each table in whole its heap,
// indexes and TOAST, of each table in indexed its indexes only (a table
// whose reads go through its keys while its heap is appended to). The
// national server reads a page of its identity store for every person looked
// up: one missing from shared_buffers is a copy from the OS cache, or a
// disk read (docs/scale.md). A table that does not exist counts 0. On
// SQLite both are 0. Errors: KindInternal.
func (db *DB) BufferPool(ctx context.Context, whole, indexed []string) (sharedBuffers, hot int64, err error) {
	const op = "store.BufferPool"
	if db.engine != Postgres {
		return 0, 0, nil
	}
	// shared_buffers is counted in blocks of block_size bytes.
	err = db.sql.QueryRowContext(ctx, `SELECT (SELECT setting::bigint FROM pg_settings WHERE name = 'shared_buffers')
 * (SELECT setting::bigint FROM pg_settings WHERE name = 'block_size')`).Scan(&sharedBuffers)
	if err != nil {
		return 0, 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	// to_regclass resolves the names in the node's schema (search_path).
	err = db.sql.QueryRowContext(ctx, `SELECT
 COALESCE((SELECT SUM(pg_total_relation_size(c)) FROM unnest($1::text[]) t, to_regclass(t) c WHERE c IS NOT NULL), 0)
 + COALESCE((SELECT SUM(pg_indexes_size(c)) FROM unnest($2::text[]) t, to_regclass(t) c WHERE c IS NOT NULL), 0)`,
		whole, indexed).Scan(&hot)
	if err != nil {
		return 0, 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	return sharedBuffers, hot, nil
}

// Prewarm reads the hot set of tables (as BufferPool counts it: of whole
// their heaps and indexes, of indexed their indexes) into shared_buffers
// with the pg_prewarm extension, and returns the pages read: the pool of a
// server that has served its store for a while, without waiting for the
// lookups to fill it. On SQLite it does nothing. Errors: KindUnavailable
// when the extension is not installed in the database, KindInternal.
func (db *DB) Prewarm(ctx context.Context, whole, indexed []string) (int64, error) {
	const op = "store.Prewarm"
	if db.engine != Postgres {
		return 0, nil
	}
	var schema string
	err := db.sql.QueryRowContext(ctx, `SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_prewarm'`).Scan(&schema)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, jukinet.E(op, jukinet.KindUnavailable, "the pg_prewarm extension is not installed in this database")
	}
	if err != nil {
		return 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	// regnamespace::text is already quoted where it must be.
	var pages int64
	err = db.sql.QueryRowContext(ctx, `SELECT COALESCE(SUM(`+schema+`.pg_prewarm(r)), 0) FROM (
 SELECT c AS r FROM unnest($1::text[]) t, to_regclass(t) c WHERE c IS NOT NULL
 UNION ALL
 SELECT i.indexrelid::regclass FROM pg_index i WHERE i.indrelid IN (SELECT to_regclass(t) FROM unnest($1::text[] || $2::text[]) t)) x`,
		whole, indexed).Scan(&pages)
	if err != nil {
		return 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	return pages, nil
}

// HugePages returns, on PostgreSQL, the server's huge_pages setting, and
// whether it runs its shared memory in huge pages: "on" or "off" where the
// server says (huge_pages_status, PostgreSQL 17 and later), "" where it
// cannot. On SQLite all are "". Errors: KindInternal.
func (db *DB) HugePages(ctx context.Context) (setting, status string, err error) {
	const op = "store.HugePages"
	if db.engine != Postgres {
		return "", "", nil
	}
	err = db.sql.QueryRowContext(ctx, `SELECT current_setting('huge_pages'), COALESCE(current_setting('huge_pages_status', true), '')`).Scan(&setting, &status)
	if err != nil {
		return "", "", jukinet.E(op, jukinet.KindInternal, err)
	}
	return setting, status, nil
}
