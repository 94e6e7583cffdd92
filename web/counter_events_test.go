package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/register"
)

// family records a household at address: a head moved in from abroad and
// n-1 children born into it; the head comes first.
func (fx *fixture) family(t *testing.T, ctx context.Context, address string, n int) []register.Resident {
	t.Helper()
	today := jukinet.Today(time.Now())
	head, err := fx.reg.MoveInFromAbroad(ctx, register.MoveInInput{PersonInput: register.PersonInput{Name: jukinet.Name{Kanji: "世帯 花子", Kana: "セタイ ハナコ"},
		BirthDate: today.AddDays(-15000), Sex: jukinet.SexFemale}, MoveInDate: today, PreviousAddress: jukinet.Address{Text: "カナダ"}, AddressText: address})
	if err != nil {
		t.Fatalf("family at %s: head: %v", address, err)
	}
	out := []register.Resident{*head}
	for i := 1; i < n; i++ {
		c, err := fx.reg.Birth(ctx, register.BirthInput{PersonInput: register.PersonInput{Name: jukinet.Name{Kanji: fmt.Sprintf("世帯 子%d", i), Kana: "セタイ コ"},
			BirthDate: today.AddDays(-i), Sex: jukinet.SexMale}, Household: register.HouseholdChoice{ID: head.HouseholdID, Relationship: "子"}})
		if err != nil {
			t.Fatalf("family at %s: child %d: %v", address, i, err)
		}
		out = append(out, *c)
	}
	return out
}

// current is the current record of code (fatal if none).
func (fx *fixture) current(t *testing.T, ctx context.Context, code jukinet.ResidentCode) register.Resident {
	t.Helper()
	recs, err := fx.reg.Get(ctx, code, "test")
	if err != nil || len(recs) == 0 {
		t.Fatalf("Get(%s): %v", code, err)
	}
	return recs[0]
}

