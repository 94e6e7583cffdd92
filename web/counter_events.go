package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/register"
)

// householdEvents are the rest of the register events recorded from a
// resident's 住民票: 世帯分離 (several members), 世帯合併, 世帯変更, 旧氏 and
// 通称 (記載・変更・削除), 職権消除 with its reason and 住民票コードの変更請求.
func householdEvents() []event {
	return []event{
		{Slug: "split", Op: jukinet.OpHouseholdSplit, Title: "世帯分離届",
			Help:   "この住民が同じ住所で新しい世帯の世帯主になります。一緒に移る世帯員を選び、新しい世帯での続柄を入力します。",
			Fields: []formField{{"date", "分離日", "date", dateHint, true, nil}},
			More:   memberFields("member", "一緒に移る", "新しい世帯での続柄", false),
			Submit: submitSplit},
		{Slug: "merge", Op: jukinet.OpHouseholdMerge, Title: "世帯合併届",
			Help: "この住民の世帯の全員が、同じ住所の別の世帯に入ります。入る世帯の世帯番号と、その世帯主からみた全員の続柄を入力します。",
			Fields: []formField{{"into", "入る世帯の世帯番号", "text", "同じ住所の世帯（住民票の世帯番号）", true, nil},
				{"date", "合併日", "date", dateHint, true, nil}},
			More:   memberFields("", "", "合併後の続柄", true),
			Submit: submitMerge},
		{Slug: "household-change", Op: jukinet.OpHouseholdChange, Title: "世帯変更届",
			Help: "この住民が、同じ住所の別の世帯に移ります。",
			Fields: []formField{{"into", "移る世帯の世帯番号", "text", "同じ住所の世帯（住民票の世帯番号）", true, nil},
				{"relationship", "移る世帯での続柄", "text", "その世帯の世帯主からみた続柄（例: 子、妻）", true, nil},
				{"date", "変更日", "date", dateHint, true, nil}},
			Submit: submitHouseholdChange},
		{Slug: "former-surname", Op: jukinet.OpFormerSurname, Title: "旧氏の記載・変更・削除",
			Help: "戸籍に記載されている旧氏を記載または変更します。削除する場合は「旧氏を削除」を選びます。",
			Fields: []formField{{"name.former_surname", "旧氏", "text", "例: 山田", false, nil},
				{"name.former_surname_kana", "旧氏のふりがな", "text", "例: ヤマダ", false, nil},
				{"delete", "旧氏を削除", "checkbox", "", false, nil},
				{"date", "届出日", "date", dateHint, true, nil}},
			Submit: submitFormerSurname},
		{Slug: "alias", Op: jukinet.OpAlias, Title: "通称の記載・削除",
			Help: "外国人住民の通称を記載（変更）します。削除する場合は「通称を削除」を選びます。",
			Fields: []formField{{"name.alias", "通称", "text", "", false, nil},
				{"name.alias_kana", "通称のふりがな", "text", "", false, nil},
				{"delete", "通称を削除", "checkbox", "", false, nil},
				{"date", "届出日", "date", dateHint, true, nil}},
			Submit: submitAlias},
		{Slug: "remove", Op: jukinet.OpExOfficioRemove, Title: "職権消除",
			Help: "実態調査の結果や戸籍の届出（帰化・国籍喪失）に基づき、住民票を職権で消除します。除票として保存されます。",
			Fields: []formField{{"reason", "事由", "select", "", true, exOfficioRemoveReasons},
				{"date", "消除日", "date", dateHint, true, nil}},
			Submit: submitExOfficioRemove},
		{Slug: "code-change", Op: jukinet.OpResidentCodeChange, Title: "住民票コードの変更請求",
			Help:     "本人の請求により、新しい住民票コードを記載します（番号は選べません）。これまでのコードは通知に残ります。",
			Fields:   []formField{{"date", "請求日", "date", dateHint, true, nil}},
			SubmitTo: submitCodeChange},
	}
}

