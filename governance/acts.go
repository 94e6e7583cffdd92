package governance

import (
	"context"
	"time"

	"github.com/jukinet/jukinet"
)

// Act is one governance act (運用管理の行為) as every surface performs it: the
// command line (`jukinet gov ACT`), the JSON API (POST /api/gov/ACT) and the
// console's forms. The surfaces take the list from Acts, so an act added
// here reaches all of them, and each decodes the act's request (Input) its
// own way before Do performs it.
type Act struct {
	Name    string            // the CLI's act and the API's last path element
	Op      jukinet.Operation // what the act performs; the web guards its routes by it
	Title   string            // in Japanese, for the console and the API's listing
	Summary string            // in English, for the command line's usage
	Read    bool              // reads only (the role history): the API answers GET
	System  bool              // performed by a system principal (the door's reader), never under an operator's session
	newIn   func() any
	do      func(ctx context.Context, s *Service, in any) (any, error)
}

// Input returns a pointer to a new, empty request of the act's type, for
// the caller to decode into and pass to Do.
func (a Act) Input() any { return a.newIn() }

// Do performs the act with in, a value Input returned.
func (a Act) Do(ctx context.Context, s *Service, in any) (any, error) { return a.do(ctx, s, in) }

// Done is the answer of an act that creates nothing new: {"status":"ok"}.
type Done struct {
	Status string `json:"status"`
}

// Created is the answer of an act that creates a record: {"id": …}.
type Created struct {
	ID string `json:"id"`
}

func done(err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return Done{"ok"}, nil
}

func created(id string, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return Created{id}, nil
}

// BadgeReading is one reading of a room's badge reader (G9.2), the input of
// the act room-badge.
type BadgeReading struct {
	Room      Room      `json:"room"`
	Holder    string    `json:"holder"`
	Direction Direction `json:"direction"`
	At        time.Time `json:"at"`
}

func act[T any](name string, op jukinet.Operation, title, summary string, f func(ctx context.Context, s *Service, in T) (any, error)) Act {
	return Act{Name: name, Op: op, Title: title, Summary: summary,
		newIn: func() any { return new(T) },
		do:    func(ctx context.Context, s *Service, in any) (any, error) { return f(ctx, s, *in.(*T)) }}
}

func systemAct(a Act) Act {
	a.System = true
	return a
}

// Acts returns every governance act, in the order the console lists them.
func Acts() []Act { return append([]Act(nil), acts...) }

// ActByName returns the act called name.
func ActByName(name string) (Act, bool) {
	for _, a := range acts {
		if a.Name == name {
			return a, true
		}
	}
	return Act{}, false
}

