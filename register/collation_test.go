package register_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// registerKeyColumns are the columns an import writes that compare byte by
// byte on PostgreSQL (migrations 0847, 0848): codes, IDs and dates, never a
// name.
var registerKeyColumns = []string{
	"households.head_code", "households.id",
	"identity_history.resident_code", "identity_versions.resident_code", "outbox.dest", "outbox.id", "person_versions.resident_code",
	"residents.birth_date", "residents.household_id", "residents.individual_number", "residents.record_id", "residents.resident_code",
}

// On PostgreSQL the register's and the outbox's key columns, and the indexes a first load
// builds on them again, have collation "C" (their sorts compare bytes, not
// strcoll); the search keys keep the database's collation, whose order a
// search lists its results in.
func TestRegisterKeysCompareByteByBytePostgres(t *testing.T) {
	db := storetest.Open(t, store.Postgres, "352063")
	ctx := context.Background()
	rows, err := demo.Population(demo.Hofu, 50, 5, jukinet.DateOf(now))
	if err != nil {
		t.Fatal(err)
	}
	g, _ := register.New(db, register.Config{Municipality: hofu})
	if _, err := g.Import(jukinet.WithActor(ctx, jukinet.SystemActor("loader")), rows, register.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	q, err := db.Bookkeeping(store.Inspect).QueryContext(ctx, `SELECT c.relname || '.' || a.attname, COALESCE(k.collname, '')
 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid LEFT JOIN pg_collation k ON k.oid = a.attcollation
 WHERE c.relnamespace = current_schema()::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
 AND c.relname IN ('households', 'outbox', 'residents', 'person_versions', 'identity_versions', 'identity_history', 'residents_current_code', 'residents_household')
 ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	got := map[string]string{}
	for q.Next() {
		var col, coll string
		if err := q.Scan(&col, &coll); err != nil {
			t.Fatal(err)
		}
		got[col] = coll
		if coll == "C" {
			keys = append(keys, col)
		}
	}
	if err := q.Err(); err != nil {
		t.Fatal(err)
	}
	keys = slices.DeleteFunc(keys, func(c string) bool {
		return c == "residents_current_code.resident_code" || c == "residents_household.household_id"
	})
	if !slices.Equal(keys, registerKeyColumns) {
		t.Errorf("columns with collation C: %v; want %v", keys, registerKeyColumns)
	}
	for _, ix := range []string{"residents_current_code.resident_code", "residents_household.household_id"} {
		if got[ix] != "C" {
			t.Errorf("index column %s rebuilt by the first load has collation %q; want \"C\"", ix, got[ix])
		}
	}
	if got["residents.kana_key"] == "C" {
		t.Errorf("residents.kana_key has collation C; want the database's (search results are listed in its order)")
	}
}
