// Package compliance builds the compliance report (遵守状況報告): per
// guideline ID the rule that makes it met, the evidence found on this node
// and what is missing, falls due or is overdue. It owns no table: it
// reads each owner's evidence through the owner's Go API (access, oplog,
// network, governance) and runs the live checks on the facts the caller
// knows (key directory, database file, listeners). The report is shown to
// municipal staff, so its titles, rules, evidence and due sentences are
// Japanese; table names and guideline IDs stay as they are.
package compliance

import (
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// Status of a guideline ID in the compliance report.
type Status string

// Statuses. An ID is met only when the records its article requires exist
// for the period it requires, or when its live check passes; a live check
// whose facts the caller did not supply is not-checked, never met.
const (
	StatusMet             Status = "met"
	StatusEvidenceMissing Status = "evidence-missing"
	StatusOverdue         Status = "overdue"
	StatusNotChecked      Status = "not-checked"
)

// Finding is the report's entry for one guideline ID.
type Finding struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Rule     string   `json:"rule"` // the records or the check that make the ID met
	Status   Status   `json:"status"`
	Evidence []string `json:"evidence"`      // the records found, each read from this node
	Due      []string `json:"due,omitempty"` // what is missing, falls due next, or is overdue
}

// Report is the compliance report: one Finding per guideline ID, in the
// guideline's order.
type Report struct {
	Node          string    `json:"node"`
	AsOf          string    `json:"as_of"`
	FiscalYear    string    `json:"fiscal_year"` // April–March
	PolicyVersion string    `json:"policy_version"`
	Findings      []Finding `json:"findings"`
}

// LiveFacts are what the live checks need and the database does not hold;
// the caller (the command or the server that knows its own configuration)
// supplies them. A check whose facts are missing is reported not-checked.
type LiveFacts struct {
	KeyDir       string // the node's key directory (G12.1: private keys 0600, directories 0700)
	DBPath       string // the SQLite database file (G12.1: 0600); unused on PostgreSQL
	NetworkAddr  string // the network (mTLS) listener, host:port (G2.4, G2.5)
	TerminalAddr string // the terminal listener, host:port (G2.5)
}

// The periods the rules use.
const (
	councilPeriodDays = 365 // the council meets at least once a year (G6)
	quarterDays       = 92  // room reports, logins, misuse analysis (G8, G9.2, G10, G11.2, G14)
	networkDays       = 31  // a receipt from a peer, a cosigned checkpoint (G2.1, G2.2)
	retentionYears    = 7   // G15
	alertDays         = 7   // a room alert answered within a week (G9.2)
	expiryDays        = 30  // a pre-authorization that ends within a month is announced (G9.1)
)

// guideline is one requirement: its ID and the rule that makes it met. The
// title is jukinet.ComplianceTitle, the one table of Japanese headings.
type guideline struct{ id, rule string }