// submitSplit files a 世帯分離届: the resident heads a new household at the same address with the members chosen.
func submitSplit(ctx context.Context, c Counter, r register.Resident, f url.Values) error {
	d, err := dateOf(f, "date")
	if err != nil {
		return err
	}
	h, err := c.HouseholdOf(ctx, r.HouseholdID, "世帯分離届の受付")
	if err != nil {
		return err
	}
	var bad jukinet.FieldErrors // every member's 続柄 in error, at once
	in := register.HouseholdSplitInput{Members: []jukinet.ResidentCode{r.ResidentCode}, NewHead: r.ResidentCode, Date: d,
		Relationships: map[jukinet.ResidentCode]string{}}
	for _, m := range others(h, r) {
		if f.Get("member."+string(m.ResidentCode)) != "on" {
			continue
		}
		rel, err := relationshipOf(f, "relationship."+string(m.ResidentCode))
		bad.Add(err)
		in.Members = append(in.Members, m.ResidentCode)
		in.Relationships[m.ResidentCode] = rel
	}
	if err := bad.Err(); err != nil {
		return err
	}
	_, err = c.HouseholdSplit(ctx, in)
	return err
}

// submitMerge files a 世帯合併届: the resident's whole household joins another at the same address.
func submitMerge(ctx context.Context, c Counter, r register.Resident, f url.Values) error {
	var bad jukinet.FieldErrors // every input in error, at once
	into := strings.TrimSpace(f.Get("into"))
	if into == "" {
		bad.Add(jukinet.E("web.merge", jukinet.KindInvalid, jukinet.Field("into"), "入力してください。"))
	}
	d, err := dateOf(f, "date")
	bad.Add(err)
	if err := bad.Err(); err != nil {
		return err // the household is read (and the read recorded) only for a form that can be filed
	}
	h, err := c.HouseholdOf(ctx, r.HouseholdID, "世帯合併届の受付")
	if err != nil {
		return err
	}
	in := register.HouseholdMergeInput{From: r.HouseholdID, Into: into, Date: d, Relationships: map[jukinet.ResidentCode]string{}}
	for _, m := range h.Members {
		rel, err := relationshipOf(f, "relationship."+string(m.ResidentCode))
		bad.Add(err)
		in.Relationships[m.ResidentCode] = rel
	}
	if err := bad.Err(); err != nil {
		return err
	}
	_, err = c.HouseholdMerge(ctx, in)
	return intoField(err)
}

// submitHouseholdChange files a 世帯変更届: the resident moves to another household at the same address.
func submitHouseholdChange(ctx context.Context, c Counter, r register.Resident, f url.Values) error {
	var bad jukinet.FieldErrors // every input in error, at once
	into := strings.TrimSpace(f.Get("into"))
	if into == "" {
		bad.Add(jukinet.E("web.householdChange", jukinet.KindInvalid, jukinet.Field("into"), "入力してください。"))
	}
	rel, err := relationshipOf(f, "relationship")
	bad.Add(err)
	d, err := dateOf(f, "date")
	bad.Add(err)
	if err := bad.Err(); err != nil {
		return err
	}
	_, err = c.HouseholdChange(ctx, register.HouseholdChangeInput{ResidentCode: r.ResidentCode, Into: into, Relationship: rel, Date: d})
	return intoField(err)
}

// submitFormerSurname records, changes or deletes the resident's 旧氏.
func submitFormerSurname(ctx context.Context, c Counter, r register.Resident, f url.Values) error {
	var bad jukinet.FieldErrors // every input in error, at once
	surname, kana, err := nameItem(f, "name.former_surname", "旧氏")
	bad.Add(err)
	d, err := dateOf(f, "date")
	bad.Add(err)
	if err := bad.Err(); err != nil {
		return err
	}
	_, err = c.SetFormerSurname(ctx, r.ResidentCode, surname, kana, d)
	return err
}

