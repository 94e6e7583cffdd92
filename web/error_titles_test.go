package web

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
)

var (
	pageTitle = regexp.MustCompile(`<title>([^<]*)</title>`)
	pageH1    = regexp.MustCompile(`<h1>([^<]*)</h1>`)
)

// TestErrorPageTitlesJapanese: the error page of every error kind answers
// with the kind's status and a Japanese title and heading (見つかりません,
// 権限がありません, 競合…), never the English status text; the pages the
// server writes itself (an unknown path, a POST without a session, a refused
// authority, a cross-origin request) are Japanese too.
func TestErrorPageTitlesJapanese(t *testing.T) {
	pages, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cfg: Config{Title: "防府市", Logf: t.Logf}, pages: pages}
	want := map[jukinet.Kind]string{
		jukinet.KindInvalid: "入力に誤りがあります", jukinet.KindNotFound: "見つかりません", jukinet.KindConflict: "競合",
		jukinet.KindUnauthorized: "認証が必要です", jukinet.KindForbidden: "権限がありません", jukinet.KindInternal: "内部エラー",
		jukinet.KindUnavailable: "接続できません", jukinet.KindTooLarge: "大きすぎます", jukinet.KindRateLimited: "要求が多すぎます",
		jukinet.KindLocked: "ロックされています", jukinet.KindExpired: "期限切れ",
	}
	for k, title := range want {
		w := httptest.NewRecorder()
		s.fail(w, httptest.NewRequest("GET", "https://terminal/residents", nil), jukinet.E("web.test", k, "test message"))
		body := w.Body.String()
		if w.Code != k.HTTPStatus() {
			t.Errorf("%s: status %d, want %d", k, w.Code, k.HTTPStatus())
		}
		tm, hm := pageTitle.FindStringSubmatch(body), pageH1.FindStringSubmatch(body)
		if tm == nil || hm == nil || !strings.HasPrefix(tm[1], title) || hm[1] != title {
			t.Errorf("%s (%d): title %q, heading %q; want %q", k, w.Code, tm, hm, title)
		}
		if m := englishStatus.FindAllString(visibleText(body)+" "+tm[1], -1); m != nil || strings.Contains(body, http.StatusText(w.Code)) {
			t.Errorf("%s (%d): English status text %q on the page", k, w.Code, m)
		}
	}

	fx := newFixture(t, 0)
	tok := fx.session(t, "C-AUDIT", "OP-AUDIT-audit")
	for _, tc := range []struct {
		name, method, path string
		session            bool
		header             map[string]string
		code               int
		title              string
	}{
		{"an unknown path", "GET", "/no/such/page", true, nil, http.StatusNotFound, "見つかりません"},
		{"a POST without a session", "POST", "/logout", false, nil, http.StatusUnauthorized, "ログインが必要です"},
		{"an authority that may not", "GET", "/residents", true, nil, http.StatusForbidden, "権限がありません"},
		{"a cross-origin POST", "POST", "/logout", true, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden, "権限がありません"},
	} {
		req := httptest.NewRequest(tc.method, "https://terminal"+tc.path, strings.NewReader(""))
		if tc.method == "POST" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for k, v := range tc.header {
			req.Header.Set(k, v)
		}
		if tc.session {
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: tok})
		}
		w := httptest.NewRecorder()
		fx.handler.ServeHTTP(w, req)
		body := w.Body.String()
		tm, hm := pageTitle.FindStringSubmatch(body), pageH1.FindStringSubmatch(body)
		if w.Code != tc.code || tm == nil || hm == nil || !strings.HasPrefix(tm[1], tc.title) || hm[1] != tc.title {
			t.Errorf("%s: %d, title %q, heading %q; want %d %q", tc.name, w.Code, tm, hm, tc.code, tc.title)
		}
		if m := englishStatus.FindAllString(visibleText(body), -1); m != nil || strings.Contains(body, "cross-origin") {
			t.Errorf("%s: English on the page: %q", tc.name, m)
		}
	}
}
