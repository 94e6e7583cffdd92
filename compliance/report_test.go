package compliance_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/compliance"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// governedNode is a node with the demo's governance year and no operators.
func governedNode(t testing.TB, e store.Engine) *store.DB {
	t.Helper()
	now := today.Time().Add(15 * time.Hour)
	db := storetest.OpenWith(t, e, "352063", storetest.Options{Now: func() time.Time { return now }})
	if _, err := demo.SeedGovernance(context.Background(), db, today); err != nil {
		t.Fatalf("SeedGovernance: %v", err)
	}
	return db
}

func asGeneralManager() context.Context {
	return jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: demo.DemoDeputyMayor, OperatorID: "OP-" + demo.DemoDeputyMayor,
		Authority: jukinet.AuthorityGovernance, Terminal: "t1"})
}

// checkJapanese fails on a title, rule, evidence or due sentence that is
// not Japanese (the terminal shows them to municipal staff).
func checkJapanese(t *testing.T, rep compliance.Report) {
	t.Helper()
	for _, f := range rep.Findings {
		for _, s := range append(append([]string{f.Title, f.Rule}, f.Evidence...), f.Due...) {
			if !compliance.Japanese(s) {
				t.Errorf("%s: %q is not Japanese", f.ID, s)
			}
		}
	}
}

func TestSeedGivesAReportWithEveryID(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			db := governedNode(t, e)
			rep, err := compliance.Generate(asGeneralManager(), db, today, compliance.LiveFacts{})
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			logged := storetest.Records(t, db, func(r store.LogRecord) bool { return r.Operation == string(jukinet.OpGovComplianceReport) })
			if len(logged) != 1 || logged[0].Detail != "as_of="+today.String() || logged[0].CollationID != demo.DemoDeputyMayor {
				t.Errorf("logged reports: %+v, want one by %s as of %s", logged, demo.DemoDeputyMayor, today)
			}
			got := byID(rep)
			for _, id := range compliance.GuidelineIDs() {
				if _, ok := got[id]; !ok {
					t.Errorf("report lacks %s", id)
				}
			}
			// Governance articles the seed covers must be met; the articles of
			// operators and terminals are missing in a database without them.
			for _, id := range []string{"G2.9", "G2.10", "G2.11", "G2.12", "G3", "G4", "G5", "G6.1", "G6.2", "G6.3", "G6.4", "G6.5", "G6.6", "G7", "G8.1", "G8.2", "G9.1", "G9.2", "G10", "G11-2",
				"G12.2", "G13.1", "G13.2", "G16.1", "G16.2", "G16-2.1", "G16-2.2", "G16-3", "G17", "G18", "G19", "G20", "G15"} {
				if f := got[id]; f.Status != compliance.StatusMet || len(f.Evidence) == 0 {
					t.Errorf("%s: got status %s evidence %q due %q, want met with evidence", id, f.Status, f.Evidence, f.Due)
				}
			}
			for _, id := range []string{"G2.6", "G2.7", "G2.8", "G11.1", "G11.2", "G13.3", "G13.4", "G14"} {
				if f := got[id]; f.Status != compliance.StatusEvidenceMissing {
					t.Errorf("%s without operators: got %s, want evidence-missing", id, f.Status)
				}
			}
			if f := got["G19"]; len(f.Evidence) != 5 || !strings.Contains(f.Evidence[0], "(1) 再委託の禁止又は制限 ＝") || !strings.Contains(f.Evidence[4], "(5) 事故等の報告 ＝") {
				t.Errorf("G19 evidence: got %d clauses %q, want 5 in the article's order", len(f.Evidence), f.Evidence)
			}
			checkJapanese(t, rep)
			// A year later nothing has happened: no meeting this fiscal year, inspection overdue, instruction overdue.
			later, err := compliance.Build(context.Background(), db, today.AddDays(400), compliance.LiveFacts{})
			if err != nil {
				t.Fatal(err)
			}
			lg := byID(later)
			for id, want := range map[string]compliance.Status{"G6.1": compliance.StatusEvidenceMissing, "G20": compliance.StatusOverdue, "G7": compliance.StatusOverdue, "G10": compliance.StatusOverdue} {
				if lg[id].Status != want {
					t.Errorf("as of %s, %s: got %s (due %q), want %s", today.AddDays(400), id, lg[id].Status, lg[id].Due, want)
				}
			}
			checkJapanese(t, later)
			var html strings.Builder
			if err := rep.WriteHTML(&html); err != nil || !strings.Contains(html.String(), "<td>G16-2.1</td>") || !strings.Contains(html.String(), "<td>充足</td>") ||
				!strings.Contains(html.String(), got["G6.1"].Rule) {
				t.Errorf("WriteHTML: err %v; want the rows with G16-2.1, the status 充足 and the Japanese rules", err)
			}
		})
	}
}

// The Japanese sentences name what the records hold: the council's last
// meeting day, the clauses' Japanese names, the roles' holders.
func TestSentencesNameTheRecords(t *testing.T) {
	db := governedNode(t, store.SQLite)
	rep, err := compliance.Build(context.Background(), db, today, compliance.LiveFacts{})
	if err != nil {
		t.Fatal(err)
	}
	got := byID(rep)
	var last string
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT MAX(held_on) FROM gov_meetings`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{
		"G6.1": "最終開催 " + last,
		"G19":  "(5) 事故等の報告",
		"G3":   "セキュリティ統括責任者：" + demo.DemoDeputyMayor,
		"G2.6": "在職中の操作者がいない",
	} {
		f := got[id]
		if all := strings.Join(append(f.Evidence, f.Due...), "\n"); !strings.Contains(all, want) {
			t.Errorf("%s: evidence %q due %q; want %q", id, f.Evidence, f.Due, want)
		}
	}
}

func BenchmarkComplianceReport(b *testing.B) {
	db := governedNode(b, store.SQLite)
	b.ResetTimer()
	for b.Loop() {
		if _, err := compliance.Build(context.Background(), db, today, compliance.LiveFacts{}); err != nil {
			b.Fatal(err)
		}
	}
}
