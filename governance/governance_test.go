package governance_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/governance"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

var today = jukinet.Date{Year: 2026, Month: time.November, Day: 20}

// run runs f on each engine with a database whose clock is on today and the
// demo year seeded.
func run(t *testing.T, f func(t *testing.T, db *store.DB, seed demo.GovernanceSeedResult)) {
	t.Helper()
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			now := today.Time().Add(15 * time.Hour)
			db := storetest.OpenWith(t, e, "352063", storetest.Options{Now: func() time.Time { return now }})
			res, err := demo.SeedGovernance(context.Background(), db, today)
			if err != nil {
				t.Fatalf("SeedGovernance: %v", err)
			}
			f(t, db, res)
		})
	}
}

func as(id string, a jukinet.Authority) context.Context {
	return jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: id, OperatorID: "OP-" + id, Authority: a, Terminal: "t1"})
}

var (
	gm    = func() context.Context { return as(demo.DemoDeputyMayor, jukinet.AuthorityGovernance) }
	sys   = func() context.Context { return as(demo.DemoSysAdmin, jukinet.AuthoritySystemAdmin) }
	clerk = func() context.Context { return as(demo.DemoClerk, jukinet.AuthorityGovernance) }
)

// state is a fingerprint of every governance table: a refused act must not change it.
func state(t *testing.T, db *store.DB) string {
	t.Helper()
	var b strings.Builder
	for _, tbl := range []string{"gov_roles", "gov_meetings", "gov_attendance", "gov_agenda_items", "gov_instructions", "gov_misuse_cases", "gov_misuse_log_refs",
		"gov_report_requests", "gov_case_entries", "gov_room_authorizations", "gov_room_events", "gov_alerts", "gov_room_reports", "gov_assets",
		"gov_identity_handlers", "gov_forms", "gov_print_log", "gov_outsourcing", "gov_contract_clauses", "gov_inspections", "gov_access_decisions"} {
		var n int
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM ` + tbl).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", tbl, err)
		}
		b.WriteString(tbl)
		b.WriteByte('=')
		b.WriteString(strings.Repeat("x", n))
		b.WriteByte(' ')
	}
	// Updates change columns, not counts: include the columns refusals could touch.
	var s string
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COALESCE(MAX(valid_until), '') || '|' || (SELECT COALESCE(MAX(decided_on), '') FROM gov_agenda_items) || '|' || (SELECT COALESCE(MAX(approved_on), '') FROM gov_outsourcing) || '|' || (SELECT COALESCE(MAX(closed_on), '') FROM gov_misuse_cases) || '|' || (SELECT COALESCE(MAX(active_from), '') FROM gov_outsourcing) FROM gov_roles`).Scan(&s); err != nil {
		t.Fatalf("state: %v", err)
	}
	b.WriteString(s)
	return b.String()
}

