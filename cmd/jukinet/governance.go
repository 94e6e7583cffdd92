package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/governance"
)

type govAct struct {
	summary string
	run     func(ctx context.Context, s *governance.Service, dec *json.Decoder) (any, error)
}

func gact[T any](summary string, f func(ctx context.Context, s *governance.Service, in T) (any, error)) govAct {
	return govAct{summary, func(ctx context.Context, s *governance.Service, dec *json.Decoder) (any, error) {
		var in T
		if err := dec.Decode(&in); err != nil {
			return nil, jukinet.E("gov", jukinet.KindInvalid, jukinet.Field("json"), "cannot decode the input", err)
		}
		return f(ctx, s, in)
	}}
}

func ok(err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return map[string]string{"status": "ok"}, nil
}

func idOf(id string, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return map[string]string{"id": id}, nil
}

func govActs() map[string]govAct {
	return map[string]govAct{
		"assign-role": gact("appoint a role holder (G3–G5, G11-2, G16.2); --system for the first セキュリティ統括責任者", func(ctx context.Context, s *governance.Service, in governance.Assignment) (any, error) {
			return s.AssignRole(ctx, in)
		}),
		"roles": gact("role history", func(ctx context.Context, s *governance.Service, _ struct{}) (any, error) { return s.RoleHistory(ctx) }),
		"convene": gact("record a council meeting (G6)", func(ctx context.Context, s *governance.Service, in governance.Meeting) (any, error) {
			return s.ConveneMeeting(ctx, in)
		}),
		"board-opinion": gact("privacy review board's opinion on an item (G6.4)", func(ctx context.Context, s *governance.Service, in governance.BoardOpinion) (any, error) {
			return ok(s.RecordBoardOpinion(ctx, in))
		}),
		"decide": gact("council decision on an item (G6.3)", func(ctx context.Context, s *governance.Service, in governance.Decision) (any, error) {
			return ok(s.DecideItem(ctx, in))
		}),
		"minutes": gact("minutes by the secretariat (G6.6)", func(ctx context.Context, s *governance.Service, in governance.Minutes) (any, error) {
			return ok(s.RecordMinutes(ctx, in))
		}),
		"instruct": gact("instruction or request (G7, G10)", func(ctx context.Context, s *governance.Service, in governance.Instruction) (any, error) {
			return idOf(s.IssueInstruction(ctx, in))
		}),
		"respond": gact("addressee's response to an instruction", func(ctx context.Context, s *governance.Service, in governance.Response) (any, error) {
			return ok(s.RespondInstruction(ctx, in))
		}),
		"case-open": gact("open a misuse case (G8.1)", func(ctx context.Context, s *governance.Service, in governance.CaseOpening) (any, error) {
			return idOf(s.OpenCase(ctx, in))
		}),
		"case-evidence": gact("attach log indices and proofs", func(ctx context.Context, s *governance.Service, in governance.CaseEvidence) (any, error) {
			return ok(s.AddCaseEvidence(ctx, in))
		}),
		"case-request-report": gact("request a report from the state, an LG, the Organization (G8.1)", func(ctx context.Context, s *governance.Service, in governance.ReportRequest) (any, error) {
			return idOf(s.RequestReport(ctx, in))
		}),
		"case-report-answer": gact("record the answer to a report request", func(ctx context.Context, s *governance.Service, in governance.ReportAnswer) (any, error) {
			return ok(s.RecordReportAnswer(ctx, in))
		}),
		"case-entry": gact("investigation note or measure (G8.2)", func(ctx context.Context, s *governance.Service, in governance.CaseEntry) (any, error) {
			return ok(s.AddCaseEntry(ctx, in))
		}),
		"case-judge": gact("judgement: infringement yes/no (G8.2)", func(ctx context.Context, s *governance.Service, in governance.Judgement) (any, error) {
			return ok(s.Judge(ctx, in))
		}),
		"case-close": gact("close a judged case", func(ctx context.Context, s *governance.Service, in governance.Closure) (any, error) {
			return ok(s.CloseCase(ctx, in))
		}),
		"room-authorize": gact("pre-authorize a person for a room (G9.1)", func(ctx context.Context, s *governance.Service, in governance.RoomAuthorization) (any, error) {
			return idOf(s.AuthorizeRoom(ctx, in))
		}),
		"room-revoke": gact("revoke a room authorization", func(ctx context.Context, s *governance.Service, in governance.Revocation) (any, error) {
			return ok(s.RevokeRoom(ctx, in))
		}),
		"room-badge": gact("a badge reading (runs as system principal door): {room, holder, direction, at}", func(ctx context.Context, s *governance.Service, in badgeInput) (any, error) {
			return ok(s.RecordBadge(ctx, in.Room, in.Holder, in.Direction, in.At))
		}),
		"room-manual": gact("manual entry/exit with a reason (G9.2)", func(ctx context.Context, s *governance.Service, in governance.ManualPassage) (any, error) {
			return ok(s.RecordManualPassage(ctx, in))
		}),
		"alert-answer": gact("answer an alert", func(ctx context.Context, s *governance.Service, in governance.AlertAnswer) (any, error) {
			return ok(s.AnswerAlert(ctx, in))
		}),
		"room-report": gact("entry-management report to the セキュリティ統括責任者 (G10)", func(ctx context.Context, s *governance.Service, in governance.RoomReport) (any, error) {
			return s.SubmitRoomReport(ctx, in)
		}),
		"asset": gact("register an information asset (G16)", func(ctx context.Context, s *governance.Service, in governance.Asset) (any, error) {
			return idOf(s.RegisterAsset(ctx, in))
		}),
		"designate-handler": gact("designate who may handle identity information (G16-2.1)", func(ctx context.Context, s *governance.Service, in governance.HandlerDesignation) (any, error) {
			return idOf(s.DesignateHandler(ctx, in))
		}),
		"revoke-handler": gact("end a designation", func(ctx context.Context, s *governance.Service, in governance.Revocation) (any, error) {
			return ok(s.RevokeHandler(ctx, in))
		}),
		"form": gact("register a server form (G16-2.2)", func(ctx context.Context, s *governance.Service, in governance.Form) (any, error) {
			return idOf(s.RegisterForm(ctx, in))
		}),
		"print": gact("log a printout of a form", func(ctx context.Context, s *governance.Service, in governance.Print) (any, error) {
			return idOf(s.RecordPrint(ctx, in))
		}),
		"dispose": gact("log the disposal of a printout", func(ctx context.Context, s *governance.Service, in governance.Disposal) (any, error) {
			return ok(s.RecordDisposal(ctx, in))
		}),
		"outsource": gact("request to outsource (G17–18)", func(ctx context.Context, s *governance.Service, in governance.OutsourcingRequest) (any, error) {
			return idOf(s.RequestOutsourcing(ctx, in))
		}),
		"approve": gact("General Manager's approval (G18)", func(ctx context.Context, s *governance.Service, in governance.Approval) (any, error) {
			return ok(s.ApproveOutsourcing(ctx, in))
		}),
		"check-contract": gact("check the five clauses of G19", func(ctx context.Context, s *governance.Service, in governance.ContractCheck) (any, error) {
			return ok(s.CheckContract(ctx, in))
		}),
		"activate": gact("make a contract active (after opinion, approval, clause check)", func(ctx context.Context, s *governance.Service, in governance.Activation) (any, error) {
			return ok(s.ActivateContract(ctx, in))
		}),
		"inspect": gact("contractor inspection (G20)", func(ctx context.Context, s *governance.Service, in governance.Inspection) (any, error) {
			return idOf(s.RecordInspection(ctx, in))
		}),
		"follow-up-done": gact("an inspection's follow-up is done", func(ctx context.Context, s *governance.Service, in governance.FollowUpDone) (any, error) {
			return ok(s.CompleteFollowUp(ctx, in))
		}),
	}
}

