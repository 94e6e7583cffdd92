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

// A search pages through its matches: consecutive pages are disjoint and
// together are every match; the page says when it is cut; each page's
// persons, and only they, are recorded as shown (G11.2).
func TestSearchPages(t *testing.T) {
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
			ctx := jukinet.WithActor(context.Background(), looker)
			q := register.Query{Address: "防府市", Limit: 50}
			all, err := f.g.SearchPage(ctx, register.Query{Address: "防府市", Limit: 500}, "case 2026-8")
			if err != nil || all.Cut() || len(all.Residents) != all.Total || all.Total < 101 {
				t.Fatalf("one page of all: %d of %d (cut %v), %v; want every match uncut, over 100", len(all.Residents), all.Total, all.Cut(), err)
			}
			seen := map[jukinet.ResidentCode]bool{}
			for off := 0; off < all.Total; off += 50 {
				q.Offset = off
				var before int64
				if err := f.db.Bookkeeping(store.Inspect).QueryRow(`SELECT size FROM oplog_head`).Scan(&before); err != nil {
					t.Fatal(err)
				}
				p, err := f.g.SearchPage(ctx, q, "case 2026-8")
				if err != nil {
					t.Fatal(err)
				}
				if want := min(50, all.Total-off); len(p.Residents) != want || p.Total != all.Total || !p.Cut() {
					t.Errorf("page from %d: %d of %d (cut %v); want %d of %d, cut", off, len(p.Residents), p.Total, p.Cut(), want, all.Total)
				}
				recs := storetest.Records(t, f.db, nil)[before:]
				if len(recs) != 1+len(p.Residents) {
					t.Errorf("page from %d: %d records, want 1 + %d shown", off, len(recs), len(p.Residents))
				}
				for i, r := range p.Residents {
					if seen[r.ResidentCode] {
						t.Errorf("page from %d: %s is on an earlier page too", off, r.ResidentCode)
					}
					seen[r.ResidentCode] = true
					if i+1 < len(recs) && (recs[1+i].Subject != f.db.SubjectToken(string(r.ResidentCode)) || recs[1+i].Result != store.ResultShown) {
						t.Errorf("page from %d, person %d: record %+v", off, i, recs[1+i])
					}
				}
			}
			for _, r := range all.Residents {
				if !seen[r.ResidentCode] {
					t.Errorf("%s is on no page", r.ResidentCode)
				}
			}
			if _, err := f.g.SearchPage(ctx, register.Query{Address: "防府市", Offset: -1}, "x"); jukinet.ErrorField(err) != "offset" {
				t.Errorf("negative offset: %v, want refused naming offset", err)
			}
		})
	}
}
