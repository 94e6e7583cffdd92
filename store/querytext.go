package store

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// QueryText runs the query q on conn (from ReadConn) and calls row with
// each row's columns as text, nil for NULL; the bytes are valid only
// during the call. On PostgreSQL it reads pgx's rows directly, every column
// in the text format, without database/sql's conversion of each value to an
// interface and back (a batch lookup of 1,000 records spends a sixth of its
// client CPU reading rows; docs/scale.md); on SQLite it reads
// sql.RawBytes.
func (db *DB) QueryText(ctx context.Context, conn *sql.Conn, q string, args []any, row func(cols [][]byte) error) error {
	if db.engine != Postgres {
		return queryRawBytes(ctx, conn, q, args, row)
	}
	return conn.Raw(func(dc any) error {
		c := dc.(*stdlib.Conn).Conn()
		rows, err := c.Query(ctx, q, append([]any{pgx.QueryResultFormats{pgx.TextFormatCode}}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := row(rows.RawValues()); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

func queryRawBytes(ctx context.Context, conn *sql.Conn, q string, args []any, row func(cols [][]byte) error) error {
	rows, err := conn.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	raw := make([]sql.RawBytes, len(cols))
	dest := make([]any, len(cols))
	vals := make([][]byte, len(cols))
	for i := range raw {
		dest[i] = &raw[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		for i, r := range raw {
			vals[i] = r
		}
		if err := row(vals); err != nil {
			return err
		}
	}
	return rows.Close()
}
