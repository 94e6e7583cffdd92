package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"database/sql"
	"io"
	"net/http"
	"os"
	execpkg "os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/pki"
)

// TestDemoProcesses builds the jukinet binary, runs `jukinet demo
// --processes`, waits for its "node <ID> terminal <URL> ops <URL>" lines,
// reaches every node's terminal with that node's terminal certificate and
// its ops /healthz, waits for the seeded persons to reach the national
// server across the six processes, reads every node's /readyz and /metrics,
// revokes 山口市 (`jukinet pki revoke`, then SIGHUP to the demo, which passes
// it on) and sees its prefecture and a peer refuse it within seconds, then
// stops it with SIGINT and checks that every child has stopped.
func TestDemoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs six processes")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "jukinet")
	build := execpkg.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "demo")
	cmd := execpkg.Command(bin, "demo", "--processes", "--data", data, "--residents", "3")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	started := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	t.Cleanup(func() {
		cmd.Process.Kill() // only if the test failed before stopping it
	})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		waited <- cmd.Wait()
	}()
	nodeLine := regexp.MustCompile(`^node (\S+) terminal (https://\S+) ops (http://\S+)$`)
	type urls struct{ terminal, ops string }
	nodes := map[string]urls{}
	deadline := time.After(90 * time.Second)
	for len(nodes) < len(demo.Nodes()) {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("demo --processes ended after %d node lines: %v", len(nodes), <-waited)
			}
			if m := nodeLine.FindStringSubmatch(l); m != nil {
				nodes[m[1]] = urls{strings.TrimSuffix(m[2], "/"), strings.TrimSuffix(m[3], "/")}
			}
		case <-deadline:
			t.Fatalf("only %d of %d node lines within 90 s", len(nodes), len(demo.Nodes()))
		}
	}
	t.Logf("all %d nodes listening %s after the start", len(nodes), time.Since(started).Round(time.Millisecond))
	go func() { // keep reading, so the demo never blocks on its output
		for range lines {
		}
	}()
	for _, s := range demo.Nodes() {
		u, ok := nodes[s.ID]
		if !ok {
			t.Fatalf("no line for node %s", s.ID)
		}
		c := terminalClient(t, data, s.ID, "T-01")
		resp, err := c.Get(u.terminal + "/login")
		if err != nil {
			t.Fatalf("node %s: GET %s/login with its terminal certificate: %v", s.ID, u.terminal, err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(page), s.Name) || !strings.Contains(string(page), "demo-banner") {
			t.Errorf("node %s terminal: %d, want 200 naming %s with the demo banner", s.ID, resp.StatusCode, s.Name)
		}
		resp, err = http.Get(u.ops + "/healthz")
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("node %s: GET ops /healthz: %v %v", s.ID, resp, err)
		} else {
			resp.Body.Close()
		}
	}

	// The processes form one network: the 9 seeded persons reach the
	// national server (read from its database, which its process holds open).
	national, err := sql.Open("sqlite", "file:"+filepath.Join(data, "national.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer national.Close()
	// The table may not exist yet while the process starts: a failed read
	// is retried, and the last failure is named if the count never comes.
	var got int
	var readErr error
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if readErr = national.QueryRow(`SELECT COUNT(*) FROM flow_identity`).Scan(&got); readErr == nil && got >= 9 {
			break
		}
	}
	if got != 9 || readErr != nil {
		t.Errorf("national holds %d persons' identity information, want 9 (last read error: %v)", got, readErr)
	}
	t.Logf("the 9 seeded persons at the national server %s after the start", time.Since(started).Round(time.Millisecond))

	opsURLs := map[string]string{}
	for id, u := range nodes {
		opsURLs[id] = u.ops
	}
	checkOps(t, opsURLs, "0")

	// Revoke 山口市 as an operator would: `jukinet pki revoke` writes the
	// CRL, a SIGHUP to the demo makes every node reload it; its prefecture
	// and a peer municipality refuse it within seconds, and every node's
	// /metrics counts the revoked certificate.
	const revoked = "352012"
	peers := []string{"350001", "352063"}
	for _, p := range peers {
		if err := sendAs(t, data, revoked, p); err != nil {
			t.Fatalf("before the revocation %s refuses %s: %v", p, revoked, err)
		}
	}
	if code, _, stderr := exec(t, "", "pki", "revoke", "--dir", data, "--node", revoked); code != 0 {
		t.Fatalf("pki revoke: exit %d: %s", code, stderr)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	hup := time.Now()
	for _, p := range peers {
		// Under TLS 1.3 the server checks the client's certificate after the
		// client's side of the handshake is done: the refusal reaches the
		// client as the server's alert, or — when the client writes first —
		// as a broken pipe. Try again until the alert is what it reads.
		for {
			err := sendAs(t, data, revoked, p)
			if err != nil && (jukinet.ErrorKind(err) == jukinet.KindUnauthorized || strings.Contains(err.Error(), "tls")) {
				break
			}
			if time.Since(hup) > 10*time.Second {
				t.Fatalf("%s has not refused the revoked %s's certificate 10 s after the SIGHUP (last answer: %v)", p, revoked, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Logf("the revoked %s refused by %v %s after the SIGHUP", revoked, peers, time.Since(hup).Round(time.Millisecond))
	if err := sendAs(t, data, "352063", "350001"); err != nil {
		t.Errorf("after the revocation of %s, 350001 refuses 352063: %v", revoked, err)
	}
	checkOps(t, opsURLs, "1")

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("demo --processes after SIGINT: %v, want exit 0", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("demo --processes did not stop within 30 s of SIGINT")
	}
	for id, u := range nodes {
		if resp, err := http.Get(u.ops + "/healthz"); err == nil {
			resp.Body.Close()
			t.Errorf("node %s still answers on %s after the demo stopped", id, u.ops)
		}
		if resp, err := http.Get(u.terminal + "/login"); err == nil {
			resp.Body.Close()
			t.Errorf("node %s's terminal still answers after the demo stopped", id)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "352063.toml")); err != nil {
		t.Errorf("the node configuration an operator would write: %v", err)
	}
}

// checkOps reads every node's ops listener: /readyz answers 200 (polled a
// few seconds: a node is ready once its listeners and database answer) and
// /metrics 200 with the node's series, the Go runtime's, and revoked
// certificates counted as the loaded CRL says.
func checkOps(t *testing.T, ops map[string]string, revoked string) {
	t.Helper()
	get := func(url string) (int, string) {
		resp, err := http.Get(url)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for id, u := range ops {
		code, body := get(u + "/readyz")
		for end := time.Now().Add(10 * time.Second); code != 200 && time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
			code, body = get(u + "/readyz")
		}
		if code != 200 {
			t.Errorf("node %s /readyz: %d %q", id, code, body)
		}
		code, body = get(u + "/metrics")
		if code != 200 {
			t.Errorf("node %s /metrics: %d", id, code)
			continue
		}
		for _, series := range []string{"\njukinet_db_size_bytes ", "\njukinet_oplog_records ", "\njukinet_ops_read_ok 1\n",
			"\njukinet_crl_revoked " + revoked + "\n", "\ngo_goroutines "} {
			if !strings.Contains(body, series) {
				t.Errorf("node %s /metrics lacks %q", id, strings.TrimSpace(series))
			}
		}
	}
}

// sendAs posts an empty batch from node from to node to with from's
// certificate from the demo's directory: nil when to's network listener
// answers it, an error when it refuses the peer.
func sendAs(t *testing.T, data, from, to string) error {
	t.Helper()
	f, err := os.Open(filepath.Join(data, "network.toml"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := network.LoadDescription(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	peer, ok := d.Node(to)
	if !ok {
		t.Fatalf("no node %s in network.toml", to)
	}
	creds, err := pki.LoadNode(data, from)
	if err != nil {
		t.Fatal(err)
	}
	c, err := network.NewClient(network.ClientConfig{TLS: creds.ClientTLSConfig(to),
		Keys: func(string) (ed25519.PublicKey, bool) { return nil, false }, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = c.Send(ctx, to, peer.NetworkAddr, &network.Batch{Sender: from})
	return err
}
