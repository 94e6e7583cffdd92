package store

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// copyMin is the fewest rows CopyRows sends by COPY: below it a multi-row
// INSERT costs less than COPY's round trip to learn the column types.
const copyMin = 64

// CopyRows writes the rows of args (each len(columns) values) into table
// inside the transaction, for bulk paths (an import): on PostgreSQL with COPY
// on the transaction's own connection (pgx CopyFrom), which sends the rows
// as one binary stream, neither parsed as SQL nor bound value by value by
// database/sql; on SQLite, and for a few rows, it is InsertRowsSharing (the
// values every row shares are bound once). The caller owns the table (its
// package holds the SQL); table and columns are identifiers, never input.
func (tx *Tx) CopyRows(table string, columns []string, args []any) error {
	cols := len(columns)
	if cols == 0 || len(args)%cols != 0 {
		panic("store.CopyRows: args is not a whole number of rows")
	}
	if tx.conn == nil || len(args)/cols < copyMin {
		return tx.InsertRowsSharing(table, columns, nil, args, "")
	}
	if err := tx.flush(); err != nil {
		return err
	}
	rows := make([][]any, len(args)/cols)
	for i := range rows {
		rows[i] = args[i*cols : (i+1)*cols : (i+1)*cols]
	}
	return tx.conn.Raw(func(dc any) error {
		_, err := dc.(*stdlib.Conn).Conn().CopyFrom(tx.ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
		return err
	})
}

// begin starts an Update's transaction. On PostgreSQL it is begun on a
// connection of its own, kept in the Tx, so that CopyRows can reach the
// same session as pgx (database/sql's Tx does not expose it); the caller
// closes the connection after the transaction ends.
func (db *DB) begin(ctx context.Context) (*sql.Tx, *sql.Conn, error) {
	if db.engine != Postgres {
		t, err := db.sql.BeginTx(ctx, nil)
		return t, nil, err
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	t, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return t, conn, nil
}
