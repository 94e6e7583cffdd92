package compliance

import (
	"sort"
	"strconv"
	"strings"

	"github.com/jukinet/jukinet/governance"
)

// rooms checks room authorizations, passages, alerts and reports (G2.10, G2.12, G9, G10).
func (b *reportBuilder) rooms() {
	f, day := b.f, b.asOf
	r, err := governance.Rooms(b.ctx, b.in.status, day, day.AddDays(expiryDays), b.quarterStart, b.end)
	if !b.ok(err) {
		return
	}
	for _, x := range []struct {
		id   string
		room governance.Room
	}{{"G2.10", governance.RoomComputer}, {"G2.12", governance.RoomMediaStorage}} {
		if n := r.Authorized[x.room]; n > 0 {
			f[x.id].ev("%s に%sへの入室を事前承認された者 %d 人", day, roomName[x.room], n)
		} else {
			f[x.id].lack("%s に%sへの入室を事前承認された者がいない", day, roomName[x.room])
		}
	}
	if r.InForce > 0 {
		f["G9.1"].ev("%s に有効な事前承認 %d 件", day, r.InForce)
	} else {
		f["G9.1"].lack("%s に有効な入室の事前承認がない", day)
	}
	for _, a := range r.Expiring {
		f["G9.1"].due("%d 日以内に期限が切れる事前承認：%s（%s、%s まで）", expiryDays, a.CollationID, roomName[a.Room], a.Until)
	}
	if r.Passages > 0 {
		f["G9.2"].ev("%s 以降の入退室の記録 %d 件（拒否 %d 件）、警報 %d 件", b.quarterSince, r.Passages, r.Refused, r.Alerts)
	} else {
		f["G9.2"].lack("%s 以降、入退室の記録がない", b.quarterSince)
	}
	weekAgo := day.AddDays(-alertDays).Time()
	for _, a := range r.Unanswered {
		if a.At.Before(weekAgo) {
			f["G9.2"].late("%d 日を超えて未対応の警報：%s", alertDays, a.Detail)
		}
	}
	for _, a := range r.Unanswered {
		if !a.At.Before(weekAgo) {
			f["G9.2"].due("未対応の警報：%s", a.Detail)
		}
	}
	switch {
	case r.LastReport == "":
		f["G10"].lack("セキュリティ統括責任者への入退室管理の報告がない")
	case r.LastReport < b.quarterSince.String():
		f["G10"].late("最後の入退室管理の報告 %s から %d 日を超えている", r.LastReport, quarterDays)
	default:
		f["G10"].ev("最後の入退室管理の報告 %s", r.LastReport)
	}
	b.instructions("G10", "rooms", false)
}

