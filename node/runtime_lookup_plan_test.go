package node

import (
	"context"
	"strings"
	"testing"

	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// The JSON-array lookup walks the array (SQLite lists it first, as the
// CROSS JOIN says) and searches flow_identity by a range of its rowid
// (row_key, migration 0835) for each element: no scan of the table, and no
// second b-tree.
func TestLookupPlanUsesIndex(t *testing.T) {
	db := storetest.Open(t, store.SQLite, "national")
	plan := LookupPlan(t, db)
	got := strings.Join(plan, "; ")
	if len(plan) != 2 || !strings.HasPrefix(plan[0], "SCAN j VIRTUAL TABLE") ||
		plan[1] != "SEARCH f USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)" {
		t.Errorf("plan of the lookup: %s; want flow_identity searched by a rowid range for each element of the array", got)
	}
}

// Every statement that reads a person's flow_identity rows on SQLite
// searches the table by its rowid (row_key), once per alias of the table:
// never a scan, nor another index of it.
func TestIdentityStatementsSearchByRowKey(t *testing.T) {
	db := storetest.Open(t, store.SQLite, "national")
	stmts := map[string]struct {
		q        string
		args     []any
		searches int // aliases of flow_identity in the statement
	}{
		"readIdentity":        {readIdentitySQL.of(store.SQLite), []any{"12345678903", ""}, 1},
		"readCurrentIdentity": {readCurrentIdentitySQL.of(store.SQLite), []any{"12345678903"}, 1},
		"codeUsed":            {codeUsedSQL.of(store.SQLite), []any{"12345678903"}, 1},
		"holderRow":           {holderRowSQL.of(store.SQLite), []any{"12345678903", "352063"}, 1},
		"destNewer":           {destNewerSQL.of(store.SQLite), []any{"12345678903", "352063", "352039"}, 2},
		"lookupOne":           {lookupOneSQLite, []any{int64(12345678903000000), int64(12345678903999999)}, 1},
	}
	for name, s := range stmts {
		plan := queryPlan(t, db, s.q, s.args...)
		n := 0
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN ") && step != "SCAN CONSTANT ROW" || strings.Contains(step, "autoindex_flow_identity") {
				t.Errorf("%s: step %q of plan %q", name, step, strings.Join(plan, "; "))
			}
			if strings.Contains(step, " USING INTEGER PRIMARY KEY (rowid") {
				n++
			}
		}
		if n != s.searches {
			t.Errorf("%s: plan %q searches by rowid %d times; want %d", name, strings.Join(plan, "; "), n, s.searches)
		}
	}
}

// queryPlan returns the steps of SQLite's plan of q.
func queryPlan(t *testing.T, db *store.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Bookkeeping(store.Inspect).QueryContext(context.Background(), `EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}