// acts is the registry. The badge reader's act runs as the system principal
// "door", never under an operator's session; a person records a passage by
// hand with room-manual.
var acts = []Act{
	act("assign-role", jukinet.OpGovRoleAssign, "役職の任命・交代 (G3–G5, G11-2, G16.2)", "appoint a role holder (G3–G5, G11-2, G16.2); --system for the first セキュリティ統括責任者", func(ctx context.Context, s *Service, in Assignment) (any, error) {
		return s.AssignRole(ctx, in)
	}),
	{Name: "roles", Op: jukinet.OpGovComplianceReport, Title: "役職の履歴", Summary: "role history", Read: true, newIn: func() any { return &struct{}{} },
		do: func(ctx context.Context, s *Service, _ any) (any, error) {
			h, err := s.RoleHistory(ctx)
			if h == nil && err == nil {
				h = []RoleHolding{} // an empty history is [], not null
			}
			return h, err
		}},
	act("convene", jukinet.OpGovMeetingConvene, "セキュリティ会議の開催 (G6)", "record a council meeting (G6)", func(ctx context.Context, s *Service, in Meeting) (any, error) {
		return s.ConveneMeeting(ctx, in)
	}),
	act("board-opinion", jukinet.OpGovBoardOpinion, "個人情報保護審査会の意見 (G6.4)", "privacy review board's opinion on an item (G6.4)", func(ctx context.Context, s *Service, in BoardOpinion) (any, error) {
		return done(s.RecordBoardOpinion(ctx, in))
	}),
	act("decide", jukinet.OpGovItemDecide, "議題の決定 (G6.3)", "council decision on an item (G6.3)", func(ctx context.Context, s *Service, in Decision) (any, error) {
		return done(s.DecideItem(ctx, in))
	}),
	act("minutes", jukinet.OpGovMinutesRecord, "議事録 (G6.6)", "minutes by the secretariat (G6.6)", func(ctx context.Context, s *Service, in Minutes) (any, error) {
		return done(s.RecordMinutes(ctx, in))
	}),
	act("instruct", jukinet.OpGovInstructionIssue, "指示・要請 (G7, G10)", "instruction or request (G7, G10)", func(ctx context.Context, s *Service, in Instruction) (any, error) {
		return created(s.IssueInstruction(ctx, in))
	}),
	act("respond", jukinet.OpGovInstructionRespond, "指示・要請への回答", "addressee's response to an instruction", func(ctx context.Context, s *Service, in Response) (any, error) {
		return done(s.RespondInstruction(ctx, in))
	}),
	act("case-open", jukinet.OpGovCaseOpen, "不適正利用事案の登録 (G8.1)", "open a misuse case (G8.1)", func(ctx context.Context, s *Service, in CaseOpening) (any, error) {
		return created(s.OpenCase(ctx, in))
	}),
	act("case-evidence", jukinet.OpGovCaseEvidence, "操作履歴の証拠の追加", "attach log indices and proofs", func(ctx context.Context, s *Service, in CaseEvidence) (any, error) {
		return done(s.AddCaseEvidence(ctx, in))
	}),
	act("case-request-report", jukinet.OpGovReportRequest, "報告の求め (G8.1)", "request a report from the state, an LG, the Organization (G8.1)", func(ctx context.Context, s *Service, in ReportRequest) (any, error) {
		return created(s.RequestReport(ctx, in))
	}),
	act("case-report-answer", jukinet.OpGovReportAnswer, "報告の受領", "record the answer to a report request", func(ctx context.Context, s *Service, in ReportAnswer) (any, error) {
		return done(s.RecordReportAnswer(ctx, in))
	}),
	act("case-entry", jukinet.OpGovCaseEntry, "調査記録・保護措置 (G8.2)", "investigation note or measure (G8.2)", func(ctx context.Context, s *Service, in CaseEntry) (any, error) {
		return done(s.AddCaseEntry(ctx, in))
	}),
	act("case-judge", jukinet.OpGovCaseJudge, "権利侵害の有無の判断 (G8.2)", "judgement: infringement yes/no (G8.2)", func(ctx context.Context, s *Service, in Judgement) (any, error) {
		return done(s.Judge(ctx, in))
	}),
	act("case-close", jukinet.OpGovCaseClose, "事案の終結", "close a judged case", func(ctx context.Context, s *Service, in Closure) (any, error) {
		return done(s.CloseCase(ctx, in))
	}),
	act("room-authorize", jukinet.OpGovRoomAuthorize, "入室の事前承認 (G9.1)", "pre-authorize a person for a room (G9.1)", func(ctx context.Context, s *Service, in RoomAuthorization) (any, error) {
		return created(s.AuthorizeRoom(ctx, in))
	}),
	act("room-revoke", jukinet.OpGovRoomRevoke, "事前承認の取消", "revoke a room authorization", func(ctx context.Context, s *Service, in Revocation) (any, error) {
		return done(s.RevokeRoom(ctx, in))
	}),
	act("room-manual", jukinet.OpGovRoomManualEntry, "手動による入退室記録 (G9.2)", "manual entry/exit with a reason (G9.2)", func(ctx context.Context, s *Service, in ManualPassage) (any, error) {
		return done(s.RecordManualPassage(ctx, in))
	}),
	systemAct(act("room-badge", jukinet.OpGovRoomBadge, "入退室の読取 (読取装置: システム主体 door)", "a badge reading (runs as system principal door): {room, holder, direction, at}", func(ctx context.Context, s *Service, in BadgeReading) (any, error) {
		return done(s.RecordBadge(ctx, in.Room, in.Holder, in.Direction, in.At))
	})),
	act("alert-answer", jukinet.OpGovAlertAnswer, "警報への回答", "answer an alert", func(ctx context.Context, s *Service, in AlertAnswer) (any, error) {
		return done(s.AnswerAlert(ctx, in))
	}),
	act("room-report", jukinet.OpGovRoomReport, "入退室管理の定期報告 (G10)", "entry-management report to the セキュリティ統括責任者 (G10)", func(ctx context.Context, s *Service, in RoomReport) (any, error) {
		return s.SubmitRoomReport(ctx, in)
	}),
	act("asset", jukinet.OpGovAssetRegister, "情報資産の登録 (G16)", "register an information asset (G16)", func(ctx context.Context, s *Service, in Asset) (any, error) {
		return created(s.RegisterAsset(ctx, in))
	}),
	act("access-decide", jukinet.OpGovAccessDecide, "セキュリティ責任者による操作者IDの付与・照合情報の再登録の決定 (G13.3)", "the access manager's decision to grant an operator ID or re-register collation data (G13.3)", func(ctx context.Context, s *Service, in AccessDecision) (any, error) {
		return created(s.DecideAccess(ctx, in))
	}),
	act("designate-handler", jukinet.OpGovHandlerDesignate, "本人確認情報を取り扱う者の指定 (G16-2.1)", "designate who may handle identity information (G16-2.1)", func(ctx context.Context, s *Service, in HandlerDesignation) (any, error) {
		return created(s.DesignateHandler(ctx, in))
	}),
	act("revoke-handler", jukinet.OpGovHandlerRevoke, "指定の終了", "end a designation", func(ctx context.Context, s *Service, in Revocation) (any, error) {
		return done(s.RevokeHandler(ctx, in))
	}),
	act("form", jukinet.OpGovFormRegister, "帳票の登録 (G16-2.2)", "register a server form (G16-2.2)", func(ctx context.Context, s *Service, in Form) (any, error) {
		return created(s.RegisterForm(ctx, in))
	}),
	act("print", jukinet.OpGovFormPrint, "帳票の出力記録", "log a printout of a form", func(ctx context.Context, s *Service, in Print) (any, error) {
		return created(s.RecordPrint(ctx, in))
	}),
	act("dispose", jukinet.OpGovFormDispose, "出力帳票の廃棄記録", "log the disposal of a printout", func(ctx context.Context, s *Service, in Disposal) (any, error) {
		return done(s.RecordDisposal(ctx, in))
	}),
	act("outsource", jukinet.OpGovOutsourcingRequest, "外部委託の申請 (G17–18)", "request to outsource (G17–18)", func(ctx context.Context, s *Service, in OutsourcingRequest) (any, error) {
		return created(s.RequestOutsourcing(ctx, in))
	}),
	act("approve", jukinet.OpGovOutsourcingApprove, "外部委託の承認 (G18)", "General Manager's approval (G18)", func(ctx context.Context, s *Service, in Approval) (any, error) {
		return done(s.ApproveOutsourcing(ctx, in))
	}),
	act("check-contract", jukinet.OpGovContractCheck, "契約条項の確認 (G19)", "check the five clauses of G19", func(ctx context.Context, s *Service, in ContractCheck) (any, error) {
		return done(s.CheckContract(ctx, in))
	}),
	act("activate", jukinet.OpGovContractActivate, "契約の発効", "make a contract active (after opinion, approval, clause check)", func(ctx context.Context, s *Service, in Activation) (any, error) {
		return done(s.ActivateContract(ctx, in))
	}),
	act("inspect", jukinet.OpGovInspectionRecord, "委託先の検査 (G20)", "contractor inspection (G20)", func(ctx context.Context, s *Service, in Inspection) (any, error) {
		return created(s.RecordInspection(ctx, in))
	}),
	act("follow-up-done", jukinet.OpGovFollowUpDone, "検査後の是正の完了", "an inspection's follow-up is done", func(ctx context.Context, s *Service, in FollowUpDone) (any, error) {
		return done(s.CompleteFollowUp(ctx, in))
	}),
}
