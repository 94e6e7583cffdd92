package register_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// registerTables are the tables a first load drops and rebuilds the
// indexes of (with the outbox).
var registerTables = []string{"households", "residents", "person_versions", "identity_versions", "identity_history", "outbox"}

func indexDefs(t *testing.T, db *store.DB) []string {
	t.Helper()
	list, err := db.Indexes(context.Background(), registerTables...)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ix := range list {
		out = append(out, ix.Table+": "+ix.Create)
	}
	return out
}

// A first load into an empty register is one transaction: when it fails
// while its last batch is written (here its context ends, as when the
// process is stopped), nothing of the batches before is left, no record of
// a load either, and every index the schema had is there again.
func TestFirstLoadFailingInItsLastBatchWritesNothing(t *testing.T) {
	rows, err := demo.Population(demo.Hofu, 700, 21, jukinet.DateOf(now))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := setup(t, e)
			indexes, before := indexDefs(t, f.db), f.totals(t)
			if len(indexes) == 0 {
				t.Fatal("no index found in the schema")
			}
			ctx, cancel := context.WithCancel(jukinet.WithActor(context.Background(), jukinet.SystemActor("import")))
			defer cancel()
			batches := 0
			_, err := f.g.Import(ctx, rows, register.ImportOptions{BatchSize: 200, Progress: func(done, total int) {
				if batches++; done+200 >= total {
					cancel() // before the last batch
				}
			}})
			if !errors.Is(err, context.Canceled) || batches < 3 {
				t.Fatalf("got %v after %d batches, want the load stopped by its context after at least 3", err, batches)
			}
			if after := f.totals(t); after != before {
				t.Errorf("a failed first load wrote rows: %v → %v", before, after)
			}
			if got := indexDefs(t, f.db); !slices.Equal(got, indexes) {
				t.Errorf("indexes after a failed first load:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(indexes, "\n"))
			}
			for _, d := range importRecords(t, f.db) {
				if strings.Contains(d, "first load") {
					t.Errorf("a record of the failed load: %q", d)
				}
			}
		})
	}
}

// After a first load every index of the schema exists again, defined as
// before, and serves the register: search finds by the rebuilt keys. A
// second import into the now non-empty register goes batch by batch (a
// record per batch) and refuses codes the first one registered.
func TestFirstLoadRebuildsTheIndexesAndASecondImportGoesByBatch(t *testing.T) {
	first, err := demo.Population(demo.Hofu, 500, 31, jukinet.DateOf(now))
	if err != nil {
		t.Fatal(err)
	}
	second, err := demo.Population(demo.Hofu, 300, 32, jukinet.DateOf(now))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := setup(t, e)
			indexes := indexDefs(t, f.db)
			ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("import"))
			if _, err := f.g.Import(ctx, first, register.ImportOptions{BatchSize: 200}); err != nil {
				t.Fatal(err)
			}
			if got := indexDefs(t, f.db); !slices.Equal(got, indexes) {
				t.Errorf("indexes after a first load:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(indexes, "\n"))
			}
			if d := importRecords(t, f.db); len(d) != 1 || !strings.HasPrefix(d[0], "first load: rows ") {
				t.Fatalf("records of the first load: %q, want one", d)
			}
			found, err := f.g.Search(jukinet.WithActor(context.Background(), looker), register.Query{BirthDate: first[7].BirthDate}, "counter")
			if err != nil || !slices.ContainsFunc(found, func(r register.Resident) bool { return r.ResidentCode == first[7].ResidentCode }) {
				t.Errorf("search by birth date after the load: %d found, %v; want the loaded resident among them", len(found), err)
			}
			res, err := f.g.Import(ctx, second, register.ImportOptions{BatchSize: 100})
			if err != nil || res.Imported != len(second) {
				t.Fatalf("second import: %+v, %v", res, err)
			}
			if c := f.totals(t); c[0] != len(first)+len(second) {
				t.Errorf("%d residents after two imports, want %d", c[0], len(first)+len(second))
			}
			if d := importRecords(t, f.db); len(d) < 4 || !strings.HasPrefix(d[len(d)-1], "rows ") {
				t.Errorf("records: %q; want the second import's batches recorded one by one", d)
			}
			_, err = f.g.Import(ctx, first, register.ImportOptions{})
			if !jukinet.IsKind(err, jukinet.KindConflict) {
				t.Errorf("importing loaded codes again: %v, want a conflict", err)
			}
			if got := indexDefs(t, f.db); !slices.Equal(got, indexes) {
				t.Errorf("indexes after the later imports differ")
			}
		})
	}
}

// An import refreshes the statistics of every table a first load rebuilds
// the indexes of, the outbox's included, each once, residents first (the
// longest: Analyze's other session takes the rest meanwhile).
func TestImportAnalyzesEveryTableItWrites(t *testing.T) {
	got := slices.Sorted(slices.Values(register.ImportTables))
	want := slices.Sorted(slices.Values(registerTables))
	if !slices.Equal(got, want) || register.ImportTables[0] != "residents" {
		t.Errorf("tables analyzed after an import %v; want %v, residents first", register.ImportTables, want)
	}
}
