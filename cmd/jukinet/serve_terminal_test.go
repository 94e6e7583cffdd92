package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/pki"
	"github.com/jukinet/jukinet/store"
)

// lockedBuffer is a bytes.Buffer written by a serving goroutine and read by
// the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitLine waits until out has a line matching re and returns its submatches.
func waitLine(t *testing.T, out fmt.Stringer, re *regexp.Regexp, errc <-chan error) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m
		}
		select {
		case err := <-errc:
			t.Fatalf("serve ended before printing %s: %v\noutput:\n%s", re, err, out)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no line matching %s; output:\n%s", re, out)
	return nil
}

// deployedNode lays out one municipality (防府市) the way docs/deploy.md does
// — CA, node certificate, network.toml, node.toml, the biometric node key,
// a terminal certificate and the first operator — and returns node.toml's
// path, the PKI directory and the reading of the first operator's finger.
func deployedNode(t *testing.T, extra string) (cfg, data string, reader *biometric.SyntheticReader) {
	t.Helper()
	dir := t.TempDir()
	data = filepath.Join(dir, "data")
	ctx := context.Background()
	cli := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if err := run(ctx, args, strings.NewReader(""), &out, &errb); err != nil {
			t.Fatalf("jukinet %s: %v\n%s", strings.Join(args, " "), err, errb.String())
		}
		return out.String()
	}
	cli("pki", "init", "--dir", data, "--name", "serve terminal test CA")
	var desc strings.Builder
	for _, n := range []struct{ id, kind, name, pref string }{
		{"national", "national", "全国サーバ", ""}, {"350001", "prefecture", "山口県", ""}, {"352063", "municipality", "防府市", "350001"},
	} {
		c, err := pki.IssueNodeFiles(data, n.id, []string{"127.0.0.1", "localhost"}, pki.Options{})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&desc, "[[node]]\nid = %q\nkind = %q\nname = %q\n", n.id, n.kind, n.name)
		if n.pref != "" {
			fmt.Fprintf(&desc, "prefecture = %q\n", n.pref)
		}
		fmt.Fprintf(&desc, "network_addr = %q\nsigning_key = %q\n\n", freePort(t), pki.FormatPublicKey(c.SigningPublicKey()))
	}
	if err := os.WriteFile(filepath.Join(dir, "network.toml"), []byte(desc.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cli("pki", "issue", "--dir", data, "--terminal", "352063/T01")
	cli("pki", "issue", "--dir", data, "--terminal", "352063/T09") // issued, never registered
	keys := filepath.Join(data, "352063")
	cli("access", "node-key", "init", "--keys", keys)
	reader = biometric.NewSyntheticReader(11, 0.1)
	enrol, _ := reader.Read(ctx, "K-ADMIN")
	readingFile := filepath.Join(dir, "reading.hex")
	os.WriteFile(readingFile, []byte(hex.EncodeToString(enrol[:])+"\n"), 0o600)
	cli("access", "bootstrap", "--db", filepath.Join(data, "352063.db"), "--node", "352063", "--keys", keys,
		"--terminal", "T01,統合端末1,市民課窓口", "--collation-id", "K-ADMIN", "--name", "山田 花子", "--department", "市民課",
		"--reading", readingFile, "--decision", "市民課長任命 第1号")
	cfg = filepath.Join(dir, "node.toml")
	nodeTOML := "node = \"352063\"\nnetwork = \"network.toml\"\ndata = \"data\"\nterminal_addr = \"127.0.0.1:0\"\nops_addr = \"127.0.0.1:0\"\n" + extra
	if err := os.WriteFile(cfg, []byte(nodeTOML), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg, data, reader
}

// startServe runs `jukinet serve --config cfg` until the test ends and
// returns the terminal and ops URLs it prints.
func startServe(t *testing.T, cfg string) (terminal, ops string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &lockedBuffer{}
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, []string{"serve", "--config", cfg}, strings.NewReader(""), out, io.Discard) }()
	m := waitLine(t, out, regexp.MustCompile(`terminal (https://\S+/)`), errc)
	o := waitLine(t, out, regexp.MustCompile(`ops (http://\S+/)`), errc)
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-errc; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return strings.TrimSuffix(m[1], "/"), strings.TrimSuffix(o[1], "/"), stop
}

// terminalClient is a terminal's browser: it trusts the network CA and
// presents the terminal certificate of node/term (none when term is "").
func terminalClient(t *testing.T, data, node, term string) *http.Client {
	t.Helper()
	ca, err := pki.LoadCA(data)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: ca.Pool()}
	if term != "" {
		c, err := pki.LoadTerminal(data, node, term)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{c.Certificate}
	}
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
}

