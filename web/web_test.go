package web

import (
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/access"
	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// fixture is one municipality (防府市) with demo operators, a small synthetic
// population and the terminal's handler, on SQLite.
type fixture struct {
	db      *store.DB
	reg     *register.Register
	auth    *access.Service
	reader  *biometric.SyntheticReader
	handler http.Handler
}

func newFixture(t testing.TB, residents int) *fixture {
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
	// The year of governance: role holders, and the designations of who may
	// handle identity information (G16-2.1).
	if _, err := demo.SeedGovernance(ctx, db, jukinet.Today(db.Now())); err != nil {
		t.Fatalf("SeedGovernance: %v", err)
	}
	ring, _ := access.NewKeyRing(key)
	auth, err := access.New(db, ring, access.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if residents > 0 {
		if _, err := demo.SeedMunicipality(ctx, db, demo.Hofu, residents, 1); err != nil {
			t.Fatalf("SeedMunicipality: %v", err)
		}
	}
	reg, err := register.New(db, register.Config{Municipality: demo.Hofu.Code, Codes: testCodes{}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Config{Terminal: demo.TerminalID, Title: demo.Hofu.Name, Auth: auth, Counter: reg, Operators: auth,
		Admin: NewAdmin(db), Demo: true, Logf: t.Logf})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &fixture{db: db, reg: reg, auth: auth, reader: reader, handler: demo.VirtualReader(h, reader)}
}

func TestTemplatesRegistered(t *testing.T) {
	pages, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{"error": true}
	for _, rt := range routes() {
		if rt.page == "" {
			continue
		}
		used[rt.page] = true
		if pages[rt.page] == nil {
			t.Errorf("route %q: template %q not found", rt.pattern, rt.page)
		}
	}
	for name := range pages {
		if !used[name] {
			t.Errorf("template %q is used by no route", name)
		}
	}
}

// fakeAuth accepts the tokens it was given, each as one actor.
type fakeAuth map[string]jukinet.Actor

func (f fakeAuth) Verify(context.Context, string, string, biometric.Reading) (access.Challenge, error) {
	return access.Challenge{}, jukinet.E("fake", jukinet.KindUnauthorized, "no match")
}
func (f fakeAuth) Choose(context.Context, string, string, string) (access.Session, error) {
	return access.Session{}, jukinet.E("fake", jukinet.KindUnauthorized, "no challenge")
}
func (f fakeAuth) Authenticate(_ context.Context, token, _ string) (jukinet.Actor, error) {
	if a, ok := f[token]; ok {
		return a, nil
	}
	return jukinet.Actor{}, jukinet.E("fake", jukinet.KindUnauthorized, "no session")
}
func (f fakeAuth) Logout(context.Context, string, string) error { return nil }

var pathParam = regexp.MustCompile(`\{[^}]*\}`)

// TestEveryRouteRefuses walks the route table: without a session every
// non-public route refuses, and so it does for an operator whose authority
// lacks the route's operation (before any backend is reached: none is set).
func TestEveryRouteRefuses(t *testing.T) {
	auth := fakeAuth{}
	for _, a := range jukinet.Authorities() {
		auth["tok-"+string(a)] = jukinet.Actor{CollationID: "C-X", OperatorID: "OP-" + string(a), Authority: a, Terminal: "T-01"}
	}
	h, err := New(Config{Terminal: "T-01", Title: "テスト", Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	do := func(method, path, token string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader("x=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if token != "" {
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: token})
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for _, rt := range routes() {
		if rt.op == "" {
			continue
		}
		method, path, _ := strings.Cut(rt.pattern, " ")
		path = pathParam.ReplaceAllString(strings.ReplaceAll(path, "{$}", ""), "3520631234")
		t.Run(rt.pattern, func(t *testing.T) {
			resp := do(method, path, "")
			if strings.HasPrefix(path, "/api/") {
				// The JSON API answers 401 with a JSON error, never a redirect.
				if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
					t.Errorf("%s without a session: got %d %q, want 401 JSON", rt.pattern, resp.StatusCode, resp.Header.Get("Content-Type"))
				}
			} else if method == http.MethodGet {
				if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
					t.Errorf("%s without a session: got %d → %q, want 303 → /login", rt.pattern, resp.StatusCode, resp.Header.Get("Location"))
				}
			} else if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s without a session: got %d, want 401", rt.pattern, resp.StatusCode)
			}
			if resp := do(method, path, "forged"); resp.StatusCode < 300 || resp.StatusCode == http.StatusForbidden {
				t.Errorf("%s with an unknown session: got %d, want a redirect to login or 401", rt.pattern, resp.StatusCode)
			}
			if rt.op == opSession {
				return
			}
			refused := 0
			for _, a := range jukinet.Authorities() {
				if jukinet.Allowed(rt.op, a) {
					continue
				}
				refused++
				if resp := do(method, path, "tok-"+string(a)); resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s as %s (not allowed %s): got %d, want 403", rt.pattern, a, rt.op, resp.StatusCode)
				}
			}
			if refused == 0 {
				t.Errorf("%s: every authority may perform %s; the test proves nothing", rt.pattern, rt.op)
			}
		})
	}
}

func TestSecurityHeadersAndCookies(t *testing.T) {
	fx := newFixture(t, 0)
	srv := httptest.NewTLSServer(fx.handler)
	defer srv.Close()
	client := srv.Client()
	resp, err := client.Get(srv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for h, want := range map[string]string{
		"Content-Security-Policy": contentSecurityPolicy,
		"Cache-Control":           "no-store",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("GET /login header %s: got %q, want %q", h, got, want)
		}
	}
	// A failed 照合 with an impostor-free unknown ID, then a real one.
	post := func(form url.Values) *http.Response {
		req, _ := http.NewRequest("POST", srv.URL+"/login/reader", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp
	}
	if r := post(url.Values{"collation_id": {"C-NOBODY"}}); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("virtual reader for an unknown 照合ID: got %d, want 401", r.StatusCode)
	}
	if r := post(url.Values{"collation_id": {"bad id!"}}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("virtual reader for a malformed 照合ID: got %d, want 400", r.StatusCode)
	}
	r := post(url.Values{"collation_id": {"C-CLERK"}})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("virtual reader for C-CLERK: got %d, want 200", r.StatusCode)
	}
	var found bool
	for _, c := range r.Cookies() {
		if c.Name == challengeCookie {
			found = true
			if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
				t.Errorf("challenge cookie: Secure=%v HttpOnly=%v SameSite=%v, want true true Strict", c.Secure, c.HttpOnly, c.SameSite)
			}
		}
	}
	if !found {
		t.Errorf("virtual reader for C-CLERK: no %s cookie set", challengeCookie)
	}
	// A cross-origin POST is refused before any handler runs.
	req, _ := http.NewRequest("POST", srv.URL+"/login/reader", strings.NewReader("collation_id=C-CLERK"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST /login/reader: got %d, want 403", resp.StatusCode)
	}
}

// FuzzReaderReading feeds arbitrary form bodies to the reader agent's
// endpoint: never a server error.
func FuzzReaderReading(f *testing.F) {
	h, err := New(Config{Terminal: "T-01", Auth: fakeAuth{}, Logf: func(string, ...any) {}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("collation_id=C-CLERK&reading=00ff")
	f.Add("collation_id=&reading=" + strings.Repeat("ab", 512))
	f.Add("%zz")
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "https://x/login/reading", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Errorf("POST /login/reading %q: got %d, want < 500", body, w.Code)
		}
	})
}

// testCodes gives the terminal's tests new resident codes without a national
// server: the pool itself is tested in node (TestResidentCodePool); here only
// the screens are.
type testCodes struct{}

func (testCodes) NextResidentCode(*store.Tx) (jukinet.ResidentCode, error) {
	return jukinet.NewResidentCode(rand.Reader)
}
