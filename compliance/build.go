package compliance

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/access"
	"github.com/jukinet/jukinet/governance"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/store"
)

// reportBuilder holds what every part of the report reads: the day, the
// periods it is measured over, the live facts, and the findings each part
// adds evidence or lacks to. Each method is one area of the guideline and
// reads its facts through the owner's API.
type reportBuilder struct {
	ctx  context.Context
	in   readers
	eng  store.Engine
	live LiveFacts
	f    map[string]*finding
	err  error

	asOf                        jukinet.Date
	fy, yearAgo                 jukinet.Date               // meetings after yearAgo count as "within the past year"
	end, quarterStart, netStart time.Time                  // the end of the day (JST); the starts of the periods
	holders                     map[governance.Role]string // role → collation ID in office on the day (roleHolders)
	quarterSince, councilSince  jukinet.Date               // the first day of each period, as the sentences name it
	networkSince                jukinet.Date
}

// readers are the handles the report reads each owner's evidence through,
// one per Bookkeeping purpose whose tables the owner's functions name
// (store/ways.go): Status for access_* and gov_*, LogRead for the operation
// log and its checkpoints, Delivery for the outbox and its receipts. A test
// passes one transaction as all three, to read one snapshot it then rolls
// back.
type readers struct{ status, log, delivery store.Reader }

// ok keeps the first error of the owners' reads; a part stops at it.
func (b *reportBuilder) ok(err error) bool {
	if err != nil && b.err == nil {
		b.err = err
	}
	return b.err == nil
}

func build(ctx context.Context, in readers, eng store.Engine, node string, asOf jukinet.Date, live LiveFacts) (Report, error) {
	fy := FiscalYearStart(asOf)
	b := &reportBuilder{ctx: ctx, in: in, eng: eng, live: live, f: map[string]*finding{}, asOf: asOf, fy: fy,
		yearAgo:      asOf.AddDays(-councilPeriodDays),
		end:          asOf.AddDays(1).Time(),
		quarterStart: asOf.AddDays(-quarterDays).Time(),
		netStart:     asOf.AddDays(-networkDays).Time(),
		quarterSince: asOf.AddDays(-quarterDays),
		councilSince: asOf.AddDays(-councilPeriodDays + 1),
		networkSince: asOf.AddDays(-networkDays),
		holders:      map[governance.Role]string{},
	}
	fyEnd := jukinet.Date{Year: fy.Year + 1, Month: time.March, Day: 31}
	rep := Report{Node: node, AsOf: asOf.String(), FiscalYear: fy.String() + "–" + fyEnd.String(), PolicyVersion: jukinet.PolicyVersion()}
	rep.Findings = make([]Finding, len(guidelines))
	for i, g := range guidelines {
		rep.Findings[i] = Finding{ID: g.id, Title: jukinet.ComplianceTitle(g.id, g.id), Rule: g.rule}
		b.f[g.id] = &finding{Finding: &rep.Findings[i]}
	}
	for _, part := range []func(){b.network, b.operators, b.filesAndPasswords, b.retention, b.roleHolders, b.council, b.misuse, b.rooms, b.assets, b.outsourcing} {
		if b.err != nil {
			break
		}
		part()
	}
	if b.err != nil {
		return rep, jukinet.E("compliance.Build", jukinet.KindInternal, b.err)
	}
	for _, g := range guidelines {
		x := b.f[g.id]
		x.Status = x.status()
	}
	return rep, nil
}