// TestServeTerminalNeedsTerminalCertificate logs an operator in through a
// node started the way `jukinet serve` starts it on a deployed node: over
// HTTPS presenting the terminal certificate of T01, with the reading a
// reader agent posts (Go's client plays the browser here, so every refusal
// can be checked; TestBrowserServeTerminalCertificate does the login in a
// real browser presenting the certificate). The terminal comes from the certificate and is in the
// log records with the client's address; a client without a certificate, or
// with a certificate of an unregistered terminal, does not get in, and there
// is no 仮想リーダー.
func TestServeTerminalNeedsTerminalCertificate(t *testing.T) {
	cfg, data, reader := deployedNode(t, "")
	term, ops, stop := startServe(t, cfg)

	resp, err := http.Get(ops + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok\n" {
		t.Errorf("GET ops /healthz: %d %q, want 200 ok", resp.StatusCode, body)
	}

	// No certificate: the handshake is refused.
	if _, err := terminalClient(t, data, "", "").Get(term + "/login"); err == nil {
		t.Errorf("GET /login without a terminal certificate succeeded")
	}

	post := func(c *http.Client, path string, form url.Values) (int, string) {
		t.Helper()
		resp, err := c.PostForm(term+path, form)
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	reading := func() string {
		r, err := reader.Read(context.Background(), "K-ADMIN")
		if err != nil {
			t.Fatal(err)
		}
		return hex.EncodeToString(r[:])
	}

	// A certificate of a terminal that is not registered: the login is refused.
	t09 := terminalClient(t, data, "352063", "T09")
	if code, page := post(t09, "/login/reading", url.Values{"collation_id": {"K-ADMIN"}, "reading": {reading()}}); code != http.StatusForbidden || !strings.Contains(page, "登録されていない") {
		t.Errorf("login on unregistered T09: %d, want 403 (page %.300s)", code, page)
	}

	t01 := terminalClient(t, data, "352063", "T01")
	resp, err = t01.Get(term + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.Contains(string(page), "virtual-reader") || strings.Contains(string(page), "demo-banner") {
		t.Errorf("GET /login: %d; a deployed node must show neither the 仮想リーダー nor the demo banner", resp.StatusCode)
	}
	if code, _ := post(t01, "/login/reader", url.Values{"collation_id": {"K-ADMIN"}}); code != http.StatusNotFound {
		t.Errorf("POST /login/reader (仮想リーダー) on a deployed node: %d, want 404", code)
	}
	code, page2 := post(t01, "/login/reading", url.Values{"collation_id": {"K-ADMIN"}, "reading": {reading()}})
	opID := regexp.MustCompile(`value="(OP-[0-9A-F]+)"`).FindStringSubmatch(page2)
	if code != 200 || opID == nil {
		t.Fatalf("照合 at T01: %d, no 操作者ID offered; page %.500s", code, page2)
	}
	code, home := post(t01, "/login/choose", url.Values{"operator_id": {opID[1]}})
	if code != 200 || !strings.Contains(home, "端末 T01") || !strings.Contains(home, "K-ADMIN") {
		t.Fatalf("after choosing %s: %d, want the menu naming terminal T01; page %.500s", opID[1], code, home)
	}
	// The session is bound to T01: T09's certificate cannot use its cookie.
	u, _ := url.Parse(term)
	t09.Jar.SetCookies(u, t01.Jar.Cookies(u))
	resp, err = t09.Get(term + "/admin/registers")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/login" {
		t.Errorf("T01's session cookie presented with T09's certificate reached %s, want a redirect to /login", resp.Request.URL.Path)
	}
	stop()

	db, err := store.Open(context.Background(), store.Config{Path: filepath.Join(data, "352063.db"), Node: "352063"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var terminal, addr string
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT terminal, client_addr FROM oplog WHERE operation = 'access.login' ORDER BY idx DESC LIMIT 1`).Scan(&terminal, &addr); err != nil {
		t.Fatal(err)
	}
	if terminal != "T01" || !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Errorf("login record: terminal %q, client address %q; want T01 and 127.0.0.1:port", terminal, addr)
	}
	// The refusal at T09 is in the log with its address too.
	var refusals int
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM oplog WHERE operation = 'access.login_failure' AND client_addr LIKE '127.0.0.1:%'`).Scan(&refusals); err != nil || refusals != 1 {
		t.Errorf("login failures with a client address: %d (%v), want 1 (T09's)", refusals, err)
	}
}

// Every listener has an address of its own: serve refuses a node.toml where
// two share one (also via the wildcard host), naming the key, and starts
// nothing.
func TestServeRefusesSharedAddress(t *testing.T) {
	for _, tc := range []struct{ extra, field string }{
		{"terminal_addr = \"127.0.0.1:18443\"\nops_addr = \"127.0.0.1:18443\"\n", "ops_addr"},
		{"terminal_addr = \"0.0.0.0:18444\"\nops_addr = \"127.0.0.1:18444\"\n", "ops_addr"},
		{"terminal_addr = \"127.0.0.1:1x\"\n", "terminal_addr"},
	} {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "node.toml")
		os.WriteFile(filepath.Join(dir, "network.toml"), []byte("[[node]]\nid = \"national\"\nkind = \"national\"\nname = \"全国サーバ\"\n"+
			"network_addr = \"127.0.0.1:18445\"\nsigning_key = \"ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"\n"), 0o600)
		os.WriteFile(cfg, []byte("node = \"national\"\nnetwork = \"network.toml\"\ndata = \"data\"\n"+tc.extra), 0o600)
		err := run(context.Background(), []string{"serve", "--config", cfg}, strings.NewReader(""), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("node.toml with %q: %v, want a refusal naming %s", tc.extra, err, tc.field)
		}
	}
}