// TestCounterHouseholdEvents records each remaining register event through
// its form: a bad submission keeps the form with the message next to the
// input at fault (aria-invalid, role=alert), a good one changes the register
// and shows the 住民票.
func TestCounterHouseholdEvents(t *testing.T) {
	fx := newFixture(t, 0)
	tok := fx.session(t, "C-CLERK", "OP-CLERK-record")
	ctx := jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: "C-CLERK", OperatorID: "OP-CLERK-record", Authority: jukinet.AuthorityRecord, Terminal: demo.TerminalID})
	today := jukinet.Today(time.Now()).String()
	split := fx.family(t, ctx, "山口県防府市寿町1番1号", 3)
	mergeFrom := fx.family(t, ctx, "山口県防府市寿町2番2号", 2)
	mergeInto := fx.family(t, ctx, "山口県防府市寿町2番2号", 1)
	changeFrom := fx.family(t, ctx, "山口県防府市寿町3番3号", 2)
	changeInto := fx.family(t, ctx, "山口県防府市寿町3番3号", 1)
	single := fx.family(t, ctx, "山口県防府市寿町4番4号", 1)[0]
	removed := fx.family(t, ctx, "山口県防府市寿町5番5号", 1)[0]
	renumbered := fx.family(t, ctx, "山口県防府市寿町6番6号", 1)[0]
	at := func(r register.Resident, slug string) string {
		return "/residents/" + string(r.ResidentCode) + "/" + slug
	}
	rel := func(r register.Resident) string { return "relationship." + string(r.ResidentCode) }
	person := url.Values{"name.kanji": {"新規 太郎"}, "name.kana": {"シンキ タロウ"}, "birth_date": {"1990-01-02"}, "sex": {"1"},
		"move_in_date": {today}, "address_text": {"山口県防府市寿町7番7号"}}
	with := func(v url.Values, kv ...string) url.Values {
		out := url.Values{}
		for k, vs := range v {
			out[k] = vs
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	for _, tc := range []struct {
		name, path string
		bad        url.Values
		badField   string
		good       url.Values
		check      func(t *testing.T, loc string)
	}{
		{"世帯分離 with two members", at(split[1], "split"),
			url.Values{"date": {today}, "member." + string(split[2].ResidentCode): {"on"}}, rel(split[2]),
			url.Values{"date": {today}, "member." + string(split[2].ResidentCode): {"on"}, rel(split[2]): {"兄"}},
			func(t *testing.T, loc string) {
				b, c := fx.current(t, ctx, split[1].ResidentCode), fx.current(t, ctx, split[2].ResidentCode)
				if b.Relationship != "世帯主" || c.HouseholdID != b.HouseholdID || c.Relationship != "兄" || b.HouseholdID == split[0].HouseholdID {
					t.Errorf("after 世帯分離: B %s/%s, C %s/%s; want B head of a new household with C as 兄", b.HouseholdID, b.Relationship, c.HouseholdID, c.Relationship)
				}
			}},
		{"世帯合併", at(mergeFrom[0], "merge"),
			url.Values{"into": {mergeInto[0].HouseholdID}, "date": {today}, rel(mergeFrom[0]): {"妹"}}, rel(mergeFrom[1]),
			url.Values{"into": {mergeInto[0].HouseholdID}, "date": {today}, rel(mergeFrom[0]): {"妹"}, rel(mergeFrom[1]): {"甥"}},
			func(t *testing.T, loc string) {
				for _, m := range mergeFrom {
					if r := fx.current(t, ctx, m.ResidentCode); r.HouseholdID != mergeInto[0].HouseholdID {
						t.Errorf("after 世帯合併: %s in household %s, want %s", m.ResidentCode, r.HouseholdID, mergeInto[0].HouseholdID)
					}
				}
			}},
		{"世帯合併 into an unknown household", at(single, "merge"),
			url.Values{"into": {"no-such-household"}, "date": {today}, rel(single): {"妹"}}, "into", nil, nil},
		{"世帯変更", at(changeFrom[1], "household-change"),
			url.Values{"into": {changeInto[0].HouseholdID}, "relationship": {"世帯主"}, "date": {today}}, "relationship",
			url.Values{"into": {changeInto[0].HouseholdID}, "relationship": {"同居人"}, "date": {today}},
			func(t *testing.T, loc string) {
				if r := fx.current(t, ctx, changeFrom[1].ResidentCode); r.HouseholdID != changeInto[0].HouseholdID || r.Relationship != "同居人" {
					t.Errorf("after 世帯変更: %s/%s, want %s/同居人", r.HouseholdID, r.Relationship, changeInto[0].HouseholdID)
				}
			}},
		{"世帯変更 into a household at another address", at(changeFrom[0], "household-change"),
			url.Values{"into": {mergeInto[0].HouseholdID}, "relationship": {"同居人"}, "date": {today}}, "into", nil, nil},
		{"旧氏の記載", at(single, "former-surname"),
			url.Values{"date": {today}}, "name.former_surname",
			url.Values{"name.former_surname": {"旧田"}, "name.former_surname_kana": {"キュウタ"}, "date": {today}},
			func(t *testing.T, loc string) {
				if r := fx.current(t, ctx, single.ResidentCode); r.Name.FormerSurname != "旧田" {
					t.Errorf("after 旧氏の記載: %q, want 旧田", r.Name.FormerSurname)
				}
			}},
		{"旧氏の削除", at(single, "former-surname"),
			url.Values{"delete": {"on"}, "name.former_surname": {"旧田"}, "date": {today}}, "name.former_surname",
			url.Values{"delete": {"on"}, "date": {today}},
			func(t *testing.T, loc string) {
				if r := fx.current(t, ctx, single.ResidentCode); r.Name.FormerSurname != "" {
					t.Errorf("after 旧氏の削除: %q, want none", r.Name.FormerSurname)
				}
			}},
		{"通称の記載", at(single, "alias"),
			url.Values{"name.alias": {"ジョン"}, "name.alias_kana": {"john"}, "date": {today}}, "name.alias_kana",
			url.Values{"name.alias": {"山田 ジョン"}, "name.alias_kana": {"ヤマダ ジョン"}, "date": {today}},
			func(t *testing.T, loc string) {
				if r := fx.current(t, ctx, single.ResidentCode); r.Name.Alias != "山田 ジョン" {
					t.Errorf("after 通称の記載: %q, want 山田 ジョン", r.Name.Alias)
				}
			}},
		{"職権消除 (帰化)", at(removed, "remove"),
			url.Values{"date": {today}, "reason": {"203"}}, "reason",
			url.Values{"date": {today}, "reason": {"205"}},
			func(t *testing.T, loc string) {
				if r := fx.current(t, ctx, removed.ResidentCode); r.Status != register.StatusRemoved || r.Removal == nil || r.Removal.Reason != jukinet.ReasonNaturalizationRemove {
					t.Errorf("after 職権消除: status %s removal %+v, want removed by %s", r.Status, r.Removal, jukinet.ReasonNaturalizationRemove)
				}
			}},
		{"住民票コードの変更請求", at(renumbered, "code-change"),
			url.Values{"date": {"2099-01-01"}}, "date", url.Values{"date": {today}},
			func(t *testing.T, loc string) {
				if !strings.HasPrefix(loc, "/residents/") || strings.HasPrefix(loc, "/residents/"+string(renumbered.ResidentCode)) {
					t.Fatalf("after 住民票コードの変更請求: redirect %q, want the new code's 住民票", loc)
				}
				code := jukinet.ResidentCode(strings.TrimPrefix(loc, "/residents/")[:11])
				if r := fx.current(t, ctx, code); r.Name != renumbered.Name {
					t.Errorf("new code %s: %v, want %v", code, r.Name, renumbered.Name)
				}
			}},
		{"国外転入", "/counter/move-in-abroad",
			with(person, "previous_address.text", ""), "previous_address.text",
			with(person, "previous_address.text", "アメリカ合衆国"),
			func(t *testing.T, loc string) {
				if !strings.HasPrefix(loc, "/residents/") || !strings.Contains(loc, "done=move-in-abroad") {
					t.Errorf("after 国外転入: redirect %q, want the new 住民票", loc)
				}
			}},
		{"職権記載 (帰化)", "/counter/ex-officio-add",
			with(person, "reason", "101"), "reason",
			with(person, "reason", "105", "name.kanji", "帰化 花子", "address_text", "山口県防府市寿町8番8号"),
			func(t *testing.T, loc string) {
				code := jukinet.ResidentCode(strings.TrimPrefix(loc, "/residents/")[:11])
				if r := fx.current(t, ctx, code); r.Name.Kanji != "帰化 花子" {
					t.Errorf("after 職権記載: %v, want 帰化 花子", r.Name)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := post(t, fx.handler, tok, tc.path, tc.bad)
			id := fieldIDOf(tc.badField)
			if code < 400 || code >= 500 || !strings.Contains(body, `id="`+id+`-error" role="alert"`) || !strings.Contains(body, `aria-describedby="`+id+`-hint `+id+`-error" aria-invalid="true"`) {
				t.Errorf("POST %s %v: got %d, want 4xx with a message next to %s:\n%s", tc.path, tc.bad, code, tc.badField, excerpt(body))
			}
			if tc.good == nil {
				return
			}
			code, loc, body := post(t, fx.handler, tok, tc.path, tc.good)
			if code != http.StatusSeeOther {
				t.Fatalf("POST %s %v: got %d, want 303:\n%s", tc.path, tc.good, code, excerpt(body))
			}
			tc.check(t, loc)
		})
	}
}

// The 個人番号 request shows on the 住民票 as pending until the number is
// designated: the one a first record (国外転入) makes by itself (番号法7条1項),
// then a clerk's 変更請求; a reason the law does not give is refused.
func TestNumberRequestPendingOnPage(t *testing.T) {
	fx := newFixture(t, 0)
	clerk := jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: "C-CLERK", OperatorID: "OP-CLERK-record", Authority: jukinet.AuthorityRecord, Terminal: demo.TerminalID})
	numberer := jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: "C-NUMBER", OperatorID: "OP-NUMBER-number", Authority: jukinet.AuthorityNumber, Terminal: demo.TerminalID})
	r := fx.family(t, clerk, "山口県防府市寿町9番9号", 1)[0]
	tok := fx.session(t, "C-NUMBER", "OP-NUMBER-number")
	page := func() string {
		t.Helper()
		code, _, body := get(t, fx.handler, tok, "/residents/"+string(r.ResidentCode)+"?purpose=test")
		if code != http.StatusOK {
			t.Fatalf("GET 住民票: %d", code)
		}
		return body
	}
	if body := page(); !strings.Contains(body, `id="number-request"`) || !strings.Contains(body, "個人番号の職権記載") {
		t.Errorf("after the 国外転入: the page shows no pending request for 個人番号の職権記載")
	}
	today := jukinet.Today(time.Now())
	code, _, body := post(t, fx.handler, tok, "/residents/"+string(r.ResidentCode)+"/number", url.Values{"reason": {"zzz"}, "date": {today.String()}})
	if code == http.StatusSeeOther || !strings.Contains(body, `id="f-reason-error"`) {
		t.Errorf("POST number request with reason zzz: %d; want a refusal naming the reason\n%s", code, excerpt(body))
	}
	code, _, body = post(t, fx.handler, tok, "/residents/"+string(r.ResidentCode)+"/number", url.Values{"reason": {"305"}, "date": {today.String()}})
	if code != http.StatusSeeOther {
		t.Fatalf("POST number request: %d\n%s", code, excerpt(body))
	}
	want := "請求中（" + today.Wareki() + "　個人番号の変更請求"
	if body := page(); !strings.Contains(body, want) {
		t.Errorf("after the request: page lacks %q", want)
	}
	if _, err := fx.reg.DesignateIndividualNumber(numberer, r.ResidentCode, "123456789018", jukinet.ReasonIndividualNumberExOfficioAdd, today); err != nil {
		t.Fatal(err)
	}
	if body := page(); strings.Contains(body, `id="number-request"`) || !strings.Contains(body, "指定済み") {
		t.Errorf("after designation: want 指定済み and no pending request")
	}
}

// get fetches a page as the operator of token.
func get(t *testing.T, h http.Handler, token, path string) (int, string, string) {
	t.Helper()
	req := httptest.NewRequest("GET", "https://terminal"+path, nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: token})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code, w.Header().Get("Location"), w.Body.String()
}
