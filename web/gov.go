package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/governance"
)

// The operation-management (運用管理) screens of the admin console: one page
// per area with its lists and the forms of its acts. A form posts to
// /admin/gov/PAGE/ACT; its inputs are named by the JSON paths of the act's
// request type (members[0].role, clauses.materials…), so the same decoder as
// the JSON API and the CLI builds the request, and the field a refusal names
// is the input the message appears next to.

// govOption is one choice of a select.
type govOption struct{ Value, Label string }

// govField is one input of a governance form.
type govField struct {
	Name  string // JSON path of the request; the field errors name
	Label string
	// Kind: text, textarea, date, datetime, check, int, select, indices
	// (log indices "12, 13"), clause (a G19 clause's reference), fixed (a
	// hidden constant).
	Kind     string
	Hint     string
	Required bool
	Options  []govOption
	Value    string // the constant of a fixed field
}

// govForm is the form of one act.
type govForm struct {
	Act    string // govAct name
	Title  string
	Help   string
	Fields []govField
}

// govPageSpec is one page: its lists and its forms.
type govPageSpec struct {
	Slug, Title, Help string
	Op                jukinet.Operation // reading the page
	Load              func(s *governance.Service, ctx context.Context, today jukinet.Date) (any, error)
	Forms             []govForm
}

func opts(pairs ...string) []govOption {
	out := make([]govOption, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, govOption{pairs[i], pairs[i+1]})
	}
	return out
}

func roleOptions() []govOption {
	var out []govOption
	for _, r := range governance.Roles() {
		out = append(out, govOption{string(r), r.Japanese()})
	}
	return out
}

var (
	categoryOptions = opts("", "（選択）", string(governance.CategoryMeasures), governance.CategoryName("measures"), string(governance.CategoryCompliance), governance.CategoryName("compliance"),
		string(governance.CategoryAudit), governance.CategoryName("audit"), string(governance.CategoryTraining), governance.CategoryName("training"))
	roomOptions      = opts(string(governance.RoomComputer), governance.RoomName(string(governance.RoomComputer)), string(governance.RoomMediaStorage), governance.RoomName(string(governance.RoomMediaStorage)))
	directionOptions = opts(string(governance.DirectionIn), "入室", string(governance.DirectionOut), "退室")
)

const dayHint = "例: 2025-04-01 または 令和7年4月1日"

func dateField(name, label string, required bool) govField {
	return govField{Name: name, Label: label, Kind: "date", Hint: dayHint, Required: required}
}

func text(name, label string, required bool) govField {
	return govField{Name: name, Label: label, Kind: "text", Required: required}
}

func area(name, label string, required bool) govField {
	return govField{Name: name, Label: label, Kind: "textarea", Required: required}
}

func check(name, label string) govField { return govField{Name: name, Label: label, Kind: "check"} }

// clauseName is a G19 clause in the article's words.
func clauseName(t governance.ClauseType) string {
	switch t {
	case governance.ClauseSubcontracting:
		return "(1) 再委託の禁止又は制限"
	case governance.ClauseMaterials:
		return "(2) 資料の保管、返還又は廃棄"
	case governance.ClauseOtherUse:
		return "(3) 目的外使用、複製・複写、第三者提供の禁止"
	case governance.ClauseConfidentiality:
		return "(4) 秘密保持"
	case governance.ClauseAccidentReport:
		return "(5) 事故等の報告"
	}
	return string(t)
}

func conveneFields() []govField {
	f := []govField{dateField("held_on", "開催日", true), text("title", "会議名", true)}
	for i, r := range governance.CouncilMembers() {
		p := fmt.Sprintf("members[%d].", i)
		f = append(f, govField{Name: p + "role", Kind: "fixed", Value: string(r), Label: r.Japanese()},
			check(p+"present", r.Japanese()+" 出席"), text(p+"absence_reason", r.Japanese()+" 欠席の理由", false))
	}
	f = append(f, text("invited[0].name", "出席を求めた職員 氏名", false), text("invited[0].department", "同 所属", false),
		text("invited[0].collation_id", "同 照合ID", false), text("invited[0].reason", "同 理由 (G6.5)", false))
	for i := range 3 {
		p := fmt.Sprintf("items[%d].", i)
		f = append(f, govField{Name: p + "category", Label: fmt.Sprintf("議題%d 区分 (G6.3)", i+1), Kind: "select", Options: categoryOptions, Required: i == 0},
			text(p+"title", fmt.Sprintf("議題%d 件名", i+1), i == 0), check(p+"important", fmt.Sprintf("議題%d 重要事項（審査会の意見を聴く, G6.4）", i+1)),
			text(p+"outsourcing_id", fmt.Sprintf("議題%d 外部委託の申請ID（委託への意見の議題のみ）", i+1), false))
	}
	return f
}

