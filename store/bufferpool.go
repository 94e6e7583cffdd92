package store

import (
	"context"

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
