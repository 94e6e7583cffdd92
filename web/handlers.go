package web

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/access"
	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/compliance"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/register"
)

type loginData struct {
	CollationID string
	Message     string // role=alert text
	Error       string // next to the 照合ID field
}

func (s *server) loginPage(w http.ResponseWriter, r *http.Request) error {
	d := loginData{}
	switch r.URL.Query().Get("m") {
	case "expired":
		d.Message = "一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。"
	case "invalid":
		d.Message = "セッションが無効です。もう一度ログインしてください。"
	case "logout":
		d.Message = "ログアウトしました。"
	}
	return s.render(w, r, "login", d)
}

// readerReading takes the login form with the reading the terminal's reader
// agent put in it (docs/reader.md): collation_id and the reading in hex.
func (s *server) readerReading(w http.ResponseWriter, r *http.Request) error {
	id := strings.TrimSpace(r.PostFormValue("collation_id"))
	if !jukinet.ValidID(id) {
		w.WriteHeader(statusInvalid)
		return s.render(w, r, "login", loginData{CollationID: id, Error: "照合IDは半角英数字・ハイフン（32文字まで）で入力してください。"})
	}
	raw, err := hex.DecodeString(r.PostFormValue("reading"))
	var reading biometric.Reading
	if err != nil || len(raw) != len(reading) {
		w.WriteHeader(statusInvalid)
		return s.render(w, r, "login", loginData{CollationID: id, Error: "リーダーからの読取データが不正です。もう一度読み取ってください。"})
	}
	copy(reading[:], raw)
	return s.verify(w, r, id, reading)
}

type chooseData struct {
	CollationID string
	Choices     []access.OperatorIDRecord
	Error       string
}

func (s *server) verify(w http.ResponseWriter, r *http.Request, id string, reading biometric.Reading) error {
	// The source address feeds the login throttle (access.WithSource).
	ch, err := s.cfg.Auth.Verify(access.WithSource(r.Context(), sourceOf(r)), s.terminal(r), id, reading)
	if err != nil {
		// One answer for every failed 照合 (no oracle: whether the 照合ID
		// exists or is locked is not told).
		msg := "照合できませんでした。照合IDを確かめ、もう一度リーダーで読み取ってください。失敗が続く場合はアクセス管理責任者に連絡してください。"
		switch jukinet.ErrorKind(err) {
		case jukinet.KindForbidden:
			msg = "この端末は統合端末として登録されていないか、停止されています。"
		case jukinet.KindRateLimited:
			msg = "照合の試行が多すぎます。しばらく待ってからもう一度読み取ってください。"
		case jukinet.KindUnauthorized:
		default:
			return err
		}
		w.WriteHeader(statusOf(err))
		return s.render(w, r, "login", loginData{CollationID: id, Message: msg})
	}
	setCookie(w, challengeCookie, ch.Token, time.Until(ch.ExpiresAt))
	return s.render(w, r, "login_choose", chooseData{CollationID: ch.CollationID, Choices: ch.Choices})
}

func (s *server) choose(w http.ResponseWriter, r *http.Request) error {
	c, err := r.Cookie(challengeCookie)
	if err != nil {
		w.WriteHeader(http.StatusUnauthorized)
		return s.render(w, r, "login", loginData{Message: "照合からやり直してください（時間切れです）。"})
	}
	sess, err := s.cfg.Auth.Choose(r.Context(), c.Value, s.terminal(r), r.PostFormValue("operator_id"))
	clearCookie(w, challengeCookie)
	if err != nil {
		w.WriteHeader(statusOf(err))
		return s.render(w, r, "login", loginData{Message: "操作者IDを選べませんでした。照合からやり直してください。"})
	}
	setCookie(w, sessionCookie, sess.Token, time.Until(sess.ExpiresAt))
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

func (s *server) logout(w http.ResponseWriter, r *http.Request) error {
	token, _ := r.Context().Value(ctxKey{}).(string)
	err := s.cfg.Auth.Logout(r.Context(), token, s.terminal(r))
	clearCookie(w, sessionCookie)
	if err != nil && !jukinet.IsKind(err, jukinet.KindUnauthorized) && !jukinet.IsKind(err, jukinet.KindExpired) {
		return err
	}
	http.Redirect(w, r, "/login?m=logout", http.StatusSeeOther)
	return nil
}

func (s *server) home(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, "home", nil)
}

