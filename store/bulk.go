package store

import (
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
	if len(args) == 0 {
		return nil
	}
	if cols <= 0 || len(args)%cols != 0 {
		panic("store.InsertRows: args is not a whole number of rows")
	}
	perStmt := max(1, 10000/cols)
	rows := len(args) / cols
	var q strings.Builder
	for start := 0; start < rows; start += perStmt {
		end := min(start+perStmt, rows)
		q.Reset()
		q.WriteString(prefix)
		n := 0
		for i := start; i < end; i++ {
			if i > start {
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
		for _, x := range suffix {
			q.WriteString(x)
		}
		if _, err := tx.Exec(q.String(), args[start*cols:end*cols]...); err != nil {
			return err
		}
	}
	return nil
}
