package compliance

import (
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/governance"
	"github.com/jukinet/jukinet/oplog"
)

// roomName, clauseName and categoryName are the Japanese names the
// sentences use.
var (
	roomName   = map[governance.Room]string{governance.RoomComputer: "電子計算機室", governance.RoomMediaStorage: "磁気ディスク等保管室"}
	clauseName = map[governance.ClauseType]string{
		governance.ClauseSubcontracting: "(1) 再委託の禁止又は制限", governance.ClauseMaterials: "(2) 資料の保管、返還又は廃棄",
		governance.ClauseOtherUse: "(3) 目的外使用・複製・第三者提供の禁止", governance.ClauseConfidentiality: "(4) 秘密保持",
		governance.ClauseAccidentReport: "(5) 事故等の報告",
	}
)

func clause(c governance.ClauseType) string {
	if n, ok := clauseName[c]; ok {
		return n
	}
	return string(c)
}

func assetKind(k governance.AssetKind) string {
	ja, _ := jukinet.CodeJapanese(jukinet.CodesAsset, string(k))
	return ja
}

// roleHolders finds who holds each role on the day (G3, G4, G5, G11-2,
// G16.2, G6.6) and keeps them in b.holders for the checks after it.
func (b *reportBuilder) roleHolders() {
	for _, x := range []struct {
		id   string
		role governance.Role
	}{{"G3", governance.RoleGeneralManager}, {"G4", governance.RoleSystemAdministrator}, {"G5", governance.RoleSecurityManager},
		{"G11-2", governance.RoleAccessControlManager}, {"G16.2", governance.RoleIdentityInfoManager}, {"G16.2", governance.RoleAssetManager},
		{"G6.6", governance.RoleCouncilSecretariat}} {
		h, ok, err := governance.HolderOn(b.ctx, b.in.status, x.role, b.asOf)
		if !b.ok(err) {
			return
		}
		if ok {
			b.holders[x.role] = h.CollationID
			b.f[x.id].ev("%s：%s（%s、%s から在任）", x.role.Japanese(), h.CollationID, h.Name, h.Since)
		} else {
			b.f[x.id].lack("%s に%sの在任者がいない", b.asOf, x.role.Japanese())
		}
	}
}

// council checks the council's meetings, agenda and minutes (G3, G6, G7, G2.11).
func (b *reportBuilder) council() {
	f, since := b.f, b.councilSince
	c, err := governance.Council(b.ctx, b.in.status, b.yearAgo, b.asOf)
	if !b.ok(err) {
		return
	}
	if c.Meetings > 0 {
		f["G6.1"].ev("過去1年以内にセキュリティ会議 %d 回、最終開催 %s", c.Meetings, c.LastMeeting)
	} else {
		f["G6.1"].lack("%s 以降、セキュリティ会議の開催がない", since)
	}
	if gm := b.holders[governance.RoleGeneralManager]; gm != "" {
		if n := c.Chaired[gm]; n > 0 {
			f["G3"].ev("過去1年以内に会議 %d 回を招集・主宰", n)
		} else {
			f["G3"].lack("%s 以降、セキュリティ統括責任者が主宰した会議がない", since)
		}
	}
	if c.Meetings == 0 {
		f["G6.2"].lack("過去1年以内に会議がない")
	}
	for _, m := range c.LackingMember {
		f["G6.2"].lack("%s の会議に、構成員の役割の出欠の記録がないものがある", m)
	}
	if c.Meetings > 0 && !f["G6.2"].missing {
		parts := make([]string, len(c.Attendance))
		for i, a := range c.Attendance {
			if a.Present {
				parts[i] = a.HeldOn + "：" + a.Role.Japanese() + " 出席"
			} else {
				parts[i] = a.HeldOn + "：" + a.Role.Japanese() + " 欠席（" + a.Note + "）"
			}
		}
		f["G6.2"].ev("%s", strings.Join(parts, "；"))
	}
	for _, cat := range []governance.Category{governance.CategoryMeasures, governance.CategoryCompliance, governance.CategoryAudit, governance.CategoryTraining} {
		if n := c.Items[cat]; n > 0 {
			f["G6.3"].ev("%s：過去1年以内に %d 件", governance.CategoryName(string(cat)), n)
		} else {
			f["G6.3"].lack("%s 以降、「%s」の議題の審議がない", since, governance.CategoryName(string(cat)))
		}
	}
	if c.ImportantHeard > 0 {
		f["G6.4"].ev("過去1年以内の重要事項 %d 件に個人情報保護審議会の意見（意見のない決定は受け付けない）", c.ImportantHeard)
	} else {
		f["G6.4"].lack("%s 以降、個人情報保護審議会の意見を聴いた重要事項がない", since)
	}
	for _, t := range c.AwaitingBoard {
		f["G6.4"].due("重要事項「%s」は個人情報保護審議会の意見を待っている", t)
	}
	if c.Invited > 0 {
		f["G6.5"].ev("過去1年以内に説明のため職員 %d 人の出席を求めた", c.Invited)
	} else {
		f["G6.5"].lack("%s 以降、会議に職員の出席を求めていない", since)
	}
	b.minutes(c)
	b.instructions("G7", "council", true)
}

