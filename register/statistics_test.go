package register_test

import (
	"context"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// After a first load on PostgreSQL the planner has statistics of every
// column the register's and the outbox's queries filter, join or order on,
// and ANALYZE gathered none of the columns only ever read whole (names,
// addresses' text, the notices' JSON: migration 0871), whose samples were
// most of its time.
func TestFirstLoadAnalyzesTheFilteredColumnsPostgres(t *testing.T) {
	db := storetest.Open(t, store.Postgres, "352063")
	ctx := context.Background()
	rows, err := demo.Population(demo.Hofu, 300, 5, jukinet.DateOf(now))
	if err != nil {
		t.Fatal(err)
	}
	g, _ := register.New(db, register.Config{Municipality: hofu})
	if _, err := g.Import(jukinet.WithActor(ctx, jukinet.SystemActor("loader")), rows, register.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	q, err := db.Bookkeeping(store.Inspect).QueryContext(ctx, `SELECT tablename || '.' || attname FROM pg_stats
 WHERE schemaname = current_schema() AND tablename IN ('residents', 'identity_history', 'outbox')`)
	if err != nil {
		t.Fatal(err)
	}
	analyzed := map[string]bool{}
	for q.Next() {
		var col string
		if err := q.Scan(&col); err != nil {
			t.Fatal(err)
		}
		analyzed[col] = true
	}
	if err := q.Err(); err != nil {
		t.Fatal(err)
	}
	for _, col := range []string{"residents.record_id", "residents.resident_code", "residents.individual_number", "residents.status",
		"residents.kana_key", "residents.kanji_key", "residents.address_key", "residents.birth_date", "residents.household_id",
		"residents.removal_reason", "residents.moveout_planned_date", "residents.updated_at",
		"identity_history.resident_code", "identity_history.version", "outbox.id", "outbox.dest", "outbox.state", "outbox.seq"} {
		if !analyzed[col] {
			t.Errorf("no statistics of %s, which queries filter on", col)
		}
	}
	for _, col := range []string{"residents.kanji", "residents.kana", "residents.address_text", "residents.domicile",
		"identity_history.info", "outbox.body"} {
		if analyzed[col] {
			t.Errorf("statistics of %s, which no query filters on", col)
		}
	}
}
