package demo

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/access"
	"github.com/jukinet/jukinet/governance"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/store"
)

// The 照合IDs of the demo's role holders, all operators of the one list of
// demo people (People): the head of the Citizen Division holds
// the three roles the guideline gives that post (G5, G11-2, G16.2).
const (
	DemoDeputyMayor = "C-DEPUTY-MAYOR" // セキュリティ統括責任者
	DemoCitizenHead = "C-CITIZEN-HEAD" // セキュリティ責任者, アクセス管理責任者, 本人確認情報管理責任者
	DemoAccessAdmin = "C-ADMIN"        // アクセス管理 staff (課長補佐); not a role holder
	DemoSysAdmin    = "C-SYSADM"       // システム管理者, 情報資産管理責任者
	DemoClerk       = "C-CLERK"        // council secretariat; designated handler
	DemoIssuer      = "C-ISSUE"        // designated handler
	DemoNumber      = "C-NUMBER"       // designated handler
	DemoAuditor     = "C-AUDIT"        // invited to the council; inspector
)

// nameOf is the demo person's name (the one list, People).
func nameOf(collationID string) string {
	p, _ := PersonOf(collationID)
	return p.Name
}

// GovernanceSeedResult says what SeedGovernance recorded.
type GovernanceSeedResult struct {
	Skipped       bool     `json:"skipped"` // a セキュリティ統括責任者 already existed
	Meetings      []string `json:"meetings"`
	CaseID        string   `json:"case_id"`
	OutsourcingID string   `json:"outsourcing_id"`
	Alerts        int      `json:"alerts"`
}

func operator(ctx context.Context, collationID string, a jukinet.Authority) context.Context {
	return jukinet.WithActor(ctx, jukinet.Actor{CollationID: collationID, OperatorID: OperatorID(collationID, a), Authority: a, Terminal: TerminalID})
}

// SeedGovernance records a plausible year of 防府市's operation management
// ending on today: role holders, two council meetings with instructions, a
// closed misuse case, room pre-authorizations and entries (one refused
// attempt), assets, forms and print logs, one outsourcing contract with
// all five clauses of G19 and an inspection, the アクセス管理責任者's rules
// (G13.1, G13.2) and OS password policy (G12.2), and a run of the periodic
// misuse analysis (G8). It does nothing if a
// セキュリティ統括責任者 was ever appointed. The database clock must be on today.
func SeedGovernance(ctx context.Context, db *store.DB, today jukinet.Date) (GovernanceSeedResult, error) {
	seeded, err := governance.EverAppointed(ctx, db, governance.RoleGeneralManager)
	if err != nil {
		return GovernanceSeedResult{}, jukinet.E("demo.SeedGovernance", err)
	}
	if seeded {
		return GovernanceSeedResult{Skipped: true}, nil
	}
	g := newGovSeed(ctx, db, today)
	for _, step := range []func() error{
		g.roles, g.rulesAndPasswordPolicy, g.handlers, g.assets, g.form, g.prints, g.disposal,
		g.roomAuthorizations, g.badges, g.answerAlert,
		g.requestOutsourcing, g.council1, g.boardOpinion, g.decisions1, g.trainingInstruction,
		g.contract, g.inspection, g.followUp,
		g.openCase, g.investigateCase, g.roomReport, g.council2, g.misuseAnalysis,
	} {
		if err := step(); err != nil {
			return g.res, err
		}
	}
	g.res.Meetings = []string{g.meeting1, g.meeting2}
	g.res.CaseID, g.res.OutsourcingID = g.caseID, g.outsourcingID
	return g.res, nil
}

// govSeed is one SeedGovernance: a year of a city's governance, acted by
// the demo's role holders, each step a method in the order of the year.
type govSeed struct {
	ctx   context.Context
	db    *store.DB
	s     *governance.Service
	today jukinet.Date
	start jukinet.Date // a year before today

	// The role holders acting, each under the authority of the act.
	gm, head, headGov, sys, sysGov, clerkGov, clerk, accessAdmin, auditor context.Context

	// What later steps refer to.
	outsourcingID, itemOutsourcing, itemMeasures, itemTraining, meeting1, meeting2, itemAudit, caseID, printID, formID, inspectionID string
	res                                                                                                                              GovernanceSeedResult
}