// minutes checks the council's minutes (G2.11, G6.6).
func (b *reportBuilder) minutes(c governance.CouncilFacts) {
	f := b.f
	if c.Meetings == 0 {
		f["G6.6"].lack("過去1年以内に会議がない")
		f["G2.11"].lack("%s 以降のセキュリティ会議の議事録がない", b.councilSince)
	} else {
		f["G6.6"].ev("過去1年以内の会議 %d 回のうち %d 回に庶務の議事録", c.Meetings, c.WithMinutes)
		if c.WithMinutes > 0 {
			f["G2.11"].ev("過去1年以内のセキュリティ会議 %d 回の議事録", c.WithMinutes)
		} else {
			f["G2.11"].lack("%s 以降のセキュリティ会議の議事録がない", b.councilSince)
		}
	}
	for _, m := range c.WithoutMinutes {
		f["G6.6"].lack("%s の会議の議事録が記録されていない", m)
	}
}

// instructions reports the instructions and requests from source (the
// council, or the rooms' entry management): evidence when some were issued
// within the past year, a lack when needOne and none was, and those
// overdue or open.
func (b *reportBuilder) instructions(id, source string, needOne bool) {
	in, err := governance.Instructions(b.ctx, b.in.status, source, b.yearAgo, b.asOf)
	if !b.ok(err) {
		return
	}
	f := b.f[id]
	if in.Issued > 0 {
		f.ev("過去1年以内の指示・要請 %d 件、うち回答済み %d 件", in.Issued, in.Answered)
	} else if needOne {
		f.lack("%s 以降、指示・要請がない", b.councilSince)
	}
	for _, p := range in.Overdue {
		f.late("期限超過：%s：%s（期限 %s）", p.Who, p.What, p.Due)
	}
	for _, p := range in.Open {
		f.due("未回答：%s：%s（期限 %s）", p.Who, p.What, p.Due)
	}
}

// misuse checks that the periodic analysis looks for misuse and that cases
// are investigated and answered (G8).
func (b *reportBuilder) misuse() {
	f := b.f
	analyses, err := oplog.MisuseAnalyses(b.ctx, b.in.log, b.quarterStart, b.end)
	if !b.ok(err) {
		return
	}
	for _, id := range []string{"G8.1", "G8.2"} {
		if analyses > 0 {
			f[id].ev("%s 以降、定期の不正利用分析を %d 回実施", b.quarterSince, analyses)
		} else {
			f[id].lack("%s 以降、定期の不正利用分析（操作履歴の分析 oplog.report）を実施していない", b.quarterSince)
		}
	}
	m, err := governance.Misuse(b.ctx, b.in.status, b.asOf)
	if !b.ok(err) {
		return
	}
	if m.Cases > 0 {
		f["G8.1"].ev("事案 %d 件、報告要求 %d 件（回答 %d 件）、操作履歴の参照 %d 件", m.Cases, m.Requests, m.Answered, m.LogRefs)
	}
	for _, c := range m.Uninvestigated {
		f["G8.1"].lack("事案 %s（%s 受付）に報告要求・操作履歴の参照・調査の記録がない", c.ID, c.OpenedOn)
	}
	for _, c := range m.Open {
		f["G8.1"].due("未完結の事案 %s（%s 受付）", c.ID, c.OpenedOn)
	}
	for _, p := range m.OverdueReports {
		f["G8.1"].late("%s からの報告が届いていない（期限 %s）", p.Who, p.Due)
	}
	if m.Judged > 0 {
		f["G8.2"].ev("判断済み %d 件、うち侵害あり %d 件、保護措置の記録 %d 件、完結 %d 件", m.Judged, m.Infringements, m.Measures, m.Closed)
	}
	for _, id := range m.WithoutMeasure {
		f["G8.2"].lack("侵害ありと判断した事案 %s に保護措置がない", id)
	}
}