// authorityOptions lists the operator authorities for a select ("" first).
func authorityOptions() []govOption {
	out := []govOption{{Value: "", Label: "—"}}
	for _, a := range jukinet.Authorities() {
		out = append(out, govOption{Value: string(a), Label: a.Japanese()})
	}
	return out
}

func clauseFields() []govField {
	f := []govField{text("outsourcing_id", "外部委託の申請ID", true)}
	for _, t := range governance.RequiredClauses() {
		f = append(f, govField{Name: "clauses." + string(t), Label: clauseName(t), Kind: "clause", Hint: "契約書の条番号 例: 第8条", Required: true})
	}
	return append(f, dateField("checked_on", "確認日", true))
}

// govPages lists the screens in menu order.
func govPages() []govPageSpec {
	return []govPageSpec{
		{Slug: "roles", Title: "役職者", Help: "ガイドラインが定める役職の現在の担当者と履歴。任命・交代はセキュリティ統括責任者が行います (G3–G5, G11-2, G16.2)。",
			Op: jukinet.OpGovComplianceReport, Load: (*governance.Service).ListRoles, Forms: []govForm{
				{Act: "assign-role", Title: "任命・交代", Help: "交代では前任者の期間が開始日の前日で終わります。", Fields: []govField{
					{Name: "role", Label: "役職", Kind: "select", Options: roleOptions(), Required: true}, text("collation_id", "照合ID", true), text("name", "氏名", true),
					text("position", "職名", false), dateField("from", "開始日", true), dateField("until", "終了日", false)}},
				{Act: "access-decide", Title: "操作者IDの付与・照合情報の再登録の決定 (G13.2, G13.3)", Help: "セキュリティ責任者が記録します。自分自身についての決定はできません。記録された決定の番号をアクセス管理の画面で入力します（一度だけ使えます）。", Fields: []govField{
					{Name: "kind", Label: "種別", Kind: "select", Options: opts(string(governance.DecisionAssign), "操作者IDの付与", string(governance.DecisionReenrol), "照合情報の再登録（紛失・負傷）"), Required: true},
					text("collation_id", "対象の照合ID", true), {Name: "authority", Label: "権限（付与のとき）", Kind: "select", Options: authorityOptions()}, area("reason", "理由", true)}},
			}},
		{Slug: "council", Title: "セキュリティ会議", Help: "会議の開催、議題（G6.3の区分）、個人情報保護審査会の意見、決定、議事録 (G6)。",
			Op: jukinet.OpGovComplianceReport, Load: (*governance.Service).ListCouncil, Forms: []govForm{
				{Act: "convene", Title: "会議の開催", Help: "構成員全員の出欠（欠席は理由）を記録します。", Fields: conveneFields()},
				{Act: "board-opinion", Title: "審査会の意見", Fields: []govField{text("item_id", "議題ID", true), area("opinion", "意見", true), dateField("received_on", "受領日", true)}},
				{Act: "decide", Title: "議題の決定", Fields: []govField{text("item_id", "議題ID", true), area("decision", "決定内容", true), dateField("decided_on", "決定日", true)}},
				{Act: "minutes", Title: "議事録", Help: "会議の庶務が記録します (G6.6)。", Fields: []govField{text("meeting_id", "会議ID", true), area("text", "議事録", true), dateField("recorded_on", "記録日", true)}},
			}},
		{Slug: "instructions", Title: "指示・要請", Help: "会議の決定に基づく指示・要請 (G7) と入退室管理に関する指示 (G10)。期限を過ぎた未回答は「期限超過」と表示します。",
			Op: jukinet.OpGovInstructionRespond, Load: (*governance.Service).ListInstructions, Forms: []govForm{
				{Act: "instruct", Title: "指示・要請の発出", Fields: []govField{
					text("item_id", "決定済みの議題ID (G7)", false), check("rooms", "入退室管理に関する指示 (G10)"), text("room_report_id", "定期報告ID (G10)", false),
					{Name: "kind", Label: "種別", Kind: "select", Options: opts(string(governance.KindInstruction), "指示", string(governance.KindRequest), "要請"), Required: true},
					text("addressee_collation_id", "宛先 照合ID", true), text("addressee_name", "宛先 氏名", true), text("addressee_department", "宛先 所属", true),
					area("content", "内容", true), dateField("issued_on", "発出日", true), dateField("due_on", "回答期限", true)}},
				{Act: "respond", Title: "回答", Help: "宛先の本人だけが回答できます。", Fields: []govField{text("instruction_id", "指示ID", true), area("response", "回答", true), dateField("responded_on", "回答日", true)}},
			}},
		{Slug: "cases", Title: "不適正利用事案", Help: "操作履歴の分析などで見つかった事案の登録、証拠、報告の求め、判断、措置、終結 (G8)。",
			Op: jukinet.OpGovCaseOpen, Load: (*governance.Service).ListCases, Forms: []govForm{
				{Act: "case-open", Title: "事案の登録", Help: "操作履歴レポートの所見からは、その番号を証拠に入力します。", Fields: []govField{
					dateField("opened_on", "登録日", true), {Name: "source", Label: "端緒", Kind: "select", Options: opts("manual", "通報・職員の気付き", "oplog_report", "操作履歴レポートの所見"), Required: true},
					area("summary", "概要", true), {Name: "evidence", Label: "操作履歴の番号", Kind: "indices", Hint: "例: 120, 121（カンマ区切り）"}}},
				{Act: "case-evidence", Title: "証拠の追加", Fields: []govField{text("case_id", "事案ID", true), {Name: "evidence", Label: "操作履歴の番号", Kind: "indices", Hint: "例: 120, 121", Required: true}}},
				{Act: "case-request-report", Title: "報告の求め", Fields: []govField{text("case_id", "事案ID", true),
					{Name: "addressee_kind", Label: "相手方", Kind: "select", Options: opts("state", "国", "local_government", "地方公共団体", "organization", "機構", "other", "その他"), Required: true},
					text("addressee", "名称", true), dateField("requested_on", "依頼日", true), dateField("due_on", "期限", true)}},
				{Act: "case-report-answer", Title: "報告の受領", Fields: []govField{text("request_id", "報告依頼ID", true), area("answer", "報告内容", true), dateField("answered_on", "受領日", true)}},
				{Act: "case-entry", Title: "調査記録・保護措置", Fields: []govField{text("case_id", "事案ID", true),
					{Name: "kind", Label: "種別", Kind: "select", Options: opts("note", "調査記録", "measure", "保護措置"), Required: true}, area("body", "内容", true), dateField("on", "日付", true)}},
				{Act: "case-judge", Title: "権利侵害の有無の判断", Fields: []govField{text("case_id", "事案ID", true), check("infringement", "住民の権利利益の侵害あり"), area("reason", "理由", true), dateField("judged_on", "判断日", true)}},
				{Act: "case-close", Title: "事案の終結", Help: "侵害ありの事案は保護措置を記録してから終結します。", Fields: []govField{text("case_id", "事案ID", true), dateField("closed_on", "終結日", true)}},
			}},
		{Slug: "rooms", Title: "入退室管理", Help: "電子計算機室・磁気ディスク等保管室の事前承認、入退室の記録、警報、定期報告 (G9, G10)。",
			Op: jukinet.OpGovComplianceReport, Load: (*governance.Service).ListRooms, Forms: []govForm{
				{Act: "room-authorize", Title: "事前承認", Fields: []govField{{Name: "room", Label: "室", Kind: "select", Options: roomOptions, Required: true},
					text("collation_id", "照合ID（入館証）", true), text("name", "氏名", true), text("purpose", "目的", true), dateField("from", "開始日", true), dateField("until", "終了日", true)}},
				{Act: "room-revoke", Title: "事前承認の取消", Fields: []govField{text("id", "承認ID", true), dateField("revoked_on", "取消日", true)}},
				{Act: "room-manual", Title: "手動による入退室記録", Help: "読取装置の故障時など。理由は必須で、承認のない人は拒否され警報になります。", Fields: []govField{
					{Name: "room", Label: "室", Kind: "select", Options: roomOptions, Required: true}, text("collation_id", "照合ID", true),
					{Name: "direction", Label: "入退", Kind: "select", Options: directionOptions, Required: true},
					{Name: "at", Label: "日時", Kind: "datetime", Hint: "例: 2025-04-01 10:30", Required: true}, area("reason", "理由", true)}},
				{Act: "alert-answer", Title: "警報への回答", Fields: []govField{text("alert_id", "警報ID", true), area("answer", "回答", true)}},
				{Act: "room-report", Title: "定期報告", Help: "入室・拒否の件数は記録から数えます (G10)。", Fields: []govField{dateField("period_from", "期間（から）", true),
					dateField("period_until", "期間（まで）", true), dateField("submitted_on", "報告日", true), area("summary", "概要", true)}},
			}},
		{Slug: "assets", Title: "情報資産・帳票", Help: "情報資産の登録 (G16)、本人確認情報を取り扱う者の指定 (G16-2.1)、帳票と出力記録 (G16-2.2)。",
			Op: jukinet.OpGovComplianceReport, Load: (*governance.Service).ListAssets, Forms: []govForm{
				{Act: "asset", Title: "情報資産の登録", Help: "本人確認情報とその帳票は本人確認情報管理責任者が、それ以外は情報資産管理責任者が登録します。", Fields: []govField{
					{Name: "kind", Label: "種別", Kind: "select", Options: opts("information", "情報", "software", "ソフトウェア", "hardware", "ハードウェア", "network", "ネットワーク", "media", "磁気ディスク等"), Required: true},
					text("name", "名称", true), check("identity_info", "本人確認情報"), text("location", "所在", false), area("management_rules", "管理方法", true), dateField("registered_on", "登録日", true)}},
				{Act: "designate-handler", Title: "取り扱う者の指定 (G16-2.1)", Fields: []govField{text("collation_id", "照合ID", true), text("name", "氏名", true), text("scope", "範囲", true),
					dateField("from", "開始日", true), dateField("until", "終了日", false)}},
				{Act: "revoke-handler", Title: "指定の終了", Fields: []govField{text("id", "指定ID", true), dateField("revoked_on", "終了日", true)}},
				{Act: "form", Title: "帳票の登録", Fields: []govField{text("name", "帳票名", true), text("description", "説明", false), area("rules", "保管・受渡しの方法", true), area("retention", "保存期間・廃棄方法", true)}},
			}},
		{Slug: "prints", Title: "帳票の出力記録", Help: "本人確認情報を含む帳票の出力と廃棄の記録。出力は指定を受けた者だけが行えます (G16-2.1, G16-2.2)。",
			Op: jukinet.OpGovFormPrint, Load: (*governance.Service).ListPrints, Forms: []govForm{
				{Act: "print", Title: "出力の記録", Fields: []govField{text("form_id", "帳票ID", true), {Name: "copies", Label: "部数", Kind: "int", Required: true}, text("purpose", "目的", true), dateField("printed_on", "出力日", true)}},
				{Act: "dispose", Title: "廃棄の記録", Fields: []govField{text("print_id", "出力ID", true), text("method", "廃棄方法", true), dateField("disposed_on", "廃棄日", true)}},
			}},
		{Slug: "outsourcing", Title: "外部委託", Help: "委託の申請、セキュリティ会議の意見（委託IDを付けた議題の決定）、承認 (G18)、契約条項の確認 (G19)、発効、検査と是正 (G20)。",
			Op: jukinet.OpGovComplianceReport, Load: (*governance.Service).ListOutsourcing, Forms: []govForm{
				{Act: "outsource", Title: "委託の申請", Fields: []govField{text("title", "件名", true), text("contractor", "委託先", true), area("content", "委託内容", true), area("reason", "委託の理由", true),
					area("protection_terms", "個人情報保護の条件", true), dateField("requested_on", "申請日", true)}},
				{Act: "approve", Title: "承認", Help: "セキュリティ会議の意見の後、セキュリティ統括責任者が承認します。", Fields: []govField{text("outsourcing_id", "申請ID", true), dateField("approved_on", "承認日", true)}},
				{Act: "check-contract", Title: "契約条項の確認 (G19)", Help: "五つの条項それぞれについて契約書の該当箇所を入力します。", Fields: clauseFields()},
				{Act: "activate", Title: "契約の発効", Fields: []govField{text("outsourcing_id", "申請ID", true), dateField("active_from", "開始日", true), dateField("active_until", "終了日", true),
					dateField("first_inspection_due", "初回検査の期限", true)}},
				{Act: "inspect", Title: "検査の記録 (G20)", Fields: []govField{text("outsourcing_id", "申請ID", true), dateField("inspected_on", "検査日", true), text("inspector", "検査者", true),
					area("findings", "所見", true), area("follow_up", "是正事項", false), dateField("follow_up_due", "是正期限", false), dateField("next_due", "次回検査の期限", false)}},
				{Act: "follow-up-done", Title: "是正の完了", Fields: []govField{text("inspection_id", "検査ID", true), dateField("done_on", "完了日", true)}},
			}},
	}
}

