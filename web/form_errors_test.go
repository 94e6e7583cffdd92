package web

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// A form with three fields in error shows all three messages at once, each
// next to its input, keeps what was typed, writes nothing, and the refusal
// is recorded (governance.refused) naming the three fields.
func TestFormShowsEveryFieldError(t *testing.T) {
	fx := newGovFixture(t)
	gm := fx.login(t, demo.DemoDeputyMayor, opDeputyMayor)
	today := jukinet.Today(fx.db.Now())
	form := url.Values{"held_on": {today.String()}, "title": {""},
		"members[0].role": {"security_general_manager"}, "members[0].present": {"on"},
		"members[1].role": {"system_administrator"}, "members[1].absence_reason": {""},
		"members[2].role": {"security_manager"}, "members[2].present": {"on"},
		"items[0].category": {"measures"}, "items[0].title": {""}, "items[0].outsourcing_id": {"残す値"}}
	before := fx.count(t, "gov_meetings")
	refusals := len(storetest.Records(t, fx.db, nil))
	got := fx.post(t, gm, "/admin/gov/council/convene", form)
	if got.status != http.StatusBadRequest {
		t.Fatalf("POST convene with three bad fields: %d, want 400\n%s", got.status, got.body)
	}
	for _, id := range []string{"g-convene-title-error", "g-convene-members-1-absence-reason-error", "g-convene-items-0-title-error"} {
		if !strings.Contains(got.body, `id="`+id+`"`) {
			t.Errorf("no message next to the input (want id %q)", id)
		}
	}
	if n := strings.Count(got.body, `role="alert"`); n < 3 {
		t.Errorf("%d messages shown, want the 3 of the 3 fields", n)
	}
	if !strings.Contains(got.body, "欠席の理由を記録してください") || !strings.Contains(got.body, `value="残す値"`) {
		t.Errorf("the absence rule in Japanese or the value typed is missing")
	}
	if after := fx.count(t, "gov_meetings"); after != before {
		t.Errorf("gov_meetings %d → %d, want unchanged", before, after)
	}
	var found bool
	for _, r := range storetest.Records(t, fx.db, nil)[refusals:] {
		if r.Operation == string(jukinet.OpGovRefused) {
			found = strings.Contains(r.Detail, "field=title,members[1].absence_reason,items[0].title")
			if !found {
				t.Errorf("refusal record detail %q, want the three fields", r.Detail)
			}
		}
	}
	if !found {
		t.Errorf("no governance.refused record for the refused form")
	}
}

// The inputs the form itself parses (dates, times, numbers, log indices)
// are all reported at once too, each under its name.
func TestFormBodyReportsEveryInput(t *testing.T) {
	f := govForm{Act: "x", Fields: []govField{dateField("on", "日", true), {Name: "at", Kind: "datetime"},
		{Name: "copies", Kind: "int"}, {Name: "evidence", Kind: "indices"}, text("title", "件名", false)}}
	_, err := formBody(f, url.Values{"on": {"令和99年13月1日"}, "at": {"昨日"}, "copies": {"三"}, "evidence": {"x"}, "title": {"ok"}})
	all := jukinet.AllFieldErrors(err)
	var names []string
	for _, e := range all {
		names = append(names, e.Field)
	}
	if strings.Join(names, ",") != "on,at,copies,evidence" {
		t.Errorf("formBody errors on %v, want on,at,copies,evidence", names)
	}
	fe, general := govFieldErrors(f, err)
	if len(fe) != 4 || general != "" {
		t.Errorf("placed %v, above the form %q; want 4 next to their inputs", fe, general)
	}
}

// The counter's 転入届: three fields the register refuses (a name without
// kanji, a reading with kanji, a birth date in the future) are shown at
// once next to their inputs, the values typed kept, and nothing written;
// three the form itself cannot read are shown at once too.
func TestCounterFormShowsEveryFieldError(t *testing.T) {
	fx := newFixture(t, 0)
	tok := fx.session(t, "C-CLERK", "OP-CLERK-record")
	residents := func() int {
		var n int
		if err := fx.db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM residents`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	code, err := jukinet.NewResidentCode(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	today := jukinet.Today(fx.db.Now())
	good := url.Values{"resident_code": {string(code)}, "name.kanji": {"山口 太郎"}, "name.kana": {"ヤマグチ タロウ"},
		"birth_date": {"1990-04-01"}, "sex": {"1"}, "previous_address.lg_code": {"352012"}, "previous_address.text": {"山口県山口市中央1番1号"},
		"planned_move_out": {today.String()}, "move_in_date": {today.String()}, "address_text": {"山口県防府市新田1番1号"}}
	with := func(kv ...string) url.Values {
		out := url.Values{}
		for k, v := range good {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	for _, tc := range []struct {
		name string
		form url.Values
		ids  []string
		keep string
	}{
		{"the register's rules", with("name.kanji", "", "name.kana", "田中", "birth_date", today.AddDays(3).String()),
			[]string{"f-name-kanji-error", "f-name-kana-error", "f-birth_date-error"}, `value="田中"`},
		{"inputs the form cannot read", with("resident_code", "123", "sex", "", "move_in_date", "令和99年13月1日"),
			[]string{"f-resident_code-error", "f-sex-error", "f-move_in_date-error"}, `value="123"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := residents()
			status, _, body := post(t, fx.handler, tok, "/counter/move-in", tc.form)
			if status != http.StatusBadRequest {
				t.Fatalf("POST /counter/move-in: %d, want 400\n%s", status, body)
			}
			for _, id := range tc.ids {
				if !strings.Contains(body, `id="`+id+`"`) {
					t.Errorf("no message next to the input (want id %q)", id)
				}
			}
			if !strings.Contains(body, tc.keep) {
				t.Errorf("the value typed (%s) is not in the form again", tc.keep)
			}
			if after := residents(); after != before {
				t.Errorf("residents %d → %d, want unchanged", before, after)
			}
		})
	}
}

