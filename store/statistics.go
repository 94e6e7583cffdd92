package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jukinet/jukinet"
)

// The database keeps its planner statistics current itself: after a bulk
// load (BulkLoad) and on a schedule (keepStatistics). PostgreSQL with
// autovacuum off, or right after a load, has none or old ones and plans the
// identity lookups as whole-table scans (measured: 2,100 records/s at
// 1,000,000 persons instead of tens of thousands). `jukinet doctor` reports
// stale statistics (StaleStatistics).

// StatisticsInterval is how often a database refreshes the statistics of the
// tables that changed much since their last analysis.
const StatisticsInterval = 10 * time.Minute

// staleRows is the changes since the last analysis, beyond a tenth of the
// table, after which a table's statistics count as stale (PostgreSQL's
// autoanalyze threshold is 50 + 10 %).
const staleRows = 1000

// keepStatistics refreshes stale statistics every interval until stop is
// closed.
func (db *DB) keepStatistics(interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), interval)
			db.refreshStatistics(ctx)
			cancel()
		}
	}
}

// refreshStatistics analyzes the tables whose statistics are stale: on
// SQLite PRAGMA optimize, which does exactly that (within analysis_limit).
func (db *DB) refreshStatistics(ctx context.Context) error {
	if db.engine == SQLite {
		// PRAGMA optimize may ANALYZE, a write: it queues with the writers.
		// Met in SQLite's busy handler instead, it failed a 30-million-person
		// load when the schedule fell inside one of its transactions.
		defer db.lockWriter()()
		conn, err := db.sql.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		for _, s := range []string{"PRAGMA analysis_limit=1000", "PRAGMA optimize"} {
			if _, err := conn.ExecContext(ctx, s); err != nil {
				return err
			}
		}
		return nil
	}
	stale, err := db.pgStale(ctx)
	if err != nil {
		return err
	}
	tables := make([]string, len(stale))
	for i, s := range stale {
		tables[i] = s.table
	}
	if len(tables) == 0 {
		return nil
	}
	return db.Analyze(ctx, tables...)
}

type staleTable struct {
	table    string
	modified int64
	analyzed bool // ever
}

// pgStale lists the tables of the schema changed by more than staleRows
// plus a tenth of their rows since their last analysis (manual or auto).
func (db *DB) pgStale(ctx context.Context) ([]staleTable, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT relname, n_mod_since_analyze, last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL
 FROM pg_stat_user_tables WHERE schemaname = current_schema() AND n_mod_since_analyze > $1 + n_live_tup / 10 ORDER BY relname`, staleRows)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []staleTable
	for rows.Next() {
		var s staleTable
		if err := rows.Scan(&s.table, &s.modified, &s.analyzed); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// StaleStatistics returns a finding per table whose planner statistics are
// missing or stale: on PostgreSQL a table changed by more than 1,000 rows
// plus a tenth of its size since its last ANALYZE (pg_stat_user_tables); on
// SQLite a table of more than 1,000 rows that sqlite_stat1 does not describe,
// or whose row count there is off by more than a tenth. Errors: KindInternal.
func (db *DB) StaleStatistics(ctx context.Context) ([]string, error) {
	const op = "store.StaleStatistics"
	var out []string
	if db.engine == Postgres {
		stale, err := db.pgStale(ctx)
		if err != nil {
			return nil, jukinet.E(op, jukinet.KindInternal, err)
		}
		for _, s := range stale {
			when := "since its last ANALYZE"
			if !s.analyzed {
				when = "and it was never analyzed"
			}
			out = append(out, fmt.Sprintf("table %s: planner statistics are stale (%d rows changed %s); run ANALYZE %s", s.table, s.modified, when, s.table))
		}
		return out, nil
	}
	stale, err := db.sqliteStale(ctx)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	return stale, nil
}

// sqliteStale compares each large table's row count with sqlite_stat1.
func (db *DB) sqliteStale(ctx context.Context) ([]string, error) {
	var hasStat int
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'`).Scan(&hasStat); err != nil {
		return nil, err
	}
	tables, err := sqliteTables(ctx, db.sql)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range tables {
		var n int64
		// A bounded count: only whether the table is past staleRows matters
		// when it has no statistics at all.
		if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t).Scan(&n); err != nil {
			return nil, err
		}
		if n <= staleRows {
			continue
		}
		var stat sql.NullString
		if hasStat > 0 {
			err := db.sql.QueryRowContext(ctx, `SELECT stat FROM sqlite_stat1 WHERE tbl = $1 LIMIT 1`, t).Scan(&stat)
			if err != nil && err != sql.ErrNoRows {
				return nil, err
			}
		}
		var counted int64
		if stat.Valid {
			fmt.Sscan(stat.String, &counted)
		}
		switch {
		case !stat.Valid:
			out = append(out, fmt.Sprintf("table %s: no planner statistics (%d rows); run jukinet doctor --analyze or ANALYZE", t, n))
		case abs(n-counted) > staleRows+counted/10:
			out = append(out, fmt.Sprintf("table %s: planner statistics are stale (%d rows counted, %d now); run ANALYZE", t, counted, n))
		}
	}
	return out, nil
}

func sqliteTables(ctx context.Context, db *sql.DB) ([]string, error) {
	return names(ctx, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
}

// pgTables lists the tables of the current schema.
func pgTables(ctx context.Context, db *sql.DB) ([]string, error) {
	return names(ctx, db, `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`)
}

func names(ctx context.Context, db *sql.DB, q string) ([]string, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