func newGovSeed(ctx context.Context, db *store.DB, today jukinet.Date) *govSeed {
	return &govSeed{ctx: ctx, db: db, s: governance.New(db), today: today, start: today.AddDays(-365),
		gm:       operator(ctx, DemoDeputyMayor, jukinet.AuthorityGovernance),
		head:     operator(ctx, DemoCitizenHead, jukinet.AuthorityIdentityManager),
		headGov:  operator(ctx, DemoCitizenHead, jukinet.AuthorityGovernance),
		sys:      operator(ctx, DemoSysAdmin, jukinet.AuthoritySystemAdmin),
		sysGov:   operator(ctx, DemoSysAdmin, jukinet.AuthorityGovernance),
		clerkGov: operator(ctx, DemoClerk, jukinet.AuthorityGovernance),
		clerk:    operator(ctx, DemoClerk, jukinet.AuthorityLookup),
		// The アクセス管理責任者 is the head of the Citizen Division (G11-2).
		accessAdmin: operator(ctx, DemoCitizenHead, jukinet.AuthorityAccessAdmin),
		auditor:     operator(ctx, DemoAuditor, jukinet.AuthorityAudit),
	}
}

// d is the day days after the start of the year.
func (g *govSeed) d(days int) jukinet.Date { return g.start.AddDays(days) }

// at is hour o'clock on day.
func (g *govSeed) at(day jukinet.Date, hour int) time.Time {
	return day.Time().Add(time.Duration(hour) * time.Hour)
}

// roles assigns the セキュリティ統括責任者 (bootstrap), who assigns the other roles.
func (g *govSeed) roles() error {
	s, start := g.s, g.start
	if _, err := s.AssignRole(jukinet.WithActor(g.ctx, governance.BootstrapActor), governance.Assignment{Role: governance.RoleGeneralManager, CollationID: DemoDeputyMayor, Name: nameOf(DemoDeputyMayor), Position: "副市長", From: start}); err != nil {
		return err
	}
	for _, a := range []governance.Assignment{
		{Role: governance.RoleSystemAdministrator, CollationID: DemoSysAdmin, Name: nameOf(DemoSysAdmin), Position: "デジタル推進課長", From: start},
		{Role: governance.RoleAssetManager, CollationID: DemoSysAdmin, Name: nameOf(DemoSysAdmin), Position: "デジタル推進課長", From: start},
		{Role: governance.RoleSecurityManager, CollationID: DemoCitizenHead, Name: nameOf(DemoCitizenHead), Position: "市民課長", From: start},
		{Role: governance.RoleIdentityInfoManager, CollationID: DemoCitizenHead, Name: nameOf(DemoCitizenHead), Position: "市民課長", From: start},
		{Role: governance.RoleAccessControlManager, CollationID: DemoCitizenHead, Name: nameOf(DemoCitizenHead), Position: "市民課長", From: start},
		{Role: governance.RoleCouncilSecretariat, CollationID: DemoClerk, Name: nameOf(DemoClerk), Position: "市民課主任", From: start},
	} {
		if _, err := s.AssignRole(g.gm, a); err != nil {
			return err
		}
	}
	return nil
}

// misuseAnalysis runs the periodic misuse analysis of the last month (G8).
func (g *govSeed) misuseAnalysis() error {
	now := g.db.Now()
	_, err := oplog.Analyse(g.auditor, g.db, oplog.ReportConfig{From: now.AddDate(0, -1, 0), To: now})
	return err
}

