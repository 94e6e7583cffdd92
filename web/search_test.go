package web

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

var resultCode = regexp.MustCompile(`<td><a href="/residents/(\d{11})">`)
var pageNext = regexp.MustCompile(`<a href="([^"]+)" id="page-next"`)

// TestSearchPaging: a search with more matches than a page says so and
// pages with 次へ/前へ; the pages are disjoint and together are every match;
// each page's persons are recorded as shown; a search within one page has
// no notice.
func TestSearchPaging(t *testing.T) {
	fx := newFixture(t, 130)
	tok := fx.session(t, "C-CLERK", "OP-CLERK-lookup")
	get := func(path string) (int, string) {
		t.Helper()
		req := httptest.NewRequest("GET", "https://terminal"+path, nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: tok})
		w := httptest.NewRecorder()
		fx.handler.ServeHTTP(w, req)
		return w.Code, w.Body.String()
	}
	ctx := jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: "C-CLERK", OperatorID: "OP-CLERK-lookup", Authority: jukinet.AuthorityLookup, Terminal: demo.TerminalID})
	all, err := fx.reg.SearchPage(ctx, register.Query{Address: "防府市", Limit: 500}, "test")
	if err != nil || all.Total <= 2*searchPageSize {
		t.Fatalf("matches: %d (%v), want more than two pages", all.Total, err)
	}
	seen := map[string]bool{}
	path, pages := "/residents?"+url.Values{"address": {"防府市"}}.Encode(), 0
	for path != "" {
		pages++
		before := len(storetest.Records(t, fx.db, nil))
		code, body := get(path)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, code)
		}
		if !strings.Contains(body, "該当 "+strconv.Itoa(all.Total)+" 件") || !strings.Contains(body, `id="results-cut"`) {
			t.Errorf("page %d: no notice that the results are cut", pages)
		}
		first := "上位" + strconv.Itoa(searchPageSize) + "件を表示しています（該当 " + strconv.Itoa(all.Total) + " 件）。条件を絞り込むか次のページへ"
		if strings.Contains(body, first) != (pages == 1) {
			t.Errorf("page %d: the first page's notice %q shown %v", pages, first, !(pages == 1))
		}
		if hasPrev := strings.Contains(body, `id="page-prev"`); hasPrev != (pages > 1) {
			t.Errorf("page %d: 前へ shown %v", pages, hasPrev)
		}
		codes := resultCode.FindAllStringSubmatch(body, -1)
		if len(codes) == 0 || len(codes) > searchPageSize {
			t.Errorf("page %d: %d persons", pages, len(codes))
		}
		shown := 0
		for _, r := range storetest.Records(t, fx.db, nil)[before:] {
			if r.Result == store.ResultShown && r.Operation == string(jukinet.OpResidentSearch) {
				shown++
			}
		}
		if shown != len(codes) {
			t.Errorf("page %d: %d persons recorded as shown, want the %d on the page", pages, shown, len(codes))
		}
		for _, c := range codes {
			if seen[c[1]] {
				t.Errorf("page %d: %s was on an earlier page", pages, c[1])
			}
			seen[c[1]] = true
		}
		path = ""
		if m := pageNext.FindStringSubmatch(body); m != nil {
			path = html.UnescapeString(m[1])
		}
	}
	if len(seen) != all.Total || pages != (all.Total+searchPageSize-1)/searchPageSize {
		t.Errorf("paged through %d persons on %d pages, want all %d", len(seen), pages, all.Total)
	}
	// One person's exact name and birth date: one page, no notice.
	p := all.Residents[0]
	_, body := get("/residents?" + url.Values{"kanji": {p.Name.Kanji}, "birth_date": {p.BirthDate.String()}}.Encode())
	if !strings.Contains(body, string(p.ResidentCode)) || strings.Contains(body, `id="results-cut"`) || strings.Contains(body, `id="page-next"`) {
		t.Errorf("a search within one page: found %v, notice %v; want the person and no notice", strings.Contains(body, string(p.ResidentCode)), strings.Contains(body, `id="results-cut"`))
	}
	if code, body := get("/residents?address=%E9%98%B2%E5%BA%9C&page=0"); code != http.StatusBadRequest || !strings.Contains(body, "ページの指定が正しくありません") {
		t.Errorf("page=0: %d, want 400 with the rule", code)
	}
}