var guidelines = []guideline{
	{"G2.1", "過去31日以内に隣接ノードの署名付き受領証を保存 (outbox_receipts)"},
	{"G2.2", "過去31日以内に作成した操作履歴のチェックポイントに都道府県の連署がある (oplog_checkpoint)"},
	{"G2.3", "今年度に隣接ノードへ配達したメッセージがある (outbox、配達済み)"},
	{"G2.4", "実地確認：ネットワーク受信口が、住基ネットのクライアント証明書を持たない接続を拒否する"},
	{"G2.5", "稼働中の統合端末が登録されている (access_terminals)。実地確認：端末受信口とネットワーク受信口が別のアドレス"},
	{"G2.6", "在職中の操作者全員の照合情報が保護テンプレートとして登録されている (access_templates)"},
	{"G2.7", "照合ID管理簿に在職中の操作者が1人以上いる (access_operators)"},
	{"G2.8", "在職中の操作者が保有する有効な操作者IDが1つ以上ある (access_operator_ids)"},
	{"G2.9", "ソフトウェア資産が管理者・管理規程とともに登録されている (gov_assets)"},
	{"G2.10", "基準日に電子計算機室への入室を事前承認された者がいる (gov_room_authorizations)"},
	{"G2.11", "過去1年以内のセキュリティ会議の議事録がある (gov_meetings.minutes)"},
	{"G2.12", "基準日に磁気ディスク等保管室への入室を事前承認された者がいる (gov_room_authorizations)"},
	{"G3", "基準日に在任者がいて (gov_roles)、過去1年以内にセキュリティ会議を主宰した"},
	{"G4", "基準日に在任者がいる (gov_roles)"},
	{"G5", "基準日に在任者がいる (gov_roles)"},
	{"G6.1", "過去1年以内にセキュリティ会議を開催した (gov_meetings)"},
	{"G6.2", "過去1年以内の全会議に、構成員の三つの役割それぞれの出欠の記録がある (gov_attendance)"},
	{"G6.3", "過去1年以内に四つの区分（対策・遵守状況・監査・研修）それぞれの議題を審議した (gov_agenda_items)"},
	{"G6.4", "過去1年以内の重要事項に個人情報保護審議会の意見がある (gov_agenda_items.board_opinion)"},
	{"G6.5", "過去1年以内の会議に職員の出席を求めた (gov_attendance、出席要求)"},
	{"G6.6", "庶務（市民課）の在任者がいて、過去1年以内の全会議の議事録がある (gov_meetings.minutes)"},
	{"G7", "過去1年以内に会議の結果に基づく指示・要請があり、期限を過ぎた未回答がない (gov_instructions)"},
	{"G8.1", "過去92日以内に定期の不正利用分析 (oplog.report) を実施し、全事案を調査し、期限を過ぎた報告要求がない"},
	{"G8.2", "過去92日以内に定期の不正利用分析を実施し、侵害と判断した全事案に保護措置がある (gov_case_entries)"},
	{"G9.1", "基準日に有効な入室の事前承認がある (gov_room_authorizations)"},
	{"G9.2", "過去92日以内に入退室の記録があり (gov_room_events)、7日を超えて未対応の警報がない"},
	{"G10", "過去92日以内に入退室管理の報告があり (gov_room_reports)、期限を過ぎた指示がない"},
	{"G11.1", "稼働中の端末 (access_terminals) と有効な操作者ID (access_operator_ids) がある"},
	{"G11.2", "在職中の操作者全員の照合情報が登録され (access_templates)、過去92日以内の生体認証によるログイン (access.login) が操作履歴にある"},
	{"G11-2", "基準日に在任者がいる (gov_roles)"},
	{"G12.1", "実地確認：すべての秘密鍵と鍵ディレクトリがグループ・その他から閉じられ、SQLite のデータベースファイルが 0600"},
	{"G12.2", "OS のパスワード規則が記録され (access_password_policy)、基準を下回る点がない"},
	{"G13.1", "アクセス管理責任者が規程を記録している (gov_rules, G13.1)"},
	{"G13.2", "アクセス管理責任者が規程を記録している (gov_rules, G13.2)"},
	{"G13.3", "有効な操作者IDすべてにセキュリティ責任者と決定が記録されている (access_operator_ids)。1つ以上"},
	{"G13.4", "在職中の操作者と有効な操作者IDすべてが管理簿に記載されている (access_history)"},
	{"G14", "過去92日以内に生体認証によるログインがあり（ログインが締出し・有効期間・端末の紐付けを強制する）、有効な操作者IDを保有する締出し中の操作者がいない"},
	{"G15", "操作履歴の記録があり、7年未満の記録が削除されていない（保存されている最古の記録が最初の記録であるか、7年より古い）"},
	{"G16.1", "五つの種類（情報・ソフトウェア・ハードウェア・ネットワーク・媒体）それぞれの資産があり、管理者の役割に基準日の在任者がいる (gov_assets)"},
	{"G16.2", "二つの役割それぞれに基準日の在任者がいる (gov_roles)"},
	{"G16-2.1", "基準日に本人確認情報を取り扱う者が指定されている (gov_identity_handlers)"},
	{"G16-2.2", "帳票が管理規程とともに登録されている (gov_forms)"},
	{"G16-3", "資産が登録され、それぞれに管理規程がある (gov_assets)"},
	{"G17", "基準日に有効な委託契約があり、それぞれに内容・理由・個人情報保護の条件がある (gov_outsourcing)"},
	{"G18", "基準日に有効な全契約が、開始前にセキュリティ会議の意見とセキュリティ統括責任者の承認を得ている。1つ以上"},
	{"G19", "基準日に有効な全契約に五つの条項がある (gov_contract_clauses)。1つ以上"},
	{"G20", "基準日に有効な全契約が検査され (gov_inspections)、期限を過ぎた検査・改善措置がない。1つ以上"},
}