// submitAlias records, changes or deletes a foreign resident's 通称.
func submitAlias(ctx context.Context, c Counter, r register.Resident, f url.Values) error {
	var bad jukinet.FieldErrors // every input in error, at once
	alias, kana, err := nameItem(f, "name.alias", "通称")
	bad.Add(err)
	d, err := dateOf(f, "date")
	bad.Add(err)
	if err := bad.Err(); err != nil {
		return err
	}
	_, err = c.SetAlias(ctx, r.ResidentCode, alias, kana, d)
	return err
}

// submitExOfficioRemove removes the resident's record ex officio (職権消除).
func submitExOfficioRemove(ctx context.Context, c Counter, r register.Resident, f url.Values) error {
	var bad jukinet.FieldErrors // every input in error, at once
	reason, err := reasonOf(f, exOfficioRemoveReasons)
	bad.Add(err)
	d, err := dateOf(f, "date")
	bad.Add(err)
	if err := bad.Err(); err != nil {
		return err
	}
	_, err = c.ExOfficioRemove(ctx, r.ResidentCode, d, reason)
	return err
}

// submitCodeChange gives the resident a new 住民票コード on request and returns it.
func submitCodeChange(ctx context.Context, c Counter, r register.Resident, f url.Values) (jukinet.ResidentCode, error) {
	d, err := dateOf(f, "date")
	if err != nil {
		return "", err
	}
	res, err := c.ChangeResidentCode(ctx, r.ResidentCode, d)
	if err != nil {
		return "", err
	}
	return res.ResidentCode, nil
}

// intoField puts an unknown or dissolved household next to the "into"
// input: the resident's own household exists, so the one named is at fault.
func intoField(err error) error {
	if jukinet.ErrorField(err) == "household.id" {
		return jukinet.E("web.household", jukinet.Field("into"), err)
	}
	return err
}

var exOfficioRemoveReasons = []option{{"", "選択してください"}, {"204", "職権消除（実態調査）"}, {"205", "職権消除（帰化）"}, {"206", "職権消除（国籍喪失）"}}

var exOfficioAddReasons = []option{{"", "選択してください"}, {"104", "職権記載"}, {"105", "職権記載（帰化）"}, {"106", "職権記載（国籍喪失）"}}

// reasonOf reads the "reason" select: one of the options offered.
func reasonOf(f url.Values, options []option) (jukinet.ChangeReason, error) {
	v := strings.TrimSpace(f.Get("reason"))
	for _, o := range options {
		if o.Value != "" && o.Value == v {
			return jukinet.ParseChangeReason(v)
		}
	}
	return 0, jukinet.E("web.reason", jukinet.KindInvalid, jukinet.Field("reason"), "事由を選択してください。")
}

// relationshipOf reads a 続柄: required, and never 世帯主 (that is a 世帯主変更).
func relationshipOf(f url.Values, name string) (string, error) {
	rel := strings.TrimSpace(f.Get(name))
	switch rel {
	case "":
		return "", jukinet.E("web.relationship", jukinet.KindInvalid, jukinet.Field(name), "続柄を入力してください。")
	case register.RelationshipHead:
		return "", jukinet.E("web.relationship", jukinet.KindInvalid, jukinet.Field(name), "世帯主以外の続柄を入力してください（世帯主を替えるときは世帯主変更届）。")
	}
	return rel, nil
}

// nameItem reads a 旧氏 or 通称 and its reading; with "delete" checked both
// are empty, which deletes it.
func nameItem(f url.Values, name, label string) (string, string, error) {
	text, kana := strings.TrimSpace(f.Get(name)), strings.TrimSpace(f.Get(name+"_kana"))
	if f.Get("delete") == "on" {
		if text != "" || kana != "" {
			return "", "", jukinet.E("web.nameItem", jukinet.KindInvalid, jukinet.Field(name), "削除する場合は"+label+"を空欄にしてください。")
		}
		return "", "", nil
	}
	if text == "" {
		return "", "", jukinet.E("web.nameItem", jukinet.KindInvalid, jukinet.Field(name), "入力してください（削除する場合は「"+label+"を削除」を選びます）。")
	}
	return text, kana, nil
}