// rulesAndPasswordPolicy records the アクセス管理責任者's rules (G13.1, G13.2) and the OS password policy (G12.2).
func (g *govSeed) rulesAndPasswordPolicy() error {
	s, db, d, accessAdmin := g.s, g.db, g.d, g.accessAdmin
	for _, r := range []governance.Rules{
		{Article: governance.RulesIDs, Body: "照合IDは職員1名に1つ、操作者IDは業務ごとにセキュリティ責任者と協議して付与し、異動・退職の日に失効させる。", SetOn: d(3)},
		{Article: governance.RulesTemplates, Body: "照合情報の登録・削除はアクセス管理責任者が本人立会いで行い、管理簿に記録する。", SetOn: d(3)},
	} {
		if _, err := s.SetRules(accessAdmin, r); err != nil {
			return err
		}
	}
	return access.SetPasswordPolicy(accessAdmin, db, access.PasswordPolicy{MinLength: 12, CharClasses: 3, LockoutThreshold: 5})
}

// handlers designates who may handle identity information (G16-2.1).
func (g *govSeed) handlers() error {
	s, d, head := g.s, g.d, g.head
	for _, h := range handlerStaff {
		if _, err := s.DesignateHandler(head, governance.HandlerDesignation{CollationID: h.id, Name: nameOf(h.id), Scope: h.scope, From: d(1)}); err != nil {
			return err
		}
	}
	return nil
}

// assets registers the information assets (G16).
func (g *govSeed) assets() error {
	s, d, headGov, sysGov := g.s, g.d, g.headGov, g.sysGov
	for _, a := range []struct {
		ctx context.Context
		a   governance.Asset
	}{
		{headGov, governance.Asset{Kind: governance.AssetInformation, Name: "本人確認情報（CSデータベース）", IdentityInfo: true, Location: "電子計算機室", ManagementRules: "指定者のみ取扱い; 持出し禁止; 操作履歴7年保存", RegisteredOn: d(2)}},
		{sysGov, governance.Asset{Kind: governance.AssetSoftware, Name: "jukinet CS アプリケーション", Location: "CS", ManagementRules: "変更は変更管理票により承認後に適用", RegisteredOn: d(2)}},
		{sysGov, governance.Asset{Kind: governance.AssetHardware, Name: "コミュニケーションサーバ", Location: "電子計算機室 ラックA", ManagementRules: "保守は事前許可者のみ; 廃棄時は媒体を物理破壊", RegisteredOn: d(2)}},
		{sysGov, governance.Asset{Kind: governance.AssetNetwork, Name: "住基ネット専用回線・ファイアウォール", Location: "電子計算機室", ManagementRules: "設定変更は二名で確認; 設定の写しを保管室に保管", RegisteredOn: d(2)}},
		{sysGov, governance.Asset{Kind: governance.AssetMedia, Name: "バックアップ媒体（月次）", Location: "磁気ディスク等保管室", ManagementRules: "施錠保管; 持出簿に記録; 7年後に消磁・破砕", RegisteredOn: d(2)}},
	} {
		if _, err := s.RegisterAsset(a.ctx, a.a); err != nil {
			return err
		}
	}
	return nil
}

// form registers a form (G16-2.2).
func (g *govSeed) form() (err error) {
	s, head := g.s, g.head
	g.formID, err = s.RegisterForm(head, governance.Form{Name: "本人確認情報異動者一覧", Description: "CS から出力する日次の異動者一覧", Rules: "出力は指定者のみ; 施錠保管; 交付しない", Retention: "1年保管の後、溶解処理"})
	return err
}

// prints records two printouts of the form (G16-2.2).
func (g *govSeed) prints() (err error) {
	s, today, d, clerk := g.s, g.today, g.d, g.clerk
	g.printID, err = s.RecordPrint(clerk, governance.Print{FormID: g.formID, Copies: 1, Purpose: "日次照合", PrintedOn: d(40)})
	if err == nil {
		_, err = s.RecordPrint(clerk, governance.Print{FormID: g.formID, Copies: 2, Purpose: "月末照合", PrintedOn: today.AddDays(-5)})
	}
	return err
}

// disposal records the disposal of the first printout (G16-2.2).
func (g *govSeed) disposal() error {
	s, d, clerk := g.s, g.d, g.clerk
	return s.RecordDisposal(clerk, governance.Disposal{PrintID: g.printID, Method: "溶解処理", DisposedOn: d(60)})
}

