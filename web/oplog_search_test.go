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
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/register"
)

var oplogRowIndex = regexp.MustCompile(`<tr><td>(\d+)</td><td><time`)

// TestOplogSearchPaging: an operation-log search with more matches than a
// page says 「上位N件を表示しています。条件を絞り込むか次のページへ」 and
// offers 次へ; following 次へ walks disjoint pages, newest first, that
// together are every match; later pages offer 前へ; a search within one
// page has no notice and no pager; a page beyond the limit is refused with
// its rule.
func TestOplogSearchPaging(t *testing.T) {
	fx := newFixture(t, 30)
	clerk := jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: "C-CLERK", OperatorID: "OP-CLERK-lookup", Authority: jukinet.AuthorityLookup, Terminal: demo.TerminalID})
	for range 2 {
		if _, err := fx.reg.Search(clerk, register.Query{Address: "防府市"}, "test"); err != nil {
			t.Fatal(err)
		}
	}
	auditor := jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: "C-AUDIT", OperatorID: "OP-AUDIT-audit", Authority: jukinet.AuthorityAudit, Terminal: demo.TerminalID})
	all, err := oplog.Query(auditor, fx.db, oplog.Filter{Operation: string(jukinet.OpResidentSearch), Limit: 1000})
	const size = 7
	if err != nil || len(all) <= 2*size {
		t.Fatalf("records: %d (%v), want more than two pages", len(all), err)
	}
	tok := fx.session(t, "C-AUDIT", "OP-AUDIT-audit")
	get := func(path string) (int, string) {
		t.Helper()
		req := httptest.NewRequest("GET", "https://terminal"+path, nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: tok})
		w := httptest.NewRecorder()
		fx.handler.ServeHTTP(w, req)
		return w.Code, w.Body.String()
	}
	cut := "上位" + strconv.Itoa(size) + "件を表示しています。条件を絞り込むか次のページへ"
	seen := map[string]bool{}
	var order []string
	path := "/admin/oplog?" + url.Values{"operation": {string(jukinet.OpResidentSearch)}, "limit": {strconv.Itoa(size)}}.Encode()
	pages := 0
	for path != "" {
		pages++
		code, body := get(path)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, code)
		}
		if strings.Contains(body, cut) != (pages == 1) {
			t.Errorf("page %d: the notice %q shown %v", pages, cut, pages != 1)
		}
		if !strings.Contains(body, `<option value="resident.search" selected>住民検索</option>`) {
			t.Errorf("page %d: the operation searched for is not the selected 住民検索", pages)
		}
		if pages > 1 && !strings.Contains(body, `id="page-prev"`) {
			t.Errorf("page %d: no 前へ", pages)
		}
		rows := oplogRowIndex.FindAllStringSubmatch(body, -1)
		if len(rows) == 0 || len(rows) > size {
			t.Errorf("page %d: %d records", pages, len(rows))
		}
		for _, m := range rows {
			if seen[m[1]] {
				t.Errorf("page %d: record %s was on an earlier page", pages, m[1])
			}
			seen[m[1]] = true
			order = append(order, m[1])
		}
		path = ""
		if m := pageNext.FindStringSubmatch(body); m != nil {
			path = html.UnescapeString(m[1])
		}
		if pages > len(all) {
			t.Fatal("paging does not end")
		}
	}
	if len(order) != len(all) || pages != (len(all)+size-1)/size {
		t.Fatalf("paged through %d records on %d pages, want %d", len(order), pages, len(all))
	}
	for i, e := range all {
		if order[i] != strconv.FormatUint(e.Index, 10) {
			t.Fatalf("record %d of the pages is %s, want %d (newest first)", i, order[i], e.Index)
		}
	}
	_, body := get("/admin/oplog?" + url.Values{"operation": {string(jukinet.OpResidentSearch)}}.Encode())
	if strings.Contains(body, `id="results-cut"`) || strings.Contains(body, `id="page-next"`) || len(oplogRowIndex.FindAllString(body, -1)) != len(all) {
		t.Errorf("a search within one page: a notice or pager, or not every record")
	}
	if code, body := get("/admin/oplog?operation=x&page=0"); code != http.StatusBadRequest || !strings.Contains(body, "ページの指定が正しくありません") {
		t.Errorf("page=0: %d, want 400 with the rule", code)
	}
}
