package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/register"
)

var sexOptions = []option{{"", "選択してください"}, {"1", "男"}, {"2", "女"}}

func sexOf(f url.Values, name string) (jukinet.Sex, error) {
	v := strings.TrimSpace(f.Get(name))
	if v == "" {
		return 0, jukinet.E("web.form", jukinet.KindInvalid, jukinet.Field(name), "選択してください。")
	}
	sx, err := jukinet.ParseSex(v)
	if err != nil {
		return 0, jukinet.E("web.form", jukinet.KindInvalid, jukinet.Field(name), "男または女を選択してください。")
	}
	return sx, nil
}

func nameOf(f url.Values) jukinet.Name {
	return jukinet.Name{Kanji: strings.TrimSpace(f.Get("name.kanji")), Kana: strings.TrimSpace(f.Get("name.kana"))}
}

func optionalText(f url.Values, name string) *string {
	v := strings.TrimSpace(f.Get(name))
	if v == "" {
		return nil
	}
	return &v
}

// correction reads the optional items of a 職権修正 or 誤記修正: only the
// items filled in change.
func correction(r register.Resident, f url.Values) (register.ChangeInput, error) {
	d, err := dateOf(f, "date")
	if err != nil {
		return register.ChangeInput{}, err
	}
	in := register.ChangeInput{ResidentCode: r.ResidentCode, Date: d, AddressText: optionalText(f, "address_text"),
		Domicile: optionalText(f, "domicile"), DomicileHead: optionalText(f, "domicile_head")}
	if n := nameOf(f); n.Kanji != "" || n.Kana != "" {
		if n.Kanji == "" {
			n.Kanji = r.Name.Kanji
		}
		if n.Kana == "" {
			n.Kana = r.Name.Kana
		}
		in.Name = &n
	}
	if strings.TrimSpace(f.Get("birth_date")) != "" {
		bd, err := dateOf(f, "birth_date")
		if err != nil {
			return in, err
		}
		in.BirthDate = &bd
	}
	if in.Name == nil && in.BirthDate == nil && in.AddressText == nil && in.Domicile == nil && in.DomicileHead == nil {
		return in, jukinet.E("web.correction", jukinet.KindInvalid, "修正する項目を一つ以上入力してください。")
	}
	return in, nil
}

var correctionFields = []formField{
	{"name.kanji", "氏名", "text", "修正する項目だけ入力します", false, nil},
	{"name.kana", "ふりがな", "text", "", false, nil},
	{"birth_date", "生年月日", "date", dateHint, false, nil},
	{"address_text", "住所", "text", "", false, nil},
	{"domicile", "本籍", "text", "", false, nil},
	{"domicile_head", "筆頭者", "text", "", false, nil},
	{"date", "修正日", "date", dateHint, true, nil},
}

