package oplog_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// boundColumnsExempt lists the columns of the operation log's tables that
// verification does not bind to the leaves, each with the reason. Every
// other column — also one added later — must make verify fail naming it.
var boundColumnsExempt = map[string]string{
	"oplog_checkpoint.created_at": "when the row was written: no answer rests on it, and nothing in the leaves or the note says it",
	"oplog_purge.months":          "the purged months as text for people; the bound and the tree are checked",
	"oplog_purge.created_at":      "when the purge ran: no answer rests on it",
	"oplog_seal.month":            "a seal's evidence is its archive file (jukinet oplog verify-seal checks it alone); the row only records that it was written",
	"oplog_seal.first_idx":        "see oplog_seal.month",
	"oplog_seal.count":            "see oplog_seal.month",
	"oplog_seal.root":             "see oplog_seal.month",
	"oplog_seal.checkpoint_size":  "see oplog_seal.month",
	"oplog_seal.file_hash":        "see oplog_seal.month",
	"oplog_seal.created_at":       "see oplog_seal.month",
}

// boundColumnsOtherReason lists the columns whose change verify names by
// what it breaks instead of by the column: the leaf itself and what the
// Merkle tree and the signed checkpoints check.
var boundColumnsOtherReason = map[string][]oplog.Reason{
	"oplog.idx":             {oplog.ReasonBadLeaf, oplog.ReasonMissingIndex, oplog.ReasonOutOfOrder},
	"oplog.leaf":            {oplog.ReasonChangedLeaf},
	"oplog.leaf_hash":       {oplog.ReasonChangedLeaf},
	"oplog_checkpoint.note": {oplog.ReasonBadSignature, oplog.ReasonBadCheckpoint, oplog.ReasonMissingSignature, oplog.ReasonMissingCosignature},
	// The last purge's tree is where verification starts: the first
	// checkpoint above it does not match.
	"oplog_purge.tree": {oplog.ReasonRootMismatch},
}

// boundRows picks the row of each table whose columns the test changes
// (a condition after WHERE); a table missing here fails the test.
var boundRows = map[string]string{
	"oplog":               "", // set per fixture: a plain row and a run row
	"oplog_head":          "id = 1",
	"oplog_node":          "idx = (SELECT MAX(idx) FROM oplog_node WHERE level = 8) AND level = 8",
	"oplog_resident":      "idx = (SELECT MAX(idx) FROM oplog_resident)",
	"oplog_checkpoint":    "size = (SELECT MAX(size) FROM oplog_checkpoint)",
	"oplog_purged_hash":   "idx = 10",
	"oplog_purge":         "before_idx = (SELECT MAX(before_idx) FROM oplog_purge)",
	"oplog_purge_allowed": "", // empty outside a purge: the test inserts a row
	"oplog_seal":          "month = '2018-01'",
}

// boundFixture is a log with every table of the operation log filled:
// plain rows and runs (resident index), subtree hashes on both sides of a
// purge, cosigned checkpoints, a seal and a purge.
func boundFixture(t *testing.T, e store.Engine) *fixture {
	t.Helper()
	f := newFixture(t, e)
	f.clock.set(time.Date(2018, 1, 10, 10, 0, 0, 0, jukinet.JST))
	f.appendRecords(t, operator, 3, "case")
	f.appendRun(t, 300)
	f.clock.set(time.Date(2018, 2, 10, 10, 0, 0, 0, jukinet.JST))
	f.appendRun(t, 300)
	f.appendRecords(t, operator, 2, "case")
	f.clock.set(time.Date(2018, 3, 10, 10, 0, 0, 0, jukinet.JST))
	f.appendRecords(t, operator, 260, "case")
	f.appendRun(t, 40)
	f.checkpoint(t)
	sealMonths(t, f, "2018-01")
	f.clock.set(time.Date(2026, 1, 5, 10, 0, 0, 0, jukinet.JST))
	if _, err := oplog.Purge(jukinet.WithActor(context.Background(), purgeAdmin), f.log, "2018-02"); err != nil {
		t.Fatalf("purge: %v", err)
	}
	f.appendRecords(t, operator, 3, "case")
	f.checkpoint(t)
	if r := f.verify(t); !r.OK() {
		t.Fatalf("before any change: %v", r.Failure)
	}
	return f
}

