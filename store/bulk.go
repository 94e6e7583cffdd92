package store

import (
	"bytes"
	"database/sql"
	"math/bits"
	"strconv"
	"strings"
)

// InsertRows runs prefix + "(…),(…),…" for rows of cols values each, in as
// few statements as the engines allow: hot paths never run a statement per
// row (docs/design.md §5).
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
	// Full chunks and power-of-two rests reuse prepared statements (parsing
	// a statement with thousands of parameters costs more than running it).
	perStmt := max(1, 2000/cols)
	for at := 0; at < rows; {
		n := chunkRows(rows-at, perStmt)
		stmt, err := tx.prepareRows(prefix, tail, cols, n)
		if err != nil {
			return err
		}
		if _, err := stmt.ExecContext(tx.ctx, args[at*cols:(at+n)*cols]...); err != nil {
			return err
		}
		at += n
	}
	return nil
}

// maxBulkStatements is how many multi-row statements a database keeps
// prepared (each shape: its full chunk and up to ~11 power-of-two rests).
const maxBulkStatements = 1024

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
	if !ok && len(db.bulk) < maxBulkStatements && !tx.private {
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

// InsertRowsSharing is InsertRows for the rows of one table whose columns at
// the positions in shared hold the same value in every row (a transaction's
// time, its actor, the sender of a batch): on SQLite those are bound once per
// statement (INSERT … SELECT over VALUES) instead of once per row — the
// driver copies every bound value into C memory and clears it again, which
// cost about as much as the b-tree work of a narrow row. When the values
// differ after all, or on PostgreSQL, it is InsertRows. shared nil means
// every column that holds one value in all the rows. suffix is an
// ON CONFLICT clause or "".
func (tx *Tx) InsertRowsSharing(table string, columns []string, shared []int, args []any, suffix string) error {
	cols := len(columns)
	if cols == 0 || len(args)%cols != 0 {
		panic("store.InsertRowsSharing: args is not a whole number of rows")
	}
	plain := "INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES "
	if tx.db.engine != SQLite || len(args) <= cols {
		return tx.InsertRows(plain, cols, args, suffix)
	}
	if shared == nil {
		for c := 0; c < cols; c++ {
			if sameAt(args, cols, []int{c}) {
				shared = append(shared, c)
			}
		}
	}
	if len(shared) < 2 || len(shared) == cols || !sameAt(args, cols, shared) {
		return tx.InsertRows(plain, cols, args, suffix)
	}
	if err := tx.flush(); err != nil {
		return err
	}
	isShared := make([]bool, cols)
	for _, c := range shared {
		isShared[c] = true
	}
	var sel strings.Builder
	var sharedVals []any
	k := 0
	for c := 0; c < cols; c++ {
		if c > 0 {
			sel.WriteString(", ")
		}
		if isShared[c] {
			sel.WriteByte('?')
			sharedVals = append(sharedVals, args[c])
			continue
		}
		k++
		sel.WriteString("column" + strconv.Itoa(k))
	}
	prefix := "INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") SELECT " + sel.String() + " FROM (VALUES "
	tail := ")"
	if suffix != "" {
		tail = ") WHERE true" + suffix // "WHERE true" keeps ON CONFLICT from being read as a join (SQLite's upsert rule)
	}
	per := max(1, 2000/k)
	rows := len(args) / cols
	vals := make([]any, 0, len(sharedVals)+min(rows, per)*k)
	for start := 0; start < rows; {
		n := chunkRows(rows-start, per)
		vals = append(vals[:0], sharedVals...)
		for r := start; r < start+n; r++ {
			for c := 0; c < cols; c++ {
				if !isShared[c] {
					vals = append(vals, args[r*cols+c])
				}
			}
		}
		stmt, err := tx.prepareRows(prefix, tail, k, n)
		if err != nil {
			return err
		}
		if _, err := stmt.ExecContext(tx.ctx, vals...); err != nil {
			return err
		}
		start += n
	}
	return nil
}

// chunkRows is how many of rest rows the next statement inserts: per while
// that many are left, then the largest power of two left, so that every
// statement has one of a few shapes, each prepared once per database
// (remainders vary from transaction to transaction, and parsing a
// statement of hundreds of rows every time cost more than running it).
func chunkRows(rest, per int) int {
	if rest >= per {
		return per
	}
	return 1 << (bits.Len(uint(rest)) - 1)
}

// sameAt reports whether every row of args holds the first row's values at
// the shared positions.
func sameAt(args []any, cols int, shared []int) bool {
	for r := cols; r < len(args); r += cols {
		for _, c := range shared {
			if !sameValue(args[c], args[r+c]) {
				return false
			}
		}
	}
	return true
}

func sameValue(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case []byte:
		y, ok := b.([]byte)
		return ok && (x == nil) == (y == nil) && bytes.Equal(x, y)
	case string:
		y, ok := b.(string)
		return ok && x == y
	case int64:
		y, ok := b.(int64)
		return ok && x == y
	case int:
		y, ok := b.(int)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	}
	return false // other types are never taken as shared
}