type searchData struct {
	Query    url.Values
	Searched bool
	Results  []register.Resident
	Errors   fieldErrors
	Message  string
	Page     register.SearchPage
	Prev     string // the link to the previous page, if any
	Next     string // the link to the next page, if any
}

// searchPageSize is how many persons one page of results shows.
const searchPageSize = 50

// First and Last number the persons on the page (1-based) for the notice.
func (d searchData) First() int { return d.Page.Offset + 1 }
func (d searchData) Last() int  { return d.Page.Offset + len(d.Page.Residents) }

// pageLink is the search's URL at page n (1-based).
func pageLink(q url.Values, n int) string {
	v := url.Values{}
	for k, vs := range q {
		v[k] = vs
	}
	v.Set("page", strconv.Itoa(n))
	return "/residents?" + v.Encode()
}

// searchPageOf reads the page number of a search (1 when not given).
func searchPageOf(q url.Values) (int, error) {
	p := strings.TrimSpace(q.Get("page"))
	if p == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 100000 {
		return 0, jukinet.E("web.search", jukinet.KindInvalid, jukinet.Field("page"), "ページの指定が正しくありません")
	}
	return n, nil
}

// search finds residents a page at a time. When the matches are more than a
// page, the page says so and links to the next and previous pages; each
// page shown is recorded with its persons (G11.2), as any search.
func (s *server) search(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Counter == nil {
		return errUnavailable
	}
	q := r.URL.Query()
	d := searchData{Query: q}
	rq := register.Query{Kana: strings.TrimSpace(q.Get("kana")), Kanji: strings.TrimSpace(q.Get("kanji")),
		Address: strings.TrimSpace(q.Get("address")), IncludeRemoved: q.Get("include_removed") == "on", Limit: searchPageSize}
	page, err := searchPageOf(q)
	if err == nil {
		rq.Offset = (page - 1) * searchPageSize
		if b := strings.TrimSpace(q.Get("birth_date")); b != "" {
			rq.BirthDate, err = jukinet.ParseDate("birth_date", b)
		}
	}
	if err != nil {
		d.Errors, d.Message, _ = formError(err)
		if msg, ok := d.Errors["page"]; ok {
			d.Errors, d.Message = nil, msg // no input of its own: above the form
		}
		w.WriteHeader(statusInvalid)
		return s.render(w, r, "search", d)
	}
	if rq.Kana == "" && rq.Kanji == "" && rq.Address == "" && rq.BirthDate.IsZero() {
		if len(q) > 0 {
			d.Message = "検索条件を一つ以上入力してください。"
		}
		return s.render(w, r, "search", d)
	}
	res, err := s.cfg.Counter.SearchPage(r.Context(), rq, "窓口検索")
	if err != nil {
		if fe, msg, ok := formError(err); ok {
			d.Errors, d.Message = fe, msg
			w.WriteHeader(statusInvalid)
			return s.render(w, r, "search", d)
		}
		return err
	}
	d.Searched, d.Results, d.Page = true, res.Residents, res
	if len(res.Residents) == 0 && res.Total > 0 {
		d.Message = fmt.Sprintf("該当 %d 件。このページには結果がありません。", res.Total)
	}
	if page > 1 {
		d.Prev = pageLink(q, page-1)
	}
	if d.Last() < res.Total {
		d.Next = pageLink(q, page+1)
	}
	return s.render(w, r, "search", d)
}

type residentData struct {
	Code    string
	Purpose string
	Error   string
	Records []register.Resident
	Done    string
	Printed time.Time
	// NumberRequest is the 個人番号の指定請求 waiting for the national
	// server's number, if any.
	NumberRequest *register.NumberRequest
}