// roomAuthorizations pre-authorizes people for the rooms (G9).
func (g *govSeed) roomAuthorizations() error {
	s, today, d, sys := g.s, g.today, g.d, g.sys
	for _, a := range []governance.RoomAuthorization{
		{Room: governance.RoomComputer, CollationID: DemoSysAdmin, Name: nameOf(DemoSysAdmin), Purpose: "システム運用", From: d(1), Until: today.AddDays(300)},
		{Room: governance.RoomMediaStorage, CollationID: DemoSysAdmin, Name: nameOf(DemoSysAdmin), Purpose: "バックアップ媒体の管理", From: d(1), Until: today.AddDays(300)},
		{Room: governance.RoomComputer, CollationID: "V-ENGINEER-01", Name: "保守業者 技術者", Purpose: "CS 定期保守", From: d(60), Until: d(180)},
		{Room: governance.RoomComputer, CollationID: DemoAuditor, Name: nameOf(DemoAuditor), Purpose: "入退室管理の監査", From: today.AddDays(-30), Until: today.AddDays(20)},
	} {
		if _, err := s.AuthorizeRoom(sys, a); err != nil {
			return err
		}
	}
	return nil
}

// badges records passages, one refused with its alert, and a manual passage (G9).
func (g *govSeed) badges() error {
	s, ctx, today, d, at, sys := g.s, g.ctx, g.today, g.d, g.at, g.sys
	for _, day := range []int{10, 70, 130, 200, 260, 330} {
		for _, dir := range []governance.Direction{governance.DirectionIn, governance.DirectionOut} {
			h := 10
			if dir == governance.DirectionOut {
				h = 11
			}
			if err := s.RecordBadge(ctx, governance.RoomComputer, DemoSysAdmin, dir, at(d(day), h)); err != nil {
				return err
			}
		}
	}
	if err := s.RecordBadge(ctx, governance.RoomComputer, "V-ENGINEER-01", governance.DirectionIn, at(d(90), 13)); err != nil {
		return err
	}
	if err := s.RecordBadge(ctx, governance.RoomComputer, "V-ENGINEER-01", governance.DirectionOut, at(d(90), 16)); err != nil {
		return err
	}
	// The engineer comes back after the authorization ended: refused, alert.
	if err := s.RecordBadge(ctx, governance.RoomComputer, "V-ENGINEER-01", governance.DirectionIn, at(d(200), 9)); !jukinet.IsKind(err, jukinet.KindForbidden) {
		return jukinet.E("demo.SeedGovernance", jukinet.KindInternal, "expected a refused entry", err)
	}
	g.res.Alerts = 1
	return s.RecordManualPassage(sys, governance.ManualPassage{Room: governance.RoomMediaStorage, CollationID: DemoSysAdmin, Direction: governance.DirectionIn, At: at(today.AddDays(-3), 14), Reason: "カードリーダー故障のため手動記録"})
}

// answerAlert answers the alert of the refused entry (G9).
func (g *govSeed) answerAlert() error {
	s, db, ctx, sys := g.s, g.db, g.ctx, g.sys
	alertID, err := governance.FirstAlertID(ctx, db)
	if err != nil {
		return jukinet.E("demo.SeedGovernance", err)
	}
	if alertID == "" {
		return jukinet.E("demo.SeedGovernance", jukinet.KindInternal, "no room alert to answer")
	}
	return s.AnswerAlert(sys, governance.AlertAnswer{AlertID: alertID, Answer: "保守契約終了後の来訪。入室させず、業者に許可期間を再周知した。"})
}

// requestOutsourcing requests the maintenance outsourcing (G17).
func (g *govSeed) requestOutsourcing() (err error) {
	s, d, sysGov := g.s, g.d, g.sysGov
	g.outsourcingID, err = s.RequestOutsourcing(sysGov, governance.OutsourcingRequest{Title: "CS 機器保守業務", Contractor: "株式会社周防システム", Content: "CS・統合端末のハードウェア保守と障害対応",
		Reason: "専門技術と24時間対応が必要なため", ProtectionTerms: "本人確認情報へのアクセス禁止; 作業は職員立会い; 媒体の持出し禁止", RequestedOn: d(20)})
	return err
}

