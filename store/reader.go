package store

import (
	"context"
	"database/sql"
)

// Reader is what a package's status or evidence read needs: the handle
// Bookkeeping returns, or a transaction begun on it (a test that removes a
// record, reads, and rolls the removal back). The owner of a table takes a
// Reader when its facts are combined with other owners' in one report
// (the compliance report), so that all of them can read one snapshot.
type Reader interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

var (
	_ Reader = (*sql.DB)(nil)
	_ Reader = (*sql.Tx)(nil)
)
