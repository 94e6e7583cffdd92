package web

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/governance"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
)

// englishStatus are the English status words, codes and states a screen
// must not show (HTTP status texts, error kinds, receipt reasons, states),
// and the English words of buttons, links and notices.
var englishStatus = regexp.MustCompile(`\b(Conflict|Unauthorized|Forbidden|Not Found|not found|Bad Request|Internal Server Error|Unprocessable Entity|Service Unavailable|Too Many Requests|Request Entity Too Large|Method Not Allowed|Locked|Expired|Gone|not-checked|evidence-missing|too_large|bad_signature|forbidden_kind|from_mismatch|invalid_body|stale_version|tls_[a-z_]+|rate_limited|internal error|Submit|Error|Cancel|Search|Next|Previous|Back|Save|Delete|Log ?in|Log ?out|Home|Menu|Loading|Success|Failed|Warning|Page|Results|None)\b`)

var (
	scriptOrStyle = regexp.MustCompile(`(?s)<(script|style)\b.*?</(script|style)>`)
	tag           = regexp.MustCompile(`(?s)<[^>]*>`)
)

// visibleText is what a user reads of a page: no tags, scripts or styles.
func visibleText(page string) string {
	return html.UnescapeString(tag.ReplaceAllString(scriptOrStyle.ReplaceAllString(page, " "), " "))
}

// TestNoEnglishStatusOnAnyPage walks the route table: every page (GET, not
// the JSON API or a download), as an operator whose authority allows it,
// with its error pages (a resource that does not exist, a refused
// authority, an unknown path), shows no English status word.
func TestNoEnglishStatusOnAnyPage(t *testing.T) {
	fx := newFixture(t, 20)
	h, err := New(Config{Terminal: demo.TerminalID, Title: demo.Hofu.Name, Auth: fx.auth, Counter: fx.reg, Operators: fx.auth,
		Admin: NewAdmin(fx.db), Gov: governance.New(fx.db), Demo: true, Now: fx.db.Now, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	handler := demo.VirtualReader(h, fx.reader)
	// Something for the network screen to show: a refusal at the listener
	// and a message the peer refused (a dead letter).
	l := network.NewRefusalLog(fx.db, nil, nil)
	l.Refused("CN=rogue at 192.0.2.9", network.RefusalTLSUnknownAuthority, "x509: unknown authority")
	l.Refused("352012", network.ReasonForbiddenKind.String(), "kind not allowed")
	if err := l.Flush(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	now := fx.db.Now().UnixMicro()
	if _, err := fx.db.Bookkeeping(store.Inspect).Exec(`INSERT INTO outbox (id, kind, dest, body, created_at, state, attempts, last_error, done_at)
		VALUES ('01a24c53-36a2-7c4d-b2f0-f24fba58034c', 'movein.notice', '402036', $1, $2, 'rejected', 1, 'invalid_body: municipality.movein.notice: resident_code: no resident with this resident code', $3)`,
		[]byte(`{}`), now, now); err != nil {
		t.Fatal(err)
	}
	tokens := map[jukinet.Authority]string{}
	for _, p := range demo.People {
		for _, a := range p.Authorities {
			if _, ok := tokens[a]; !ok {
				tokens[a] = fx.session(t, p.CollationID, demo.OperatorID(p.CollationID, a))
			}
		}
	}
	ctx := jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: demo.DemoClerk, OperatorID: "OP-CLERK-lookup", Authority: jukinet.AuthorityLookup, Terminal: demo.TerminalID})
	people, err := fx.reg.Search(ctx, register.Query{Address: "防府市"}, "test")
	if err != nil || len(people) == 0 {
		t.Fatalf("residents: %d, %v", len(people), err)
	}
	params := strings.NewReplacer("{code}", string(people[0].ResidentCode), "{id}", demo.DemoClerk, "{$}", "")
	queries := map[string]string{"/residents": "?address=" + url.QueryEscape("防府市"), "/residents/{code}": "?purpose=" + url.QueryEscape("確認")}
	get := func(path, token string) (int, string) {
		req := httptest.NewRequest("GET", "https://terminal"+path, nil)
		if token != "" {
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: token})
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, req)
		return w.Code, w.Body.String()
	}
	check := func(what string, code int, body string) {
		t.Helper()
		if code >= 500 && code != http.StatusServiceUnavailable { // 503: a screen this terminal does not serve
			t.Errorf("%s: %d", what, code)
		}
		if m := englishStatus.FindAllString(visibleText(body), -1); m != nil {
			t.Errorf("%s (%d) shows English status words %q", what, code, m)
		}
	}
	pages := 0
	for _, rt := range routes() {
		method, path, _ := strings.Cut(rt.pattern, " ")
		if method != http.MethodGet || rt.page == "" || strings.HasPrefix(path, "/api/") {
			continue
		}
		allowed, refused := "", ""
		for _, a := range jukinet.Authorities() {
			tok, ok := tokens[a]
			switch {
			case !ok:
			case rt.op == "" || rt.op == opSession || jukinet.Allowed(rt.op, a):
				if allowed == "" {
					allowed = tok
				}
			case refused == "":
				refused = tok
			}
		}
		target := params.Replace(path) + queries[path]
		code, body := get(target, allowed)
		check(rt.pattern, code, body)
		pages++
		if refused != "" {
			code, body := get(target, refused)
			check(rt.pattern+" refused", code, body)
		}
		if strings.Contains(path, "{") {
			code, body := get(strings.NewReplacer("{code}", "35201999999", "{id}", "no-such-id", "{$}", "").Replace(path), allowed)
			check(rt.pattern+" with an unknown "+path[strings.Index(path, "{"):], code, body)
		}
	}
	if pages < 40 {
		t.Errorf("walked %d pages, want the 40 or more there are", pages)
	}
	code, body := get("/no/such/page", tokens[jukinet.AuthorityLookup])
	if code != http.StatusNotFound || !strings.Contains(body, "見つかりません") {
		t.Errorf("an unknown path: %d, want 404 with the Japanese page", code)
	}
	check("an unknown path", code, body)
}