// network checks the links to the other nodes (G2.1–G2.4).
func (b *reportBuilder) network() {
	f, live := b.f, b.live
	rc, err := network.ReceiptsBetween(b.ctx, b.in.delivery, b.netStart, b.end)
	if !b.ok(err) {
		return
	}
	if rc.Lists > 0 {
		f["G2.1"].ev("%s 以降、隣接ノード %d か所から署名付き受領証 %d 件（最新 %s）", b.networkSince, rc.Peers, rc.Lists, jstTime(rc.Last))
	} else {
		f["G2.1"].lack("%s 以降、隣接ノードからの署名付き受領証がない", b.networkSince)
	}
	cp, err := oplog.CosignedCheckpoints(b.ctx, b.in.log, b.netStart, b.end)
	if !b.ok(err) {
		return
	}
	if cp.Count > 0 {
		f["G2.2"].ev("%s 以降、都道府県が連署した操作履歴のチェックポイント %d 件（最新は記録数 %d）", b.networkSince, cp.Count, cp.LatestSize)
	} else {
		f["G2.2"].lack("%s 以降、都道府県が連署した操作履歴のチェックポイントがない", b.networkSince)
	}
	kinds, err := network.DeliveredBetween(b.ctx, b.in.delivery, b.fy.Time(), b.end)
	if !b.ok(err) {
		return
	}
	if len(kinds) > 0 {
		parts := make([]string, len(kinds))
		for i, k := range kinds {
			parts[i] = k.Kind + " " + strconv.Itoa(k.Count) + " 件"
		}
		f["G2.3"].ev("今年度に配達したメッセージ：%s", strings.Join(parts, "、"))
	} else {
		f["G2.3"].lack("今年度（%s）に隣接ノードへ配達したメッセージがない", b.fiscalYear())
	}
	if live.NetworkAddr == "" {
		f["G2.4"].unchecked("未確認：ネットワーク受信口のアドレスが与えられていない")
	} else if err := probeWithoutCertificate(b.ctx, live.NetworkAddr); err != nil {
		f["G2.4"].lack("ネットワーク受信口 %s：%v", live.NetworkAddr, err)
	} else {
		f["G2.4"].ev("ネットワーク受信口 %s はクライアント証明書のない接続を拒否した", live.NetworkAddr)
	}
}

func (b *reportBuilder) fiscalYear() string {
	return b.fy.String() + "〜" + jukinet.Date{Year: b.fy.Year + 1, Month: time.March, Day: 31}.String()
}

// operators checks terminals, operators and 操作者ID (G2.5–G2.8, G11, G13, G14).
func (b *reportBuilder) operators() {
	f, live := b.f, b.live
	terminals, err := access.ActiveTerminals(b.ctx, b.in.status)
	if !b.ok(err) {
		return
	}
	for _, id := range []string{"G2.5", "G11.1"} {
		if terminals > 0 {
			f[id].ev("稼働中の統合端末 %d 台を登録", terminals)
		} else {
			f[id].lack("稼働中の統合端末が登録されていない")
		}
	}
	switch {
	case live.TerminalAddr == "" || live.NetworkAddr == "":
		f["G2.5"].unchecked("未確認：端末受信口とネットワーク受信口の両方のアドレスが与えられていない")
	case sameListener(live.TerminalAddr, live.NetworkAddr):
		f["G2.5"].lack("端末受信口 %s とネットワーク受信口 %s が同じアドレスを使っている", live.TerminalAddr, live.NetworkAddr)
	default:
		f["G2.5"].ev("端末受信口 %s はネットワーク受信口 %s と別のアドレス", live.TerminalAddr, live.NetworkAddr)
	}
	o, err := access.Operators(b.ctx, b.in.status, b.end)
	if !b.ok(err) {
		return
	}
	for _, id := range []string{"G2.6", "G11.2"} {
		switch {
		case o.Active == 0:
			f[id].lack("在職中の操作者がいない")
		case len(o.Unenrolled) > 0:
			f[id].lack("照合情報が登録されていない在職中の操作者：%s", strings.Join(o.Unenrolled, "、"))
		default:
			f[id].ev("在職中の操作者 %d 人全員の照合情報を保護テンプレートとして登録", o.Active)
		}
	}
	if o.Active > 0 {
		f["G2.7"].ev("照合ID管理簿に在職中の操作者 %d 人", o.Active)
	} else {
		f["G2.7"].lack("照合ID管理簿に在職中の操作者がいない")
	}
	b.operatorIDs(o)
	logins, err := oplog.BiometricLogins(b.ctx, b.in.log, b.quarterStart, b.end)
	if !b.ok(err) {
		return
	}
	for _, id := range []string{"G11.2", "G14"} {
		if logins > 0 {
			f[id].ev("%s 以降、操作履歴に生体認証によるログイン %d 件", b.quarterSince, logins)
		} else {
			f[id].lack("%s 以降、操作履歴に生体認証によるログインがない", b.quarterSince)
		}
	}
	for _, s := range o.LockedHolders {
		f["G14"].lack("締出し中の操作者 %s が有効な操作者IDを保有している", s)
	}
	b.rules()
}

