package register_test

import (
	"context"
	"github.com/jukinet/jukinet/store"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/governance"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store/storetest"
)

// TestOnlyDesignatedHandlersTouchResidents (G16-2.1): an operator with the
// right authority but no designation by the 本人確認情報管理責任者, one whose
// designation was revoked, and the console principal are refused every read
// and change of residents; nothing is written and each refusal is in the
// operation log. The designated clerk and the system (network receipt,
// setup) work.
func TestOnlyDesignatedHandlersTouchResidents(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := setup(t, e)
			head := f.moveIn(t, "指定\u3000花子", "シテイ\u3000ハナコ", "山口県防府市松崎町1丁目2番3号")
			stranger := jukinet.Actor{CollationID: "C-0199", OperatorID: "OP-REC-0199", Authority: jukinet.AuthorityRecord, Terminal: "T-01"}
			console := jukinet.ConsoleActor("alice", "cs01")
			console.Authority = jukinet.AuthoritySystemAdmin
			// The clerk's designation is revoked from today: refused from now on.
			g := governance.New(f.db)
			revoked := jukinet.Actor{CollationID: "C-0104", OperatorID: "OP-REC-0104", Authority: jukinet.AuthorityRecord, Terminal: "T-01"}
			iim := jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: "C-IIM", OperatorID: "OP-IIM", Authority: jukinet.AuthorityIdentityManager, Terminal: "T-01"})
			id, err := g.DesignateHandler(iim, governance.HandlerDesignation{CollationID: revoked.CollationID, Name: "異動者", Scope: "住民記録", From: jukinet.Today(now).AddDays(-10)})
			if err != nil {
				t.Fatal(err)
			}
			if err := g.RevokeHandler(iim, governance.Revocation{ID: id, RevokedOn: jukinet.Today(now)}); err != nil {
				t.Fatal(err)
			}
			for _, a := range []jukinet.Actor{stranger, revoked, console} {
				t.Run(a.CollationID, func(t *testing.T) {
					ctx := jukinet.WithActor(context.Background(), a)
					var before, refusedBefore int
					if err := f.db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM residents`).Scan(&before); err != nil {
						t.Fatal(err)
					}
					if err := f.db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM oplog WHERE result = 'forbidden'`).Scan(&refusedBefore); err != nil {
						t.Fatal(err)
					}
					_, err := f.g.NameChange(ctx, head.ResidentCode, name("別人\u3000花子", "ベツジン\u3000ハナコ"), date(t, "2026-11-25"))
					// The console is refused by the policy table already; the guard names the actor.
					if !jukinet.IsKind(err, jukinet.KindForbidden) || (!a.IsConsole() && jukinet.ErrorField(err) != "actor") {
						t.Errorf("change by %s: %v, want forbidden on actor", a, err)
					}
					lookup := a
					if !a.IsConsole() {
						lookup.Authority = jukinet.AuthorityLookup
					}
					_, err = f.g.Get(jukinet.WithActor(context.Background(), lookup), head.ResidentCode, "照会")
					if !jukinet.IsKind(err, jukinet.KindForbidden) {
						t.Errorf("read by %s: %v, want forbidden", lookup, err)
					}
					_, err = f.g.Search(jukinet.WithActor(context.Background(), lookup), register.Query{Kana: "シテイ"}, "照会")
					if !jukinet.IsKind(err, jukinet.KindForbidden) {
						t.Errorf("search by %s: %v, want forbidden", lookup, err)
					}
					if a.IsConsole() {
						// Import is the console's (システム管理) by the policy table, but
						// not without a designated operator (G16-2.1).
						rows, _ := demo.Population(demo.Hofu, 1, 3, jukinet.DateOf(now))
						_, err := f.g.Import(ctx, rows, register.ImportOptions{})
						if !jukinet.IsKind(err, jukinet.KindForbidden) || jukinet.ErrorField(err) != "actor" {
							t.Errorf("import by the console: %v, want forbidden on actor", err)
						}
					}
					var after, refusedAfter int
					if err := f.db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM residents`).Scan(&after); err != nil {
						t.Fatal(err)
					}
					if err := f.db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM oplog WHERE result = 'forbidden'`).Scan(&refusedAfter); err != nil {
						t.Fatal(err)
					}
					if after != before {
						t.Errorf("residents %d → %d after refusals", before, after)
					}
					if refusedAfter-refusedBefore < 2 {
						t.Errorf("refusals logged: %d, want at least 2", refusedAfter-refusedBefore)
					}
					cur, err := f.g.Get(jukinet.WithActor(context.Background(), looker), head.ResidentCode, "確認")
					if err != nil || len(cur) == 0 || cur[0].Name.Kanji != "指定\u3000花子" {
						t.Errorf("the designated looker reads %+v (%v), want the unchanged name", cur, err)
					}
				})
			}
		})
	}
}
