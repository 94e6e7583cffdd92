package governance_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/governance"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// On a node without governance records every evidence function reads zero.
func TestEvidenceOfAnEmptyNode(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			q := storetest.OpenWith(t, e, "352063", storetest.Options{}).Bookkeeping(store.Status)
			if h, ok, err := governance.HolderOn(ctx, q, governance.RoleGeneralManager, today); ok || err != nil || h != (governance.Holding{}) {
				t.Errorf("HolderOn = %+v, %v, %v; want vacant", h, ok, err)
			}
			if s, ok, err := governance.RulesInForce(ctx, q, governance.RulesIDs, today); ok || err != nil || s != (governance.RulesSet{}) {
				t.Errorf("RulesInForce = %+v, %v, %v; want none", s, ok, err)
			}
			c, err := governance.Council(ctx, q, d(-365), today)
			if err != nil || !reflect.DeepEqual(c, governance.CouncilFacts{Chaired: map[string]int{}, Items: map[governance.Category]int{}}) {
				t.Errorf("Council = %+v, %v; want zero", c, err)
			}
			if in, err := governance.Instructions(ctx, q, "council", d(-365), today); err != nil || !reflect.DeepEqual(in, governance.InstructionFacts{}) {
				t.Errorf("Instructions = %+v, %v; want zero", in, err)
			}
			if m, err := governance.Misuse(ctx, q, today); err != nil || !reflect.DeepEqual(m, governance.MisuseFacts{}) {
				t.Errorf("Misuse = %+v, %v; want zero", m, err)
			}
			r, err := governance.Rooms(ctx, q, today, d(30), d(-92).Time(), d(1).Time())
			if err != nil || !reflect.DeepEqual(r, governance.RoomFacts{Authorized: map[governance.Room]int{}}) {
				t.Errorf("Rooms = %+v, %v; want zero", r, err)
			}
			a, err := governance.Assets(ctx, q, today)
			if err != nil || !reflect.DeepEqual(a, governance.AssetFacts{ByKind: map[governance.AssetKind]int{}, ManagedBy: map[governance.Role]int{}}) {
				t.Errorf("Assets = %+v, %v; want zero", a, err)
			}
			if o, err := governance.Outsourcing(ctx, q, today); err != nil || !reflect.DeepEqual(o, governance.OutsourcingFacts{}) {
				t.Errorf("Outsourcing = %+v, %v; want zero", o, err)
			}
		})
	}
}

// The demo's governance year gives the facts it recorded: the holders, the
// rules, both meetings, the case, the alerts, every asset kind and the
// contract with its five clauses; a year and more later the meetings are
// out of the period and the inspection is overdue.
func TestEvidenceOfTheSeededYear(t *testing.T) {
	run(t, func(t *testing.T, db *store.DB, seed demo.GovernanceSeedResult) {
		ctx := context.Background()
		q := db.Bookkeeping(store.Status)
		if h, ok, err := governance.HolderOn(ctx, q, governance.RoleGeneralManager, today); !ok || err != nil || h.CollationID != demo.DemoDeputyMayor || h.Name == "" || h.Since > today.String() {
			t.Errorf("HolderOn(GM) = %+v, %v, %v; want %s in office", h, ok, err, demo.DemoDeputyMayor)
		}
		if s, ok, err := governance.RulesInForce(ctx, q, governance.RulesIDs, today); !ok || err != nil || s.SetBy == "" || s.SetOn > today.String() {
			t.Errorf("RulesInForce(G13.1) = %+v, %v, %v; want the rules set", s, ok, err)
		}
		c, err := governance.Council(ctx, q, d(-365), today)
		if err != nil || c.Meetings != len(seed.Meetings) || c.Chaired[demo.DemoDeputyMayor] != len(seed.Meetings) || len(c.LackingMember) != 0 ||
			len(c.Attendance) != 3*len(seed.Meetings) || len(c.Items) != 4 || c.WithMinutes+len(c.WithoutMinutes) != len(seed.Meetings) {
			t.Errorf("Council = %+v, %v; want the %d seeded meetings chaired by %s, three members each, four categories", c, err, len(seed.Meetings), demo.DemoDeputyMayor)
		}
		if in, err := governance.Instructions(ctx, q, "council", d(-365), today); err != nil || in.Issued == 0 || in.Answered > in.Issued {
			t.Errorf("Instructions(council) = %+v, %v; want the council's instructions", in, err)
		}
		if m, err := governance.Misuse(ctx, q, today); err != nil || m.Cases != 1 || m.Closed != 1 || len(m.Open) != 0 || len(m.Uninvestigated) != 0 {
			t.Errorf("Misuse = %+v, %v; want the one closed, investigated case %s", m, err, seed.CaseID)
		}
		r, err := governance.Rooms(ctx, q, today, d(30), d(-92).Time(), d(1).Time())
		if err != nil || r.Alerts != seed.Alerts || r.InForce != r.Authorized[governance.RoomComputer]+r.Authorized[governance.RoomMediaStorage] || r.InForce == 0 ||
			r.Passages == 0 || r.LastReport == "" || !reflect.DeepEqual(r.Expiring, []governance.ExpiringAuthorization{{CollationID: demo.DemoAuditor, Room: governance.RoomComputer, Until: d(20).String()}}) {
			t.Errorf("Rooms = %+v, %v; want %d alerts, authorizations in force, passages, a report, %s's authorization ending on %s", r, err, seed.Alerts, demo.DemoAuditor, d(20))
		}
		a, err := governance.Assets(ctx, q, today)
		if err != nil || len(a.ByKind) != 5 || a.WithRules == 0 || len(a.WithoutRules) != 0 || a.Handlers == 0 || a.Forms == 0 {
			t.Errorf("Assets = %+v, %v; want every kind, with rules, handlers and forms", a, err)
		}
		o, err := governance.Outsourcing(ctx, q, today)
		if err != nil || o.Active != 1 || len(o.Clauses) != 5 || len(o.LackingClause)+len(o.Incomplete)+len(o.Unapproved)+len(o.Overdue) != 0 || len(o.Inspected) != 1 {
			t.Errorf("Outsourcing = %+v, %v; want the one contract, five clauses, inspected, nothing lacking", o, err)
		}
		later := d(400)
		if c, err := governance.Council(ctx, q, later.AddDays(-365), later); err != nil || c.Meetings != 0 {
			t.Errorf("Council a year later = %+v, %v; want no meeting", c, err)
		}
		if o, err := governance.Outsourcing(ctx, q, later); err != nil || len(o.Overdue) == 0 {
			t.Errorf("Outsourcing a year later = %+v, %v; want the inspection overdue", o, err)
		}
	})
}
