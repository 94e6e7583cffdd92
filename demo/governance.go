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
	var res GovernanceSeedResult
	seeded, err := governance.EverAppointed(ctx, db, governance.RoleGeneralManager)
	if err != nil {
		return res, jukinet.E("demo.SeedGovernance", err)
	}
	if seeded {
		res.Skipped = true
		return res, nil
	}
	s := governance.New(db)
	start := today.AddDays(-365)
	d := func(days int) jukinet.Date { return start.AddDays(days) }
	at := func(day jukinet.Date, hour int) time.Time { return day.Time().Add(time.Duration(hour) * time.Hour) }
	gm := operator(ctx, DemoDeputyMayor, jukinet.AuthorityGovernance)
	head := operator(ctx, DemoCitizenHead, jukinet.AuthorityIdentityManager)
	headGov := operator(ctx, DemoCitizenHead, jukinet.AuthorityGovernance)
	sys := operator(ctx, DemoSysAdmin, jukinet.AuthoritySystemAdmin)
	sysGov := operator(ctx, DemoSysAdmin, jukinet.AuthorityGovernance)
	clerkGov := operator(ctx, DemoClerk, jukinet.AuthorityGovernance)
	clerk := operator(ctx, DemoClerk, jukinet.AuthorityLookup)

	steps := []func() error{
		func() error {
			_, err := s.AssignRole(jukinet.WithActor(ctx, governance.BootstrapActor), governance.Assignment{Role: governance.RoleGeneralManager, CollationID: DemoDeputyMayor, Name: nameOf(DemoDeputyMayor), Position: "副市長", From: start})
			return err
		},
	}
	for _, a := range []governance.Assignment{
		{Role: governance.RoleSystemAdministrator, CollationID: DemoSysAdmin, Name: nameOf(DemoSysAdmin), Position: "デジタル推進課長", From: start},
		{Role: governance.RoleAssetManager, CollationID: DemoSysAdmin, Name: nameOf(DemoSysAdmin), Position: "デジタル推進課長", From: start},
		{Role: governance.RoleSecurityManager, CollationID: DemoCitizenHead, Name: nameOf(DemoCitizenHead), Position: "市民課長", From: start},
		{Role: governance.RoleIdentityInfoManager, CollationID: DemoCitizenHead, Name: nameOf(DemoCitizenHead), Position: "市民課長", From: start},
		{Role: governance.RoleAccessControlManager, CollationID: DemoCitizenHead, Name: nameOf(DemoCitizenHead), Position: "市民課長", From: start},
		{Role: governance.RoleCouncilSecretariat, CollationID: DemoClerk, Name: nameOf(DemoClerk), Position: "市民課主任", From: start},
	} {
		steps = append(steps, func() error { _, err := s.AssignRole(gm, a); return err })
	}
	// The アクセス管理責任者 is the head of the Citizen Division (G11-2).
	accessAdmin := operator(ctx, DemoCitizenHead, jukinet.AuthorityAccessAdmin)
	auditor := operator(ctx, DemoAuditor, jukinet.AuthorityAudit)
	var outsourcingID, itemOutsourcing, itemMeasures, itemTraining, meeting1, meeting2, itemAudit, caseID, printID, formID, inspectionID string
	steps = append(steps,
		// G13.1, G13.2: the アクセス管理責任者's rules; G12.2: the OS password policy.
		func() error {
			for _, r := range []governance.Rules{
				{Article: governance.RulesIDs, Body: "照合IDは職員1名に1つ、操作者IDは業務ごとにセキュリティ責任者と協議して付与し、異動・退職の日に失効させる。", SetOn: d(3)},
				{Article: governance.RulesTemplates, Body: "照合情報の登録・削除はアクセス管理責任者が本人立会いで行い、管理簿に記録する。", SetOn: d(3)},
			} {
				if _, err := s.SetRules(accessAdmin, r); err != nil {
					return err
				}
			}
			return access.SetPasswordPolicy(accessAdmin, db, access.PasswordPolicy{MinLength: 12, CharClasses: 3, LockoutThreshold: 5})
		},
		// G16-2.1: who may handle identity information.
		func() error {
			for _, h := range handlerStaff {
				if _, err := s.DesignateHandler(head, governance.HandlerDesignation{CollationID: h.id, Name: nameOf(h.id), Scope: h.scope, From: d(1)}); err != nil {
					return err
				}
			}
			return nil
		},
		// G16: assets.
		func() error {
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
		},
		// G16-2.2: forms and printing.
		func() (err error) {
			formID, err = s.RegisterForm(head, governance.Form{Name: "本人確認情報異動者一覧", Description: "CS から出力する日次の異動者一覧", Rules: "出力は指定者のみ; 施錠保管; 交付しない", Retention: "1年保管の後、溶解処理"})
			return err
		},
		func() (err error) {
			printID, err = s.RecordPrint(clerk, governance.Print{FormID: formID, Copies: 1, Purpose: "日次照合", PrintedOn: d(40)})
			if err == nil {
				_, err = s.RecordPrint(clerk, governance.Print{FormID: formID, Copies: 2, Purpose: "月末照合", PrintedOn: today.AddDays(-5)})
			}
			return err
		},
		func() error {
			return s.RecordDisposal(clerk, governance.Disposal{PrintID: printID, Method: "溶解処理", DisposedOn: d(60)})
		},
		// G9: rooms.
		func() error {
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
		},
		func() error {
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
			res.Alerts = 1
			return s.RecordManualPassage(sys, governance.ManualPassage{Room: governance.RoomMediaStorage, CollationID: DemoSysAdmin, Direction: governance.DirectionIn, At: at(today.AddDays(-3), 14), Reason: "カードリーダー故障のため手動記録"})
		},
		func() error {
			alertID, err := governance.FirstAlertID(ctx, db)
			if err != nil {
				return jukinet.E("demo.SeedGovernance", err)
			}
			if alertID == "" {
				return jukinet.E("demo.SeedGovernance", jukinet.KindInternal, "no room alert to answer")
			}
			return s.AnswerAlert(sys, governance.AlertAnswer{AlertID: alertID, Answer: "保守契約終了後の来訪。入室させず、業者に許可期間を再周知した。"})
		},
		// G17–18: outsourcing request, council 1.
		func() (err error) {
			outsourcingID, err = s.RequestOutsourcing(sysGov, governance.OutsourcingRequest{Title: "CS 機器保守業務", Contractor: "株式会社周防システム", Content: "CS・統合端末のハードウェア保守と障害対応",
				Reason: "専門技術と24時間対応が必要なため", ProtectionTerms: "本人確認情報へのアクセス禁止; 作業は職員立会い; 媒体の持出し禁止", RequestedOn: d(20)})
			return err
		},
		func() error {
			m, err := s.ConveneMeeting(gm, governance.Meeting{HeldOn: d(30), Title: "令和年度 第1回 住基ネットセキュリティ会議",
				Members: []governance.Attendance{{Role: governance.RoleGeneralManager, Present: true}, {Role: governance.RoleSystemAdministrator, Present: true}, {Role: governance.RoleSecurityManager, Present: true}},
				Invited: []governance.Invitee{{CollationID: DemoAccessAdmin, Name: nameOf(DemoAccessAdmin), Department: "市民課", Reason: "照合ID・操作者ID管理簿の報告"}},
				Items: []governance.AgendaItem{
					{Category: governance.CategoryMeasures, Title: "セキュリティ対策基準の見直し"},
					{Category: governance.CategoryMeasures, Title: "CS 機器保守業務の外部委託", Important: true, OutsourcingID: outsourcingID},
					{Category: governance.CategoryTraining, Title: "操作者研修計画"},
					{Category: governance.CategoryCompliance, Title: "操作履歴の点検結果"},
				}})
			if err != nil {
				return err
			}
			meeting1, itemMeasures, itemOutsourcing, itemTraining = m.ID, m.ItemIDs[0], m.ItemIDs[1], m.ItemIDs[2]
			return nil
		},
		func() error {
			return s.RecordBoardOpinion(gm, governance.BoardOpinion{ItemID: itemOutsourcing, Opinion: "委託先の再委託禁止と立会いを条件に、委託は適当である。", ReceivedOn: d(28)})
		},
		func() error {
			for _, x := range []struct{ id, text string }{{itemMeasures, "対策基準を改定する"}, {itemOutsourcing, "条件付きで委託を可とする"}, {itemTraining, "全操作者に年1回の研修を行う"}} {
				if err := s.DecideItem(gm, governance.Decision{ItemID: x.id, Decision: x.text, DecidedOn: d(30)}); err != nil {
					return err
				}
			}
			return s.RecordMinutes(clerkGov, governance.Minutes{MeetingID: meeting1, Text: "出席: 統括責任者、システム管理者、セキュリティ責任者。議題4件、うち3件決定。", RecordedOn: d(33)})
		},
		func() error {
			id, err := s.IssueInstruction(gm, governance.Instruction{ItemID: itemTraining, Kind: governance.KindInstruction, AddresseeCollationID: DemoCitizenHead, AddresseeName: nameOf(DemoCitizenHead), AddresseeDepartment: "市民課",
				Content: "操作者研修を実施し結果を報告すること", IssuedOn: d(31), DueOn: d(120)})
			if err != nil {
				return err
			}
			return s.RespondInstruction(headGov, governance.Response{InstructionID: id, Response: "全操作者12名が受講した", RespondedOn: d(110)})
		},
		func() error {
			if err := s.ApproveOutsourcing(gm, governance.Approval{OutsourcingID: outsourcingID, ApprovedOn: d(35)}); err != nil {
				return err
			}
			clauses := []governance.Clause{
				{Type: governance.ClauseSubcontracting, Reference: "第5条（再委託の禁止）"},
				{Type: governance.ClauseMaterials, Reference: "第7条（資料の保管及び返還等）"},
				{Type: governance.ClauseOtherUse, Reference: "第8条（目的外使用及び複写の禁止）"},
				{Type: governance.ClauseConfidentiality, Reference: "第9条（秘密の保持）"},
				{Type: governance.ClauseAccidentReport, Reference: "第11条（事故等の報告）"},
			}
			if err := s.CheckContract(sysGov, governance.ContractCheck{OutsourcingID: outsourcingID, Clauses: clauses, CheckedOn: d(38)}); err != nil {
				return err
			}
			return s.ActivateContract(sysGov, governance.Activation{OutsourcingID: outsourcingID, ActiveFrom: d(40), ActiveUntil: d(40 + 730), FirstInspectionDue: d(220)})
		},
		func() (err error) {
			inspectionID, err = s.RecordInspection(sysGov, governance.Inspection{OutsourcingID: outsourcingID, InspectedOn: d(215), Inspector: nameOf(DemoAuditor) + " (C-AUDIT) 立会い",
				Findings: "作業記録は適正。媒体持出簿の記入漏れ1件。", FollowUp: "持出簿の記入徹底と再点検", FollowUpDue: d(250), NextDue: today.AddDays(140)})
			return err
		},
		func() error {
			return s.CompleteFollowUp(sysGov, governance.FollowUpDone{InspectionID: inspectionID, DoneOn: d(240)})
		},
		// G8: a misuse case from an oplog report, investigated and closed.
		func() (err error) {
			proof, _ := json.Marshal(map[string]any{"note": "inclusion proof to be attached by jukinet oplog prove"})
			caseID, err = s.OpenCase(gm, governance.CaseOpening{OpenedOn: d(150), Source: "oplog_report", Summary: "深夜帯の連続照会（jukinet oplog report の検出）",
				Evidence: []governance.LogEvidence{{Index: 0}, {Index: 1, Proof: proof}}})
			return err
		},
		func() error {
			req, err := s.RequestReport(gm, governance.ReportRequest{CaseID: caseID, AddresseeKind: "organization", Addressee: "地方公共団体情報システム機構", RequestedOn: d(151), DueOn: d(165)})
			if err != nil {
				return err
			}
			if err := s.RecordReportAnswer(gm, governance.ReportAnswer{RequestID: req, Answer: "機構側の記録に不審な照会なし", AnsweredOn: d(160)}); err != nil {
				return err
			}
			if err := s.AddCaseEntry(gm, governance.CaseEntry{CaseID: caseID, Kind: "note", Body: "照会は夜間の住民異動処理に伴う正当な業務と確認", On: d(162)}); err != nil {
				return err
			}
			if err := s.Judge(gm, governance.Judgement{CaseID: caseID, Infringement: false, Reason: "業務上の正当な照会であり、権利侵害のおそれなし", JudgedOn: d(163)}); err != nil {
				return err
			}
			return s.CloseCase(gm, governance.Closure{CaseID: caseID, ClosedOn: d(165)})
		},
		// G10: the periodic report on entry management.
		func() error {
			_, err := s.SubmitRoomReport(sys, governance.RoomReport{PeriodFrom: today.AddDays(-95), PeriodUntil: today.AddDays(-5), SubmittedOn: today.AddDays(-4), Summary: "許可外入室の試み1件（警告対応済）以外に異常なし"})
			return err
		},
		// Council 2 near the end of the year.
		func() error {
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
			meeting2, itemAudit = m.ID, m.ItemIDs[0]
			if err := s.DecideItem(gm, governance.Decision{ItemID: itemAudit, Decision: "指摘事項を是正する", DecidedOn: today.AddDays(-20)}); err != nil {
				return err
			}
			if err := s.RecordMinutes(clerkGov, governance.Minutes{MeetingID: meeting2, Text: "監査結果の報告と是正方針を決定。", RecordedOn: today.AddDays(-18)}); err != nil {
				return err
			}
			_, err = s.IssueInstruction(gm, governance.Instruction{ItemID: itemAudit, Kind: governance.KindRequest, AddresseeCollationID: DemoSysAdmin, AddresseeName: nameOf(DemoSysAdmin), AddresseeDepartment: "デジタル推進課",
				Content: "監査指摘事項の是正計画を提出すること", IssuedOn: today.AddDays(-19), DueOn: today.AddDays(25)})
			return err
		},
	)
	// G8: the periodic misuse analysis of the last month.
	steps = append(steps, func() error {
		now := db.Now()
		_, err := oplog.Analyse(auditor, db, oplog.ReportConfig{From: now.AddDate(0, -1, 0), To: now})
		return err
	})
	for _, step := range steps {
		if err := step(); err != nil {
			return res, err
		}
	}
	res.Meetings = []string{meeting1, meeting2}
	res.CaseID, res.OutsourcingID = caseID, outsourcingID
	return res, nil
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
