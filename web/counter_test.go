package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/access"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/register"
)

// post submits a form as the operator of token and returns the response's
// status, Location and body.
func post(t *testing.T, h http.Handler, token, path string, form url.Values) (int, string, string) {
	t.Helper()
	req := httptest.NewRequest("POST", "https://terminal"+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: token})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code, w.Header().Get("Location"), w.Body.String()
}

func (fx *fixture) session(t *testing.T, collationID, operatorID string) string {
	t.Helper()
	s, err := fx.auth.Login(context.Background(), access.LoginRequest{Terminal: demo.TerminalID, CollationID: collationID,
		Reading: fx.reader.Genuine(collationID, 0.05), OperatorID: operatorID})
	if err != nil {
		t.Fatalf("Login %s: %v", collationID, err)
	}
	return s.Token
}

// TestCounterEvents records each new counter event through its form: a bad
// submission puts the message next to the input the register names, a good
// one redirects to the 住民票 and changes the register.
func TestCounterEvents(t *testing.T) {
	fx := newFixture(t, 10)
	tok := fx.session(t, "C-CLERK", "OP-CLERK-record")
	ctx := jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: "C-CLERK", OperatorID: "OP-CLERK-lookup", Authority: jukinet.AuthorityLookup, Terminal: demo.TerminalID})
	people, err := fx.reg.Search(ctx, register.Query{Address: "防府市"}, "test")
	if err != nil || len(people) < 2 {
		t.Fatalf("residents: %d (%v)", len(people), err)
	}
	p := people[0]
	var member register.Resident // not the head of their household
	for _, r := range people[1:] {
		if r.Relationship != "世帯主" && r.HouseholdID != p.HouseholdID {
			member = r
			break
		}
	}
	if member.ResidentCode == "" {
		t.Fatal("no household member who is not the householder in the population")
	}
	today := jukinet.Today(time.Now()).String()
	for _, tc := range []struct {
		name, path string
		bad        url.Values
		badField   string
		good       url.Values
		check      func(t *testing.T, loc string)
	}{
		{"birth", "/residents/" + string(p.ResidentCode) + "/birth",
			url.Values{"name.kanji": {"防府 花"}, "name.kana": {"ホウフ ハナ"}, "birth_date": {today}, "relationship": {"子"}}, "sex",
			url.Values{"name.kanji": {"防府 花"}, "name.kana": {"ホウフ ハナ"}, "birth_date": {today}, "sex": {"2"}, "relationship": {"子"}},
			func(t *testing.T, loc string) {
				h, err := fx.reg.HouseholdOf(ctx, p.HouseholdID, "test")
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, m := range h.Members {
					found = found || m.Name.Kanji == "防府 花"
				}
				if !found {
					t.Errorf("after 出生届: household %s lacks the child", p.HouseholdID)
				}
			}},
		{"ex-officio correction", "/residents/" + string(p.ResidentCode) + "/correct",
			url.Values{"date": {today}, "name.kana": {"abc"}}, "name.kana",
			url.Values{"date": {today}, "address_text": {"山口県防府市寿町9番9号"}},
			func(t *testing.T, loc string) {
				recs, err := fx.reg.Get(ctx, p.ResidentCode, "test")
				if err != nil || recs[0].Address.Text != "山口県防府市寿町9番9号" {
					t.Errorf("after 職権修正: %v (%v), want the new address", recs[0].Address, err)
				}
			}},
		{"householder change", "/residents/" + string(member.ResidentCode) + "/householder",
			url.Values{"date": {today}}, "former_relationship", url.Values{"date": {today}, "former_relationship": {"父"}},
			func(t *testing.T, loc string) {
				recs, err := fx.reg.Get(ctx, member.ResidentCode, "test")
				if err != nil || recs[0].Relationship != "世帯主" {
					t.Errorf("after 世帯主変更: relationship %q (%v), want 世帯主", recs[0].Relationship, err)
				}
			}},
		{"move-in", "/counter/move-in",
			url.Values{"resident_code": {"12345678901"}}, "resident_code",
			url.Values{"resident_code": {"38921005773"}, "name.kanji": {"転入 太郎"}, "name.kana": {"テンニュウ タロウ"}, "birth_date": {"1990-01-02"},
				"sex": {"1"}, "previous_address.lg_code": {"352012"}, "previous_address.text": {"山口県山口市亀山町1番1号"},
				"planned_move_out": {today}, "move_in_date": {today}, "address_text": {"山口県防府市寿町1番1号"}},
			func(t *testing.T, loc string) {
				if !strings.HasPrefix(loc, "/residents/38921005773") {
					t.Errorf("after 転入届: redirect %q, want the new 住民票", loc)
				}
			}},
		// 住基法9条1項: the 最終住民登録地 of a person who never registered at the 前住所.
		{"move-in from an unregistered address", "/counter/move-in",
			url.Values{"resident_code": {"38921005781"}, "name.kanji": {"転入 次郎"}, "name.kana": {"テンニュウ ジロウ"}, "birth_date": {"1990-01-02"},
				"sex": {"1"}, "previous_address.lg_code": {"352012"}, "previous_address.text": {"山口県山口市亀山町2番2号"},
				"last_registered.lg_code": {"352063"}, "last_registered.text": {"山口県防府市寿町2番2号"},
				"planned_move_out": {today}, "move_in_date": {today}, "address_text": {"山口県防府市寿町2番2号"}}, "last_registered.lg_code",
			url.Values{"resident_code": {"38921005781"}, "name.kanji": {"転入 次郎"}, "name.kana": {"テンニュウ ジロウ"}, "birth_date": {"1990-01-02"},
				"sex": {"1"}, "previous_address.lg_code": {"352012"}, "previous_address.text": {"山口県山口市亀山町2番2号"},
				"last_registered.lg_code": {"352021"}, "last_registered.text": {"山口県宇部市常盤町1番1号"},
				"planned_move_out": {today}, "move_in_date": {today}, "address_text": {"山口県防府市寿町2番2号"}},
			func(t *testing.T, loc string) {
				recs, err := fx.reg.Get(ctx, "38921005781", "test")
				if err != nil || recs[0].PreviousAddress.LGCode != "352012" {
					t.Errorf("after 転入届: %+v (%v), want the 前住所 kept as 従前の住所", recs, err)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := post(t, fx.handler, tok, tc.path, tc.bad)
			if code != http.StatusBadRequest || !strings.Contains(body, `id="`+fieldIDOf(tc.badField)+`-error"`) {
				t.Errorf("POST %s %v: got %d, want 400 with a message next to %s:\n%s", tc.path, tc.bad, code, tc.badField, excerpt(body))
			}
			code, loc, body := post(t, fx.handler, tok, tc.path, tc.good)
			if code != http.StatusSeeOther {
				t.Fatalf("POST %s %v: got %d, want 303:\n%s", tc.path, tc.good, code, excerpt(body))
			}
			tc.check(t, loc)
		})
	}
}

func fieldIDOf(name string) string { return "f-" + strings.ReplaceAll(name, ".", "-") }

// excerpt is the part of a page around its first error, for failure messages.
func excerpt(body string) string {
	if i := strings.Index(body, `class="error"`); i >= 0 {
		return body[i:min(len(body), i+300)]
	}
	if i := strings.Index(body, `<main`); i >= 0 {
		return body[i:min(len(body), i+600)]
	}
	return body[:min(len(body), 600)]
}