func refusals(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM oplog WHERE operation IN ($1, $2) OR result IN ('forbidden', 'unauthorized')`, string(jukinet.OpGovRefused), "-").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func d(days int) jukinet.Date { return today.AddDays(days) }

func TestSeedGivesAReportWithEveryID(t *testing.T) {
	run(t, func(t *testing.T, db *store.DB, seed demo.GovernanceSeedResult) {
		rep, err := governance.New(db).ComplianceReport(gm(), today, governance.LiveFacts{})
		if err != nil {
			t.Fatalf("ComplianceReport: %v", err)
		}
		got := map[string]governance.Finding{}
		for _, f := range rep.Findings {
			got[f.ID] = f
		}
		for _, id := range governance.GuidelineIDs() {
			if _, ok := got[id]; !ok {
				t.Errorf("report lacks %s", id)
			}
		}
		// Governance articles the seed covers must be met; the articles of
		// operators and terminals are missing in a database without them.
		for _, id := range []string{"G2.9", "G2.10", "G2.11", "G2.12", "G3", "G4", "G5", "G6.1", "G6.2", "G6.3", "G6.4", "G6.5", "G6.6", "G7", "G8.1", "G8.2", "G9.1", "G9.2", "G10", "G11-2",
			"G12.2", "G13.1", "G13.2", "G16.1", "G16.2", "G16-2.1", "G16-2.2", "G16-3", "G17", "G18", "G19", "G20", "G15"} {
			if f := got[id]; f.Status != governance.StatusMet || len(f.Evidence) == 0 {
				t.Errorf("%s: got status %s evidence %q due %q, want met with evidence", id, f.Status, f.Evidence, f.Due)
			}
		}
		for _, id := range []string{"G2.6", "G2.7", "G2.8", "G11.1", "G11.2", "G13.3", "G13.4", "G14"} {
			if f := got[id]; f.Status != governance.StatusEvidenceMissing {
				t.Errorf("%s without operators: got %s, want evidence-missing", id, f.Status)
			}
		}
		if f := got["G19"]; len(f.Evidence) != 5 {
			t.Errorf("G19 evidence: got %d clauses %q, want 5", len(f.Evidence), f.Evidence)
		}
		// A year later nothing has happened: no meeting this fiscal year, inspection overdue, instruction overdue.
		later, err := governance.BuildReport(context.Background(), db, d(400), governance.LiveFacts{})
		if err != nil {
			t.Fatal(err)
		}
		lg := map[string]governance.Finding{}
		for _, f := range later.Findings {
			lg[f.ID] = f
		}
		for id, want := range map[string]governance.Status{"G6.1": governance.StatusEvidenceMissing, "G20": governance.StatusOverdue, "G7": governance.StatusOverdue, "G10": governance.StatusOverdue} {
			if lg[id].Status != want {
				t.Errorf("as of %s, %s: got %s (due %q), want %s", d(400), id, lg[id].Status, lg[id].Due, want)
			}
		}
		var html strings.Builder
		if err := rep.WriteHTML(&html); err != nil || !strings.Contains(html.String(), "G16-2.1") {
			t.Errorf("WriteHTML: err %v, contains G16-2.1 %v", err, strings.Contains(html.String(), "G16-2.1"))
		}
	})
}

func TestSeedIsIdempotent(t *testing.T) {
	run(t, func(t *testing.T, db *store.DB, _ demo.GovernanceSeedResult) {
		before := state(t, db)
		res, err := demo.SeedGovernance(context.Background(), db, today)
		if err != nil || !res.Skipped {
			t.Fatalf("second seed: got %+v, %v; want skipped", res, err)
		}
		if after := state(t, db); after != before {
			t.Errorf("second seed changed state:\n%s\n%s", before, after)
		}
	})
}

func TestMayHandleIdentityInfo(t *testing.T) {
	run(t, func(t *testing.T, db *store.DB, _ demo.GovernanceSeedResult) {
		ctx := context.Background()
		for _, c := range []struct {
			id   string
			on   jukinet.Date
			want bool
		}{{demo.DemoClerk, today, true}, {demo.DemoIssuer, today, true}, {demo.DemoAuditor, today, false}, {demo.DemoClerk, d(-400), false}, {"", today, false}} {
			if got := governance.MayHandleIdentityInfo(ctx, db, c.id, c.on); got != c.want {
				t.Errorf("MayHandleIdentityInfo(%q, %s): got %v, want %v", c.id, c.on, got, c.want)
			}
		}
	})
}

func TestHandOverKeepsHistory(t *testing.T) {
	run(t, func(t *testing.T, db *store.DB, _ demo.GovernanceSeedResult) {
		s := governance.New(db)
		if _, err := s.AssignRole(gm(), governance.Assignment{Role: governance.RoleSystemAdministrator, CollationID: "C-NEW-ADMIN", Name: "新任 課長", From: d(10)}); err != nil {
			t.Fatalf("hand-over: %v", err)
		}
		ctx := context.Background()
		for _, c := range []struct {
			on   jukinet.Date
			want string
		}{{today, demo.DemoSysAdmin}, {d(9), demo.DemoSysAdmin}, {d(10), "C-NEW-ADMIN"}} {
			if got, _ := governance.HolderOf(ctx, db, governance.RoleSystemAdministrator, c.on); got != c.want {
				t.Errorf("holder on %s: got %q, want %q", c.on, got, c.want)
			}
		}
		h, err := s.RoleHistory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, x := range h {
			if x.Role == governance.RoleSystemAdministrator {
				n++
			}
		}
		if n != 2 {
			t.Errorf("history of system_administrator: got %d holdings, want 2", n)
		}
	})
}

func TestRoomEntryOutsideAuthorizationRaisesAlert(t *testing.T) {
	run(t, func(t *testing.T, db *store.DB, _ demo.GovernanceSeedResult) {
		s := governance.New(db)
		alerts := func() int {
			var n int
			if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM gov_alerts`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := alerts()
		// C-AUDIT is authorized for the computer room from today-30 to today+20.
		for _, c := range []struct {
			name    string
			room    governance.Room
			who     string
			at      time.Time
			refused bool
		}{
			{"inside period", governance.RoomComputer, demo.DemoAuditor, today.Time().Add(9 * time.Hour), false},
			{"after period", governance.RoomComputer, demo.DemoAuditor, d(21).Time().Add(9 * time.Hour), true},
			{"before period", governance.RoomComputer, demo.DemoAuditor, d(-31).Time().Add(9 * time.Hour), true},
			{"other room", governance.RoomMediaStorage, demo.DemoAuditor, today.Time().Add(9 * time.Hour), true},
			{"stranger", governance.RoomComputer, "C-STRANGER", today.Time().Add(9 * time.Hour), true},
		} {
			t.Run(c.name, func(t *testing.T) {
				n := alerts()
				err := s.RecordBadge(context.Background(), c.room, c.who, governance.DirectionIn, c.at)
				if c.refused {
					if !jukinet.IsKind(err, jukinet.KindForbidden) || jukinet.ErrorField(err) != "collation_id" {
						t.Errorf("RecordBadge(%s, %s, %s): got %v, want forbidden naming collation_id", c.room, c.who, c.at, err)
					}
					if alerts() != n+1 {
						t.Errorf("alerts: got %d, want %d", alerts(), n+1)
					}
				} else if err != nil || alerts() != n {
					t.Errorf("RecordBadge(%s, %s): got %v and %d alerts, want nil and %d", c.room, c.who, err, alerts(), n)
				}
			})
		}
		if alerts() != before+4 {
			t.Errorf("alerts: got %d, want %d", alerts(), before+4)
		}
		rep, _ := governance.BuildReport(context.Background(), db, today, governance.LiveFacts{})
		for _, f := range rep.Findings {
			if f.ID == "G9.2" && !strings.Contains(strings.Join(f.Due, " "), "C-STRANGER") {
				t.Errorf("G9.2 due: got %q, want the unanswered alert for C-STRANGER", f.Due)
			}
		}
	})
}

