package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/access"
	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/governance"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// govFixture is 防府市 with the access demo operators, a year of operation
// management (demo.SeedGovernance) and the console over TLS. The role holders
// without an operator in the access demo (the deputy mayor, the head of the
// Citizen Division) get one with the governance authority here.
type govFixture struct {
	auth   *access.Service
	reader *biometric.SyntheticReader
	db     *store.DB
	srv    *httptest.Server
	seed   demo.GovernanceSeedResult
}

const (
	opDeputyMayor = "OP-DEPUTY-MAYOR-governance"
	opCitizenHead = "OP-CITIZEN-HEAD-governance"
	opSysAdmin    = "OP-SYSADM-system_admin"
	opAuditor     = "OP-AUDIT-audit"
	opClerkLookup = "OP-CLERK-lookup"
)

func newGovFixture(t *testing.T) *govFixture {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, store.SQLite, string(demo.Hofu.Code))
	key, err := biometric.NewNodeKey(1, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	reader := biometric.NewSyntheticReader(7, 0.1)
	if _, err := demo.SeedOperators(ctx, db, reader, key); err != nil {
		t.Fatalf("SeedOperators: %v", err)
	}
	ring, _ := access.NewKeyRing(key)
	auth, err := access.New(db, ring, access.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The role holders are demo operators (demo.People).
	seed, err := demo.SeedGovernance(ctx, db, jukinet.Today(db.Now()))
	if err != nil {
		t.Fatalf("SeedGovernance: %v", err)
	}
	h, err := New(Config{Terminal: demo.TerminalID, Title: demo.Hofu.Name, Auth: auth, Admin: NewAdmin(db), Operators: auth,
		Gov: governance.New(db), Demo: true, Now: db.Now, Logf: t.Logf})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewTLSServer(demo.VirtualReader(h, reader))
	t.Cleanup(srv.Close)
	return &govFixture{auth: auth, reader: reader, db: db, srv: srv, seed: seed}
}

// client is a browser without JavaScript: a cookie jar, no redirects
// followed.
func (fx *govFixture) client(t *testing.T) *http.Client {
	t.Helper()
	c := *fx.srv.Client() // a client of its own: each has its own cookie jar
	jar, _ := cookiejar.New(nil)
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// login performs the demo login: 仮想リーダー for the 照合ID, then the choice
// of the 操作者ID.
func (fx *govFixture) login(t *testing.T, collationID, operatorID string) *http.Client {
	t.Helper()
	c := fx.client(t)
	if resp := fx.post(t, c, "/login/reader", url.Values{"collation_id": {collationID}}); resp.status != http.StatusOK {
		t.Fatalf("login %s: reader: got %d, want 200", collationID, resp.status)
	}
	resp := fx.post(t, c, "/login/choose", url.Values{"operator_id": {operatorID}})
	if resp.status != http.StatusSeeOther || resp.location != "/" {
		t.Fatalf("login %s as %s: got %d → %q, want 303 → /", collationID, operatorID, resp.status, resp.location)
	}
	return c
}

type answer struct {
	status   int
	location string
	ctype    string
	body     string
}

func (fx *govFixture) do(t *testing.T, c *http.Client, req *http.Request) answer {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Content-Type"), string(b)}
}

func (fx *govFixture) get(t *testing.T, c *http.Client, path string) answer {
	t.Helper()
	req, _ := http.NewRequest("GET", fx.srv.URL+path, nil)
	return fx.do(t, c, req)
}

func (fx *govFixture) post(t *testing.T, c *http.Client, path string, form url.Values) answer {
	t.Helper()
	req, _ := http.NewRequest("POST", fx.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return fx.do(t, c, req)
}

func (fx *govFixture) postJSON(t *testing.T, c *http.Client, path, body string) answer {
	t.Helper()
	req, _ := http.NewRequest("POST", fx.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return fx.do(t, c, req)
}

func (fx *govFixture) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := fx.db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestGovPages(t *testing.T) {
	fx := newGovFixture(t)
	gm := fx.login(t, demo.DemoDeputyMayor, opDeputyMayor)
	sys := fx.login(t, demo.DemoSysAdmin, opSysAdmin)
	auditor := fx.login(t, demo.DemoAuditor, opAuditor)
	clerk := fx.login(t, demo.DemoClerk, opClerkLookup)
	today := jukinet.Today(fx.db.Now())
	cases := []struct {
		name   string
		client *http.Client
		path   string
		status int
		want   []string // present in the body
		absent []string
	}{
		{"index for the GM", gm, "/admin/gov", 200, []string{`href="/admin/gov/council"`, `href="/admin/gov/cases"`}, nil},
		{"roles for the GM", gm, "/admin/gov/roles", 200, []string{demo.DemoDeputyMayor, "セキュリティ統括責任者", `id="act-assign-role"`, today.Wareki()}, nil},
		{"council for the GM", gm, "/admin/gov/council", 200, []string{"第2回 住基ネットセキュリティ会議", "(4) 研修", `id="act-convene"`, `id="act-decide"`}, nil},
		{"instructions for the GM", gm, "/admin/gov/instructions", 200, []string{`id="gov-instructions"`, `id="act-instruct"`, `id="act-respond"`}, nil},
		{"cases for the GM", gm, "/admin/gov/cases", 200, []string{fx.seed.CaseID, "深夜帯の連続照会", `id="act-case-judge"`}, nil},
		{"rooms for the GM: lists, no forms", gm, "/admin/gov/rooms", 200, []string{"V-ENGINEER-01", `id="gov-alerts"`}, []string{`id="act-room-authorize"`}},
		{"assets for the GM", gm, "/admin/gov/assets", 200, []string{`id="gov-handlers"`, `id="act-asset"`}, []string{`id="act-designate-handler"`}},
		{"outsourcing for the GM", gm, "/admin/gov/outsourcing", 200, []string{fx.seed.OutsourcingID, "株式会社周防システム", `id="act-approve"`, "(2) 資料の保管、返還又は廃棄"}, nil},
		{"rooms for the System Administrator", sys, "/admin/gov/rooms", 200, []string{`id="act-room-authorize"`, `id="act-room-manual"`, `id="act-alert-answer"`}, nil},
		{"outsourcing for the System Administrator: no approval", sys, "/admin/gov/outsourcing", 200, []string{`id="act-check-contract"`}, []string{`id="act-approve"`}},
		{"prints for a clerk", clerk, "/admin/gov/prints", 200, []string{`id="act-print"`, `id="gov-prints"`}, nil},
		{"roles for the auditor: read only", auditor, "/admin/gov/roles", 200, []string{demo.DemoDeputyMayor}, []string{`id="act-assign-role"`}},
		{"cases refused to the auditor", auditor, "/admin/gov/cases", 403, []string{"権限がありません"}, []string{fx.seed.CaseID}},
		{"council refused to a clerk", clerk, "/admin/gov/council", 403, []string{"この操作（遵守状況の報告）の権限がありません"}, []string{"第2回"}},
		{"instructions refused to the auditor", auditor, "/admin/gov/instructions", 403, nil, nil},
		{"no session", fx.client(t), "/admin/gov/roles", 303, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := fx.get(t, tc.client, tc.path)
			if got.status != tc.status {
				t.Fatalf("GET %s: got %d, want %d\n%s", tc.path, got.status, tc.status, got.body)
			}
			for _, w := range tc.want {
				if !strings.Contains(got.body, w) {
					t.Errorf("GET %s: body lacks %q", tc.path, w)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(got.body, a) {
					t.Errorf("GET %s: body has %q, want it absent", tc.path, a)
				}
			}
			if tc.status == 303 && !strings.HasPrefix(got.location, "/login") {
				t.Errorf("GET %s without a session: Location %q, want /login", tc.path, got.location)
			}
		})
	}
}

func TestGovFormActs(t *testing.T) {
	fx := newGovFixture(t)
	gm := fx.login(t, demo.DemoDeputyMayor, opDeputyMayor)
	head := fx.login(t, demo.DemoCitizenHead, opCitizenHead) // holds roles, but not the chair's
	sys := fx.login(t, demo.DemoSysAdmin, opSysAdmin)
	today := jukinet.Today(fx.db.Now())
	convene := url.Values{"held_on": {today.String()}, "title": {"臨時会議"},
		"members[0].role": {"security_general_manager"}, "members[0].present": {"on"},
		"members[1].role": {"system_administrator"}, "members[1].present": {"on"},
		"members[2].role": {"security_manager"}, "members[2].present": {"on"},
		"items[0].category": {"measures"}, "items[0].title": {"緊急の対策"}}
	without := func(v url.Values, drop string, set ...string) url.Values {
		out := url.Values{}
		for k, vs := range v {
			if k != drop {
				out[k] = vs
			}
		}
		for i := 0; i+1 < len(set); i += 2 {
			out.Set(set[i], set[i+1])
		}
		return out
	}
	clauses := url.Values{"outsourcing_id": {fx.seed.OutsourcingID}, "checked_on": {today.String()},
		"clauses.subcontracting": {"第8条"}, "clauses.other_use": {"第10条"}, "clauses.confidentiality": {"第11条"}, "clauses.accident_report": {"第12条"}}
	cases := []struct {
		name      string
		client    *http.Client
		path      string
		form      url.Values
		table     string
		status    int
		errorID   string // the input the message is next to
		wantInMsg string
	}{
		{"convene by a role holder who is not the chair", head, "/admin/gov/council/convene", convene, "gov_meetings", 403, "g-convene-actor-error", "security_general_manager"},
		{"absent member without a reason", gm, "/admin/gov/council/convene", without(convene, "members[1].present"), "gov_meetings", 400, "g-convene-members-1-absence-reason-error", "欠席"},
		{"agenda item without a category", gm, "/admin/gov/council/convene", without(convene, "items[0].category"), "gov_meetings", 400, "g-convene-items-0-category-error", ""},
		{"held_on not a date", gm, "/admin/gov/council/convene", without(convene, "", "held_on", "令和99年13月1日"), "gov_meetings", 400, "g-convene-held-on-error", ""},
		{"contract missing clause (2)", gm, "/admin/gov/outsourcing/check-contract", clauses, "gov_contract_clauses", 400, "g-check-contract-clauses-materials-error", "materials"},
		{"manual entry of someone without authorization", sys, "/admin/gov/rooms/room-manual", url.Values{"room": {"computer_room"}, "collation_id": {"V-NOBODY"}, "direction": {"in"},
			"at": {time.Now().In(jukinet.JST).Format("2006-01-02 15:04")}, "reason": {"読取装置の故障"}}, "gov_room_authorizations", 403, "g-room-manual-collation-id-error", "V-NOBODY"},
		{"manual entry with a bad time", sys, "/admin/gov/rooms/room-manual", url.Values{"room": {"computer_room"}, "collation_id": {demo.DemoSysAdmin}, "direction": {"in"},
			"at": {"昨日の夜"}, "reason": {"読取装置の故障"}}, "gov_room_events", 400, "g-room-manual-at-error", ""},
		{"approval by the System Administrator: the policy refuses", sys, "/admin/gov/outsourcing/approve", url.Values{"outsourcing_id": {fx.seed.OutsourcingID}, "approved_on": {today.String()}},
			"gov_outsourcing", 403, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := fx.count(t, tc.table)
			got := fx.post(t, tc.client, tc.path, tc.form)
			if got.status != tc.status {
				t.Fatalf("POST %s %v: got %d, want %d\n%s", tc.path, tc.form, got.status, tc.status, got.body)
			}
			if tc.errorID != "" && !strings.Contains(got.body, `id="`+tc.errorID+`"`) {
				t.Errorf("POST %s: no message next to the input (want id %q)\n%s", tc.path, tc.errorID, got.body)
			}
			if tc.wantInMsg != "" && !strings.Contains(got.body, tc.wantInMsg) {
				t.Errorf("POST %s: body lacks %q", tc.path, tc.wantInMsg)
			}
			if after := fx.count(t, tc.table); after != before {
				t.Errorf("POST %s refused: %s rows %d → %d, want unchanged", tc.path, tc.table, before, after)
			}
		})
	}

	t.Run("refused form keeps what was typed", func(t *testing.T) {
		got := fx.post(t, head, "/admin/gov/council/convene", convene)
		if !strings.Contains(got.body, `value="臨時会議"`) {
			t.Errorf("refused convene: the title typed is not in the form again")
		}
	})
	t.Run("convene by the GM", func(t *testing.T) {
		before := fx.count(t, "gov_meetings")
		got := fx.post(t, gm, "/admin/gov/council/convene", convene)
		if got.status != http.StatusSeeOther || !strings.HasPrefix(got.location, "/admin/gov/council?done=convene") {
			t.Fatalf("POST convene by the GM: got %d → %q, want 303 → /admin/gov/council?done=convene\n%s", got.status, got.location, got.body)
		}
		if after := fx.count(t, "gov_meetings"); after != before+1 {
			t.Errorf("convene by the GM: gov_meetings %d → %d, want +1", before, after)
		}
		page := fx.get(t, gm, got.location)
		if !strings.Contains(page.body, "臨時会議") || !strings.Contains(page.body, `id="gov-done"`) {
			t.Errorf("GET %s: the new meeting or the confirmation is missing", got.location)
		}
	})
	t.Run("case opened from an oplog finding's indices", func(t *testing.T) {
		page := fx.get(t, gm, "/admin/gov/cases?prefill=case-open&source=oplog_report&evidence=3,4")
		if !strings.Contains(page.body, `value="3,4"`) {
			t.Fatalf("GET cases?prefill=case-open: the indices are not prefilled")
		}
		got := fx.post(t, gm, "/admin/gov/cases/case-open", url.Values{"opened_on": {today.Wareki()},
			"source": {"oplog_report"}, "summary": {"照会の集中"}, "evidence": {"3, 4"}})
		if got.status != http.StatusSeeOther {
			t.Fatalf("POST case-open: got %d, want 303\n%s", got.status, got.body)
		}
		id, _ := url.ParseQuery(strings.TrimPrefix(got.location, "/admin/gov/cases?"))
		var n int
		if err := fx.db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM gov_misuse_log_refs WHERE case_id = $1`, id.Get("id")).Scan(&n); err != nil || n != 2 {
			t.Errorf("case %q: %d log references (err %v), want 2", id.Get("id"), n, err)
		}
	})
}

func TestGovAPI(t *testing.T) {
	fx := newGovFixture(t)
	gm := fx.login(t, demo.DemoDeputyMayor, opDeputyMayor)
	head := fx.login(t, demo.DemoCitizenHead, opCitizenHead)
	sys := fx.login(t, demo.DemoSysAdmin, opSysAdmin)
	today := jukinet.Today(fx.db.Now())

	t.Run("round trip", func(t *testing.T) {
		body := `{"title":"窓口端末の更新","contractor":"株式会社テスト","content":"端末の入替","reason":"老朽化","protection_terms":"秘密保持","requested_on":"` + today.String() + `"}`
		got := fx.postJSON(t, sys, "/api/gov/outsource", body)
		if got.status != 200 || !strings.HasPrefix(got.ctype, "application/json") {
			t.Fatalf("POST /api/gov/outsource: got %d %s, want 200 JSON\n%s", got.status, got.ctype, got.body)
		}
		var out struct{ ID string }
		if err := json.Unmarshal([]byte(got.body), &out); err != nil || out.ID == "" {
			t.Fatalf("POST /api/gov/outsource: body %s: no id (%v)", got.body, err)
		}
		var title string
		if err := fx.db.Bookkeeping(store.Inspect).QueryRow(`SELECT title FROM gov_outsourcing WHERE id = $1`, out.ID).Scan(&title); err != nil || title != "窓口端末の更新" {
			t.Errorf("outsourcing %s: title %q (err %v), want 窓口端末の更新", out.ID, title, err)
		}
		roles := fx.get(t, gm, "/api/gov/roles")
		var h []governance.RoleHolding
		if err := json.Unmarshal([]byte(roles.body), &h); roles.status != 200 || err != nil || len(h) < 7 {
			t.Errorf("GET /api/gov/roles: %d, %d holdings (err %v), want 200 and ≥ 7", roles.status, len(h), err)
		}
	})

	meeting := `{"held_on":"` + today.String() + `","title":"API会議","members":[{"role":"security_general_manager","present":true},{"role":"system_administrator","present":true},{"role":"security_manager","present":true}],"items":[{"category":"audit","title":"監査"}]}`
	cases := []struct {
		name        string
		client      *http.Client
		path, body  string
		status      int
		kind, field string
	}{
		{"wrong role holder", head, "/api/gov/convene", meeting, 403, "forbidden", "actor"},
		{"invalid field", gm, "/api/gov/convene", strings.Replace(meeting, `"audit"`, `"gossip"`, 1), 400, "invalid", "items[0].category"},
		{"unknown field", gm, "/api/gov/convene", strings.Replace(meeting, `"title":"API会議"`, `"titel":"API会議"`, 1), 400, "invalid", "json"},
		{"two objects", gm, "/api/gov/convene", meeting + meeting, 400, "invalid", "json"},
		{"not JSON", gm, "/api/gov/minutes", "<xml/>", 400, "invalid", "json"},
		{"unknown item", gm, "/api/gov/decide", `{"item_id":"nope","decision":"可","decided_on":"` + today.String() + `"}`, 404, "not_found", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := fx.count(t, "gov_meetings")
			got := fx.postJSON(t, tc.client, tc.path, tc.body)
			var e apiError
			if err := json.Unmarshal([]byte(got.body), &e); err != nil {
				t.Fatalf("POST %s: body %q is not an error object: %v", tc.path, got.body, err)
			}
			if got.status != tc.status || e.Kind != tc.kind || (tc.field != "" && e.Field != tc.field) || e.Message == "" {
				t.Errorf("POST %s %s: got %d %+v, want %d kind %s field %q", tc.path, tc.body, got.status, e, tc.status, tc.kind, tc.field)
			}
			if after := fx.count(t, "gov_meetings"); after != before {
				t.Errorf("POST %s refused: gov_meetings %d → %d, want unchanged", tc.path, before, after)
			}
		})
	}
	t.Run("policy refusal and no session", func(t *testing.T) {
		if got := fx.postJSON(t, sys, "/api/gov/convene", meeting); got.status != 403 {
			t.Errorf("POST /api/gov/convene as system_admin: got %d, want 403", got.status)
		}
		if got := fx.postJSON(t, fx.client(t), "/api/gov/convene", meeting); got.status != 401 {
			t.Errorf("POST /api/gov/convene without a session: got %d, want 401", got.status)
		}
		if got := fx.postJSON(t, gm, "/api/gov/convene", string(bytes.Repeat([]byte(" "), maxGovBody+1))); got.status != 413 {
			t.Errorf("POST /api/gov/convene with a body over 1 MiB: got %d, want 413", got.status)
		}
	})
}

// TestGovFormsMatchActs checks that every form names an act with the same
// fields as its request type, so the form, the API and the CLI agree.
func TestGovFormsMatchActs(t *testing.T) {
	for _, p := range govPages() {
		for _, f := range p.Forms {
			t.Run(p.Slug+"/"+f.Act, func(t *testing.T) {
				if _, ok := govActByName(f.Act); !ok {
					t.Fatalf("form %s: no act %q", p.Slug, f.Act)
				}
				vals := url.Values{}
				for _, fd := range f.Fields {
					switch fd.Kind {
					case "date":
						vals.Set(fd.Name, "2025-04-01")
					case "datetime":
						vals.Set(fd.Name, "2025-04-01 10:00")
					case "check":
						vals.Set(fd.Name, "on")
					case "int", "indices":
						vals.Set(fd.Name, "1")
					case "select":
						vals.Set(fd.Name, fd.Options[len(fd.Options)-1].Value)
					default:
						vals.Set(fd.Name, "x")
					}
				}
				body, err := formBody(f, vals)
				if err != nil {
					t.Fatalf("formBody(%s): %v", f.Act, err)
				}
				// The act's decoder refuses unknown fields: a form input
				// that is not in the request type fails here.
				act, _ := govActByName(f.Act)
				if _, err := decodeAct(act, body); err != nil {
					t.Errorf("form %s: body %s does not decode: %v", f.Act, body, err)
				}
			})
		}
	}
}

func FuzzGovFormBody(f *testing.F) {
	form := govForm{Act: "convene", Fields: conveneFields()}
	f.Add("items[0].category", "measures", "held_on", "R7.4.1")
	f.Add("items[99].title", "x", "members[0].present", "on")
	f.Add("evidence", "1,2,x", "at", "2025-04-01 10:00")
	convene, _ := governance.ActByName("convene")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		vals := url.Values{k1: {v1}, k2: {v2}}
		body, err := formBody(form, vals)
		if err != nil {
			if jukinet.ErrorKind(err) != jukinet.KindInvalid || jukinet.ErrorField(err) == "" {
				t.Errorf("formBody(%v): error %v, want KindInvalid naming a field", vals, err)
			}
			return
		}
		if _, err := decodeAct(convene, body); err != nil {
			t.Errorf("formBody(%v) = %s, which does not decode: %v", vals, body, err)
		}
	})
}

func FuzzDecodeGov(f *testing.F) {
	f.Add(`{"held_on":"2025-04-01","title":"t","members":[],"items":[]}`)
	f.Add(`{"held_on":"R7.4.1"}`)
	f.Add(`{} {}`)
	f.Add(`{"items":[{"important":"yes"}]}`)
	convene, _ := governance.ActByName("convene")
	f.Fuzz(func(t *testing.T, body string) {
		_, err := decodeAct(convene, []byte(body))
		if err != nil && (jukinet.ErrorKind(err) != jukinet.KindInvalid || jukinet.ErrorField(err) == "") {
			t.Errorf("decodeGov(%q): error %v, want KindInvalid naming a field", body, err)
		}
	})
}

func FuzzSetPath(f *testing.F) {
	f.Add("members[0].role")
	f.Add("a.b[3].c")
	f.Add("x[-1]")
	f.Add("[0]")
	f.Fuzz(func(t *testing.T, path string) {
		root := map[string]any{}
		if err := setPath(root, path, "v"); err == nil {
			if _, err := json.Marshal(root); err != nil {
				t.Errorf("setPath(%q): result does not marshal: %v", path, err)
			}
		}
	})
}

// TestAPIRoutesAreTheRegistry: the JSON API serves exactly the registry's
// acts (governance.Acts), as the command line does: a POST per operator act
// guarded by its operation, a GET per read, nothing for the badge reader's
// system act, and no /api/gov route for anything else.
func TestAPIRoutesAreTheRegistry(t *testing.T) {
	served := map[string]jukinet.Operation{}
	for _, r := range routes() {
		if strings.Contains(r.pattern, " /api/gov/") {
			served[r.pattern] = r.op
		}
	}
	for _, a := range governance.Acts() {
		method := "POST"
		if a.Read {
			method = "GET"
		}
		pattern := method + " /api/gov/" + a.Name
		op, ok := served[pattern]
		switch {
		case a.System && ok:
			t.Errorf("%s is served, but the act %s is the system principal's", pattern, a.Name)
		case !a.System && !ok:
			t.Errorf("the act %s is not served at %s", a.Name, pattern)
		case !a.System && op != guardOp(a.Op):
			t.Errorf("%s is guarded by %q, want the act's operation %q", pattern, op, guardOp(a.Op))
		}
		delete(served, pattern)
	}
	for p := range served {
		t.Errorf("%s serves no act of the registry", p)
	}
}
