package store

import (
	"database/sql"
	"strconv"
	"strings"
)

// InsertRows runs prefix + "(…),(…),…" for rows of cols values each, in as
// few statements as the engines allow: hot paths never run a statement per
// row (DESIGN.md §5).
//
// This is the one place where the SQL text differs by engine: on SQLite the
// generated statements use anonymous "?" parameters, because modernc.org/sqlite
// resolves "$N" names by a linear search per parameter, which makes a
// statement with thousands of them quadratic (measured: 263 residents/s for
// an import with "$N", see register.BenchmarkImport).
//
// suffix, if given, follows each statement (e.g. an ON CONFLICT clause).
func (tx *Tx) InsertRows(prefix string, cols int, args []any, suffix ...string) error {
	if err := tx.flush(); err != nil {
		return err
	}
	return tx.insertRows(prefix, cols, args, strings.Join(suffix, ""))
}

func (tx *Tx) insertRows(prefix string, cols int, args []any, tail string) error {
	if len(args) == 0 {
		return nil
	}
	if cols <= 0 || len(args)%cols != 0 {
		panic("store.InsertRows: args is not a whole number of rows")
	}
	rows := len(args) / cols
	// Full chunks reuse one prepared statement (parsing a statement with
	// thousands of parameters costs more than running it); the remainder
	// gets its own.
	perStmt := max(1, min(rows, 2000/cols))
	full := rows / perStmt
	if full > 0 {
		stmt, err := tx.prepareRows(prefix, tail, cols, perStmt)
		if err != nil {
			return err
		}
		for c := 0; c < full; c++ {
			if _, err := stmt.ExecContext(tx.ctx, args[c*perStmt*cols:(c+1)*perStmt*cols]...); err != nil {
				return err
			}
		}
	}
	if rest := rows - full*perStmt; rest > 0 {
		if rest <= cachedRemainder {
			// Small remainders (a transaction's few log records) are
			// frequent: prepared once per database like the full chunks.
			stmt, err := tx.prepareRows(prefix, tail, cols, rest)
			if err != nil {
				return err
			}
			_, err = stmt.ExecContext(tx.ctx, args[full*perStmt*cols:]...)
			return err
		}
		// Others not through a cache: their lengths vary.
		if _, err := tx.tx.ExecContext(tx.ctx, tx.rowsSQL(prefix, tail, cols, rest), args[full*perStmt*cols:]...); err != nil {
			return err
		}
	}
	return nil
}

// cachedRemainder is the most rows of a remainder statement kept prepared,
// and maxBulkStatements how many multi-row statements a database keeps.
const (
	cachedRemainder   = 16
	maxBulkStatements = 256
)

// prepareRows returns the statement inserting rows rows, bound to tx. It is
// prepared once per database (and per pooled connection by database/sql):
// re-preparing it in every transaction cost a third of a small transaction's
// log append, and parsing a 2000-parameter statement more than running it.
func (tx *Tx) prepareRows(prefix, tail string, cols, rows int) (*sql.Stmt, error) {
	key := prefix + "|" + tail + "|" + strconv.Itoa(rows)
	if st, ok := tx.stmts[key]; ok {
		return st, nil
	}
	var st *sql.Stmt
	db := tx.db
	db.stmtMu.Lock()
	shared, ok := db.bulk[key]
	if !ok && len(db.bulk) < maxBulkStatements {
		var err error
		if shared, err = db.sql.PrepareContext(tx.ctx, tx.rowsSQL(prefix, tail, cols, rows)); err == nil {
			if db.bulk == nil {
				db.bulk = map[string]*sql.Stmt{}
			}
			db.bulk[key], ok = shared, true
		}
	}
	db.stmtMu.Unlock()
	if ok {
		st = tx.tx.StmtContext(tx.ctx, shared)
	} else {
		var err error
		if st, err = tx.tx.PrepareContext(tx.ctx, tx.rowsSQL(prefix, tail, cols, rows)); err != nil {
			return nil, err
		}
	}
	if tx.stmts == nil {
		tx.stmts = map[string]*sql.Stmt{}
	}
	tx.stmts[key] = st
	return st, nil
}

func (tx *Tx) rowsSQL(prefix, tail string, cols, rows int) string {
	var q strings.Builder
	q.WriteString(prefix)
	n := 0
	for i := 0; i < rows; i++ {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteByte('(')
		for c := 0; c < cols; c++ {
			if c > 0 {
				q.WriteByte(',')
			}
			n++
			if tx.db.engine == SQLite {
				q.WriteByte('?')
			} else {
				q.WriteByte('$')
				q.WriteString(strconv.Itoa(n))
			}
		}
		q.WriteByte(')')
	}
	q.WriteString(tail)
	return q.String()
}