func govPageBySlug(slug string) (govPageSpec, bool) {
	for _, p := range govPages() {
		if p.Slug == slug {
			return p, true
		}
	}
	return govPageSpec{}, false
}

// formBody builds the act's JSON request from the posted form. Dates accept
// 和暦 and ISO (jukinet.ParseDate); a value that does not parse is refused
// naming its input.
func formBody(f govForm, vals url.Values) ([]byte, error) {
	root := map[string]any{}
	var clauses []any
	var bad jukinet.FieldErrors // every input that does not parse, at once
	for _, fd := range f.Fields {
		v := strings.TrimSpace(vals.Get(fd.Name))
		var val any
		switch fd.Kind {
		case "fixed":
			val = fd.Value
		case "check":
			if v == "" {
				continue
			}
			val = v == "on" || v == "true"
		case "date":
			if v == "" {
				continue
			}
			d, err := jukinet.ParseDate(fd.Name, v)
			if err != nil {
				bad.Add(err)
				continue
			}
			val = d.String()
		case "datetime":
			if v == "" {
				continue
			}
			t, err := parseLocalTime(v)
			if err != nil {
				bad.Add(jukinet.E("web.gov", jukinet.KindInvalid, jukinet.Field(fd.Name), "日時は 2025-04-01 10:30 の形で入力してください"))
				continue
			}
			val = t.Format(time.RFC3339)
		case "int":
			if v == "" {
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil {
				bad.Add(jukinet.E("web.gov", jukinet.KindInvalid, jukinet.Field(fd.Name), "半角数字で入力してください"))
				continue
			}
			val = n
		case "indices":
			if v == "" {
				continue
			}
			idx, err := parseIndices(fd.Name, v)
			if err != nil {
				bad.Add(err)
				continue
			}
			val = idx
		case "clause":
			if v != "" {
				clauses = append(clauses, map[string]any{"type": strings.TrimPrefix(fd.Name, "clauses."), "reference": v})
			}
			continue
		default:
			if v == "" {
				continue
			}
			val = v
		}
		if err := setPath(root, fd.Name, val); err != nil {
			return nil, err
		}
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	if clauses != nil {
		root["clauses"] = clauses
	}
	trimLists(root)
	return json.Marshal(root)
}

// parseLocalTime reads a date and time in JST from a form.
func parseLocalTime(v string) (time.Time, error) {
	v = strings.Replace(v, "T", " ", 1)
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006/1/2 15:04"} {
		if t, err := time.ParseInLocation(layout, v, jukinet.JST); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("bad time")
}

// parseIndices reads operation-log indices "12, 13 14" as evidence.
func parseIndices(field, v string) ([]any, error) {
	var out []any
	for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '、' || r == '\n' }) {
		n, err := strconv.ParseUint(s, 10, 63)
		if err != nil {
			return nil, jukinet.Errorf("web.gov", jukinet.KindInvalid, field, "操作履歴の番号は半角数字をカンマで区切って入力してください（%q は番号ではありません）", truncateRunes(s, 20))
		}
		out = append(out, map[string]any{"index": n})
	}
	return out, nil
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// maxFormIndex bounds the list index a form input may name (items[2]…).
const maxFormIndex = 16

// setPath stores val at a JSON path like "members[0].absence_reason".
func setPath(root map[string]any, path string, val any) error {
	parts := strings.Split(path, ".")
	cur := root
	for i, p := range parts {
		last := i == len(parts)-1
		name, idx := p, -1
		if open := strings.IndexByte(p, '['); open > 0 && strings.HasSuffix(p, "]") {
			n, err := strconv.Atoi(p[open+1 : len(p)-1])
			if err != nil || n < 0 || n > maxFormIndex {
				return jukinet.Errorf("web.gov", jukinet.KindInvalid, path, "bad form field")
			}
			name, idx = p[:open], n
		}
		if idx < 0 {
			if last {
				cur[name] = val
				return nil
			}
			next, ok := cur[name].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[name] = next
			}
			cur = next
			continue
		}
		list, _ := cur[name].([]any)
		for len(list) <= idx {
			list = append(list, map[string]any{})
		}
		cur[name] = list
		if last {
			list[idx] = val
			return nil
		}
		next, ok := list[idx].(map[string]any)
		if !ok {
			next = map[string]any{}
			list[idx] = next
		}
		cur = next
	}
	return nil
}