// council1 convenes the first council meeting (G6, G18).
func (g *govSeed) council1() error {
	s, d, gm := g.s, g.d, g.gm
	m, err := s.ConveneMeeting(gm, governance.Meeting{HeldOn: d(30), Title: "令和年度 第1回 住基ネットセキュリティ会議",
		Members: []governance.Attendance{{Role: governance.RoleGeneralManager, Present: true}, {Role: governance.RoleSystemAdministrator, Present: true}, {Role: governance.RoleSecurityManager, Present: true}},
		Invited: []governance.Invitee{{CollationID: DemoAccessAdmin, Name: nameOf(DemoAccessAdmin), Department: "市民課", Reason: "照合ID・操作者ID管理簿の報告"}},
		Items: []governance.AgendaItem{
			{Category: governance.CategoryMeasures, Title: "セキュリティ対策基準の見直し"},
			{Category: governance.CategoryMeasures, Title: "CS 機器保守業務の外部委託", Important: true, OutsourcingID: g.outsourcingID},
			{Category: governance.CategoryTraining, Title: "操作者研修計画"},
			{Category: governance.CategoryCompliance, Title: "操作履歴の点検結果"},
		}})
	if err != nil {
		return err
	}
	g.meeting1, g.itemMeasures, g.itemOutsourcing, g.itemTraining = m.ID, m.ItemIDs[0], m.ItemIDs[1], m.ItemIDs[2]
	return nil
}

// boardOpinion records the review board's opinion on the outsourcing (G6.4).
func (g *govSeed) boardOpinion() error {
	s, d, gm := g.s, g.d, g.gm
	return s.RecordBoardOpinion(gm, governance.BoardOpinion{ItemID: g.itemOutsourcing, Opinion: "委託先の再委託禁止と立会いを条件に、委託は適当である。", ReceivedOn: d(28)})
}

// decisions1 decides the first meeting's items and records its minutes (G6).
func (g *govSeed) decisions1() error {
	s, d, gm, clerkGov := g.s, g.d, g.gm, g.clerkGov
	for _, x := range []struct{ id, text string }{{g.itemMeasures, "対策基準を改定する"}, {g.itemOutsourcing, "条件付きで委託を可とする"}, {g.itemTraining, "全操作者に年1回の研修を行う"}} {
		if err := s.DecideItem(gm, governance.Decision{ItemID: x.id, Decision: x.text, DecidedOn: d(30)}); err != nil {
			return err
		}
	}
	return s.RecordMinutes(clerkGov, governance.Minutes{MeetingID: g.meeting1, Text: "出席: 統括責任者、システム管理者、セキュリティ責任者。議題4件、うち3件決定。", RecordedOn: d(33)})
}

// trainingInstruction issues the training instruction and its answer (G7).
func (g *govSeed) trainingInstruction() error {
	s, d, gm, headGov := g.s, g.d, g.gm, g.headGov
	id, err := s.IssueInstruction(gm, governance.Instruction{ItemID: g.itemTraining, Kind: governance.KindInstruction, AddresseeCollationID: DemoCitizenHead, AddresseeName: nameOf(DemoCitizenHead), AddresseeDepartment: "市民課",
		Content: "操作者研修を実施し結果を報告すること", IssuedOn: d(31), DueOn: d(120)})
	if err != nil {
		return err
	}
	return s.RespondInstruction(headGov, governance.Response{InstructionID: id, Response: "全操作者12名が受講した", RespondedOn: d(110)})
}

// contract approves the outsourcing, checks its clauses and activates it (G18, G19).
func (g *govSeed) contract() error {
	s, d, gm, sysGov := g.s, g.d, g.gm, g.sysGov
	if err := s.ApproveOutsourcing(gm, governance.Approval{OutsourcingID: g.outsourcingID, ApprovedOn: d(35)}); err != nil {
		return err
	}
	clauses := []governance.Clause{
		{Type: governance.ClauseSubcontracting, Reference: "第5条（再委託の禁止）"},
		{Type: governance.ClauseMaterials, Reference: "第7条（資料の保管及び返還等）"},
		{Type: governance.ClauseOtherUse, Reference: "第8条（目的外使用及び複写の禁止）"},
		{Type: governance.ClauseConfidentiality, Reference: "第9条（秘密の保持）"},
		{Type: governance.ClauseAccidentReport, Reference: "第11条（事故等の報告）"},
	}
	if err := s.CheckContract(sysGov, governance.ContractCheck{OutsourcingID: g.outsourcingID, Clauses: clauses, CheckedOn: d(38)}); err != nil {
		return err
	}
	return s.ActivateContract(sysGov, governance.Activation{OutsourcingID: g.outsourcingID, ActiveFrom: d(40), ActiveUntil: d(40 + 730), FirstInspectionDue: d(220)})
}

