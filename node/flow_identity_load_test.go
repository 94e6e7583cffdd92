package node_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// loadPeople returns n valid persons of 防府市 for LoadIdentities.
func loadPeople(t *testing.T, n int) []jukinet.IdentityInfo {
	t.Helper()
	rows, err := demo.Population(demo.Hofu, n, 11, demo.Today())
	if err != nil {
		t.Fatal(err)
	}
	out := make([]jukinet.IdentityInfo, n)
	for i, p := range rows {
		out[i] = jukinet.IdentityInfo{Municipality: demo.Hofu.Code, ResidentCode: p.ResidentCode, Name: p.Name,
			BirthDate: p.BirthDate, Sex: p.Sex, Address: jukinet.Address{LGCode: demo.Hofu.Code, Text: p.AddressText},
			Change: jukinet.ChangeInfo{Reason: jukinet.ReasonRemakeAdd, Date: demo.Today()}, Version: 1}
	}
	return out
}

func feed(infos []jukinet.IdentityInfo) func() (jukinet.IdentityInfo, bool) {
	i := 0
	return func() (jukinet.IdentityInfo, bool) {
		if i == len(infos) {
			return jukinet.IdentityInfo{}, false
		}
		i++
		return infos[i-1], true
	}
}

// A bulk load writes the rows of the identity flow: the persons are found by
// the lookups, their holder is the reporting municipality, and the load is
// one operation-log record (PostgreSQL) or one per part (SQLite).
func TestLoadIdentities(t *testing.T) {
	storetest.Run(t, "national", func(t *testing.T, db *store.DB) {
		ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("loader"))
		people := loadPeople(t, 300)
		n, err := node.LoadIdentities(ctx, db, feed(people))
		if err != nil || n != len(people) {
			t.Fatalf("LoadIdentities = %d, %v; want %d", n, err, len(people))
		}
		codes := make([]string, len(people))
		for i, p := range people {
			codes[i] = string(p.ResidentCode)
		}
		got, err := node.LookupIdentities(ctx, db, codes, "test")
		if err != nil || len(got) != len(people) {
			t.Fatalf("lookup after the load: %d found, %v; want %d", len(got), err, len(people))
		}
		if got[codes[7]].Name != people[7].Name {
			t.Errorf("person 7 = %+v, want %+v", got[codes[7]].Name, people[7].Name)
		}
		var holders, history int
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM flow_identity_holders WHERE municipality = $1`, string(demo.Hofu.Code)).Scan(&holders); err != nil {
			t.Fatal(err)
		}
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM flow_identity_history`).Scan(&history); err != nil {
			t.Fatal(err)
		}
		if holders != len(people) || history != len(people) {
			t.Errorf("holders %d, history %d; want %d each", holders, history, len(people))
		}
		loads := 0
		for _, r := range storetest.Records(t, db, func(r store.LogRecord) bool { return r.Operation == string(jukinet.OpIdentityLoad) }) {
			if r.Result == "ok" {
				loads++
			}
		}
		if loads == 0 {
			t.Error("the load left no operation-log record")
		}
	})
}

// A person that does not validate stops the load with an error naming the
// field; a terminal operator without the authority is refused, nothing written.
func TestLoadIdentitiesRefuses(t *testing.T) {
	storetest.Run(t, "national", func(t *testing.T, db *store.DB) {
		ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("loader"))
		people := loadPeople(t, 3)
		people[2].ResidentCode = "123"
		_, err := node.LoadIdentities(ctx, db, feed(people))
		if err == nil || !strings.Contains(err.Error(), "resident_code") {
			t.Fatalf("load of a bad code: %v; want an error naming resident_code", err)
		}
		clerk := jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: demo.DemoClerk, OperatorID: demo.OperatorID(demo.DemoClerk, jukinet.AuthorityLookup), Authority: jukinet.AuthorityLookup, Terminal: demo.TerminalID})
		if _, err := node.LoadIdentities(clerk, db, feed(loadPeople(t, 2))); !jukinet.IsKind(err, jukinet.KindForbidden) {
			t.Fatalf("load by a lookup clerk: %v; want KindForbidden", err)
		}
		var n int
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM flow_identity`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if db.Engine() == store.Postgres && n != 0 {
			t.Errorf("%d rows written by refused loads; want 0", n)
		}
	})
}

// After a bulk load (which refreshes the statistics) the batch lookup still
// searches flow_identity by its key for each code.
func TestLoadIdentitiesKeepsLookupPlan(t *testing.T) {
	db := storetest.Open(t, store.SQLite, "national")
	ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("loader"))
	if _, err := node.LoadIdentities(ctx, db, feed(loadPeople(t, 2000))); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(node.LookupPlan(t, db), "; "); !strings.HasSuffix(got, "; SEARCH f USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)") {
		t.Errorf("plan of the lookup after a load: %s; want flow_identity searched by its rowid (row_key)", got)
	}
}

// On PostgreSQL a bulk load vacuums the tables it wrote, which sets their
// rows' hint bits in one pass, so the first lookups of each page do not
// dirty it (docs/scale.md). (Whether VACUUM may also mark the pages
// all-visible depends on the transactions other sessions of the server hold
// open, so the test reads the server's count of vacuums instead.)
func TestLoadIdentitiesVacuumsPostgres(t *testing.T) {
	db := storetest.Open(t, store.Postgres, "national")
	ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("loader"))
	if _, err := node.LoadIdentities(ctx, db, feed(loadPeople(t, 3000))); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"flow_identity", "flow_identity_history", "flow_identity_holders"} {
		var vacuums int
		err := db.Bookkeeping(store.Inspect).QueryRowContext(ctx, `SELECT vacuum_count FROM pg_stat_user_tables
 WHERE relid = to_regclass($1)`, table).Scan(&vacuums)
		if err != nil {
			t.Fatal(err)
		}
		if vacuums != 1 {
			t.Errorf("%s after a load: vacuumed %d times; want once (VACUUM after the load)", table, vacuums)
		}
	}
}