// moreEvents are the register events recorded from a resident's 住民票
// beyond the four of the first version: 出生 into the household, 世帯主変更,
// 職権修正, 誤記修正 and the 個人番号 request.
func moreEvents() []event {
	return []event{
		{Slug: "birth", Op: jukinet.OpBirth, Title: "出生届", Help: "この住民の世帯に子を記載します（続柄は世帯主からみた続柄）。",
			Fields: []formField{{"name.kanji", "子の氏名", "text", "姓と名の間は空白", true, nil}, {"name.kana", "ふりがな", "text", "", true, nil},
				{"birth_date", "生年月日", "date", dateHint, true, nil}, {"sex", "性別", "select", "", true, sexOptions},
				{"relationship", "続柄", "text", "例: 子、孫", true, nil}},
			Submit: submitBirth},
		{Slug: "householder", Op: jukinet.OpHouseholderChange, Title: "世帯主変更届", Help: "この住民を世帯主とします。これまでの世帯主の、新しい世帯主からみた続柄を入力します。",
			Fields: []formField{{"former_relationship", "これまでの世帯主の続柄", "text", "例: 父、夫、妻", true, nil}, {"date", "変更日", "date", dateHint, true, nil}},
			Submit: submitHouseholderChange},
		{Slug: "correct", Op: jukinet.OpExOfficioCorrect, Title: "職権修正", Help: "調査の結果に基づき、記載事項を職権で修正します。修正する項目だけ入力します。",
			Fields: correctionFields,
			Submit: submitExOfficioCorrect},
		{Slug: "clerical", Op: jukinet.OpClericalCorrection, Title: "誤記修正", Help: "記載の誤りを正します。修正する項目だけ入力します。",
			Fields: correctionFields,
			Submit: submitClericalCorrection},
		{Slug: "support", Op: jukinet.OpSupportMeasureSet, Title: "支援措置の設定", Help: "DV・ストーカー行為等・児童虐待等の被害者の申出により、第三者への写しの交付・閲覧と広域交付を制限します（期間は1年以内）。",
			Fields: []formField{{"kind", "支援の種類", "select", "", true, []option{{"dv", "配偶者からの暴力（DV）"}, {"stalking", "ストーカー行為等"}, {"child_abuse", "児童虐待"}, {"similar", "これらに準ずる行為"}}},
				{"requester", "申出者", "text", "氏名", true, nil},
				{"start", "開始日", "date", dateHint, true, nil}, {"end", "終了日", "date", "開始日から1年以内", true, nil}},
			Submit: submitSupportMeasure},
		{Slug: "support-lift", Op: jukinet.OpSupportMeasureLift, Title: "支援措置の終了", Help: "申出の取下げなどにより支援措置を終了します。",
			Fields: []formField{{"reason", "終了の理由", "text", "", true, nil}},
			Submit: submitSupportLift},
		{Slug: "number", Op: jukinet.OpIndividualNumberSet, Title: "個人番号の指定請求", Help: "全国サーバに個人番号の生成を求めます。届くと指定されます（状況は住民票の画面に表示）。",
			Fields: []formField{{"reason", "事由", "select", "", true, []option{{"305", "個人番号の変更請求"}, {"306", "個人番号の職権修正"}, {"307", "個人番号の職権記載"}}},
				{"date", "請求日", "date", dateHint, true, nil}},
			Submit: submitNumberRequest},
	}
}

// submitBirth files a 出生届: a child in the resident's household.
func submitBirth(ctx context.Context, c Counter, r register.Resident, f url.Values) error {
	bd, err := dateOf(f, "birth_date")
	if err != nil {
		return err
	}
	sx, err := sexOf(f, "sex")
	if err != nil {
		return err
	}
	_, err = c.Birth(ctx, register.BirthInput{PersonInput: register.PersonInput{Name: nameOf(f), BirthDate: bd, Sex: sx,
		Domicile: r.Domicile, DomicileHead: r.DomicileHead},
		Household: register.HouseholdChoice{ID: r.HouseholdID, Relationship: strings.TrimSpace(f.Get("relationship"))}})
	return err
}

// submitHouseholderChange files a 世帯主変更届: the resident becomes the householder.
func submitHouseholderChange(ctx context.Context, c Counter, r register.Resident, f url.Values) error {
	d, err := dateOf(f, "date")
	if err != nil {
		return err
	}
	rel := strings.TrimSpace(f.Get("former_relationship"))
	if rel == "" {
		return jukinet.E("web.householder", jukinet.KindInvalid, jukinet.Field("former_relationship"), "入力してください。")
	}
	h, err := c.HouseholdOf(ctx, r.HouseholdID, "世帯主変更届の受付")
	if err != nil {
		return err
	}
	in := register.HouseholderChangeInput{HouseholdID: r.HouseholdID, NewHead: r.ResidentCode, Date: d, Relationships: map[jukinet.ResidentCode]string{}}
	for _, m := range h.Members {
		if m.ResidentCode != r.ResidentCode && m.Relationship == "世帯主" {
			in.Relationships[m.ResidentCode] = rel
		}
	}
	_, err = c.HouseholderChange(ctx, in)
	return err
}