// GuidelineIDs lists every requirement ID of the guideline in order.
func GuidelineIDs() []string {
	out := make([]string, len(guidelines))
	for i, g := range guidelines {
		out[i] = g.id
	}
	return out
}

// FiscalYearStart returns the April 1 that starts the fiscal year of d.
func FiscalYearStart(d jukinet.Date) jukinet.Date {
	y := d.Year
	if d.Month < time.April {
		y--
	}
	return jukinet.Date{Year: y, Month: time.April, Day: 1}
}

// Generate builds the report as of a date (today when zero) and logs that
// it was made (governance.compliance.report, authorized for the actor in
// ctx). The report holds staff identifiers and record dates, never
// residents' data.
func Generate(ctx context.Context, db *store.DB, asOf jukinet.Date, live LiveFacts) (Report, error) {
	if asOf.IsZero() {
		asOf = jukinet.Today(db.Now())
	}
	rep, err := Build(ctx, db, asOf, live)
	if err != nil {
		return rep, err
	}
	err = db.View(ctx, store.Op{Operation: jukinet.OpGovComplianceReport, Detail: "as_of=" + asOf.String()}, nil)
	return rep, err
}

// Build reads the evidence per guideline ID without logging (used by
// Generate and by tests): staff and governance records through
// Bookkeeping(store.Status), the operation log's counts and checkpoints
// through Bookkeeping(store.LogRead) (Generate records the access with
// View), the deliveries and receipts through Bookkeeping(store.Delivery).
// It reads no resident's data.
func Build(ctx context.Context, db *store.DB, asOf jukinet.Date, live LiveFacts) (Report, error) {
	in := readers{status: db.Bookkeeping(store.Status), log: db.Bookkeeping(store.LogRead), delivery: db.Bookkeeping(store.Delivery)}
	return build(ctx, in, db.Engine(), db.Node(), asOf, live)
}

// finding accumulates one ID's evidence and shortfalls.
type finding struct {
	*Finding
	missing, overdue, notChecked bool
}

func (f *finding) ev(format string, args ...any) {
	f.Evidence = append(f.Evidence, fmt.Sprintf(format, args...))
}
func (f *finding) due(format string, args ...any) {
	f.Due = append(f.Due, fmt.Sprintf(format, args...))
}
func (f *finding) lack(format string, args ...any) {
	f.missing = true
	f.due(format, args...)
}
func (f *finding) late(format string, args ...any) {
	f.overdue = true
	f.due(format, args...)
}
func (f *finding) unchecked(format string, args ...any) {
	f.notChecked = true
	f.due(format, args...)
}

func (f *finding) status() Status {
	switch {
	case f.overdue:
		return StatusOverdue
	case f.missing:
		return StatusEvidenceMissing
	case f.notChecked:
		return StatusNotChecked
	case len(f.Evidence) > 0:
		return StatusMet
	}
	return StatusEvidenceMissing
}

//go:embed compliance.html
var complianceHTML string

var complianceTemplate = template.Must(template.New("compliance").Funcs(template.FuncMap{
	"status": func(s Status) string { ja, _ := jukinet.CodeJapanese(jukinet.CodesCompliance, string(s)); return ja },
}).Parse(complianceHTML))

// WriteHTML renders the report as a printable page for the council.
func (rep Report) WriteHTML(w io.Writer) error {
	return complianceTemplate.Execute(w, rep)
}
