package node_test

import (
	"context"
	"database/sql"
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

// With the "C" key columns the batch lookup reads the index of
// flow_identity that holds the records (migration 0837: an index-only
// scan; the long records' index is searched only if it holds any, never by
// a scan of the table), and the holder-first order reads the holder by its
// key.
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
		node.LookupPostgres: "Index Only Scan using flow_identity_lookup on flow_identity ",
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

// longIdentity is an identity record whose JSON is longer than a B-tree
// entry may be (2,704 bytes): every part of the name and the address at
// their longest, in characters of four bytes (外字 outside the BMP).
func longIdentity(p jukinet.IdentityInfo) jukinet.IdentityInfo {
	wide := func(n int) string { return strings.Repeat("\U000F0041", n) }
	kana := strings.Repeat("ア", 100)
	p.Name = jukinet.Name{Kanji: wide(100), Kana: kana, FormerSurname: wide(100), FormerSurnameKana: kana,
		Alias: wide(100), AliasKana: kana}
	p.Address.Text = wide(200)
	return p
}

// On a national store that holds records already, migration 0837 adds the
// indexes that carry them: the batch lookup then reads the records of short
// JSON from the index alone (an index-only scan: no heap page where VACUUM
// has marked it all-visible), and a record too long for any index entry is
// stored and found all the same, from the index of the long ones.
func TestIdentityLookupCoveringPostgres(t *testing.T) {
	cfg := storetest.Config(t, store.Postgres, "national")
	ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("loader"))
	db, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	people := loadPeople(t, 20000)
	people[500] = longIdentity(people[500])
	if _, err := node.LoadIdentities(ctx, db, feed(people)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// The store as it was before the migration, then opened again.
	raw, err := sql.Open("pgx", cfg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP INDEX flow_identity_lookup`, `DROP INDEX flow_identity_lookup_long`,
		`DELETE FROM schema_migrations WHERE name LIKE '0837_%'`} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()
	if db, err = store.Open(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	codes := make([]string, len(people))
	for i, p := range people {
		codes[i] = string(p.ResidentCode)
	}
	got, err := node.LookupIdentities(ctx, db, codes[:1000], "test")
	if err != nil || len(got) != 1000 {
		t.Fatalf("lookup: %d found, %v; want 1000", len(got), err)
	}
	if long := got[codes[500]]; long != people[500] {
		t.Errorf("the long record looked up: %+v; want %+v", long, people[500])
	}
	sorted := slices.Sorted(slices.Values(codes[495:505]))
	plan := explain(t, db, `(ANALYZE, COSTS OFF, TIMING OFF) `+node.LookupPostgres, sorted)
	for _, want := range []string{"Index Only Scan using flow_identity_lookup on flow_identity (actual rows=9 ",
		" on flow_identity_lookup_long (actual rows=1 "} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan of the lookup:\n%s\nwant %q", plan, want)
		}
	}
}