// submitExOfficioCorrect corrects the record ex officio (職権修正) with the items entered.
func submitExOfficioCorrect(ctx context.Context, c Counter, r register.Resident, f url.Values) error {
	in, err := correction(r, f)
	if err != nil {
		return err
	}
	_, err = c.ExOfficioCorrect(ctx, in)
	return err
}

// submitClericalCorrection corrects a clerical error (誤記修正) with the items entered.
func submitClericalCorrection(ctx context.Context, c Counter, r register.Resident, f url.Values) error {
	in, err := correction(r, f)
	if err != nil {
		return err
	}
	_, err = c.ClericalCorrection(ctx, in)
	return err
}

// submitSupportMeasure sets a 支援措置 on the victim's request (for at most a year).
func submitSupportMeasure(ctx context.Context, c Counter, r register.Resident, f url.Values) error {
	start, err := dateOf(f, "start")
	if err != nil {
		return err
	}
	end, err := dateOf(f, "end")
	if err != nil {
		return err
	}
	_, err = c.SetSupportMeasure(ctx, register.SupportMeasureInput{ResidentCode: r.ResidentCode, Kind: register.SupportKind(f.Get("kind")),
		Requester: f.Get("requester"), Start: start, End: end})
	return err
}

// submitSupportLift lifts the resident's 支援措置.
func submitSupportLift(ctx context.Context, c Counter, r register.Resident, f url.Values) error {
	return c.LiftSupportMeasure(ctx, r.ResidentCode, f.Get("reason"))
}

// submitNumberRequest asks the national server to generate the resident's
// 個人番号 (指定請求), for one of the legal reasons.
func submitNumberRequest(ctx context.Context, c Counter, r register.Resident, f url.Values) error {
	d, err := dateOf(f, "date")
	if err != nil {
		return err
	}
	// Only the three legal reasons (番号法7条2項, 施行令): anything else
	// is refused by the register, naming the field, not read as a 変更請求.
	reason, err := jukinet.ParseChangeReason(f.Get("reason"))
	if err != nil {
		return err
	}
	return c.RequestIndividualNumber(ctx, r.ResidentCode, reason, d)
}

// formPage is a form not tied to one resident (国内転入, 特例転入, 広域交付).
type formPage struct {
	Title, Help, Action, Submit string
	Fields                      []formField
	Values                      url.Values
	Errors                      fieldErrors
	Message                     string
	Subject                     string // what the form is about, shown above it
	Extra                       any
}

func (p formPage) inputs() []string {
	out := make([]string, len(p.Fields))
	for i, f := range p.Fields {
		out[i] = f.Name
	}
	return out
}

// formFailed re-renders p with err next to its field; other errors go up.
func (s *server) formFailed(w http.ResponseWriter, r *http.Request, p formPage, err error) error {
	fe, msg, ok := placeError(err, p.inputs())
	if !ok {
		switch jukinet.ErrorKind(err) {
		case jukinet.KindUnauthorized, jukinet.KindLocked, jukinet.KindExpired, jukinet.KindNotFound, jukinet.KindConflict:
			// The person's card, PIN or request: the counter corrects it here.
			fe, msg = nil, counterMessage(err)
			if f, found := fieldFor(jukinet.ErrorField(err), p.inputs()); found {
				fe, msg = fieldErrors{f: msg}, ""
			}
		default:
			return err
		}
	}
	p.Values, p.Errors, p.Message = r.PostForm, fe, msg
	w.WriteHeader(statusOf(err))
	return s.render(w, r, "form", p)
}