// others are the members of h other than r.
func others(h *register.Household, r register.Resident) []register.Resident {
	var out []register.Resident
	for _, m := range h.Members {
		if m.ResidentCode != r.ResidentCode {
			out = append(out, m)
		}
	}
	return out
}

// memberFields lists inputs per member of the resident's household: with
// choose, a checkbox "<choose>.<code>" (the householder cannot be chosen)
// and the 続柄 of the others; with all, a 続柄 for every member.
func memberFields(choose, chooseLabel, relLabel string, all bool) func(ctx context.Context, c Counter, r register.Resident) ([]formField, error) {
	return func(ctx context.Context, c Counter, r register.Resident) ([]formField, error) {
		h, err := c.HouseholdOf(ctx, r.HouseholdID, "届出の受付（世帯員の確認）")
		if err != nil {
			return nil, err
		}
		var out []formField
		members := h.Members
		if !all {
			members = others(h, r)
		}
		for _, m := range members {
			who := m.Name.Kanji + "（現在の続柄 " + m.Relationship + "）"
			if choose != "" {
				if m.Relationship == register.RelationshipHead {
					continue // the householder stays: a 世帯主変更 comes first
				}
				out = append(out, formField{choose + "." + string(m.ResidentCode), chooseLabel + ": " + who, "checkbox", "", false, nil})
				out = append(out, formField{"relationship." + string(m.ResidentCode), relLabel + "（" + m.Name.Kanji + "）", "text", "移る場合に入力（例: 子、妻）", false, nil})
				continue
			}
			out = append(out, formField{"relationship." + string(m.ResidentCode), relLabel + ": " + who, "text", "入る世帯の世帯主からみた続柄", true, nil})
		}
		return out, nil
	}
}

// moveInAbroadPage is the form of a 国外転入 (法22条; a person who had a
// resident code keeps it).
func moveInAbroadPage() formPage {
	return formPage{Title: "転入届（国外から）", Action: "/counter/move-in-abroad", Submit: "国外転入を記録",
		Help: "旅券等で確認した内容を入力します。以前に住民票コードがあった人はそのコードを、なければ空欄にします（新しく付番）。",
		Fields: append([]formField{{"resident_code", "以前の住民票コード", "text", "あれば11桁（なければ空欄）", false, nil}},
			personFields(
				formField{"previous_address.text", "転入前の住所（国名等）", "text", "例: アメリカ合衆国カリフォルニア州", true, nil},
				formField{"move_in_date", "転入日", "date", dateHint, true, nil})...)}
}

// exOfficioAddPage is the form of a 職権記載 (e.g. on 帰化).
func exOfficioAddPage() formPage {
	return formPage{Title: "職権記載", Action: "/counter/ex-officio-add", Submit: "職権記載を記録",
		Help: "戸籍の届出（帰化・国籍喪失）や実態調査に基づき、住民票を職権で記載します。以前に住民票コードがあった人はそのコードを入力します。",
		Fields: append([]formField{{"reason", "事由", "select", "", true, exOfficioAddReasons},
			{"resident_code", "以前の住民票コード", "text", "あれば11桁（なければ空欄）", false, nil}},
			personFields(
				formField{"previous_address.text", "従前の住所等", "text", "任意", false, nil},
				formField{"move_in_date", "記載日（住民となった日）", "date", dateHint, true, nil})...)}
}

// personFields are the inputs of a new record, with the given ones between
// the person and the address.
func personFields(middle ...formField) []formField {
	out := []formField{
		{"name.kanji", "氏名", "text", "姓と名の間は空白", true, nil}, {"name.kana", "ふりがな", "text", "", true, nil},
		{"birth_date", "生年月日", "date", dateHint, true, nil}, {"sex", "性別", "select", "", true, sexOptions},
		{"domicile", "本籍", "text", "外国人住民は空欄", false, nil}, {"domicile_head", "筆頭者", "text", "", false, nil},
	}
	out = append(out, middle...)
	return append(out,
		formField{"address_text", "住所", "text", "番地・建物名まで", true, nil},
		formField{"household.id", "世帯番号", "text", "既存の世帯に入る場合", false, nil},
		formField{"household.relationship", "続柄", "text", "既存の世帯に入る場合", false, nil})
}