// trimLists drops the empty rows at the end of a form's lists (the agenda
// rows left blank); a blank row between filled ones stays, and the act
// refuses it naming its input.
func trimLists(m map[string]any) {
	for k, v := range m {
		list, ok := v.([]any)
		if !ok {
			continue
		}
		for len(list) > 0 {
			last, isMap := list[len(list)-1].(map[string]any)
			if !isMap || len(last) > 0 {
				break
			}
			list = list[:len(list)-1]
		}
		if len(list) == 0 {
			delete(m, k)
		} else {
			m[k] = list
		}
	}
}

// govFormView is a form as a page shows it: the values (after a refused
// submission, what was typed) and the messages next to the inputs.
type govFormView struct {
	Form    govForm
	Act     governance.Act
	Values  url.Values
	Errors  fieldErrors
	Message string
	Today   string
	Now     string
}

// ID is the HTML id of an input of the form.
func (f govFormView) ID(name string) string {
	r := strings.NewReplacer("[", "-", "]", "", ".", "-", "_", "-")
	return "g-" + f.Form.Act + "-" + r.Replace(name)
}

// Value is the input's value: what was posted, else today for a date.
func (f govFormView) Value(fd govField) string {
	if f.Values != nil {
		if _, ok := f.Values[fd.Name]; ok {
			return f.Values.Get(fd.Name)
		}
	}
	switch fd.Kind {
	case "date":
		if fd.Required {
			return f.Today
		}
	case "datetime":
		return f.Now
	}
	return ""
}

