package store_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// historyTables lists every table whose name ends in _history, read from
// the live schema, with its columns and their declared types (PostgreSQL's
// identity columns left out: they take no value).
func historyTables(t *testing.T, db *store.DB) map[string][][2]string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%\_history' ESCAPE '\' ORDER BY name`
	if db.Engine() == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE '%\_history' ORDER BY table_name`
	}
	names := strings.Fields(queryStrings(t, db, q))
	out := map[string][][2]string{}
	for _, name := range names {
		var rows [][2]string
		if db.Engine() == store.SQLite {
			r, err := db.Bookkeeping(store.Inspect).Query(`SELECT name, type FROM pragma_table_info($1) ORDER BY cid`, name)
			if err != nil {
				t.Fatal(err)
			}
			for r.Next() {
				var c, ty string
				if err := r.Scan(&c, &ty); err != nil {
					t.Fatal(err)
				}
				rows = append(rows, [2]string{c, strings.ToLower(ty)})
			}
			r.Close()
		} else {
			r, err := db.Bookkeeping(store.Inspect).Query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND is_identity = 'NO' ORDER BY ordinal_position`, name)
			if err != nil {
				t.Fatal(err)
			}
			for r.Next() {
				var c, ty string
				if err := r.Scan(&c, &ty); err != nil {
					t.Fatal(err)
				}
				rows = append(rows, [2]string{c, strings.ToLower(ty)})
			}
			r.Close()
		}
		out[name] = rows
	}
	return out
}

func queryStrings(t *testing.T, db *store.DB, q string, args ...any) string {
	t.Helper()
	r, err := db.Bookkeeping(store.Inspect).Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer r.Close()
	var out []string
	for r.Next() {
		var s string
		if err := r.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// TestHistoryTablesAppendOnly checks every *_history table of the schema —
// so a history added later cannot be forgotten — for triggers on UPDATE and
// on DELETE, and that they refuse both: a row inserted stays as it was.
func TestHistoryTablesAppendOnly(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		tables := historyTables(t, db)
		for _, must := range []string{"identity_history", "identity_info_history", "flow_identity_history", "flow_annexid_history", "access_history"} {
			if tables[must] == nil {
				t.Errorf("the schema has no table %s (the listing is wrong)", must)
			}
		}
		for name, cols := range tables {
			t.Run(name, func(t *testing.T) {
				var events string
				if db.Engine() == store.SQLite {
					sqls := queryStrings(t, db, `SELECT upper(sql) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = $1`, name)
					for _, ev := range []string{"UPDATE", "DELETE"} {
						if strings.Contains(sqls, "BEFORE "+ev+" ON "+strings.ToUpper(name)) {
							events += ev + " "
						}
					}
				} else {
					events = queryStrings(t, db, `SELECT DISTINCT event_manipulation FROM information_schema.triggers WHERE event_object_schema = current_schema() AND event_object_table = $1 AND action_timing = 'BEFORE' ORDER BY 1`, name)
				}
				if !strings.Contains(events, "UPDATE") || !strings.Contains(events, "DELETE") {
					t.Fatalf("triggers before UPDATE and DELETE: got %q", events)
				}

				// One row of plain values by declared type.
				names, marks, args := make([]string, len(cols)), make([]string, len(cols)), make([]any, len(cols))
				for i, c := range cols {
					names[i], marks[i] = c[0], "$"+strconv.Itoa(i+1)
					switch {
					case strings.Contains(c[1], "int"):
						args[i] = int64(i + 1)
					case strings.Contains(c[1], "blob") || strings.Contains(c[1], "bytea"):
						args[i] = []byte("v")
					default:
						args[i] = "v" + strconv.Itoa(i)
					}
				}
				if _, err := db.Bookkeeping(store.Inspect).Exec(`INSERT INTO `+name+` (`+strings.Join(names, ", ")+`) VALUES (`+strings.Join(marks, ", ")+`)`, args...); err != nil {
					t.Fatalf("insert: %v", err)
				}
				first := cols[0][0]
				if _, err := db.Bookkeeping(store.Inspect).Exec(`UPDATE ` + name + ` SET ` + first + ` = ` + first); err == nil || !strings.Contains(err.Error(), "append-only") {
					t.Errorf("UPDATE: got %v, want a refusal (append-only)", err)
				}
				if _, err := db.Bookkeeping(store.Inspect).Exec(`DELETE FROM ` + name); err == nil || !strings.Contains(err.Error(), "append-only") {
					t.Errorf("DELETE: got %v, want a refusal (append-only)", err)
				}
				var n int
				if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM ` + name).Scan(&n); err != nil || n != 1 {
					t.Errorf("rows after the refused changes: %d (%v), want 1", n, err)
				}
			})
		}
	})
}