// inspection records the contractor's inspection (G20).
func (g *govSeed) inspection() (err error) {
	s, today, d, sysGov := g.s, g.today, g.d, g.sysGov
	g.inspectionID, err = s.RecordInspection(sysGov, governance.Inspection{OutsourcingID: g.outsourcingID, InspectedOn: d(215), Inspector: nameOf(DemoAuditor) + " (C-AUDIT) 立会い",
		Findings: "作業記録は適正。媒体持出簿の記入漏れ1件。", FollowUp: "持出簿の記入徹底と再点検", FollowUpDue: d(250), NextDue: today.AddDays(140)})
	return err
}

// followUp completes the inspection's follow-up (G20).
func (g *govSeed) followUp() error {
	s, d, sysGov := g.s, g.d, g.sysGov
	return s.CompleteFollowUp(sysGov, governance.FollowUpDone{InspectionID: g.inspectionID, DoneOn: d(240)})
}

// openCase opens a misuse case from an oplog report (G8).
func (g *govSeed) openCase() (err error) {
	s, d, gm := g.s, g.d, g.gm
	proof, _ := json.Marshal(map[string]any{"note": "inclusion proof to be attached by jukinet oplog prove"})
	g.caseID, err = s.OpenCase(gm, governance.CaseOpening{OpenedOn: d(150), Source: "oplog_report", Summary: "深夜帯の連続照会（jukinet oplog report の検出）",
		Evidence: []governance.LogEvidence{{Index: 0}, {Index: 1, Proof: proof}}})
	return err
}

// investigateCase investigates, judges and closes the case (G8).
func (g *govSeed) investigateCase() error {
	s, d, gm := g.s, g.d, g.gm
	req, err := s.RequestReport(gm, governance.ReportRequest{CaseID: g.caseID, AddresseeKind: "organization", Addressee: "地方公共団体情報システム機構", RequestedOn: d(151), DueOn: d(165)})
	if err != nil {
		return err
	}
	if err := s.RecordReportAnswer(gm, governance.ReportAnswer{RequestID: req, Answer: "機構側の記録に不審な照会なし", AnsweredOn: d(160)}); err != nil {
		return err
	}
	if err := s.AddCaseEntry(gm, governance.CaseEntry{CaseID: g.caseID, Kind: "note", Body: "照会は夜間の住民異動処理に伴う正当な業務と確認", On: d(162)}); err != nil {
		return err
	}
	if err := s.Judge(gm, governance.Judgement{CaseID: g.caseID, Infringement: false, Reason: "業務上の正当な照会であり、権利侵害のおそれなし", JudgedOn: d(163)}); err != nil {
		return err
	}
	return s.CloseCase(gm, governance.Closure{CaseID: g.caseID, ClosedOn: d(165)})
}

// roomReport submits the periodic report on entry management (G10).
func (g *govSeed) roomReport() error {
	s, today, sys := g.s, g.today, g.sys
	_, err := s.SubmitRoomReport(sys, governance.RoomReport{PeriodFrom: today.AddDays(-95), PeriodUntil: today.AddDays(-5), SubmittedOn: today.AddDays(-4), Summary: "許可外入室の試み1件（警告対応済）以外に異常なし"})
	return err
}