// assets checks the asset register, identity handlers and forms (G2.9, G16).
func (b *reportBuilder) assets() {
	f, day := b.f, b.asOf
	a, err := governance.Assets(b.ctx, b.in.status, day)
	if !b.ok(err) {
		return
	}
	kinds := []governance.AssetKind{governance.AssetInformation, governance.AssetSoftware, governance.AssetHardware, governance.AssetNetwork, governance.AssetMedia}
	var parts []string
	for _, k := range kinds {
		if n := a.ByKind[k]; n > 0 {
			parts = append(parts, assetKind(k)+" "+strconv.Itoa(n)+" 件")
		}
	}
	if len(a.ByKind) == 0 {
		f["G16.1"].lack("情報資産の台帳が空")
		f["G16-3"].lack("管理規程とともに登録された資産がない")
	} else {
		f["G16.1"].ev("資産：%s", strings.Join(parts, "、"))
		f["G16-3"].ev("管理規程のある資産 %d 件", a.WithRules)
		for _, s := range a.WithoutRules {
			f["G16-3"].lack("資産「%s」に管理規程がない", s)
		}
	}
	for _, k := range kinds {
		if a.ByKind[k] == 0 {
			f["G16.1"].lack("%sの資産が登録されていない", assetKind(k))
		}
	}
	for _, role := range []governance.Role{governance.RoleIdentityInfoManager, governance.RoleAssetManager} {
		if b.holders[role] == "" && a.ManagedBy[role] > 0 {
			f["G16.1"].lack("%sが管理する資産に %s の管理者がいない：役割が空席", role.Japanese(), day)
		}
	}
	if n := a.ByKind[governance.AssetSoftware]; n > 0 {
		f["G2.9"].ev("ソフトウェア資産 %d 件を管理者・管理規程とともに登録", n)
	} else {
		f["G2.9"].lack("ソフトウェア資産が登録されていない")
	}
	if a.Handlers > 0 {
		f["G16-2.1"].ev("%s に本人確認情報を取り扱う者として %d 人を指定", day, a.Handlers)
	} else {
		f["G16-2.1"].lack("%s に本人確認情報を取り扱う者の指定がない", day)
	}
	if a.Forms > 0 {
		f["G16-2.2"].ev("管理規程のある帳票 %d 種類、印刷 %d 回（%d 部）、未廃棄 %d 回", a.Forms, a.Printouts, a.Copies, a.Undisposed)
	} else {
		f["G16-2.2"].lack("管理規程とともに登録された帳票がない")
	}
}

// outsourcing checks every outsourcing contract active on the day (G17–G20).
func (b *reportBuilder) outsourcing() {
	f, day := b.f, b.asOf
	o, err := governance.Outsourcing(b.ctx, b.in.status, day)
	if !b.ok(err) {
		return
	}
	if o.Active == 0 {
		for _, id := range []string{"G17", "G18", "G19", "G20"} {
			f[id].lack("%s に有効な委託契約がない", day)
		}
	} else {
		f["G17"].ev("%s に有効な委託契約 %d 件（内容・理由・個人情報保護の条件を記載）", day, o.Active)
		for _, s := range o.Incomplete {
			f["G17"].lack("契約「%s」に内容・理由・個人情報保護の条件のいずれかがない", s)
		}
		f["G18"].ev("開始前にセキュリティ会議の意見と承認を得た有効な契約 %d 件", o.Approved)
		for _, s := range o.Unapproved {
			f["G18"].lack("契約「%s」は開始前にセキュリティ会議の意見と承認を得ないまま有効になっている", s)
		}
		// The clauses of each contract in the article's order, (1) to (5).
		order := map[governance.ClauseType]int{}
		for i, c := range governance.RequiredClauses() {
			order[c] = i + 1
		}
		sort.SliceStable(o.Clauses, func(i, j int) bool {
			a, b := o.Clauses[i], o.Clauses[j]
			return a.Title < b.Title || a.Title == b.Title && order[a.Type] < order[b.Type]
		})
		for _, c := range o.Clauses {
			f["G19"].ev("%s：%s ＝ %s", c.Title, clause(c.Type), c.Reference)
		}
		for _, s := range o.LackingClause {
			f["G19"].lack("契約「%s」に五つの条項のいずれかがない", s)
		}
		for _, p := range o.Inspected {
			f["G20"].ev("検査済み：%s（最終 %s）", p.Who, p.Due)
		}
		for _, p := range o.NotInspected {
			f["G20"].lack("未検査の契約：%s（初回検査の期限 %s）", p.Who, p.Due)
		}
	}
	for _, p := range o.Overdue {
		f["G20"].late("検査の期限超過：%s（期限 %s）", p.Who, p.Due)
	}
	for _, p := range o.Next {
		f["G20"].due("次回検査：%s（期限 %s）", p.Who, p.Due)
	}
	for _, p := range o.FollowUps {
		f["G20"].late("改善措置の期限超過：%s（期限 %s）", p.What, p.Due)
	}
	for _, s := range o.Awaiting {
		f["G18"].due("委託「%s」はセキュリティ会議の意見または承認を待っている", s)
	}
}