// The contract check (G19) shows every missing clause at once, each next to
// its input, and writes nothing; the refusal names them all.
func TestContractFormShowsEveryMissingClause(t *testing.T) {
	fx := newGovFixture(t)
	gm := fx.login(t, demo.DemoDeputyMayor, opDeputyMayor)
	form := url.Values{"outsourcing_id": {fx.seed.OutsourcingID}, "checked_on": {jukinet.Today(fx.db.Now()).String()},
		"clauses.subcontracting": {"第8条"}, "clauses.other_use": {"第10条"}, "clauses.confidentiality": {"第11条"}}
	before := fx.count(t, "gov_contract_clauses")
	refusals := len(storetest.Records(t, fx.db, nil))
	got := fx.post(t, gm, "/admin/gov/outsourcing/check-contract", form)
	if got.status != http.StatusBadRequest {
		t.Fatalf("POST check-contract without two clauses: %d, want 400\n%s", got.status, got.body)
	}
	for _, id := range []string{"g-check-contract-clauses-materials-error", "g-check-contract-clauses-accident-report-error"} {
		if !strings.Contains(got.body, `id="`+id+`"`) {
			t.Errorf("no message next to the input (want id %q)", id)
		}
	}
	if after := fx.count(t, "gov_contract_clauses"); after != before {
		t.Errorf("gov_contract_clauses %d → %d, want unchanged", before, after)
	}
	n := 0
	for _, r := range storetest.Records(t, fx.db, nil)[refusals:] {
		if r.Operation == string(jukinet.OpGovRefused) {
			n++
			if !strings.Contains(r.Detail, "field=clauses.materials,clauses.accident_report") {
				t.Errorf("refusal record detail %q, want both clauses", r.Detail)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d governance.refused records, want 1", n)
	}
}

// The console's 操作者ID grant shows every input in error at once (no
// authority, no scope, no decision, no end date), each next to its input,
// and grants nothing.
func TestAssignFormShowsEveryFieldError(t *testing.T) {
	fx := newGovFixture(t)
	admin := fx.login(t, demo.DemoAccessAdmin, demo.OperatorID(demo.DemoAccessAdmin, jukinet.AuthorityAccessAdmin))
	before := fx.count(t, "access_operator_ids")
	got := fx.post(t, admin, "/admin/operators/"+demo.DemoClerk+"/assign", url.Values{"authority": {""}, "scope": {""}, "decision_id": {""}, "valid_until": {"来月"}})
	if got.status != http.StatusBadRequest {
		t.Fatalf("POST assign with four bad inputs: %d, want 400\n%s", got.status, got.body)
	}
	for _, msg := range []string{"権限の種類を選択してください", "適用範囲を入力してください", "決定の番号を入力してください"} {
		if !strings.Contains(got.body, msg) {
			t.Errorf("the message %q is not shown", msg)
		}
	}
	if n := strings.Count(got.body, `role="alert"`); n < 4 {
		t.Errorf("%d messages shown, want the 4 of the 4 inputs", n)
	}
	if after := fx.count(t, "access_operator_ids"); after != before {
		t.Errorf("access_operator_ids %d → %d, want unchanged", before, after)
	}
}

// The JSON API names every field in error too: "fields" lists each with
// its rule, "field" is the first.
func TestAPIRefusalListsEveryField(t *testing.T) {
	fx := newGovFixture(t)
	sys := fx.login(t, demo.DemoSysAdmin, demo.OperatorID(demo.DemoSysAdmin, jukinet.AuthorityGovernance))
	got := fx.postJSON(t, sys, "/api/gov/outsource", `{"title":"委託","contractor":" "}`)
	if got.status != http.StatusBadRequest {
		t.Fatalf("POST /api/gov/outsource with five missing fields: %d %s", got.status, got.body)
	}
	var body struct {
		Field  string `json:"field"`
		Fields []struct{ Field, Message string }
	}
	if err := json.Unmarshal([]byte(got.body), &body); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range body.Fields {
		names = append(names, f.Field)
		if f.Message == "" {
			t.Errorf("field %s without its rule", f.Field)
		}
	}
	if want := "contractor,content,reason,protection_terms,requested_on"; strings.Join(names, ",") != want || body.Field != "contractor" {
		t.Errorf("field %q, fields %v; want contractor and %s", body.Field, names, want)
	}
}
