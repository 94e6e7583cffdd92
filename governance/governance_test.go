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
		// The compliance report's evidence (G9.2) has the alert, unanswered.
		rooms, err := governance.Rooms(context.Background(), db.Bookkeeping(store.Status), today, today, today.Time(), today.AddDays(1).Time())
		if err != nil {
			t.Fatal(err)
		}
		var unanswered []string
		for _, a := range rooms.Unanswered {
			unanswered = append(unanswered, a.Detail)
		}
		var open int
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM gov_alerts WHERE answered_at = 0`).Scan(&open); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(unanswered, " "), "C-STRANGER") || len(rooms.Unanswered) != open || open == 0 {
			t.Errorf("Rooms: unanswered %q; want the %d unanswered alerts, the one for C-STRANGER among them", unanswered, open)
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