func moveInPage() formPage {
	return formPage{Title: "転入届（国内）", Action: "/counter/move-in", Submit: "転入を記録",
		Help: "転出証明書の内容を入力します。新しい世帯の世帯主として記載します（既存の世帯に入る場合は世帯番号と続柄）。",
		Fields: []formField{
			{"resident_code", "住民票コード", "text", "転出証明書の11桁", true, nil},
			{"individual_number", "個人番号", "text", "転出証明書の12桁（空欄なら全国サーバに照会）", false, nil},
			{"name.kanji", "氏名", "text", "姓と名の間は空白", true, nil}, {"name.kana", "ふりがな", "text", "", true, nil},
			{"birth_date", "生年月日", "date", dateHint, true, nil}, {"sex", "性別", "select", "", true, sexOptions},
			{"domicile", "本籍", "text", "", false, nil}, {"domicile_head", "筆頭者", "text", "", false, nil},
			{"previous_address.lg_code", "転入前の地方公共団体コード", "text", "6桁", true, nil},
			{"previous_address.text", "転入前住所", "text", "", true, nil},
			{"last_registered.lg_code", "最終住民登録地の地方公共団体コード", "text", "転入前住所で住民登録していなかった場合のみ（転出証明書の発行市区町村）", false, nil},
			{"last_registered.text", "最終住民登録地の住所", "text", "同上（転出証明書の住所）", false, nil},
			{"planned_move_out", "転出予定日", "date", "転出証明書の日付", true, nil},
			{"move_in_date", "転入日", "date", dateHint, true, nil},
			{"address_text", "新しい住所", "text", "番地・建物名まで", true, nil},
			{"household.id", "世帯番号", "text", "既存の世帯に入る場合", false, nil},
			{"household.relationship", "続柄", "text", "既存の世帯に入る場合", false, nil},
		}}
}

func (s *server) moveInForm(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Counter == nil {
		return errUnavailable
	}
	p := moveInPage()
	p.Values = url.Values{}
	return s.render(w, r, "form", p)
}

func (s *server) moveInSubmit(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Counter == nil {
		return errUnavailable
	}
	p := moveInPage()
	if err := r.ParseForm(); err != nil {
		return jukinet.E("web.moveIn", jukinet.KindInvalid, "フォームを読み取れません")
	}
	res, err := s.moveIn(r.Context(), r.PostForm)
	if err != nil {
		return s.formFailed(w, r, p, err)
	}
	http.Redirect(w, r, "/residents/"+string(res.ResidentCode)+"?"+url.Values{"purpose": {"転入届の記載確認"}, "done": {"move-in"}}.Encode(), http.StatusSeeOther)
	return nil
}

func (s *server) moveIn(ctx context.Context, f url.Values) (*register.Resident, error) {
	var bad jukinet.FieldErrors // every input that does not parse, at once
	code := strings.TrimSpace(f.Get("resident_code"))
	if !jukinet.ValidResidentCode(code) {
		bad.Add(jukinet.E("web.moveIn", jukinet.KindInvalid, jukinet.Field("resident_code"), "住民票コード（11桁、検査数字付き）を入力してください。"))
	}
	date := func(name string) jukinet.Date {
		d, err := dateOf(f, name)
		bad.Add(err)
		return d
	}
	bd := date("birth_date")
	sx, err := sexOf(f, "sex")
	bad.Add(err)
	pm, md := date("planned_move_out"), date("move_in_date")
	lg, err := jukinet.ParseLGCode(strings.TrimSpace(f.Get("previous_address.lg_code")))
	if err != nil {
		bad.Add(jukinet.E("web.moveIn", jukinet.KindInvalid, jukinet.Field("previous_address.lg_code"), err))
	}
	number := strings.TrimSpace(f.Get("individual_number"))
	if number != "" && !jukinet.ValidIndividualNumber(number) {
		bad.Add(jukinet.E("web.moveIn", jukinet.KindInvalid, jukinet.Field("individual_number"), "個人番号（12桁、検査数字付き）を入力するか、空欄にしてください。"))
	}
	if len(bad) > 0 {
		bad.Add(nameOf(f).Validate()) // the name's rules need no register: said now too
		return nil, bad.Err()
	}
	last, err := lastRegisteredOf(f)
	if err != nil {
		return nil, err
	}
	return s.cfg.Counter.MoveInDomestic(ctx, register.MoveInInput{
		LastRegistered: last,
		PersonInput: register.PersonInput{Name: nameOf(f), BirthDate: bd, Sex: sx,
			Domicile: strings.TrimSpace(f.Get("domicile")), DomicileHead: strings.TrimSpace(f.Get("domicile_head"))},
		ResidentCode: jukinet.ResidentCode(code), IndividualNumber: jukinet.IndividualNumber(number), MoveInDate: md, PlannedMoveOut: pm,
		PreviousAddress: jukinet.Address{LGCode: lg, Text: strings.TrimSpace(f.Get("previous_address.text"))},
		Household:       register.HouseholdChoice{ID: strings.TrimSpace(f.Get("household.id")), Relationship: strings.TrimSpace(f.Get("household.relationship"))},
		AddressText:     strings.TrimSpace(f.Get("address_text")),
	})
}