// resident shows a 住民票. Viewing it needs a purpose or case number, which
// the operation log records (G11.2); without one the page asks for it.
func (s *server) resident(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Counter == nil {
		return errUnavailable
	}
	code := r.PathValue("code")
	if _, err := jukinet.ParseResidentCode(code); err != nil {
		return jukinet.E("web.resident", jukinet.KindNotFound, "住民票コードが正しくありません")
	}
	d := residentData{Code: code, Purpose: strings.TrimSpace(r.URL.Query().Get("purpose")), Done: eventTitle(r.URL.Query().Get("done"))}
	if d.Purpose == "" {
		if r.URL.Query().Has("purpose") {
			d.Error = "閲覧の目的または事案番号を入力してください。"
			w.WriteHeader(statusInvalid)
		}
		return s.render(w, r, "resident", d)
	}
	recs, err := s.cfg.Counter.Get(r.Context(), jukinet.ResidentCode(code), d.Purpose)
	if err != nil {
		if fe, msg, ok := formError(err); ok {
			d.Error = msg + fe["purpose"]
			w.WriteHeader(statusInvalid)
			return s.render(w, r, "resident", d)
		}
		return err
	}
	if recs[0].Status == register.StatusCurrent {
		if d.NumberRequest, err = s.cfg.Counter.PendingNumberRequest(r.Context(), recs[0].ResidentCode, d.Purpose); err != nil {
			return err
		}
	}
	d.Records, d.Printed = recs, s.cfg.Now()
	return s.render(w, r, "resident", d)
}

// formField is one input of an event form. Name is the field name the
// register's errors carry, so a message lands next to its input.
type formField struct {
	Name, Label, Type, Hint string
	Required                bool
	Options                 []option // Type "select"
}

// option is one choice of a select input.
type option struct{ Value, Label string }

// event is a register event the counter records on one resident.
type event struct {
	Slug, Title, Help string
	Op                jukinet.Operation
	Fields            []formField
	Submit            func(ctx context.Context, c Counter, r register.Resident, f url.Values) error
	// More, when set, adds inputs that depend on the resident (one per
	// member of the household…), after Fields.
	More func(ctx context.Context, c Counter, r register.Resident) ([]formField, error)
	// SubmitTo, when set, records the event instead of Submit and returns
	// the resident code to show afterwards (a 住民票コードの変更請求 gives a
	// new one).
	SubmitTo func(ctx context.Context, c Counter, r register.Resident, f url.Values) (jukinet.ResidentCode, error)
}

// withMore is ev with the inputs that depend on r.
func (ev event) withMore(ctx context.Context, c Counter, r register.Resident) (event, error) {
	if ev.More == nil {
		return ev, nil
	}
	more, err := ev.More(ctx, c, r)
	if err != nil {
		return ev, err
	}
	ev.Fields = append(append([]formField(nil), ev.Fields...), more...)
	return ev, nil
}

func dateOf(f url.Values, name string) (jukinet.Date, error) {
	return jukinet.ParseDate(name, f.Get(name))
}

func optionalDate(f url.Values, name string) (jukinet.Date, error) {
	if strings.TrimSpace(f.Get(name)) == "" {
		return jukinet.Date{}, nil
	}
	return dateOf(f, name)
}

var dateHint = "例: 2025-04-01 または 令和7年4月1日"

// events lists the register events with a form of their own.
func events() []event {
	return append(append(baseEvents(), moreEvents()...), householdEvents()...)
}