// dropAllGuards drops the append-only triggers of the operation log's
// tables, as an insider with the database file does.
func dropAllGuards(t *testing.T, db *store.DB) {
	t.Helper()
	dropGuards(t, db)
	if db.Engine() == store.Postgres {
		// And the CHECK constraints (SQLite: ignore_check_constraints, set
		// on the connection that changes the rows: changer).
		rows, err := db.Bookkeeping(store.Inspect).Query(`SELECT c.conrelid::regclass::text, c.conname FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
			WHERE c.contype = 'c' AND r.relnamespace = current_schema()::regnamespace AND (r.relname = 'oplog' OR r.relname LIKE 'oplog\_%')`)
		if err != nil {
			t.Fatal(err)
		}
		var drops []string
		for rows.Next() {
			var table, name string
			if err := rows.Scan(&table, &name); err != nil {
				t.Fatal(err)
			}
			drops = append(drops, `ALTER TABLE `+table+` DROP CONSTRAINT `+name)
		}
		rows.Close()
		for _, d := range drops {
			if _, err := db.Bookkeeping(store.Inspect).Exec(d); err != nil {
				t.Fatalf("%s: %v", d, err)
			}
		}
	}
	stmts := []string{`DROP TRIGGER oplog_resident_no_update`, `DROP TRIGGER oplog_resident_no_delete`}
	if db.Engine() == store.Postgres {
		stmts = []string{`DROP TRIGGER oplog_resident_append_only ON oplog_resident`}
	}
	for _, s := range stmts {
		if _, err := db.Bookkeeping(store.Inspect).Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// oplogTables reads the operation log's tables (oplog and oplog_*) and
// their columns from the live schema.
func oplogTables(t *testing.T, db *store.DB) map[string][]string {
	t.Helper()
	q := `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND (m.name = 'oplog' OR m.name LIKE 'oplog\_%' ESCAPE '\') ORDER BY m.name, p.cid`
	if db.Engine() == store.Postgres {
		q = `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND (table_name = 'oplog' OR table_name LIKE 'oplog\_%') ORDER BY table_name, ordinal_position`
	}
	rows, err := db.Bookkeeping(store.Inspect).Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatal(err)
		}
		out[table] = append(out[table], col)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// rowValues reads the columns of the row where cond holds.
func rowValues(t *testing.T, db *store.DB, table string, cols []string, cond string) []any {
	t.Helper()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT ` + strings.Join(cols, ", ") + ` FROM ` + table + ` WHERE ` + cond + ` LIMIT 1`).Scan(ptrs...); err != nil {
		t.Fatalf("%s where %s: %v", table, cond, err)
	}
	for i, v := range vals {
		if b, ok := v.([]byte); ok {
			vals[i] = bytes.Clone(b)
		}
	}
	return vals
}

// setValue changes column c of the row whose columns hold vals to v
// (addressed by all of its values: some tables have no key of one column).
// On SQLite the change ignores CHECK constraints, as an insider's does
// (PRAGMA ignore_check_constraints, on a connection of its own given back
// at once: verification needs the others).
func setValue(t *testing.T, db *store.DB, table string, cols []string, vals []any, c int, v any) {
	t.Helper()
	ctx := context.Background()
	conn, err := db.Bookkeeping(store.Inspect).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if db.Engine() == store.SQLite {
		if _, err := conn.ExecContext(ctx, `PRAGMA ignore_check_constraints = ON`); err != nil {
			t.Fatal(err)
		}
		defer conn.ExecContext(ctx, `PRAGMA ignore_check_constraints = OFF`)
	}
	args := []any{v}
	var where []string
	for i, col := range cols {
		args = append(args, vals[i])
		where = append(where, col+" = $"+strconv.Itoa(len(args)))
	}
	res, err := conn.ExecContext(ctx, `UPDATE `+table+` SET `+cols[c]+` = $1 WHERE `+strings.Join(where, " AND "), args...)
	if err != nil {
		t.Fatalf("change %s.%s: %v", table, cols[c], err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("change %s.%s: %d rows changed, want 1", table, cols[c], n)
	}
}

// otherValue is a value of the same type unlike v.
func otherValue(v any) any {
	switch x := v.(type) {
	case int64:
		return x + 1_000_003 // no index of the log: a key changed, not swapped
	case string:
		return x + "x"
	case []byte:
		return append(bytes.Clone(x), 'x')
	}
	panic(fmt.Sprintf("value of type %T", v))
}

// expectNamed checks that verify fails naming table.column (or for the
// columns of boundColumnsOtherReason, for what their change breaks).
func expectNamed(t *testing.T, f *fixture, table, col, what string) {
	t.Helper()
	r := f.verify(t)
	if r.OK() {
		t.Errorf("%s: %s.%s changed, verify passes", what, table, col)
		return
	}
	if r.Failure.Table == table && r.Failure.Column == col {
		if !strings.Contains(r.Failure.Error(), "column "+table+"."+col) {
			t.Errorf("%s: the failure's message %q does not name %s.%s", what, r.Failure.Error(), table, col)
		}
		return
	}
	if slices.Contains(boundColumnsOtherReason[table+"."+col], r.Failure.Reason) {
		return
	}
	t.Errorf("%s: %s.%s changed, verify fails with %v (table %q, column %q), want it named", what, table, col, r.Failure, r.Failure.Table, r.Failure.Column)
}

// TestVerifyBindsEveryColumn changes, for each column of each table of the
// operation log as the live schema lists it, that column in one row (the
// triggers dropped) and expects verify to fail naming it — so a column
// added later cannot be left unchecked. The oplog table is changed in a
// plain row and in a run row; on SQLite a text value is also replaced by a
// blob of the same bytes (which a query's comparison no longer matches).
func TestVerifyBindsEveryColumn(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := boundFixture(t, e)
			db := f.db
			dropAllGuards(t, db)
			var plain, run int64
			if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT MAX(idx) FROM oplog WHERE run = 1 AND collation_id <> '' AND idx < (SELECT MAX(idx) FROM oplog) - 5`).Scan(&plain); err != nil {
				t.Fatal(err)
			}
			if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT MAX(idx) FROM oplog WHERE run > 1`).Scan(&run); err != nil {
				t.Fatal(err)
			}
			tables := oplogTables(t, db)
			if len(tables["oplog"]) == 0 || len(tables["oplog_resident"]) == 0 {
				t.Fatalf("the schema lists %v: oplog tables missing", tables)
			}
			for table, cols := range tables {
				cond, ok := boundRows[table]
				if !ok {
					t.Errorf("table %s: no row chosen to change (add it to boundRows, and bind its columns in verify)", table)
					continue
				}
				type target struct{ what, cond string }
				targets := []target{{"a row", cond}}
				switch table {
				case "oplog":
					targets = []target{{"a plain row", fmt.Sprintf("idx = %d", plain)}, {"a run row", fmt.Sprintf("idx = %d", run)}}
				case "oplog_purge_allowed":
					// Empty outside a purge: a row in it is the change.
					if _, err := db.Bookkeeping(store.Inspect).Exec(`INSERT INTO oplog_purge_allowed (before_idx) VALUES (5)`); err != nil {
						t.Fatal(err)
					}
					expectNamed(t, f, table, "before_idx", "a purge marker left")
					if _, err := db.Bookkeeping(store.Inspect).Exec(`DELETE FROM oplog_purge_allowed`); err != nil {
						t.Fatal(err)
					}
					continue
				}
				for _, tg := range targets {
					vals := rowValues(t, db, table, cols, tg.cond)
					for c, col := range cols {
						if reason, ok := boundColumnsExempt[table+"."+col]; ok {
							if reason == "" {
								t.Errorf("%s.%s is exempt without a reason", table, col)
							}
							continue
						}
						// A run row's own layout columns: its records' indices and leaves.
						if tg.what == "a run row" && (col == "idx" || col == "leaf" || col == "leaf_hash" || col == "run") {
							continue
						}
						forged := otherValue(vals[c])
						setValue(t, db, table, cols, vals, c, forged)
						after := slices.Clone(vals)
						after[c] = forged
						expectNamed(t, f, table, col, tg.what)
						setValue(t, db, table, cols, after, c, vals[c])
						if s, ok := vals[c].(string); ok && e == store.SQLite {
							setValue(t, db, table, cols, vals, c, []byte(s))
							after[c] = []byte(s)
							expectNamed(t, f, table, col, tg.what+", a blob of the same bytes")
							setValue(t, db, table, cols, after, c, vals[c])
						}
					}
				}
			}
			if r := f.verify(t); !r.OK() {
				t.Fatalf("after every change was undone: %v", r.Failure)
			}
		})
	}
}
