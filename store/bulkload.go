package store

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jukinet/jukinet"
)

// Loader writes rows in bulk for DB.BulkLoad: on PostgreSQL with COPY
// (pgx CopyFrom) in one transaction, on SQLite as multi-row inserts
// (InsertRows) committed per call, which is SQLite's fastest path that keeps
// the write-ahead log and its durability.
type Loader struct {
	db    *DB
	ctx   context.Context
	op    Op
	pg    *pgx.Conn // PostgreSQL: the connection holding the load's transaction
	rows  int64
	calls int
}

// Rows writes rows (each len(cols) values) into table. The caller owns the
// table (its package holds the SQL); table and cols are identifiers, never
// input.
func (l *Loader) Rows(table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	l.rows += int64(len(rows))
	l.calls++
	if l.pg != nil {
		_, err := l.pg.CopyFrom(l.ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
		return err
	}
	flat := make([]any, 0, len(rows)*len(cols))
	for _, r := range rows {
		flat = append(flat, r...)
	}
	op := l.op
	op.Detail = fmt.Sprintf("%s: %d rows of %s (part %d)", l.op.Detail, len(rows), table, l.calls)
	return l.db.Update(l.ctx, op, func(tx *Tx) error {
		return tx.InsertRows(`INSERT INTO `+table+` (`+strings.Join(cols, ", ")+`) VALUES `, len(cols), flat)
	})
}

// BulkLoad runs load, whose Loader writes rows in bulk, and records it as
// op. On PostgreSQL the whole load is one transaction, committed only after
// its operation-log record is; on SQLite every Loader.Rows call is one
// transaction with its own record. The statistics of the tables written are
// refreshed afterwards (Analyze): a planner with none picks whole-table scans
// for the lookups. On PostgreSQL the tables are vacuumed too, in the same
// pass: a freshly copied page is dirtied by the first read of each of its
// rows (it sets their hint bits) and written back when evicted, so until
// every page had been read once a lookup cost several times its CPU (28
// against 8 µs of server CPU per record at 1 M persons, docs/scale.md).
// VACUUM sets them in one sequential pass, and marks the pages all-visible
// unless an older transaction is open on the server. Errors: the
// authorization errors of Update (nothing is written), KindInternal.
func (db *DB) BulkLoad(ctx context.Context, op Op, tables []string, load func(l *Loader) error) (int64, error) {
	actor, ok := jukinet.ActorFrom(ctx)
	if !ok || jukinet.Authorize(op.Operation, actor) != nil {
		// Update refuses and records the refusal.
		return 0, db.Update(ctx, op, func(*Tx) error { return jukinet.E(string(op.Operation), jukinet.KindInternal, "refused load ran") })
	}
	l := &Loader{db: db, ctx: ctx, op: op}
	var err error
	if db.engine == Postgres {
		err = db.pgLoad(ctx, l, load)
	} else {
		err = load(l)
	}
	if err != nil {
		return l.rows, jukinet.E(string(op.Operation), jukinet.KindInternal, err)
	}
	if db.engine == Postgres {
		return l.rows, db.analyze(ctx, "VACUUM (ANALYZE) ", tables)
	}
	return l.rows, db.Analyze(ctx, tables...)
}

// pgLoad runs load in one transaction on a connection of its own.
func (db *DB) pgLoad(ctx context.Context, l *Loader, load func(l *Loader) error) error {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		l.pg = dc.(*stdlib.Conn).Conn()
		tx, err := l.pg.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		if err := load(l); err != nil {
			return err
		}
		op := l.op
		op.Detail = l.op.Detail + ": " + strconv.FormatInt(l.rows, 10) + " rows"
		if err := db.Update(ctx, op, func(*Tx) error { return nil }); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
}

// Analyze refreshes the planner's statistics of tables (all tables when
// none are named). PostgreSQL plans the identity lookups from them: without
// any, right after a bulk load or with autovacuum off, it scans the whole
// table for every batch. On SQLite the sample is bounded
// (analysis_limit), so it costs milliseconds at any size.
func (db *DB) Analyze(ctx context.Context, tables ...string) error {
	return db.analyze(ctx, "ANALYZE ", tables)
}

// analyze runs verb (on PostgreSQL "ANALYZE " or "VACUUM (ANALYZE) ") on
// each of tables, all of the node's when none are named.
func (db *DB) analyze(ctx context.Context, verb string, tables []string) error {
	var stmts []string
	if db.engine == Postgres {
		if len(tables) == 0 {
			// The node's own schema only: a bare ANALYZE would take every
			// schema of the database.
			var err error
			if tables, err = pgTables(ctx, db.sql); err != nil {
				return jukinet.E("store.Analyze", jukinet.KindInternal, err)
			}
		}
		for _, t := range tables {
			stmts = append(stmts, verb+t)
		}
	} else {
		stmts = []string{"PRAGMA analysis_limit=1000"}
		if len(tables) == 0 {
			stmts = append(stmts, "ANALYZE")
		}
		for _, t := range tables {
			stmts = append(stmts, "ANALYZE "+t)
		}
	}
	// ANALYZE writes the statistics tables: on SQLite it queues behind the
	// other writers (lockWriter) instead of meeting them in SQLite's busy
	// handler, whose timeout would fail a long bulk load.
	defer db.lockWriter()()
	var next atomic.Int32
	take := func() (string, bool) {
		i := int(next.Add(1)) - 1
		if i >= len(stmts) {
			return "", false
		}
		return stmts[i], true
	}
	if db.engine == Postgres && len(stmts) > 1 {
		// Each table's sample is read and sorted by one backend: two
		// sessions keep two cores busy (after an import of 200,000
		// residents the six tables took a second and more). They take the
		// statements from one queue in the order given, so a caller that
		// names its largest table first has it analyzed beside all the
		// others, not beside half of them (residents alone took as long
		// as the other five).
		var other error
		done := make(chan struct{})
		go func() {
			defer close(done)
			other = db.analyzeOn(ctx, take)
		}()
		err := db.analyzeOn(ctx, take)
		<-done
		return cmp.Or(err, other)
	}
	return db.analyzeOn(ctx, take)
}

// analyzeOn runs the statements next yields on one connection of the pool.
func (db *DB) analyzeOn(ctx context.Context, next func() (string, bool)) error {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return jukinet.E("store.Analyze", jukinet.KindUnavailable, err)
	}
	defer conn.Close()
	for s, ok := next(); ok; s, ok = next() {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return jukinet.E("store.Analyze", jukinet.KindInternal, err)
		}
	}
	return nil
}

// SizeOnDisk returns the bytes the database takes: on SQLite the file and its
// write-ahead log, on PostgreSQL the tables of its schema with their indexes
// and TOAST.
func (db *DB) SizeOnDisk(ctx context.Context) (int64, error) {
	var n int64
	if db.engine == Postgres {
		err := db.sql.QueryRowContext(ctx, `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c
 JOIN pg_namespace s ON s.oid = c.relnamespace WHERE c.relkind IN ('r', 'm') AND s.nspname = current_schema()`).Scan(&n)
		return n, err
	}
	var pages, size int64
	if err := db.sql.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		return 0, err
	}
	if err := db.sql.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&size); err != nil {
		return 0, err
	}
	return pages * size, nil
}