// council2 convenes the second council meeting near the end of the year.
func (g *govSeed) council2() error {
	s, today, gm, clerkGov := g.s, g.today, g.gm, g.clerkGov
	m, err := s.ConveneMeeting(gm, governance.Meeting{HeldOn: today.AddDays(-20), Title: "第2回 住基ネットセキュリティ会議",
		Members: []governance.Attendance{{Role: governance.RoleGeneralManager, Present: true}, {Role: governance.RoleSystemAdministrator, Present: false, AbsenceReason: "障害対応のため欠席（代理: 課長補佐）"}, {Role: governance.RoleSecurityManager, Present: true}},
		Invited: []governance.Invitee{{CollationID: DemoAuditor, Name: nameOf(DemoAuditor), Department: "監査室", Reason: "セキュリティ監査結果の説明"}},
		Items: []governance.AgendaItem{
			{Category: governance.CategoryAudit, Title: "年次セキュリティ監査の結果"},
			{Category: governance.CategoryCompliance, Title: "入退室管理の状況"},
			{Category: governance.CategoryMeasures, Title: "媒体管理手順の改定"},
			{Category: governance.CategoryTraining, Title: "次年度の研修計画"},
		}})
	if err != nil {
		return err
	}
	g.meeting2, g.itemAudit = m.ID, m.ItemIDs[0]
	if err := s.DecideItem(gm, governance.Decision{ItemID: g.itemAudit, Decision: "指摘事項を是正する", DecidedOn: today.AddDays(-20)}); err != nil {
		return err
	}
	if err := s.RecordMinutes(clerkGov, governance.Minutes{MeetingID: g.meeting2, Text: "監査結果の報告と是正方針を決定。", RecordedOn: today.AddDays(-18)}); err != nil {
		return err
	}
	_, err = s.IssueInstruction(gm, governance.Instruction{ItemID: g.itemAudit, Kind: governance.KindRequest, AddresseeCollationID: DemoSysAdmin, AddresseeName: nameOf(DemoSysAdmin), AddresseeDepartment: "デジタル推進課",
		Content: "監査指摘事項の是正計画を提出すること", IssuedOn: today.AddDays(-19), DueOn: today.AddDays(25)})
	return err
}

// SeedHandlers makes a municipality other than 防府市 ready for counter work:
// its セキュリティ統括責任者 and 本人確認情報管理責任者 (the demo's same
// people) and the designation of the demo's counter staff to handle identity
// information (G16-2.1), from a year before today. It does nothing if a
// セキュリティ統括責任者 was ever appointed (SeedGovernance does more for
// 防府市).
func SeedHandlers(ctx context.Context, db *store.DB, today jukinet.Date) error {
	seeded, err := governance.EverAppointed(ctx, db, governance.RoleGeneralManager)
	if err != nil {
		return jukinet.E("demo.SeedHandlers", err)
	}
	if seeded {
		return nil
	}
	s := governance.New(db)
	from := today.AddDays(-365)
	if _, err := s.AssignRole(jukinet.WithActor(ctx, governance.BootstrapActor), governance.Assignment{Role: governance.RoleGeneralManager, CollationID: DemoDeputyMayor, Name: nameOf(DemoDeputyMayor), Position: "副市長", From: from}); err != nil {
		return err
	}
	gm := operator(ctx, DemoDeputyMayor, jukinet.AuthorityGovernance)
	if _, err := s.AssignRole(gm, governance.Assignment{Role: governance.RoleIdentityInfoManager, CollationID: DemoCitizenHead, Name: nameOf(DemoCitizenHead), Position: "市民課長", From: from}); err != nil {
		return err
	}
	head := operator(ctx, DemoCitizenHead, jukinet.AuthorityIdentityManager)
	for _, h := range handlerStaff {
		if _, err := s.DesignateHandler(head, governance.HandlerDesignation{CollationID: h.id, Name: nameOf(h.id), Scope: h.scope, From: from.AddDays(1)}); err != nil {
			return err
		}
	}
	return nil
}

// handlerStaff are the demo people designated to handle identity information.
var handlerStaff = []struct{ id, scope string }{{DemoClerk, "住民異動届の処理"}, {DemoIssuer, "広域交付・特例転入"}, {DemoNumber, "個人番号事務"},
	{DemoSysAdmin, "住民記録の一括入出力（移行・バックアップ）"}}
