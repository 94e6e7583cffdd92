package web

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/store/storetest"
)

// Threat model (c): an unauthenticated 20 MB multipart POST to the reader
// agent's endpoint is refused with 413 before it is read (announced length) or as
// soon as it passes the limit (streamed), nothing is spooled, no handler
// runs and nothing is written; the refusal is logged, once a minute at
// most, without the path's digits.
func TestOversizeBodiesRefused(t *testing.T) {
	fx := newFixture(t, 0)
	var mu sync.Mutex
	var logs []string
	h, err := New(Config{Terminal: demo.TerminalID, Title: "t", Auth: fx.auth, Counter: fx.reg, Operators: fx.auth,
		Admin: NewAdmin(fx.db), Logf: func(f string, a ...any) { mu.Lock(); logs = append(logs, fmt.Sprintf(f, a...)); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	records := func() int { return len(storetest.Records(t, fx.db, nil)) }
	before := records()

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("collation_id", "C-CLERK")
	part, _ := mw.CreateFormFile("reading", "x.bin")
	part.Write(bytes.Repeat([]byte{'a'}, 20<<20))
	mw.Close()
	send := func(path string, r io.Reader, length int64, ct string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+path, r)
		req.ContentLength = length
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := srv.Client().Do(req)
		if err != nil {
			return -1 // the server may cut the connection while we still send
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := send("/login/reading", bytes.NewReader(body.Bytes()), int64(body.Len()), mw.FormDataContentType()); s != http.StatusRequestEntityTooLarge {
		t.Errorf("20 MB multipart with its length: status %d, want 413", s)
	}
	// Streamed without a length (chunked): cut at the limit.
	if s := send("/login/reading", io.MultiReader(bytes.NewReader(body.Bytes())), -1, mw.FormDataContentType()); s != http.StatusRequestEntityTooLarge && s != -1 {
		t.Errorf("20 MB chunked multipart: status %d, want 413", s)
	}
	// A form just over the limit on a resident's route.
	big := url.Values{"purpose": {strings.Repeat("x", MaxFormBody)}}.Encode()
	if s := send("/residents/12345678901/move-within", strings.NewReader(big), int64(len(big)), "application/x-www-form-urlencoded"); s != http.StatusRequestEntityTooLarge {
		t.Errorf("a 64 KiB form: status %d, want 413", s)
	}
	// A normal reader agent's POST still works (401: an unknown 照合ID).
	small := url.Values{"collation_id": {"C-NOBODY"}, "reading": {strings.Repeat("00", 512)}}.Encode()
	if s := send("/login/reading", strings.NewReader(small), int64(len(small)), "application/x-www-form-urlencoded"); s != http.StatusUnauthorized {
		t.Errorf("a small reader POST: status %d, want 401", s)
	}
	if n := records() - before; n != 1 {
		t.Errorf("records written: %d, want 1 (the small POST's failed 照合 only)", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logs) != 1 || !strings.Contains(logs[0], "refused a body over") {
		t.Errorf("log lines: %q, want one refusal line (once a minute)", logs)
	}
	for _, l := range logs {
		if strings.Contains(l, "12345678901") {
			t.Errorf("a log line carries a resident code: %s", l)
		}
	}
}

// The listener's limits: timeouts and header size are set.
func TestServerLimits(t *testing.T) {
	var srv http.Server
	ServerLimits(&srv)
	if srv.ReadTimeout == 0 || srv.ReadHeaderTimeout == 0 || srv.WriteTimeout == 0 || srv.IdleTimeout == 0 || srv.MaxHeaderBytes != MaxHeaderBytes {
		t.Errorf("ServerLimits left read %v, header %v, write %v, idle %v, header bytes %d", srv.ReadTimeout, srv.ReadHeaderTimeout, srv.WriteTimeout, srv.IdleTimeout, srv.MaxHeaderBytes)
	}
}

// The login page answers a known and an unknown 照合ID the same, also
// after the known one is locked.
func TestLoginNoOracle(t *testing.T) {
	fx := newFixture(t, 0)
	srv := httptest.NewTLSServer(fx.handler)
	defer srv.Close()
	post := func(id string) (int, string) {
		req, _ := http.NewRequest("POST", srv.URL+"/login/reading", strings.NewReader(url.Values{"collation_id": {id}, "reading": {strings.Repeat("00", 512)}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.ReplaceAll(string(b), id, "ID")
	}
	s0, unknown := post("C-NOBODY")
	for i := range 6 { // the 5th locks C-CLERK; the 6th is while locked
		s, page := post("C-CLERK")
		if s != s0 || page != unknown {
			t.Fatalf("attempt %d on a known 照合ID: status %d and a page differing from the unknown ID's (status %d)", i+1, s, s0)
		}
	}
	if o, _ := fx.auth.Operator(jukinet.WithActor(t.Context(), jukinet.Actor{}), "C-CLERK"); !o.Locked {
		t.Error("C-CLERK not locked after 5 failures")
	}
}