// operatorIDs checks the 操作者ID in force and the registers (G2.8, G11.1, G13.3, G13.4).
func (b *reportBuilder) operatorIDs(o access.OperatorFacts) {
	f := b.f
	if o.IDsInForce > 0 {
		f["G2.8"].ev("有効な操作者ID %d 件", o.IDsInForce)
		f["G11.1"].ev("有効な操作者ID %d 件", o.IDsInForce)
		if len(o.IDsWithoutDecision) > 0 {
			f["G13.3"].lack("セキュリティ責任者または決定の記録がない有効な操作者ID：%s", strings.Join(o.IDsWithoutDecision, "、"))
		} else {
			f["G13.3"].ev("有効な操作者ID %d 件すべてにセキュリティ責任者と付与の決定を記録", o.IDsInForce)
		}
	} else {
		for _, id := range []string{"G2.8", "G11.1", "G13.3"} {
			f[id].lack("有効な操作者IDがない")
		}
	}
	switch {
	case o.Active == 0 || o.IDsInForce == 0:
		f["G13.4"].lack("管理簿に、有効な操作者IDを持つ在職中の操作者がいない")
	case len(o.Unregistered) > 0:
		f["G13.4"].lack("管理簿に記載がない：%s", strings.Join(o.Unregistered, "、"))
	default:
		f["G13.4"].ev("照合ID・操作者ID管理簿の記載 %d 件が、在職中の操作者 %d 人と有効な操作者ID %d 件を網羅", o.RegisterEntries, o.Active, o.IDsInForce)
	}
}

// rules checks the rules of the アクセス管理責任者 (G13.1, G13.2).
func (b *reportBuilder) rules() {
	for _, x := range []struct {
		id      string
		article governance.RuleArticle
	}{{"G13.1", governance.RulesIDs}, {"G13.2", governance.RulesTemplates}} {
		s, ok, err := governance.RulesInForce(b.ctx, b.in.status, x.article, b.asOf)
		if !b.ok(err) {
			return
		}
		if ok {
			b.f[x.id].ev("%s に %s が定めた規程が有効", s.SetOn, s.SetBy)
		} else {
			b.f[x.id].lack("アクセス管理責任者が定めた規程の記録がない")
		}
	}
}

// filesAndPasswords checks the live file modes and the recorded OS password policy (G12).
func (b *reportBuilder) filesAndPasswords() {
	live, g121 := b.live, b.f["G12.1"]
	if live.KeyDir == "" {
		g121.unchecked("未確認：鍵ディレクトリが与えられていない")
	} else if problems := keyDirProblems(live.KeyDir); len(problems) > 0 {
		for _, p := range problems {
			g121.lack("%s", p)
		}
	} else {
		g121.ev("鍵ディレクトリ %s：すべての秘密鍵とディレクトリがグループ・その他から閉じられている", live.KeyDir)
	}
	if b.eng == store.SQLite {
		if live.DBPath == "" {
			g121.unchecked("未確認：データベースファイルが与えられていない")
		} else if problems := dbFileProblems(live.DBPath); len(problems) > 0 {
			for _, p := range problems {
				g121.lack("%s", p)
			}
		} else {
			g121.ev("データベースファイル %s は 0600", live.DBPath)
		}
	}
	pol, ok, err := access.PasswordPolicyIn(b.ctx, b.in.status)
	switch {
	case !b.ok(err):
	case !ok:
		b.f["G12.2"].lack("OS のパスワード規則が記録されていない：アクセス管理責任者が定める")
	case len(pol.DeviationsJapanese()) > 0:
		for _, d := range pol.DeviationsJapanese() {
			b.f["G12.2"].lack("%s", d)
		}
	default:
		b.f["G12.2"].ev("%s に %s が定めた OS のパスワード規則：%d 文字以上、%d 種類の文字、%d 回の失敗で締出し",
			jukinet.DateOf(pol.SetAt), pol.SetBy, pol.MinLength, pol.CharClasses, pol.LockoutThreshold)
	}
}

// retention checks that no record younger than 7 years was removed (G15).
func (b *reportBuilder) retention() {
	k, err := oplog.RecordsKept(b.ctx, b.in.log)
	if !b.ok(err) {
		return
	}
	limit := b.asOf.Time().AddDate(-retentionYears, 0, 0)
	switch {
	case k.Size == 0 || k.OldestAt.IsZero():
		b.f["G15"].lack("操作履歴に記録がない")
	case k.OldestIndex > 0 && k.OldestAt.After(limit):
		b.f["G15"].lack("保存されている最古の記録 (%s) が %d 年未満なのに、記録 0〜%d がない", jstTime(k.OldestAt), retentionYears, k.OldestIndex-1)
	default:
		b.f["G15"].ev("操作履歴：記録 %d 件、保存されている最古の記録は #%d (%s)", k.Size, k.OldestIndex, jstTime(k.OldestAt))
	}
}

// jstTime is a time as the report shows it; "(なし)" for the zero time.
func jstTime(t time.Time) string {
	if t.IsZero() {
		return "(なし)"
	}
	return t.In(jukinet.JST).Format(time.RFC3339)
}