// lastRegisteredOf reads the optional 最終住民登録地 (法9条1項: the 転入通知
// goes there when the person never registered at the 前住所).
func lastRegisteredOf(f url.Values) (jukinet.Address, error) {
	code, text := strings.TrimSpace(f.Get("last_registered.lg_code")), strings.TrimSpace(f.Get("last_registered.text"))
	if code == "" && text == "" {
		return jukinet.Address{}, nil
	}
	lg, err := jukinet.ParseLGCode(code)
	if err != nil {
		return jukinet.Address{}, jukinet.E("web.moveIn", jukinet.KindInvalid, jukinet.Field("last_registered.lg_code"), err)
	}
	return jukinet.Address{LGCode: lg, Text: text}, nil
}

// ReceivedCertificate is a 転出証明書情報 received and not yet used for a
// 特例転入.
type ReceivedCertificate = node.ReceivedCertificate

type certificatesData struct {
	Certificates []ReceivedCertificate
}

// certificates lists the 転出証明書情報 waiting for a 特例転入.
func (s *server) certificates(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Flows == nil {
		return errUnavailable
	}
	cs, err := s.cfg.Flows.Certificates(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, "certificates", certificatesData{cs})
}

func specialMoveInPage(c ReceivedCertificate) formPage {
	return formPage{Title: "転入届の特例（特例転入）", Action: "/counter/special-move-in/" + string(c.ResidentCode), Submit: "特例転入を記録",
		Help:    "本人が個人番号カードを提示し、暗証番号を入力します。転出証明書情報の内容で転入を記録します。",
		Subject: c.Person.Name.Kanji + "（" + c.Person.Name.Kana + "）　" + c.Person.BirthDate.Wareki() + "生　転出元 " + c.Address.Text + "　転出予定日 " + c.PlannedMoveOut.Wareki(),
		Fields: []formField{
			{"card_serial", "個人番号カードのシリアル番号", "text", "リーダーのカードから読み取り", true, nil},
			{"pin", "暗証番号", "password", "4桁（本人がカードに入力。カードが照合し、システムには送られません）", true, nil},
			{"members", "同一世帯員（共に転入する方）", "text", "住民票コードを空白区切りで（続柄を変える場合は 12345678901:子）", false, nil},
			{"move_in_date", "転入日", "date", dateHint, true, nil},
			{"address_text", "新しい住所", "text", "空欄なら転出証明書情報の転出先", false, nil},
			{"household.id", "世帯番号", "text", "既存の世帯に入る場合", false, nil},
			{"household.relationship", "続柄", "text", "既存の世帯に入る場合", false, nil},
		}, Extra: c}
}

func (s *server) certificateOf(r *http.Request) (ReceivedCertificate, error) {
	code := r.PathValue("code")
	cs, err := s.cfg.Flows.Certificates(r.Context())
	if err != nil {
		return ReceivedCertificate{}, err
	}
	for _, c := range cs {
		if string(c.ResidentCode) == code {
			return c, nil
		}
	}
	return ReceivedCertificate{}, jukinet.E("web.specialMoveIn", jukinet.KindNotFound, "この住民票コードの転出証明書情報は届いていません")
}

func (s *server) specialMoveInForm(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Flows == nil {
		return errUnavailable
	}
	c, err := s.certificateOf(r)
	if err != nil {
		return err
	}
	p := specialMoveInPage(c)
	p.Values = url.Values{"address_text": {c.Destination.Text}}
	return s.render(w, r, "form", p)
}