func baseEvents() []event {
	return []event{
		{Slug: "move-within", Op: jukinet.OpMoveWithin, Title: "転居届", Help: "世帯全員が市内の新しい住所へ移ります。",
			Fields: []formField{{"address_text", "新しい住所", "text", "番地・建物名まで", true, nil}, {"date", "転居日", "date", dateHint, true, nil}},
			Submit: func(ctx context.Context, c Counter, r register.Resident, f url.Values) error {
				code := r.ResidentCode
				d, err := dateOf(f, "date")
				if err != nil {
					return err
				}
				_, err = c.MoveWithin(ctx, register.MoveWithinInput{ResidentCode: code, AddressText: strings.TrimSpace(f.Get("address_text")), Date: d})
				return err
			}},
		{Slug: "move-out", Op: jukinet.OpMoveOut, Title: "転出届", Help: "国内転出は転出先の地方公共団体コードと住所を、国外転出は国名等を入力します。",
			Fields: []formField{{"planned_date", "転出予定日", "date", dateHint, true, nil}, {"report_date", "届出日", "date", "空欄なら本日", false, nil},
				{"destination.lg_code", "転出先の地方公共団体コード", "text", "6桁（国外転出は空欄）", false, nil}, {"destination.text", "転出先の住所", "text", "", true, nil},
				{"abroad", "国外転出", "checkbox", "", false, nil}},
			Submit: func(ctx context.Context, c Counter, r register.Resident, f url.Values) error {
				code := r.ResidentCode
				pd, err := dateOf(f, "planned_date")
				if err != nil {
					return err
				}
				rd, err := optionalDate(f, "report_date")
				if err != nil {
					return err
				}
				in := register.MoveOutInput{ResidentCode: code, PlannedDate: pd, ReportDate: rd, Abroad: f.Get("abroad") == "on",
					Destination: jukinet.Address{Text: strings.TrimSpace(f.Get("destination.text"))}}
				if lg := strings.TrimSpace(f.Get("destination.lg_code")); lg != "" {
					l, err := jukinet.ParseLGCode(lg)
					if err != nil {
						return jukinet.E("web.moveOut", jukinet.KindInvalid, jukinet.Field("destination.lg_code"), err)
					}
					in.Destination.LGCode = l
				}
				_, err = c.MoveOut(ctx, in)
				return err
			}},
		{Slug: "death", Op: jukinet.OpDeath, Title: "死亡届", Help: "住民票を消除し、除票として保存します。",
			Fields: []formField{{"date", "死亡日", "date", dateHint, true, nil}},
			Submit: func(ctx context.Context, c Counter, r register.Resident, f url.Values) error {
				code := r.ResidentCode
				d, err := dateOf(f, "date")
				if err != nil {
					return err
				}
				_, err = c.Death(ctx, register.DeathInput{ResidentCode: code, Date: d})
				return err
			}},
		{Slug: "name", Op: jukinet.OpNameChange, Title: "氏名の変更", Help: "戸籍の届出に基づき氏名を変更します。",
			Fields: []formField{{"name.kanji", "新しい氏名", "text", "姓と名の間は空白", true, nil}, {"name.kana", "ふりがな", "text", "", true, nil},
				{"date", "変更日", "date", dateHint, true, nil}},
			Submit: func(ctx context.Context, c Counter, r register.Resident, f url.Values) error {
				code := r.ResidentCode
				d, err := dateOf(f, "date")
				if err != nil {
					return err
				}
				_, err = c.NameChange(ctx, code, jukinet.Name{Kanji: strings.TrimSpace(f.Get("name.kanji")), Kana: strings.TrimSpace(f.Get("name.kana"))}, d)
				return err
			}},
	}
}

func eventBySlug(slug string) (event, bool) {
	for _, e := range events() {
		if e.Slug == slug {
			return e, true
		}
	}
	return event{}, false
}

func eventTitle(slug string) string {
	switch slug {
	case "move-in":
		return "転入届"
	case "special-move-in":
		return "特例転入"
	case "card-issue":
		return "個人番号カードの交付"
	case "move-in-abroad":
		return "国外転入"
	case "ex-officio-add":
		return "職権記載"
	}
	e, _ := eventBySlug(slug)
	return e.Title
}

type eventData struct {
	Event    event
	Resident register.Resident
	Values   url.Values
	Errors   fieldErrors
	Message  string
}

// eventSlug is the last path element: /residents/{code}/{slug}.
func eventSlug(r *http.Request) string {
	return r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
}