// newPersonOf reads the inputs of personFields.
func newPersonOf(f url.Values) (register.MoveInInput, error) {
	var in register.MoveInInput
	var bad jukinet.FieldErrors // every input that does not parse, at once
	if code := strings.TrimSpace(f.Get("resident_code")); code != "" {
		c, err := jukinet.ParseResidentCode(code)
		bad.Add(err)
		in.ResidentCode = c
	}
	bd, err := dateOf(f, "birth_date")
	bad.Add(err)
	sx, err := sexOf(f, "sex")
	bad.Add(err)
	md, err := dateOf(f, "move_in_date")
	bad.Add(err)
	in.PersonInput = register.PersonInput{Name: nameOf(f), BirthDate: bd, Sex: sx,
		Domicile: strings.TrimSpace(f.Get("domicile")), DomicileHead: strings.TrimSpace(f.Get("domicile_head"))}
	if len(bad) > 0 {
		bad.Add(in.Name.Validate()) // the name's rules need no register: said now too
		return in, bad.Err()
	}
	in.MoveInDate = md
	in.PreviousAddress = jukinet.Address{Text: strings.TrimSpace(f.Get("previous_address.text"))}
	in.Household = register.HouseholdChoice{ID: strings.TrimSpace(f.Get("household.id")), Relationship: strings.TrimSpace(f.Get("household.relationship"))}
	in.AddressText = strings.TrimSpace(f.Get("address_text"))
	return in, nil
}

// blankForm serves the GET of a form that adds a record.
func (s *server) blankForm(w http.ResponseWriter, r *http.Request, p formPage) error {
	if s.cfg.Counter == nil {
		return errUnavailable
	}
	p.Values = url.Values{}
	return s.render(w, r, "form", p)
}

func (s *server) moveInAbroadForm(w http.ResponseWriter, r *http.Request) error {
	return s.blankForm(w, r, moveInAbroadPage())
}

func (s *server) exOfficioAddForm(w http.ResponseWriter, r *http.Request) error {
	return s.blankForm(w, r, exOfficioAddPage())
}

func (s *server) moveInAbroadSubmit(w http.ResponseWriter, r *http.Request) error {
	return s.newRecordSubmit(w, r, moveInAbroadPage(), "move-in-abroad", func(ctx context.Context, f url.Values) (*register.Resident, error) {
		in, err := newPersonOf(f)
		if err != nil {
			return nil, err
		}
		return s.cfg.Counter.MoveInFromAbroad(ctx, in)
	})
}

func (s *server) exOfficioAddSubmit(w http.ResponseWriter, r *http.Request) error {
	return s.newRecordSubmit(w, r, exOfficioAddPage(), "ex-officio-add", func(ctx context.Context, f url.Values) (*register.Resident, error) {
		reason, err := reasonOf(f, exOfficioAddReasons)
		if err != nil {
			return nil, err
		}
		in, err := newPersonOf(f)
		if err != nil {
			return nil, err
		}
		return s.cfg.Counter.ExOfficioAdd(ctx, register.ExOfficioAddInput{MoveInInput: in, Reason: reason})
	})
}

// newRecordSubmit records a form that adds a record and shows the new 住民票.
func (s *server) newRecordSubmit(w http.ResponseWriter, r *http.Request, p formPage, done string,
	record func(ctx context.Context, f url.Values) (*register.Resident, error)) error {
	if s.cfg.Counter == nil {
		return errUnavailable
	}
	if err := r.ParseForm(); err != nil {
		return jukinet.E("web.newRecord", jukinet.KindInvalid, "フォームを読み取れません")
	}
	res, err := record(r.Context(), r.PostForm)
	if err != nil {
		return s.formFailed(w, r, p, err)
	}
	http.Redirect(w, r, "/residents/"+string(res.ResidentCode)+"?"+url.Values{"purpose": {p.Title + "の記載確認"}, "done": {done}}.Encode(), http.StatusSeeOther)
	return nil
}
