package register_test

import (
	"context"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/governance"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// G11.2: every person a search, a household screen or an export shows is
// a record with the request's purpose, found by the resident's token; a
// search's persons are one run row after its main record.
func TestEveryPersonShownIsRecorded(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := setup(t, e)
			rows, err := demo.Population(demo.Hofu, 120, 3, jukinet.DateOf(now))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.g.Import(jukinet.WithActor(context.Background(), jukinet.SystemActor("import")), rows, register.ImportOptions{}); err != nil {
				t.Fatal(err)
			}
			var before int64
			if err := f.db.Bookkeeping(store.Inspect).QueryRow(`SELECT size FROM oplog_head`).Scan(&before); err != nil {
				t.Fatal(err)
			}
			ctx := jukinet.WithActor(context.Background(), looker)
			got, err := f.g.Search(ctx, register.Query{Address: "防府市"}, "case 2026-7")
			if err != nil || len(got) != 50 {
				t.Fatalf("search: %d results, %v; want 50", len(got), err)
			}
			var rowsAfter, runLen int
			if err := f.db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*), MAX(run) FROM oplog WHERE idx >= $1`, before).Scan(&rowsAfter, &runLen); err != nil {
				t.Fatal(err)
			}
			if rowsAfter != 2 || runLen != 50 {
				t.Errorf("the search's rows: %d (longest run %d), want 2 (its record and a run of 50)", rowsAfter, runLen)
			}
			recs := storetest.Records(t, f.db, nil)[before:]
			if len(recs) != 51 || recs[0].Detail != "results: 50 of 120 from 1" {
				t.Fatalf("the search's records: %d, first %+v", len(recs), recs[0])
			}
			for i, r := range got {
				rec := recs[1+i]
				if rec.Subject != f.db.SubjectToken(string(r.ResidentCode)) || rec.Purpose != "case 2026-7" || rec.Result != store.ResultShown ||
					rec.CollationID != looker.CollationID || rec.Operation != string(jukinet.OpResidentSearch) {
					t.Errorf("person %d: record %+v", i, rec)
				}
			}

			// The household screen: each member.
			hh, err := f.g.HouseholdOf(ctx, got[0].HouseholdID, "case 2026-7")
			if err != nil {
				t.Fatal(err)
			}
			recs = storetest.Records(t, f.db, nil)
			tail := recs[len(recs)-len(hh.Members):]
			for i, m := range hh.Members {
				if tail[i].Subject != f.db.SubjectToken(string(m.ResidentCode)) || tail[i].Result != store.ResultShown {
					t.Errorf("household member %d: record %+v", i, tail[i])
				}
			}

			// The export: each person, with the 個人番号 marked.
			// By a システム管理者 the 本人確認情報管理責任者 designated (G16-2.1).
			iim := jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: "C-IIM", OperatorID: "OP-IIM", Authority: jukinet.AuthorityIdentityManager, Terminal: "T-01"})
			if _, err := governance.New(f.db).DesignateHandler(iim, governance.HandlerDesignation{CollationID: "C-SA", Name: "C-SA", Scope: "住民記録", From: jukinet.DateOf(now).AddDays(-1)}); err != nil {
				t.Fatal(err)
			}
			admin := jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: "C-SA", OperatorID: "OP-SA", Authority: jukinet.AuthoritySystemAdmin, Terminal: "T-09"})
			n, err := f.g.Export(admin, "transfer to the new system", func(register.Resident) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			recs = storetest.Records(t, f.db, nil)
			numbered := 0
			for _, r := range recs[len(recs)-n:] {
				if r.Result != store.ResultShown || r.Operation != string(jukinet.OpResidentExport) {
					t.Fatalf("export record %+v", r)
				}
				if r.NumberAccessed {
					numbered++
				}
			}
			if n != 120 || numbered == 0 {
				t.Errorf("export: %d persons, %d with their number; want 120, some", n, numbered)
			}
		})
	}
}