// Error is the message next to the input.
func (f govFormView) Error(name string) string { return f.Errors[name] }

// govPageData is what gov_page.html receives.
type govPageData struct {
	Page  govPageSpec
	List  any
	Forms []govFormView
	Done  string
	Today jukinet.Date
}

func (s *server) govIndex(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, "gov_index", govPages())
}

// govSlug is the page of /admin/gov/PAGE[/ACT].
func govSlug(r *http.Request) (page, act string) {
	rest := strings.TrimPrefix(r.URL.Path, "/admin/gov/")
	page, act, _ = strings.Cut(rest, "/")
	return page, act
}

func (s *server) govPage(w http.ResponseWriter, r *http.Request) error {
	slug, _ := govSlug(r)
	p, _ := govPageBySlug(slug)
	q := r.URL.Query()
	var prefill map[string]url.Values
	if f := q.Get("prefill"); f != "" {
		prefill = map[string]url.Values{f: q}
	}
	d, err := s.govData(r, p, prefill, nil, "")
	if err != nil {
		return err
	}
	if act, ok := govActByName(q.Get("done")); ok {
		d.Done = act.Title + "を記録しました。"
		if id := q.Get("id"); id != "" {
			d.Done += "（ID " + id + "）"
		}
	}
	return s.render(w, r, "gov_page", d)
}

