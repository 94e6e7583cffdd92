package store

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strconv"
)

// Index is one index of a table as the schema holds it: its name and the
// statement that creates it again (on PostgreSQL a primary key or UNIQUE
// constraint is one too, re-added by ALTER TABLE).
type Index struct {
	Table, Name, Create string
	drop                string
}

// Indexes reads from the schema the indexes of tables that DropIndexes
// would take away: on SQLite those it holds a CREATE INDEX for (a primary
// key or UNIQUE column's own index cannot be dropped there); on PostgreSQL
// every index, constraints' included. Sorted by table, then name.
func (db *DB) Indexes(ctx context.Context, tables ...string) ([]Index, error) {
	return db.indexes(ctx, db.sql, tables)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (db *DB) indexes(ctx context.Context, q querier, tables []string) ([]Index, error) {
	var out []Index
	for _, t := range tables {
		query := `SELECT name, sql, 'DROP INDEX ' || name FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL`
		if db.engine == Postgres {
			// Constraints first (an index of one is dropped with it).
			query = `SELECT k.conname, 'ALTER TABLE ' || $1::text || ' ADD CONSTRAINT ' || quote_ident(k.conname) || ' ' || pg_get_constraintdef(k.oid),
					'ALTER TABLE ' || $1::text || ' DROP CONSTRAINT ' || quote_ident(k.conname)
				FROM pg_constraint k WHERE k.conrelid = to_regclass($1::text) AND k.contype IN ('p', 'u')
				UNION ALL
				SELECT c.relname, pg_get_indexdef(c.oid), 'DROP INDEX ' || quote_ident(c.relname)
				FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
				WHERE x.indrelid = to_regclass($1::text) AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)`
		}
		rows, err := q.QueryContext(ctx, query, t)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			ix := Index{Table: t}
			if err := rows.Scan(&ix.Name, &ix.Create, &ix.drop); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, ix)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b Index) int { return cmp.Or(cmp.Compare(a.Table, b.Table), cmp.Compare(a.Name, b.Name)) })
	return out, nil
}

// DropIndexes drops, inside tx, the indexes of tables (Indexes) and of the
// outbox, which the transaction writes, for a bulk load into empty tables:
// building an index once from all its rows (a sort) costs far less than
// keeping it row by row. The transaction recreates them before it commits
// (RebuildIndexes, which Update calls if fn did not), so no other
// transaction ever sees a table without them; a rolled-back one never
// dropped them. On PostgreSQL it holds the tables' exclusive locks until
// it ends: readers of them wait. The caller owns tables.
func (tx *Tx) DropIndexes(tables ...string) error {
	if err := tx.flush(); err != nil {
		return err
	}
	tx.private = tx.db.engine == Postgres
	if tx.db.ckpt != nil {
		tx.db.ckpt.bulkLoad = true // under the writer lock, which the transaction holds
	}
	if tx.db.engine == SQLite && tx.cacheSize == 0 {
		// The rebuild scans each table once per index: a page cache that
		// holds the load reads it from memory, not back from the WAL.
		if err := tx.tx.QueryRowContext(tx.ctx, `PRAGMA cache_size`).Scan(&tx.cacheSize); err != nil {
			return err
		}
		if _, err := tx.tx.ExecContext(tx.ctx, `PRAGMA cache_size = -`+strconv.Itoa(loadCacheKiB)); err != nil {
			return err
		}
	}
	list, err := tx.db.indexes(tx.ctx, tx.tx, append(slices.Clone(tables), "outbox"))
	if err != nil {
		return err
	}
	for _, ix := range list {
		if _, err := tx.tx.ExecContext(tx.ctx, ix.drop); err != nil {
			return err
		}
	}
	tx.dropped = append(tx.dropped, list...)
	return nil
}

// loadCacheKiB is the page cache of the connection of a transaction that
// dropped indexes (SQLite), until it ends.
const loadCacheKiB = 1 << 20

// restoreCache gives the connection its own page cache back. A transaction
// that database/sql already rolled back (its context ended) cannot reach
// its connection any more: that one keeps the larger limit, whose pages are
// taken only as it reads, until the pool closes it.
func (tx *Tx) restoreCache() {
	if tx.cacheSize != 0 {
		tx.tx.ExecContext(tx.ctx, `PRAGMA cache_size = `+strconv.Itoa(tx.cacheSize))
		tx.cacheSize = 0
	}
}

// RebuildIndexes writes the messages queued so far to the outbox, then
// recreates the indexes DropIndexes dropped. A UNIQUE index or constraint
// that the rows break fails here (IsUniqueViolation).
func (tx *Tx) RebuildIndexes() error {
	if len(tx.dropped) == 0 {
		return nil
	}
	if err := tx.WriteOutbox(); err != nil {
		return err
	}
	if err := tx.flush(); err != nil {
		return err
	}
	for len(tx.dropped) > 0 {
		if _, err := tx.tx.ExecContext(tx.ctx, tx.dropped[0].Create); err != nil {
			return err
		}
		tx.dropped = tx.dropped[1:]
	}
	tx.restoreCache()
	return nil
}

// WriteOutbox writes the messages queued so far to the outbox now, not at
// the end of the transaction: a bulk operation queues one per row and
// need not hold them all. Not between a Savepoint and its end.
func (tx *Tx) WriteOutbox() error {
	if len(tx.msgs) == 0 {
		return nil
	}
	if err := tx.writeOutbox(); err != nil {
		return err
	}
	for i := range tx.msgs {
		tx.noteDest(tx.msgs[i].To)
	}
	tx.msgs = tx.msgs[:0]
	return nil
}

// queuedAny reports whether the transaction queued a message, written to
// the outbox already (WriteOutbox notes its destination) or not yet.
func (tx *Tx) queuedAny() bool { return len(tx.msgs) > 0 || len(tx.queuedTo) > 0 }

// noteDest adds dest to the destinations the transaction queued for.
func (tx *Tx) noteDest(dest string) {
	switch {
	case tx.queuedSeen != nil:
		if !tx.queuedSeen[dest] {
			tx.queuedSeen[dest] = true
			tx.queuedTo = append(tx.queuedTo, dest)
		}
	case slices.Contains(tx.queuedTo, dest):
	case len(tx.queuedTo) < 32: // linear: a transaction's messages go to a few destinations
		tx.queuedTo = append(tx.queuedTo, dest)
	default: // a bulk operation's
		tx.queuedSeen = make(map[string]bool, 2*len(tx.queuedTo))
		for _, d := range tx.queuedTo {
			tx.queuedSeen[d] = true
		}
		tx.queuedSeen[dest] = true
		tx.queuedTo = append(tx.queuedTo, dest)
	}
}