func (s *server) eventResident(r *http.Request, ev event) (register.Resident, error) {
	code := r.PathValue("code")
	if _, err := jukinet.ParseResidentCode(code); err != nil {
		return register.Resident{}, jukinet.E("web.event", jukinet.KindNotFound, "住民票コードが正しくありません")
	}
	recs, err := s.cfg.Counter.Get(r.Context(), jukinet.ResidentCode(code), ev.Title+"の受付")
	if err != nil {
		return register.Resident{}, err
	}
	if len(recs) == 0 || recs[0].Status != register.StatusCurrent {
		return register.Resident{}, jukinet.E("web.event", jukinet.KindConflict, "この住民票は消除されています")
	}
	return recs[0], nil
}

func (s *server) eventForm(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Counter == nil {
		return errUnavailable
	}
	ev, _ := eventBySlug(eventSlug(r))
	res, err := s.eventResident(r, ev)
	if err != nil {
		return err
	}
	if ev, err = ev.withMore(r.Context(), s.cfg.Counter, res); err != nil {
		return err
	}
	return s.render(w, r, "event", eventData{Event: ev, Resident: res, Values: url.Values{}})
}

func (s *server) eventSubmit(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Counter == nil {
		return errUnavailable
	}
	ev, _ := eventBySlug(eventSlug(r))
	if err := r.ParseForm(); err != nil {
		return jukinet.E("web.event", jukinet.KindInvalid, "フォームを読み取れません")
	}
	res, err := s.eventResident(r, ev)
	if err != nil {
		return err
	}
	if ev, err = ev.withMore(r.Context(), s.cfg.Counter, res); err != nil {
		return err
	}
	code := res.ResidentCode
	if ev.SubmitTo != nil {
		code, err = ev.SubmitTo(r.Context(), s.cfg.Counter, res, r.PostForm)
	} else {
		err = ev.Submit(r.Context(), s.cfg.Counter, res, r.PostForm)
	}
	if err == nil {
		http.Redirect(w, r, "/residents/"+string(code)+"?"+url.Values{"purpose": {ev.Title + "の記載確認"}, "done": {ev.Slug}}.Encode(), http.StatusSeeOther)
		return nil
	}
	fe, msg, ok := placeError(err, ev.inputs())
	if !ok {
		switch jukinet.ErrorKind(err) {
		case jukinet.KindConflict, jukinet.KindNotFound:
			// The register's state refuses (a householder with members, an
			// unknown household): the counter corrects it on the form.
			fe, msg = nil, ruleOf(err)
			if f, found := fieldFor(jukinet.ErrorField(err), ev.inputs()); found {
				fe, msg = fieldErrors{f: msg}, ""
			}
		default:
			return err
		}
	}
	w.WriteHeader(statusOf(err))
	return s.render(w, r, "event", eventData{Event: ev, Resident: res, Values: r.PostForm, Errors: fe, Message: msg})
}

type oplogData struct {
	Query   url.Values
	Entries []oplog.Entry
	Errors  fieldErrors
	Message string
	Ran     bool
	Size    int    // records a page shows
	First   int    // the number (1-based, newest first) of the page's first record
	Last    int    // and of its last
	More    bool   // more records match than this page and those before it
	Prev    string // the link to the previous page, if any
	Next    string // the link to the next page, if any
}

// oplogPageSize is how many records one page of the log search shows
// unless the query asks for another number (limit, at most 1,000).
const oplogPageSize = 200

// oplogPageLink is the log search's URL at page n (1-based).
func oplogPageLink(q url.Values, n int) string {
	v := url.Values{}
	for k, vs := range q {
		v[k] = vs
	}
	v.Set("page", strconv.Itoa(n))
	return "/admin/oplog?" + v.Encode()
}

// oplogFilter reads the log search's conditions from q.
func oplogFilter(q url.Values) (oplog.Filter, error) {
	f := oplog.Filter{CollationID: strings.TrimSpace(q.Get("collation_id")), Resident: strings.TrimSpace(q.Get("resident")),
		Operation: strings.TrimSpace(q.Get("operation")), Terminal: strings.TrimSpace(q.Get("terminal")), Limit: oplogPageSize}
	for _, b := range []struct {
		name string
		to   *time.Time
		add  int
	}{{"from", &f.From, 0}, {"to", &f.To, 1}} {
		if v := strings.TrimSpace(q.Get(b.name)); v != "" {
			dt, err := jukinet.ParseDate(b.name, v)
			if err != nil {
				return f, err
			}
			*b.to = dt.AddDays(b.add).Time()
		}
	}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 && n <= 1000 {
		f.Limit = n
	}
	return f, nil
}

