package governance_test

import (
	"context"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/governance"
	"github.com/jukinet/jukinet/store"
)

func allClauses() []governance.Clause {
	var out []governance.Clause
	for _, c := range governance.RequiredClauses() {
		out = append(out, governance.Clause{Type: c, Reference: "第1条"})
	}
	return out
}

func members() []governance.Attendance {
	return []governance.Attendance{{Role: governance.RoleGeneralManager, Present: true}, {Role: governance.RoleSystemAdministrator, Present: true}, {Role: governance.RoleSecurityManager, Present: true}}
}

// TestRefusals: acts by the wrong role, out of order, with missing clauses,
// outside periods or with dates in the wrong order are refused with the field
// named, logged, and change nothing.
func TestRefusals(t *testing.T) {
	type env struct {
		s    *governance.Service
		db   *store.DB
		seed demo.GovernanceSeedResult
	}
	newRequest := func(t *testing.T, e env) string {
		id, err := e.s.RequestOutsourcing(as(demo.DemoSysAdmin, jukinet.AuthorityGovernance), governance.OutsourcingRequest{Title: "t", Contractor: "c", Content: "c", Reason: "r", ProtectionTerms: "p", RequestedOn: today})
		if err != nil {
			t.Fatalf("prep: %v", err)
		}
		return id
	}
	newItem := func(t *testing.T, e env, it governance.AgendaItem) string {
		m, err := e.s.ConveneMeeting(gm(), governance.Meeting{HeldOn: today, Title: "臨時会議", Members: members(), Items: []governance.AgendaItem{it}})
		if err != nil {
			t.Fatalf("prep: %v", err)
		}
		return m.ItemIDs[0]
	}
	newCase := func(t *testing.T, e env) string {
		id, err := e.s.OpenCase(gm(), governance.CaseOpening{OpenedOn: today, Source: "manual", Summary: "s"})
		if err != nil {
			t.Fatalf("prep: %v", err)
		}
		return id
	}
	cases := []struct {
		name    string
		kind    jukinet.Kind
		field   string
		byStore bool // refused by the policy table (logged as forbidden by the store)
		prep    func(t *testing.T, e env) string
		act     func(t *testing.T, e env, id string) error
	}{
		{"system principal appoints after setup", jukinet.KindForbidden, "actor", false, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.AssignRole(jukinet.WithActor(context.Background(), governance.BootstrapActor), governance.Assignment{Role: governance.RoleGeneralManager, CollationID: "C-X", Name: "x", From: today})
			return err
		}},
		{"non-GM appoints", jukinet.KindForbidden, "actor", false, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.AssignRole(as(demo.DemoCitizenHead, jukinet.AuthorityGovernance), governance.Assignment{Role: governance.RoleSystemAdministrator, CollationID: "C-X", Name: "x", From: today})
			return err
		}},
		{"role until before from", jukinet.KindInvalid, "until", false, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.AssignRole(gm(), governance.Assignment{Role: governance.RoleSystemAdministrator, CollationID: "C-X", Name: "x", From: today, Until: d(-1)})
			return err
		}},
		{"unknown role", jukinet.KindInvalid, "role", false, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.AssignRole(gm(), governance.Assignment{Role: "mayor", CollationID: "C-X", Name: "x", From: today})
			return err
		}},
		{"hand-over backwards in time", jukinet.KindConflict, "from", false, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.AssignRole(gm(), governance.Assignment{Role: governance.RoleSystemAdministrator, CollationID: "C-X", Name: "x", From: d(-400)})
			return err
		}},
		{"wrong authority for council", jukinet.KindForbidden, "", true, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.ConveneMeeting(as(demo.DemoDeputyMayor, jukinet.AuthorityLookup), governance.Meeting{HeldOn: today, Title: "x", Members: members(), Items: []governance.AgendaItem{{Category: governance.CategoryAudit, Title: "x"}}})
			return err
		}},
		{"council convened by non-chair", jukinet.KindForbidden, "actor", false, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.ConveneMeeting(as(demo.DemoSysAdmin, jukinet.AuthorityGovernance), governance.Meeting{HeldOn: today, Title: "x", Members: members(), Items: []governance.AgendaItem{{Category: governance.CategoryAudit, Title: "x"}}})
			return err
		}},
		{"council member missing", jukinet.KindInvalid, "members", false, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.ConveneMeeting(gm(), governance.Meeting{HeldOn: today, Title: "x", Members: members()[:2], Items: []governance.AgendaItem{{Category: governance.CategoryAudit, Title: "x"}}})
			return err
		}},
		{"absence without reason", jukinet.KindInvalid, "members[1].absence_reason", false, nil, func(t *testing.T, e env, id string) error {
			m := members()
			m[1].Present = false
			_, err := e.s.ConveneMeeting(gm(), governance.Meeting{HeldOn: today, Title: "x", Members: m, Items: []governance.AgendaItem{{Category: governance.CategoryAudit, Title: "x"}}})
			return err
		}},
		{"unknown category", jukinet.KindInvalid, "items[0].category", false, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.ConveneMeeting(gm(), governance.Meeting{HeldOn: today, Title: "x", Members: members(), Items: []governance.AgendaItem{{Category: "party", Title: "x"}}})
			return err
		}},
		{"important item decided without board opinion", jukinet.KindConflict, "board_opinion", false, func(t *testing.T, e env) string {
			return newItem(t, e, governance.AgendaItem{Category: governance.CategoryMeasures, Title: "重要", Important: true})
		}, func(t *testing.T, e env, id string) error {
			return e.s.DecideItem(gm(), governance.Decision{ItemID: id, Decision: "x", DecidedOn: today})
		}},
		{"decision before the meeting", jukinet.KindConflict, "decided_on", false, func(t *testing.T, e env) string {
			return newItem(t, e, governance.AgendaItem{Category: governance.CategoryMeasures, Title: "x"})
		}, func(t *testing.T, e env, id string) error {
			return e.s.DecideItem(gm(), governance.Decision{ItemID: id, Decision: "x", DecidedOn: d(-1)})
		}},
		{"minutes by non-secretariat", jukinet.KindForbidden, "actor", false, nil, func(t *testing.T, e env, id string) error {
			return e.s.RecordMinutes(gm(), governance.Minutes{MeetingID: e.seed.Meetings[0], Text: "x", RecordedOn: today})
		}},
		{"instruction before decision", jukinet.KindConflict, "item_id", false, func(t *testing.T, e env) string {
			return newItem(t, e, governance.AgendaItem{Category: governance.CategoryMeasures, Title: "x"})
		}, func(t *testing.T, e env, id string) error {
			_, err := e.s.IssueInstruction(gm(), governance.Instruction{ItemID: id, Kind: governance.KindInstruction, AddresseeCollationID: demo.DemoSysAdmin, Content: "x", IssuedOn: today, DueOn: d(10)})
			return err
		}},
		{"instruction due before issue", jukinet.KindInvalid, "due_on", false, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.IssueInstruction(gm(), governance.Instruction{Rooms: true, Kind: governance.KindRequest, AddresseeCollationID: demo.DemoSysAdmin, Content: "x", IssuedOn: today, DueOn: d(-1)})
			return err
		}},
		{"response by someone else", jukinet.KindForbidden, "actor", false, func(t *testing.T, e env) string {
			id, err := e.s.IssueInstruction(gm(), governance.Instruction{Rooms: true, Kind: governance.KindRequest, AddresseeCollationID: demo.DemoSysAdmin, Content: "x", IssuedOn: today, DueOn: d(5)})
			if err != nil {
				t.Fatalf("prep: %v", err)
			}
			return id
		}, func(t *testing.T, e env, id string) error {
			return e.s.RespondInstruction(clerk(), governance.Response{InstructionID: id, Response: "x", RespondedOn: today})
		}},
		{"case closed before judgement", jukinet.KindConflict, "judgement", false, func(t *testing.T, e env) string { return newCase(t, e) }, func(t *testing.T, e env, id string) error {
			return e.s.CloseCase(gm(), governance.Closure{CaseID: id, ClosedOn: today})
		}},
		{"infringement closed without measures", jukinet.KindConflict, "measures", false, func(t *testing.T, e env) string {
			id := newCase(t, e)
			if err := e.s.Judge(gm(), governance.Judgement{CaseID: id, Infringement: true, Reason: "r", JudgedOn: today}); err != nil {
				t.Fatalf("prep: %v", err)
			}
			return id
		}, func(t *testing.T, e env, id string) error {
			return e.s.CloseCase(gm(), governance.Closure{CaseID: id, ClosedOn: today})
		}},
		{"judged before opened", jukinet.KindConflict, "judged_on", false, func(t *testing.T, e env) string { return newCase(t, e) }, func(t *testing.T, e env, id string) error {
			return e.s.Judge(gm(), governance.Judgement{CaseID: id, Reason: "r", JudgedOn: d(-1)})
		}},
		{"closed case takes no entries", jukinet.KindConflict, "case_id", false, nil, func(t *testing.T, e env, id string) error {
			return e.s.AddCaseEntry(gm(), governance.CaseEntry{CaseID: e.seed.CaseID, Kind: "note", Body: "x", On: today})
		}},
		{"oplog case without indices", jukinet.KindInvalid, "evidence", false, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.OpenCase(gm(), governance.CaseOpening{OpenedOn: today, Source: "oplog_report", Summary: "s"})
			return err
		}},
		{"proof not JSON", jukinet.KindInvalid, "evidence[0].proof", false, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.OpenCase(gm(), governance.CaseOpening{OpenedOn: today, Source: "oplog_report", Summary: "s", Evidence: []governance.LogEvidence{{Index: 3, Proof: []byte("{")}}})
			return err
		}},
		{"room authorization by non-admin", jukinet.KindForbidden, "actor", false, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.AuthorizeRoom(as(demo.DemoCitizenHead, jukinet.AuthoritySystemAdmin), governance.RoomAuthorization{Room: governance.RoomComputer, CollationID: "C-X", Name: "x", Purpose: "p", From: today, Until: d(1)})
			return err
		}},
		{"room authorization dates reversed", jukinet.KindInvalid, "until", false, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.AuthorizeRoom(sys(), governance.RoomAuthorization{Room: governance.RoomComputer, CollationID: "C-X", Name: "x", Purpose: "p", From: today, Until: d(-1)})
			return err
		}},
		{"manual entry without reason", jukinet.KindInvalid, "reason", false, nil, func(t *testing.T, e env, id string) error {
			return e.s.RecordManualPassage(sys(), governance.ManualPassage{Room: governance.RoomComputer, CollationID: demo.DemoSysAdmin, Direction: governance.DirectionIn, At: today.Time()})
		}},
		{"room report period reversed", jukinet.KindInvalid, "period_until", false, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.SubmitRoomReport(sys(), governance.RoomReport{PeriodFrom: today, PeriodUntil: d(-10), SubmittedOn: today, Summary: "s"})
			return err
		}},
		{"asset by the wrong manager", jukinet.KindForbidden, "actor", false, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.RegisterAsset(as(demo.DemoSysAdmin, jukinet.AuthorityGovernance), governance.Asset{Kind: governance.AssetInformation, Name: "本人確認情報", IdentityInfo: true, ManagementRules: "r", RegisteredOn: today})
			return err
		}},
		{"asset without rules", jukinet.KindInvalid, "management_rules", false, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.RegisterAsset(as(demo.DemoSysAdmin, jukinet.AuthorityGovernance), governance.Asset{Kind: governance.AssetHardware, Name: "端末", RegisteredOn: today})
			return err
		}},
		{"designation by non-manager", jukinet.KindForbidden, "actor", false, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.DesignateHandler(as(demo.DemoAccessAdmin, jukinet.AuthorityIdentityManager), governance.HandlerDesignation{CollationID: "C-X", Name: "x", Scope: "s", From: today})
			return err
		}},
		{"the 本人確認情報管理責任者 designates themself", jukinet.KindForbidden, "collation_id", false, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.DesignateHandler(as(demo.DemoCitizenHead, jukinet.AuthorityIdentityManager), governance.HandlerDesignation{CollationID: demo.DemoCitizenHead, Name: "x", Scope: "s", From: today})
			return err
		}},
		{"the GM appoints themself", jukinet.KindForbidden, "collation_id", false, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.AssignRole(gm(), governance.Assignment{Role: governance.RoleSecurityManager, CollationID: demo.DemoDeputyMayor, Name: "x", From: today})
			return err
		}},
		{"the セキュリティ責任者 decides about themself", jukinet.KindForbidden, "collation_id", false, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.DecideAccess(as(demo.DemoCitizenHead, jukinet.AuthorityGovernance), governance.AccessDecision{Kind: governance.DecisionAssign, CollationID: demo.DemoCitizenHead, Authority: jukinet.AuthorityAudit, Reason: "r"})
			return err
		}},
		{"access decision by someone else", jukinet.KindForbidden, "actor", false, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.DecideAccess(gm(), governance.AccessDecision{Kind: governance.DecisionAssign, CollationID: demo.DemoClerk, Authority: jukinet.AuthorityAudit, Reason: "r"})
			return err
		}},
		{"re-enrolment decision naming an authority", jukinet.KindInvalid, "authority", false, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.DecideAccess(as(demo.DemoCitizenHead, jukinet.AuthorityGovernance), governance.AccessDecision{Kind: governance.DecisionReenrol, CollationID: demo.DemoClerk, Authority: jukinet.AuthorityAudit, Reason: "r"})
			return err
		}},
		{"print by undesignated operator", jukinet.KindForbidden, "actor", false, nil, func(t *testing.T, e env, id string) error {
			var form string
			if err := e.db.Bookkeeping(store.Inspect).QueryRow(`SELECT id FROM gov_forms LIMIT 1`).Scan(&form); err != nil {
				t.Fatal(err)
			}
			_, err := e.s.RecordPrint(as(demo.DemoAuditor, jukinet.AuthorityAudit), governance.Print{FormID: form, Copies: 1, Purpose: "p", PrintedOn: today})
			return err
		}},
		{"print zero copies", jukinet.KindInvalid, "copies", false, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.RecordPrint(as(demo.DemoClerk, jukinet.AuthorityLookup), governance.Print{FormID: "x", Copies: 0, Purpose: "p", PrintedOn: today})
			return err
		}},
		{"approval before council opinion", jukinet.KindConflict, "council_opinion", false, func(t *testing.T, e env) string { return newRequest(t, e) }, func(t *testing.T, e env, id string) error {
			return e.s.ApproveOutsourcing(gm(), governance.Approval{OutsourcingID: id, ApprovedOn: today})
		}},
		{"approval by non-GM", jukinet.KindForbidden, "actor", false, func(t *testing.T, e env) string { return newRequest(t, e) }, func(t *testing.T, e env, id string) error {
			return e.s.ApproveOutsourcing(as(demo.DemoSysAdmin, jukinet.AuthorityGovernance), governance.Approval{OutsourcingID: id, ApprovedOn: today})
		}},
		{"activation before approval", jukinet.KindConflict, "council_opinion", false, func(t *testing.T, e env) string {
			id := newRequest(t, e)
			if err := e.s.CheckContract(as(demo.DemoSysAdmin, jukinet.AuthorityGovernance), governance.ContractCheck{OutsourcingID: id, Clauses: allClauses(), CheckedOn: today}); err != nil {
				t.Fatalf("prep: %v", err)
			}
			return id
		}, func(t *testing.T, e env, id string) error {
			return e.s.ActivateContract(as(demo.DemoSysAdmin, jukinet.AuthorityGovernance), governance.Activation{OutsourcingID: id, ActiveFrom: today, ActiveUntil: d(100), FirstInspectionDue: d(50)})
		}},
		{"activation with opinion but no approval", jukinet.KindConflict, "approved_on", false, func(t *testing.T, e env) string {
			id := newRequest(t, e)
			item := newItem(t, e, governance.AgendaItem{Category: governance.CategoryMeasures, Title: "委託", OutsourcingID: id})
			if err := e.s.DecideItem(gm(), governance.Decision{ItemID: item, Decision: "可", DecidedOn: today}); err != nil {
				t.Fatalf("prep: %v", err)
			}
			return id
		}, func(t *testing.T, e env, id string) error {
			return e.s.ActivateContract(as(demo.DemoSysAdmin, jukinet.AuthorityGovernance), governance.Activation{OutsourcingID: id, ActiveFrom: today, ActiveUntil: d(100), FirstInspectionDue: d(50)})
		}},
		{"contract missing accident report clause", jukinet.KindInvalid, "clauses.accident_report", false, func(t *testing.T, e env) string { return newRequest(t, e) }, func(t *testing.T, e env, id string) error {
			return e.s.CheckContract(as(demo.DemoSysAdmin, jukinet.AuthorityGovernance), governance.ContractCheck{OutsourcingID: id, Clauses: allClauses()[:4], CheckedOn: today})
		}},
		{"inspection of inactive contract", jukinet.KindConflict, "outsourcing_id", false, func(t *testing.T, e env) string { return newRequest(t, e) }, func(t *testing.T, e env, id string) error {
			_, err := e.s.RecordInspection(as(demo.DemoSysAdmin, jukinet.AuthorityGovernance), governance.Inspection{OutsourcingID: id, InspectedOn: today, Inspector: "i", Findings: "f"})
			return err
		}},
		{"no actor", jukinet.KindUnauthorized, "", true, nil, func(t *testing.T, e env, id string) error {
			_, err := e.s.RegisterForm(context.Background(), governance.Form{Name: "n", Rules: "r", Retention: "r"})
			return err
		}},
	}
	// One seeded database per engine; each case measures around its own act.
	run(t, func(t *testing.T, db *store.DB, seed demo.GovernanceSeedResult) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e := env{governance.New(db), db, seed}
				id := ""
				if c.prep != nil {
					id = c.prep(t, e)
				}
				before, logged := state(t, db), refusals(t, db)
				err := c.act(t, e, id)
				if jukinet.ErrorKind(err) != c.kind || jukinet.ErrorField(err) != c.field {
					t.Fatalf("got %v (kind %s, field %q), want kind %s field %q", err, jukinet.ErrorKind(err), jukinet.ErrorField(err), c.kind, c.field)
				}
				if after := state(t, db); after != before {
					t.Errorf("refused act changed state:\nbefore %s\nafter  %s", before, after)
				}
				if got := refusals(t, db); got != logged+1 {
					t.Errorf("refusal log records: got %d, want %d", got, logged+1)
				}
			})
		}
	})
}
