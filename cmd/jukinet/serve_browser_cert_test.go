package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPolicyDir is where Debian's Chromium reads its managed policies.
const chromiumPolicyDir = "/etc/chromium/policies/managed"

// browserPresentingCertificate prepares a Chromium profile whose NSS
// database holds terminal node/term's certificate and key and trusts the
// network CA, and a managed policy that makes Chromium present that
// certificate to url without asking (AutoSelectCertificateForUrls: a
// headless browser cannot answer the certificate dialog). It returns the
// HOME to start Chromium with. The policy file is removed when the test ends.
func browserPresentingCertificate(t *testing.T, data, node, term, url string) string {
	t.Helper()
	for _, tool := range []string{"certutil", "pk12util", "openssl"} {
		if _, err := osexec.LookPath(tool); err != nil {
			browserMissing(t, fmt.Sprintf("%s (Debian packages libnss3-tools, openssl): %v", tool, err))
		}
	}
	if err := os.MkdirAll(chromiumPolicyDir, 0o755); err != nil {
		browserMissing(t, fmt.Sprintf("a managed Chromium policy needs %s to be writable: %v", chromiumPolicyDir, err))
	}
	home := t.TempDir()
	nssdb := "sql:" + filepath.Join(home, ".pki", "nssdb")
	if err := os.MkdirAll(filepath.Join(home, ".pki", "nssdb"), 0o700); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(data, node, "terminals", term)
	p12 := filepath.Join(home, "terminal.p12")
	for _, cmd := range [][]string{
		{"certutil", "-N", "-d", nssdb, "--empty-password"},
		{"openssl", "pkcs12", "-export", "-in", filepath.Join(dir, "terminal.crt"), "-inkey", filepath.Join(dir, "terminal.key"),
			"-name", term, "-out", p12, "-passout", "pass:"},
		{"pk12util", "-i", p12, "-d", nssdb, "-W", ""},
		{"certutil", "-A", "-d", nssdb, "-n", "jukinet network CA", "-t", "C,,", "-i", filepath.Join(data, "ca.crt")},
	} {
		if out, err := osexec.Command(cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(cmd, " "), err, out)
		}
	}
	os.Remove(p12)
	removeStalePolicies(t)
	policy := filepath.Join(chromiumPolicyDir, fmt.Sprintf("jukinet-test-%d.json", os.Getpid()))
	body := fmt.Sprintf(`{"AutoSelectCertificateForUrls": [%q]}`, fmt.Sprintf(`{"pattern":%q,"filter":{}}`, url))
	if err := os.WriteFile(policy, []byte(body), 0o644); err != nil {
		browserMissing(t, fmt.Sprintf("cannot write the Chromium policy %s: %v", policy, err))
	}
	t.Cleanup(func() { os.Remove(policy) })
	return home
}

// removeStalePolicies removes the policy files of test processes that
// ended without cleaning up (killed): Chromium takes one of several
// AutoSelectCertificateForUrls lists, and a stale one names another URL,
// so the browser would wait at a certificate dialog no one answers.
func removeStalePolicies(t *testing.T) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(chromiumPolicyDir, "jukinet-test-*.json"))
	for _, f := range files {
		pid, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "jukinet-test-"), ".json"))
		if err != nil || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue // a running test's, or not ours
		}
		if err := os.Remove(f); err != nil {
			t.Logf("a stale Chromium policy %s stays: %v", f, err)
		}
	}
}

// browserMissing skips a browser test outside CI and fails it in CI, where
// .ci/run installs everything a browser test needs.
func browserMissing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// TestBrowserServeTerminalCertificate logs in with a headless Chromium
// through a deployed node started by `jukinet serve` (not the demo
// setting): the browser presents terminal T01's client certificate from its
// NSS database, the server's certificate is checked against the network CA
// (no certificate errors ignored), and the reader agent's part — writing the
// reading into the login form and sending it — is done in the browser, as
// a vendor's extension or kiosk shell would (docs/reader.md). The menu names
// terminal T01, which only the certificate can have told the node; there is
// no demo banner and no 仮想リーダー.
func TestBrowserServeTerminalCertificate(t *testing.T) {
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		browserMissing(t, fmt.Sprintf("browser tests need %s: %v", chromium, err))
	}
	cfg, data, reader := deployedNode(t, "")
	term, _, _ := startServe(t, cfg)
	home := browserPresentingCertificate(t, data, "352063", "T01", term)
	r, err := reader.Read(context.Background(), "K-ADMIN")
	if err != nil {
		t.Fatal(err)
	}
	reading := hex.EncodeToString(r[:])

	actx, cancelA := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(chromium), chromedp.Headless,
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Env("HOME="+home))
	defer cancelA()
	ctx, cancelC := chromedp.NewContext(actx)
	defer cancelC()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(term+"/login"),
		chromedp.WaitVisible(chromedp.ID("collation_id")),
	); err != nil {
		t.Fatalf("GET %s/login with T01's certificate: %v", term, err)
	}
	login, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(login, "demo-banner") || strings.Contains(login, "virtual-reader") {
		t.Error("a deployed node's login page shows the demo banner or the 仮想リーダー")
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("collation_id"), "K-ADMIN"),
		chromedp.SetValue(chromedp.ID("reading"), reading), // the reader agent's part
		chromedp.Click(chromedp.ID("send-reading")),
		chromedp.WaitVisible(chromedp.ID("choose")),
		chromedp.Click(chromedp.CSS(`input[name="operator_id"]`)),
		chromedp.Click(chromedp.ID("choose")),
		chromedp.WaitVisible(chromedp.CSS("ul.menu")),
	); err != nil {
		page, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("login through serve with T01's certificate: %v\npage:\n%s", err, page)
	}
	who, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("header .who")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(who, "端末 T01") || !strings.Contains(who, "K-ADMIN") {
		t.Errorf("header after login: %q, want K-ADMIN on terminal T01", who)
	}
}