func (s *server) specialMoveInSubmit(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Flows == nil {
		return errUnavailable
	}
	c, err := s.certificateOf(r)
	if err != nil {
		return err
	}
	p := specialMoveInPage(c)
	if err := r.ParseForm(); err != nil {
		return jukinet.E("web.specialMoveIn", jukinet.KindInvalid, "フォームを読み取れません")
	}
	in, err := s.specialInput(c.ResidentCode, r.PostForm)
	if err == nil {
		var res *register.Resident
		res, err = s.cfg.Flows.SpecialMoveIn(r.Context(), in)
		if err == nil {
			http.Redirect(w, r, "/residents/"+string(res.ResidentCode)+"?"+url.Values{"purpose": {"特例転入の記載確認"}, "done": {"special-move-in"}}.Encode(), http.StatusSeeOther)
			return nil
		}
		err = membersField(err)
	}
	r.PostForm.Del("pin") // never echo the PIN back
	return s.formFailed(w, r, p, err)
}

func copyPage() formPage {
	return formPage{Title: "住民票の写しの広域交付", Action: "/counter/copy", Submit: "住所地に請求",
		Help: "本人確認書類で確認した氏名・生年月日と住所地の市区町村コードを入力します。本籍・筆頭者は記載されません（法12条の4）。",
		Fields: []formField{
			{"residence", "住所地の地方公共団体コード", "text", "6桁（例: 352012 山口市）", true, nil},
			{"name.kanji", "氏名", "text", "姓と名の間は空白", true, nil}, {"name.kana", "ふりがな", "text", "", false, nil},
			{"birth_date", "生年月日", "date", dateHint, true, nil},
			{"household", "世帯主の氏名と続柄を記載", "checkbox", "", false, nil},
			{"all_members", "世帯全員の写し", "checkbox", "", false, nil},
			{"resident_code", "住民票コードを記載（本人の請求があるとき）", "checkbox", "", false, nil},
			{"individual_number", "個人番号を記載（本人の請求があるとき）", "checkbox", "", false, nil},
		}}
}

func (s *server) copyForm(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Flows == nil {
		return errUnavailable
	}
	p := copyPage()
	p.Values = url.Values{}
	return s.render(w, r, "form", p)
}

func (s *server) copySubmit(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Flows == nil {
		return errUnavailable
	}
	p := copyPage()
	if err := r.ParseForm(); err != nil {
		return jukinet.E("web.copy", jukinet.KindInvalid, "フォームを読み取れません")
	}
	f := r.PostForm
	id, err := func() (string, error) {
		lg, err := jukinet.ParseLGCode(strings.TrimSpace(f.Get("residence")))
		if err != nil {
			return "", jukinet.E("web.copy", jukinet.KindInvalid, jukinet.Field("residence"), err)
		}
		bd, err := dateOf(f, "birth_date")
		if err != nil {
			return "", err
		}
		return s.cfg.Flows.RequestCopy(r.Context(), node.CopyRequestInput{Residence: lg, Name: nameOf(f), BirthDate: bd,
			Items: node.CopyItems{Household: f.Get("household") == "on", AllMembers: f.Get("all_members") == "on",
				ResidentCode: f.Get("resident_code") == "on", IndividualNumber: f.Get("individual_number") == "on"}})
	}()
	if err != nil {
		return s.formFailed(w, r, p, err)
	}
	http.Redirect(w, r, "/counter/copy/"+id, http.StatusSeeOther)
	return nil
}

// copyWait is how long the print page waits for the residence CS's answer
// before asking the operator to reload.
const copyWait = 20 * time.Second

type copyData struct {
	ID      string
	Record  *node.CopyAnswer
	Issuer  string
	Printed time.Time
	Pending bool
}

