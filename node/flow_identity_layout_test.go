package node_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// identityKeyColumns are the national store's tables whose key columns compare
// byte by byte on PostgreSQL (migration 0846).
var identityKeyColumns = map[string][]string{
	"flow_identity":         {"municipality", "resident_code"},
	"flow_identity_history": {"municipality", "resident_code"},
	"flow_identity_holders": {"municipality", "released_to", "resident_code"},
	"flow_identity_held":    {"municipality", "resident_code"},
}

// On PostgreSQL the identity store's key columns have collation "C" and the
// rows that identity reports rewrite leave room on their pages (fillfactor).
func TestIdentityLayoutPostgres(t *testing.T) {
	db := storetest.Open(t, store.Postgres, "national")
	ctx := context.Background()
	rows, err := db.Bookkeeping(store.Inspect).QueryContext(ctx, `SELECT c.relname, a.attname, COALESCE(k.collname, '')
 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid LEFT JOIN pg_collation k ON k.oid = a.attcollation
 WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY($1)
 AND a.attname IN ('municipality', 'resident_code', 'released_to') ORDER BY a.attname`,
		[]string{"flow_identity", "flow_identity_history", "flow_identity_holders", "flow_identity_held"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for rows.Next() {
		var table, column, collation string
		if err := rows.Scan(&table, &column, &collation); err != nil {
			t.Fatal(err)
		}
		if collation != "C" {
			t.Errorf("%s.%s has collation %q; want \"C\"", table, column, collation)
		}
		got[table] = append(got[table], column)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for table, want := range identityKeyColumns {
		if !slices.Equal(got[table], want) {
			t.Errorf("%s: key columns found %v; want %v", table, got[table], want)
		}
	}
	for table, want := range map[string]string{"flow_identity": "fillfactor=85", "flow_identity_holders": "fillfactor=90"} {
		var opts string
		if err := db.Bookkeeping(store.Inspect).QueryRowContext(ctx, `SELECT COALESCE(array_to_string(reloptions, ','), '') FROM pg_class
 WHERE relnamespace = current_schema()::regnamespace AND relname = $1`, table).Scan(&opts); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(strings.Split(opts, ","), want) {
			t.Errorf("%s options %v; want %s", table, opts, want)
		}
	}
}

// With the "C" key columns the batch lookup still searches the primary key of
// flow_identity (an index scan, or a bitmap of it for few codes), and the
// holder-first order reads the holder by its key.
func TestIdentityLookupPlanPostgres(t *testing.T) {
	db := storetest.Open(t, store.Postgres, "national")
	ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("loader"))
	people := loadPeople(t, 2000)
	if _, err := node.LoadIdentities(ctx, db, feed(people)); err != nil {
		t.Fatal(err)
	}
	codes := []string{string(people[3].ResidentCode), string(people[1500].ResidentCode)}
	slices.Sort(codes)
	plans := map[string]string{
		node.LookupPostgres: "flow_identity_pkey",
		`SELECT i.info FROM flow_identity i WHERE i.resident_code = $1` + node.CurrentFirst: " using flow_identity_holders_pkey on flow_identity_holders",
	}
	args := map[string]any{node.LookupPostgres: codes}
	for q, want := range plans {
		arg, ok := args[q]
		if !ok {
			arg = codes[0]
		}
		plan := explain(t, db, q, arg)
		if !strings.Contains(plan, want) || strings.Contains(plan, "Seq Scan") {
			t.Errorf("plan of %.60s…:\n%s\nwant %q and no sequential scan", q, plan, want)
		}
	}
}

// explain returns PostgreSQL's plan of q with arg, one line per step.
func explain(t *testing.T, db *store.DB, q string, arg any) string {
	t.Helper()
	rows, err := db.Bookkeeping(store.Inspect).QueryContext(context.Background(), `EXPLAIN `+q, arg)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