type fakeReader struct{ evs []governance.BadgeEvent }

func (r *fakeReader) Next(ctx context.Context) (governance.BadgeEvent, error) {
	if len(r.evs) == 0 {
		return governance.BadgeEvent{}, errEOF
	}
	ev := r.evs[0]
	r.evs = r.evs[1:]
	return ev, nil
}

func TestRunDoor(t *testing.T) {
	run(t, func(t *testing.T, db *store.DB, _ demo.GovernanceSeedResult) {
		s := governance.New(db)
		at := today.Time().Add(8 * time.Hour)
		r := &fakeReader{evs: []governance.BadgeEvent{
			{Room: governance.RoomComputer, Holder: demo.DemoSysAdmin, Direction: governance.DirectionIn, At: at},
			{Room: governance.RoomComputer, Holder: "C-STRANGER", Direction: governance.DirectionIn, At: at},
			{Room: governance.RoomComputer, Holder: demo.DemoSysAdmin, Direction: governance.DirectionOut, At: at.Add(time.Hour)},
		}}
		var refused []string
		if err := s.RunDoor(context.Background(), r, func(ev governance.BadgeEvent, err error) { refused = append(refused, ev.Holder) }); err != nil {
			t.Fatalf("RunDoor: %v", err)
		}
		if len(refused) != 1 || refused[0] != "C-STRANGER" {
			t.Errorf("refused: got %q, want [C-STRANGER]", refused)
		}
		var principal string
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT principal FROM oplog WHERE operation = $1 ORDER BY idx DESC LIMIT 1`, string(jukinet.OpGovRoomBadge)).Scan(&principal); err != nil {
			t.Fatal(err)
		}
		if principal != "door" {
			t.Errorf("badge log principal: got %q, want door", principal)
		}
	})
}

func BenchmarkComplianceReport(b *testing.B) {
	now := today.Time().Add(15 * time.Hour)
	db := storetest.OpenWith(b, store.SQLite, "352063", storetest.Options{Now: func() time.Time { return now }})
	if _, err := demo.SeedGovernance(context.Background(), db, today); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := governance.BuildReport(context.Background(), db, today, governance.LiveFacts{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRecordBadge(b *testing.B) {
	now := today.Time().Add(15 * time.Hour)
	db := storetest.OpenWith(b, store.SQLite, "352063", storetest.Options{Now: func() time.Time { return now }})
	if _, err := demo.SeedGovernance(context.Background(), db, today); err != nil {
		b.Fatal(err)
	}
	s := governance.New(db)
	at := today.Time().Add(9 * time.Hour)
	b.ResetTimer()
	for b.Loop() {
		if err := s.RecordBadge(context.Background(), governance.RoomComputer, demo.DemoSysAdmin, governance.DirectionIn, at); err != nil {
			b.Fatal(err)
		}
	}
}
