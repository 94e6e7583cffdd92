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
)

// Every governance act names every field in error at once: an input with
// two or more bad fields is refused with one error listing each field and
// its rule, nothing changes, and the refusal is recorded once, naming them.
func TestActsReportEveryField(t *testing.T) {
	sa := func() context.Context { return as(demo.DemoSysAdmin, jukinet.AuthorityGovernance) }
	admin := func() context.Context { return as(demo.DemoSysAdmin, jukinet.AuthoritySystemAdmin) }
	iim := func() context.Context { return as(demo.DemoCitizenHead, jukinet.AuthorityIdentityManager) }
	cases := []struct {
		name   string
		fields []string
		act    func(s *governance.Service) error
	}{
		{"assign-role", []string{"role", "collation_id", "name", "from"}, func(s *governance.Service) error {
			_, err := s.AssignRole(gm(), governance.Assignment{Role: "mayor"})
			return err
		}},
		{"board-opinion", []string{"opinion", "received_on"}, func(s *governance.Service) error {
			return s.RecordBoardOpinion(gm(), governance.BoardOpinion{ItemID: "x"})
		}},
		{"decide", []string{"decision", "decided_on"}, func(s *governance.Service) error {
			return s.DecideItem(gm(), governance.Decision{ItemID: "x"})
		}},
		{"minutes", []string{"text", "recorded_on"}, func(s *governance.Service) error {
			return s.RecordMinutes(gm(), governance.Minutes{MeetingID: "x"})
		}},
		{"instruct", []string{"kind", "addressee_collation_id", "content", "issued_on", "due_on"}, func(s *governance.Service) error {
			_, err := s.IssueInstruction(gm(), governance.Instruction{Kind: "order"})
			return err
		}},
		{"respond", []string{"response", "responded_on"}, func(s *governance.Service) error {
			return s.RespondInstruction(gm(), governance.Response{InstructionID: "x"})
		}},
		{"case-open", []string{"opened_on", "source", "summary", "evidence[1].index", "evidence[1].proof"}, func(s *governance.Service) error {
			_, err := s.OpenCase(gm(), governance.CaseOpening{Source: "rumour", Evidence: []governance.LogEvidence{{Index: 3}, {Index: 3, Proof: []byte("{")}}})
			return err
		}},
		{"case-request-report", []string{"addressee_kind", "addressee", "due_on"}, func(s *governance.Service) error {
			_, err := s.RequestReport(gm(), governance.ReportRequest{CaseID: "x", AddresseeKind: "press", RequestedOn: today, DueOn: d(-1)})
			return err
		}},
		{"case-report-answer", []string{"answer", "answered_on"}, func(s *governance.Service) error {
			return s.RecordReportAnswer(gm(), governance.ReportAnswer{RequestID: "x"})
		}},
		{"case-entry", []string{"kind", "body", "on"}, func(s *governance.Service) error {
			return s.AddCaseEntry(gm(), governance.CaseEntry{CaseID: "x", Kind: "gossip"})
		}},
		{"case-judge", []string{"reason", "judged_on"}, func(s *governance.Service) error {
			return s.Judge(gm(), governance.Judgement{CaseID: "x"})
		}},
		{"room-authorize", []string{"room", "collation_id", "name", "purpose", "until"}, func(s *governance.Service) error {
			_, err := s.AuthorizeRoom(admin(), governance.RoomAuthorization{Room: "roof", From: today, Until: d(-3)})
			return err
		}},
		{"room-manual", []string{"room", "direction", "collation_id", "reason", "at"}, func(s *governance.Service) error {
			return s.RecordManualPassage(admin(), governance.ManualPassage{Room: "roof", Direction: "up", At: today.Time().Add(72 * time.Hour)})
		}},
		{"room-report", []string{"period_from", "submitted_on", "summary"}, func(s *governance.Service) error {
			_, err := s.SubmitRoomReport(admin(), governance.RoomReport{PeriodUntil: today, SubmittedOn: d(-1)})
			return err
		}},
		{"asset", []string{"kind", "name", "management_rules", "registered_on"}, func(s *governance.Service) error {
			_, err := s.RegisterAsset(sa(), governance.Asset{Kind: "cloud"})
			return err
		}},
		{"access-decide", []string{"kind", "collation_id", "reason"}, func(s *governance.Service) error {
			_, err := s.DecideAccess(gm(), governance.AccessDecision{Kind: "maybe", CollationID: "a b"})
			return err
		}},
		{"designate-handler", []string{"collation_id", "name", "scope", "until"}, func(s *governance.Service) error {
			_, err := s.DesignateHandler(iim(), governance.HandlerDesignation{From: today, Until: d(-1)})
			return err
		}},
		{"form", []string{"name", "rules", "retention"}, func(s *governance.Service) error {
			_, err := s.RegisterForm(iim(), governance.Form{})
			return err
		}},
		{"print", []string{"copies", "purpose", "printed_on"}, func(s *governance.Service) error {
			_, err := s.RecordPrint(as(demo.DemoClerk, jukinet.AuthorityLookup), governance.Print{FormID: "x", PrintedOn: d(2)})
			return err
		}},
		{"dispose", []string{"method", "disposed_on"}, func(s *governance.Service) error {
			return s.RecordDisposal(as(demo.DemoClerk, jukinet.AuthorityLookup), governance.Disposal{PrintID: "x"})
		}},
		{"outsource", []string{"title", "contractor", "content", "reason", "protection_terms", "requested_on"}, func(s *governance.Service) error {
			_, err := s.RequestOutsourcing(sa(), governance.OutsourcingRequest{})
			return err
		}},
		{"check-contract", []string{"checked_on", "clauses[0].reference", "clauses.confidentiality", "clauses.accident_report"}, func(s *governance.Service) error {
			cl := allClauses()[:3]
			cl[0].Reference = " "
			return s.CheckContract(sa(), governance.ContractCheck{OutsourcingID: "x", Clauses: cl})
		}},
		{"activate", []string{"active_from", "active_until", "first_inspection_due"}, func(s *governance.Service) error {
			return s.ActivateContract(sa(), governance.Activation{OutsourcingID: "x"})
		}},
		{"inspect", []string{"inspector", "findings", "follow_up_due", "next_due"}, func(s *governance.Service) error {
			_, err := s.RecordInspection(sa(), governance.Inspection{OutsourcingID: "x", InspectedOn: today, FollowUp: "fix it", NextDue: d(-1)})
			return err
		}},
		{"rules", []string{"article", "body", "set_on"}, func(s *governance.Service) error {
			_, err := s.SetRules(as(demo.DemoCitizenHead, jukinet.AuthorityAccessAdmin), governance.Rules{Article: "G99"})
			return err
		}},
	}
	run(t, func(t *testing.T, db *store.DB, seed demo.GovernanceSeedResult) {
		s := governance.New(db)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before, logged := state(t, db), refusals(t, db)
				err := c.act(s)
				if err == nil {
					t.Fatalf("accepted; want every one of %v named", c.fields)
				}
				named := map[string]bool{}
				for _, e := range jukinet.AllFieldErrors(err) {
					named[e.Field] = true
					if strings.TrimSpace(e.Error()) == "" {
						t.Errorf("field %s has no rule text", e.Field)
					}
				}
				for _, f := range c.fields {
					if !named[f] {
						t.Errorf("field %q not named in %v", f, err)
					}
				}
				if after := state(t, db); after != before {
					t.Errorf("refused act changed state:\nbefore %s\nafter  %s", before, after)
				}
				if got := refusals(t, db); got != logged+1 {
					t.Errorf("refusal records: got %d, want %d (once)", got, logged+1)
				}
			})
		}
	})
}
