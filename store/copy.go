package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"strings"

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
	return tx.conn.Raw(func(dc any) error {
		conn := dc.(*stdlib.Conn).Conn()
		types, err := tx.columnTypes(conn, table, columns)
		if err != nil {
			return err
		}
		if data, ok := encodeCopy(types, args); ok {
			_, err := conn.PgConn().CopyFrom(tx.ctx, bytes.NewReader(data),
				"COPY "+pgx.Identifier{table}.Sanitize()+" ("+sanitizedColumns(columns)+") FROM STDIN (FORMAT binary)")
			return err
		}
		rows := make([][]any, len(args)/cols)
		for i := range rows {
			rows[i] = args[i*cols : (i+1)*cols : (i+1)*cols]
		}
		_, err = conn.CopyFrom(tx.ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
		return err
	})
}

// columnTypes returns the type OIDs of columns of table, asked of the server
// once per transaction (pgx's CopyFrom asks at every call).
func (tx *Tx) columnTypes(conn *pgx.Conn, table string, columns []string) ([]uint32, error) {
	key := table + "(" + strings.Join(columns, ",") + ")"
	if t, ok := tx.copyTypes[key]; ok {
		return t, nil
	}
	sd, err := conn.PgConn().Prepare(tx.ctx, "", "SELECT "+sanitizedColumns(columns)+" FROM "+pgx.Identifier{table}.Sanitize(), nil)
	if err != nil {
		return nil, err
	}
	types := make([]uint32, len(sd.Fields))
	for i, f := range sd.Fields {
		types[i] = f.DataTypeOID
	}
	if tx.copyTypes == nil {
		tx.copyTypes = map[string][]uint32{}
	}
	tx.copyTypes[key] = types
	return types, nil
}

func sanitizedColumns(columns []string) string {
	quoted := make([]string, len(columns))
	for i, c := range columns {
		quoted[i] = pgx.Identifier{c}.Sanitize()
	}
	return strings.Join(quoted, ", ")
}

// encodeCopy writes args as the rows of a binary COPY stream, for the column
// types and Go values a bulk path writes (text, bytea, integers, booleans,
// NULL): each value is copied as it is, where pgx looks up an encoding plan
// for every value (a quarter of an import's client CPU). false for any other
// pair of type and value, which the caller leaves to pgx.
func encodeCopy(types []uint32, args []any) ([]byte, bool) {
	size := 21
	for _, a := range args {
		size += 4
		switch v := a.(type) {
		case string:
			size += len(v)
		case []byte:
			size += len(v)
		default:
			size += 8
		}
	}
	b := make([]byte, 0, size)
	b = append(b, "PGCOPY\n\377\r\n\000"...)
	b = binary.BigEndian.AppendUint32(b, 0) // flags
	b = binary.BigEndian.AppendUint32(b, 0) // header extension
	cols := len(types)
	for i, a := range args {
		if i%cols == 0 {
			b = binary.BigEndian.AppendUint16(b, uint16(cols))
		}
		var ok bool
		if b, ok = appendCopyValue(b, types[i%cols], a); !ok {
			return nil, false
		}
	}
	return binary.BigEndian.AppendUint16(b, 0xffff), true
}

// PostgreSQL's type OIDs that encodeCopy writes.
const (
	oidBool    = 16
	oidBytea   = 17
	oidInt8    = 20
	oidInt2    = 21
	oidInt4    = 23
	oidText    = 25
	oidVarchar = 1043
)

// appendCopyValue appends one field (its length, then its bytes in the
// binary format of type oid); false when it does not write that pair.
func appendCopyValue(b []byte, oid uint32, a any) ([]byte, bool) {
	var n int64
	switch v := a.(type) {
	case nil:
		return binary.BigEndian.AppendUint32(b, 0xffffffff), true
	case string:
		if oid != oidText && oid != oidVarchar {
			return b, false
		}
		b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
		return append(b, v...), true
	case []byte:
		if oid != oidBytea {
			return b, false
		}
		if v == nil {
			return binary.BigEndian.AppendUint32(b, 0xffffffff), true
		}
		b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
		return append(b, v...), true
	case bool:
		if oid != oidBool {
			return b, false
		}
		b = binary.BigEndian.AppendUint32(b, 1)
		if v {
			return append(b, 1), true
		}
		return append(b, 0), true
	case int:
		n = int64(v)
	case int64:
		n = v
	default:
		return b, false
	}
	switch {
	case oid == oidInt8:
		b = binary.BigEndian.AppendUint32(b, 8)
		return binary.BigEndian.AppendUint64(b, uint64(n)), true
	case oid == oidInt4 && n == int64(int32(n)):
		b = binary.BigEndian.AppendUint32(b, 4)
		return binary.BigEndian.AppendUint32(b, uint32(n)), true
	case oid == oidInt2 && n == int64(int16(n)):
		b = binary.BigEndian.AppendUint32(b, 2)
		return binary.BigEndian.AppendUint16(b, uint16(n)), true
	}
	return b, false
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