// copyPrint waits for the residence CS's answer and shows the copy for
// printing. The answer is erased from the CS as it is taken (AwaitCopy): a
// reload shows that it was already printed.
func (s *server) copyPrint(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Flows == nil {
		return errUnavailable
	}
	id := r.PathValue("id")
	ctx, cancel := context.WithTimeout(r.Context(), copyWait)
	defer cancel()
	rec, err := s.cfg.Flows.AwaitCopy(ctx, id)
	if jukinet.IsKind(err, jukinet.KindUnavailable) && r.Context().Err() == nil {
		return s.render(w, r, "copy", copyData{ID: id, Pending: true})
	}
	if err != nil {
		return err
	}
	return s.render(w, r, "copy", copyData{ID: id, Record: rec, Issuer: s.cfg.Title, Printed: s.cfg.Now()})
}

type annexData struct {
	Domicile, Purpose string
	Notices           []node.AnnexNotice
	Searched          bool
	Error             string
}

// annex shows the 戸籍の附票 notices received for a 本籍.
func (s *server) annex(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Flows == nil {
		return errUnavailable
	}
	q := r.URL.Query()
	d := annexData{Domicile: strings.TrimSpace(q.Get("domicile")), Purpose: strings.TrimSpace(q.Get("purpose"))}
	if d.Domicile == "" && d.Purpose == "" {
		return s.render(w, r, "annex", d)
	}
	if d.Domicile == "" || d.Purpose == "" {
		d.Error = "本籍と照会の目的を入力してください。"
		w.WriteHeader(statusInvalid)
		return s.render(w, r, "annex", d)
	}
	ns, err := s.cfg.Flows.Annex(r.Context(), d.Domicile, d.Purpose)
	if err != nil {
		return err
	}
	d.Notices, d.Searched = ns, true
	return s.render(w, r, "annex", d)
}

// overdueData is the 転入通知未着者一覧.
type overdueData struct {
	Purpose  string
	Error    string
	Searched bool
	Results  []register.Resident
	AsOf     jukinet.Date
}

// moveInOverdue lists the people moved out whose 転入通知 has not come
// (転入通知未着者一覧): the municipality follows each one up.
func (s *server) moveInOverdue(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Counter == nil {
		return errUnavailable
	}
	d := overdueData{Purpose: strings.TrimSpace(r.URL.Query().Get("purpose")), AsOf: jukinet.Today(s.cfg.Now())}
	if d.Purpose == "" {
		if r.URL.Query().Has("purpose") {
			d.Error = "照会の目的・事案番号を入力してください。"
			w.WriteHeader(statusInvalid)
		}
		return s.render(w, r, "overdue", d)
	}
	res, err := s.cfg.Counter.MoveInNoticesOverdue(r.Context(), d.AsOf, d.Purpose)
	if err != nil {
		return err
	}
	d.Results, d.Searched = res, true
	return s.render(w, r, "overdue", d)
}

// counterMessage is the message for the refusals a person at the counter
// can correct (their card, PIN or dates): what to do next, then the rule.
func counterMessage(err error) string {
	field, kind := jukinet.ErrorField(err), jukinet.ErrorKind(err)
	switch {
	case field == "pin" && kind == jukinet.KindUnauthorized:
		return ruleOf(err) + "本人に入力し直してもらってください。"
	case field == "pin" && kind == jukinet.KindLocked:
		return "暗証番号の誤りが続いたため、カードがロックされています。特例転入はできません（転出証明書による転入届を受け付けます）。"
	case field == "card_serial" || field == "card" && kind == jukinet.KindUnauthorized:
		return "提示されたカードは、転出証明書情報に記録されたカードではありません（カードの署名を確認できません）。"
	case field == "card" && (kind == jukinet.KindForbidden || kind == jukinet.KindExpired):
		return "このカード（利用者証明用電子証明書）は失効・一時停止されています。特例転入はできません。"
	case field == "move_in_date" && kind == jukinet.KindExpired:
		return "届出の期限（転入から14日以内、転出予定日から30日以内）を過ぎています。" + ruleOf(err)
	case kind == jukinet.KindNotFound && field == "name":
		return "住所地の市区町村に、この氏名・生年月日の住民が一人に特定できませんでした。"
	}
	return ruleOf(err)
}