// oplogSearch is the operation-log search of the admin console (G15), a
// page at a time, newest first: a page past the first reads the records
// before it again (each search is recorded, as any), and when more records
// match than the page shows, the page says so and links to the next.
func (s *server) oplogSearch(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Admin == nil {
		return errUnavailable
	}
	q := r.URL.Query()
	d := oplogData{Query: q}
	if len(q) == 0 {
		return s.render(w, r, "oplog", d)
	}
	f, err := oplogFilter(q)
	page := 1
	if err == nil {
		page, err = searchPageOf(q)
	}
	if err == nil && page*f.Limit >= 100000 {
		err = jukinet.E("web.oplogSearch", jukinet.KindInvalid, jukinet.Field("page"), "ページの指定が正しくありません")
	}
	if err != nil {
		d.Errors, _, _ = formError(err)
		if msg, ok := d.Errors["page"]; ok {
			d.Errors, d.Message = nil, msg // no input of its own: above the form
		}
		w.WriteHeader(statusInvalid)
		return s.render(w, r, "oplog", d)
	}
	d.Size = f.Limit
	f.Limit = page*d.Size + 1 // one more than the pages so far: are there more?
	entries, err := s.cfg.Admin.QueryLog(r.Context(), f)
	if err != nil {
		if fe, msg, ok := formError(err); ok {
			d.Errors, d.Message = fe, msg
			w.WriteHeader(statusInvalid)
			return s.render(w, r, "oplog", d)
		}
		return err
	}
	start := min((page-1)*d.Size, len(entries))
	d.Entries, d.Ran = entries[start:min(start+d.Size, len(entries))], true
	d.First, d.Last, d.More = start+1, start+len(d.Entries), len(entries) > page*d.Size
	if page > 1 {
		d.Prev = oplogPageLink(q, page-1)
	}
	if d.More {
		d.Next = oplogPageLink(q, page+1)
	}
	return s.render(w, r, "oplog", d)
}

func (s *server) registers(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Admin == nil {
		return errUnavailable
	}
	b, err := s.cfg.Admin.Registers(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, "registers", b)
}

// registersCSV exports one register (管理簿, G13.4) as CSV.
func (s *server) registersCSV(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Admin == nil {
		return errUnavailable
	}
	which := r.URL.Query().Get("which")
	if which != access.CSVCollation && which != access.CSVOperator && which != access.CSVHistory {
		return jukinet.Errorf("web.registersCSV", jukinet.KindInvalid, "which", "must be %s, %s or %s", access.CSVCollation, access.CSVOperator, access.CSVHistory)
	}
	b, err := s.cfg.Admin.Registers(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+which+`.csv"`)
	return b.WriteCSV(w, which)
}

type networkData struct {
	Status   network.StatusReport
	Refusals []network.RefusalCount // of the last 24 hours
}

func (s *server) networkStatus(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Admin == nil {
		return errUnavailable
	}
	st, err := s.cfg.Admin.NetworkStatus(r.Context())
	if err != nil {
		return err
	}
	refused, err := s.cfg.Admin.NetworkRefusals(r.Context(), s.cfg.Now().Add(-24*time.Hour))
	if err != nil {
		return err
	}
	return s.render(w, r, "network", networkData{Status: st, Refusals: refused})
}

func (s *server) compliance(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Admin == nil {
		return errUnavailable
	}
	rep, err := s.cfg.Admin.Compliance(r.Context(), jukinet.Today(s.cfg.Now()))
	if err != nil {
		return err
	}
	return s.render(w, r, "compliance", struct{ Report compliance.Report }{rep})
}