// govData loads the page's lists and the forms its operator may use.
func (s *server) govData(r *http.Request, p govPageSpec, values map[string]url.Values, errs map[string]fieldErrors, message string) (govPageData, error) {
	if s.cfg.Gov == nil {
		return govPageData{}, errUnavailable
	}
	now := s.cfg.Now()
	today := jukinet.Today(now)
	list, err := p.Load(s.cfg.Gov, r.Context(), today)
	if err != nil {
		return govPageData{}, err
	}
	actor, _ := jukinet.ActorFrom(r.Context())
	d := govPageData{Page: p, List: list, Today: today}
	for _, f := range p.Forms {
		act, _ := govActByName(f.Act)
		if !jukinet.Allowed(act.Op, actor.Authority) {
			continue
		}
		fv := govFormView{Form: f, Act: act, Values: values[f.Act], Errors: errs[f.Act], Today: today.String(), Now: now.In(jukinet.JST).Format("2006-01-02 15:04")}
		if errs[f.Act] != nil {
			fv.Message = message
		}
		d.Forms = append(d.Forms, fv)
	}
	return d, nil
}

// govSubmit performs a form's act. A refusal (invalid input, wrong role,
// wrong order) re-renders the page with the message next to the input it
// names, and the act's status; nothing was changed.
func (s *server) govSubmit(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Gov == nil {
		return errUnavailable
	}
	slug, name := govSlug(r)
	p, _ := govPageBySlug(slug)
	var form govForm
	for _, f := range p.Forms {
		if f.Act == name {
			form = f
		}
	}
	act, _ := govActByName(name)
	if err := r.ParseForm(); err != nil {
		return jukinet.E("web.gov", jukinet.KindInvalid, "フォームを読み取れません")
	}
	body, err := formBody(form, r.PostForm)
	var out any
	if err == nil {
		out, err = runAct(r.Context(), act, s.cfg.Gov, body)
	}
	if err == nil {
		target := url.Values{"done": {act.Name}}
		if id, ok := out.(governance.Created); ok {
			target.Set("id", id.ID)
		}
		http.Redirect(w, r, "/admin/gov/"+p.Slug+"?"+target.Encode(), http.StatusSeeOther)
		return nil
	}
	if !refusal(err) {
		return err
	}
	fe, general := govFieldErrors(form, err)
	d, derr := s.govData(r, p, map[string]url.Values{act.Name: r.PostForm}, map[string]fieldErrors{act.Name: fe}, general)
	if derr != nil {
		return derr
	}
	w.WriteHeader(statusOf(err))
	return s.render(w, r, "gov_page", d)
}

// govFieldErrors places every field error of err (jukinet.FieldErrors)
// next to its input; what names no input of the form is said above it.
func govFieldErrors(form govForm, err error) (fieldErrors, string) {
	inputs := map[string]bool{"actor": true}
	for _, fd := range form.Fields {
		if fd.Kind != "fixed" {
			inputs[fd.Name] = true
		}
	}
	fe := fieldErrors{}
	var general []string
	for _, e := range jukinet.AllFieldErrors(err) {
		msg := ruleOf(e)
		if inputs[e.Field] {
			if _, dup := fe[e.Field]; !dup {
				fe[e.Field] = msg
			}
		} else {
			general = append(general, msg)
		}
	}
	if len(fe) == 0 && len(general) == 0 {
		general = append(general, ruleOf(err))
	}
	return fe, strings.Join(general, " ")
}

// refusal reports whether err is an act's refusal the form explains, rather
// than a failure of the system.
func refusal(err error) bool {
	switch jukinet.ErrorKind(err) {
	case jukinet.KindInvalid, jukinet.KindForbidden, jukinet.KindConflict, jukinet.KindNotFound, jukinet.KindTooLarge, jukinet.KindExpired:
		return true
	}
	return false
}