type badgeInput struct {
	Room      governance.Room      `json:"room"`
	Holder    string               `json:"holder"`
	Direction governance.Direction `json:"direction"`
	At        time.Time            `json:"at"`
}

// runGov: jukinet gov ACT --db PATH [actor flags] < input.json
func runGov(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	acts := govActs()
	names := make([]string, 0, len(acts))
	for n := range acts {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, "usage: jukinet gov ACT --db PATH --token T --keys DIR < input.json (--system: the first セキュリティ統括責任者 only)\nacts:")
		for _, n := range names {
			fmt.Fprintf(stderr, "  %-20s %s\n", n, acts[n].summary)
		}
		return usageErr("no act given")
	}
	act, found := acts[args[0]]
	if !found {
		return usageErr("unknown act %q (one of: %s)", args[0], strings.Join(names, ", "))
	}
	fs := newFlags("gov "+args[0], stderr)
	var dbf dbFlags
	var af actorFlags
	dbf.register(fs, "352063")
	af.register(fs)
	system := fs.Bool("system", false, "act as the setup system principal (only for the first セキュリティ統括責任者)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	db, err := dbf.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	actx := jukinet.WithActor(ctx, governance.BootstrapActor)
	if !*system {
		if actx, err = af.context(ctx, db); err != nil {
			return err
		}
	}
	dec := json.NewDecoder(stdin)
	dec.DisallowUnknownFields()
	if args[0] == "roles" {
		dec = json.NewDecoder(strings.NewReader("{}"))
	}
	out, err := act.run(actx, governance.New(db), dec)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
