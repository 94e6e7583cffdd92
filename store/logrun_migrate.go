package store

import (
	"bytes"
	"context"
	"database/sql"
)

// migrationSteps are the parts of migrations that SQL cannot say, each run
// in its migration's transaction after the file's SQL.
var migrationSteps = map[string]func(context.Context, *sql.Tx, Engine) error{
	"0860_oplog_run_layout.sql": rewriteFullRuns,
}

// rewriteFullRuns rewrites every run row still in layout 1 (each record's
// values in full, the first layout of runs) into the current layout, so
// that a run has one layout and readers read only it. A record's canonical
// bytes and leaf hash do not change, so neither does the tree. A row whose
// records do not hash to its stored leaf hashes is left as it is: it is
// damaged, and verify names it (a layout it no longer reads).
func rewriteFullRuns(ctx context.Context, tx *sql.Tx, engine Engine) error {
	layout1 := `substr(leaf, 1, 1) = x'01'`
	if engine == Postgres {
		layout1 = `get_byte(leaf, 0) = 1`
	}
	rows, err := tx.QueryContext(ctx, `SELECT idx, run, leaf, leaf_hash FROM oplog WHERE run > 1 AND `+layout1+` ORDER BY idx`)
	if err != nil {
		return err
	}
	type rewrite struct {
		idx  int64
		leaf []byte
	}
	var todo []rewrite
	for rows.Next() {
		var idx, n int64
		var leaf, hashes []byte
		if err := rows.Scan(&idx, &n, &leaf, &hashes); err != nil {
			rows.Close()
			return err
		}
		if cur, ok := fullRunToCurrent(uint64(idx), int(n), leaf, hashes); ok {
			todo = append(todo, rewrite{idx, cur})
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(todo) == 0 {
		return nil
	}
	if err := setAppendOnly(ctx, tx, engine, false); err != nil {
		return err
	}
	for _, r := range todo {
		if _, err := tx.ExecContext(ctx, `UPDATE oplog SET leaf = $1 WHERE idx = $2`, r.leaf, r.idx); err != nil {
			return err
		}
	}
	return setAppendOnly(ctx, tx, engine, true)
}

// setAppendOnly sets aside (on = false) or restores the trigger that
// refuses an UPDATE of oplog, inside tx, so that nothing else can change a
// row meanwhile.
func setAppendOnly(ctx context.Context, tx *sql.Tx, engine Engine, on bool) error {
	var q string
	switch {
	case engine == Postgres && on:
		q = `ALTER TABLE oplog ENABLE TRIGGER oplog_no_update`
	case engine == Postgres:
		q = `ALTER TABLE oplog DISABLE TRIGGER oplog_no_update`
	case on:
		q = `CREATE TRIGGER oplog_no_update BEFORE UPDATE ON oplog
BEGIN SELECT RAISE(ABORT, 'oplog is append-only'); END`
	default:
		q = `DROP TRIGGER oplog_no_update`
	}
	_, err := tx.ExecContext(ctx, q)
	return err
}

// fullRunToCurrent reads a layout-1 run row — after the shared values of
// the current layout (without a client address), each record's subject,
// purpose and result as strings, number_accessed as one byte 0 or 1, and
// its detail as a string — and returns its leaf column in the current
// layout. ok is false unless every record's canonical bytes hash to the
// leaf hash stored for it and the new column reads back as the same bytes.
func fullRunToCurrent(first uint64, n int, leaves, hashes []byte) (current []byte, ok bool) {
	if n < minRun || len(hashes) != 32*n || len(leaves) == 0 || leaves[0] != runLayoutFull {
		return nil, false
	}
	rd := &runReader{b: leaves[1:]}
	var shared LogRecord
	shared.V = int(rd.uvarint())
	shared.Time = rd.varint()
	shared.Node, shared.CollationID, shared.OperatorID, shared.Authority = rd.str(), rd.str(), rd.str(), rd.str()
	shared.Terminal, shared.Principal, shared.Operation, shared.PolicyVersion = rd.str(), rd.str(), rd.str(), rd.str()
	if rd.err != nil || shared.V != 1 {
		return nil, false
	}
	recs := make([]LogRecord, n)
	for i := range recs {
		r := shared
		r.Index = first + uint64(i)
		r.Subject, r.Purpose, r.Result = rd.str(), rd.str(), rd.str()
		r.NumberAccessed = rd.flag()
		r.Detail = rd.str()
		if h := LeafHash(r.Leaf()); rd.err != nil || !bytes.Equal(h[:], hashes[32*i:32*i+32]) {
			return nil, false
		}
		recs[i] = r
	}
	if len(rd.b) != 0 {
		return nil, false
	}
	current = EncodeRun(recs)
	ok = true
	err := RunRecords(first, current, nil, n, func(i int, leaf, _ []byte) bool {
		ok = bytes.Equal(leaf, recs[i].Leaf())
		return ok
	})
	return current, ok && err == nil
}
