package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/pki"
)

// TestMain lets a test run this binary as `jukinet` (JUKINET_TEST_MAIN=1):
// a real process to send signals to, without a separate build.
func TestMain(m *testing.M) {
	if os.Getenv("JUKINET_TEST_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

// syncBuffer is a bytes.Buffer a serving goroutine writes while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveNetwork writes a PKI, network.toml and one node.toml per node of a
// three-node network (national, 山口県, 防府市) under a temporary directory.
type serveNetwork struct {
	dir, data string
	addr      map[string]string // network_addr by node ID
}

func newServeNetwork(t *testing.T) *serveNetwork {
	t.Helper()
	n := &serveNetwork{dir: t.TempDir(), addr: map[string]string{}}
	n.data = filepath.Join(n.dir, "data")
	if _, err := pki.Init(n.data, pki.Options{Name: "reload test CA"}); err != nil {
		t.Fatal(err)
	}
	nodes := []struct{ id, kind, name, pref string }{
		{"national", "national", "全国サーバ", ""}, {"350001", "prefecture", "山口県", ""}, {"352063", "municipality", "防府市", "350001"},
	}
	var desc strings.Builder
	for _, nd := range nodes {
		c, err := pki.IssueNodeFiles(n.data, nd.id, []string{"127.0.0.1"}, pki.Options{})
		if err != nil {
			t.Fatal(err)
		}
		n.addr[nd.id] = freePort(t)
		fmt.Fprintf(&desc, "[[node]]\nid = %q\nkind = %q\nname = %q\n", nd.id, nd.kind, nd.name)
		if nd.pref != "" {
			fmt.Fprintf(&desc, "prefecture = %q\n", nd.pref)
		}
		fmt.Fprintf(&desc, "network_addr = %q\nsigning_key = %q\n\n", n.addr[nd.id], pki.FormatPublicKey(c.SigningPublicKey()))
		cfg := fmt.Sprintf("node = %q\nnetwork = \"network.toml\"\ndata = \"data\"\n", nd.id)
		if err := os.WriteFile(n.config(nd.id), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(n.dir, "network.toml"), []byte(desc.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return n
}

func (n *serveNetwork) config(id string) string { return filepath.Join(n.dir, id+".toml") }

// client returns node id's network client towards the prefecture 350001,
// with the node's own (empty) revocation list.
func (n *serveNetwork) client(t *testing.T, id string) *network.Client {
	t.Helper()
	creds, err := pki.LoadNode(n.data, id)
	if err != nil {
		t.Fatal(err)
	}
	c, err := network.NewClient(network.ClientConfig{TLS: creds.ClientTLSConfig("350001"),
		Keys: func(string) (ed25519.PublicKey, bool) { return nil, false }, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// send posts an empty batch from id to the prefecture: the listener answers
// it (no receipts) unless it refuses the peer.
func (n *serveNetwork) send(c *network.Client, id string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.Send(ctx, "350001", n.addr["350001"], &network.Batch{Sender: id})
	return err
}

// revoke revokes node id's certificate in the network's CRL.
func (n *serveNetwork) revoke(t *testing.T, id string) {
	t.Helper()
	creds, err := pki.LoadNode(n.data, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pki.RevokeFiles(n.data, []*big.Int{creds.Leaf().SerialNumber}, 1, pki.Options{}); err != nil {
		t.Fatal(err)
	}
}

// waitRefused sends from id until the prefecture refuses it, failing after
// limit; it returns how long that took.
func (n *serveNetwork) waitRefused(t *testing.T, c *network.Client, id string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		err := n.send(c, id)
		if err != nil {
			if k := jukinet.ErrorKind(err); k != jukinet.KindUnauthorized && !strings.Contains(err.Error(), "tls") {
				t.Fatalf("after the reload: %v, want a refusal of the certificate", err)
			}
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("node %s was still accepted %v after the reload", id, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitFor(t *testing.T, what string, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A prefecture served by `serve` accepts its municipality, then — after the
// CRL revoking the municipality is written and the reload SIGHUP triggers
// runs — refuses it on the connection it already had and on a new one,
// while still accepting the national server. The queues are not touched: the
// process keeps running.
func TestServeReloadRefusesRevokedPeer(t *testing.T) {
	n := newServeNetwork(t)
	ctx, cancel := context.WithCancel(context.Background())
	hup := make(chan os.Signal, 1)
	out, errOut := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- serveNode(ctx, []string{"--config", n.config("350001")}, out, errOut, hup) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v (stderr %q)", err, errOut)
		}
	}()
	waitFor(t, "the prefecture's listener", 30*time.Second, func() bool { return strings.Contains(out.String(), "listening on") })

	kept := n.client(t, "352063") // keeps its connection across the reload
	national := n.client(t, "national")
	for _, c := range []struct {
		id string
		c  *network.Client
	}{{"352063", kept}, {"national", national}} {
		if err := n.send(c.c, c.id); err != nil {
			t.Fatalf("before revocation, %s: %v", c.id, err)
		}
	}
	n.revoke(t, "352063")
	// Written but not reloaded: still accepted.
	if err := n.send(kept, "352063"); err != nil {
		t.Fatalf("before the reload: %v", err)
	}
	hup <- syscall.SIGHUP
	took := n.waitRefused(t, kept, "352063", 5*time.Second)
	t.Logf("refused on the kept connection %v after the reload signal", took)
	if err := n.send(n.client(t, "352063"), "352063"); err == nil {
		t.Error("a new connection of the revoked node was accepted")
	}
	if err := n.send(national, "national"); err != nil {
		t.Errorf("after the reload, national: %v", err)
	}
	waitFor(t, "the reload's log line", 5*time.Second, func() bool { return len(logLines(t, errOut.String(), "reloaded")) > 0 })
	// serve logs JSON lines: its start, its listener, the refused handshake.
	if ls := logLines(t, errOut.String(), "listening"); len(ls) == 0 || ls[0]["listener"] != "network" || ls[0]["addr"] != n.addr["350001"] {
		t.Errorf("listening lines %v, want the network listener at %s", ls, n.addr["350001"])
	}
	if len(logLines(t, errOut.String(), "node started")) != 1 {
		t.Error("no \"node started\" line")
	}
	if !strings.Contains(errOut.String(), "is revoked") {
		t.Errorf("the refused handshake is not logged:\n%s", errOut)
	}

	// A broken network.toml is refused and the node keeps serving.
	if err := os.WriteFile(filepath.Join(n.dir, "network.toml"), []byte("[[node]]\nid = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hup <- syscall.SIGHUP
	waitFor(t, "the refused reload's log line", 5*time.Second, func() bool {
		return len(logLines(t, errOut.String(), "reload refused, the running configuration is kept")) > 0
	})
	if err := n.send(national, "national"); err != nil {
		t.Errorf("after a refused reload, national: %v", err)
	}
}

// The same through a real `jukinet serve` process and kill -HUP.
func TestServeProcessReloadsOnSIGHUP(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	n := newServeNetwork(t)
	cmd := osexec.Command(os.Args[0], "serve", "--config", n.config("350001"))
	cmd.Env = append(os.Environ(), "JUKINET_TEST_MAIN=1")
	out, errOut := &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("serve exited with %v (stderr %q)", err, errOut)
		}
	}()
	waitFor(t, "the serve process's listener", 60*time.Second, func() bool { return strings.Contains(out.String(), "listening on") })
	c := n.client(t, "352063")
	if err := n.send(c, "352063"); err != nil {
		t.Fatalf("before revocation: %v", err)
	}
	n.revoke(t, "352063")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	took := n.waitRefused(t, c, "352063", 5*time.Second)
	t.Logf("refused %v after SIGHUP", took)
	if err := n.send(n.client(t, "national"), "national"); err != nil {
		t.Errorf("after SIGHUP, national: %v", err)
	}
}

// `pki revoke` writes the CRL a node loads; bad targets are refused naming
// the flag, and nothing is written.
func TestPKIRevokeCommand(t *testing.T) {
	n := newServeNetwork(t)
	crl := filepath.Join(n.data, pki.CRLFile)
	for _, args := range [][]string{
		{"--node", "nosuch!"},
		{"--terminal", "352063"},
		{"--serial", "xyz"},
		{"--node", "352063", "--reason", "7"},
		{},
	} {
		code, _, stderr := exec(t, "", append([]string{"pki", "revoke", "--dir", n.data}, args...)...)
		if code == 0 {
			t.Errorf("pki revoke %q: exit 0, want a refusal", args)
		}
		if _, err := os.Stat(crl); err == nil {
			t.Fatalf("pki revoke %q wrote %s (stderr %q)", args, crl, stderr)
		}
	}
	code, stdout, stderr := exec(t, "", "pki", "revoke", "--dir", n.data, "--node", "352063", "--serial", "0a:0b")
	if code != 0 {
		t.Fatalf("pki revoke: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "CRL 1, 2 revoked") {
		t.Errorf("output %q, want CRL 1 with 2 entries", stdout)
	}
	creds, err := pki.LoadNode(n.data, "350001")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := creds.Revocations.LoadFile(crl); err != nil {
		t.Fatal(err)
	}
	revoked, err := pki.LoadNode(n.data, "352063")
	if err != nil {
		t.Fatal(err)
	}
	if err := creds.Revocations.Check(revoked.Leaf()); err == nil {
		t.Error("352063 is not revoked by the written CRL")
	}
}

// With ops_addr, serve runs the ops listener: /readyz checks the node's
// network listener, /metrics reports the loaded CRL.
func TestServeOpsListener(t *testing.T) {
	n := newServeNetwork(t)
	opsAddr := freePort(t)
	f, err := os.OpenFile(n.config("350001"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "ops_addr = %q\n", opsAddr)
	f.Close()
	n.revoke(t, "352063")
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- serveNode(ctx, []string{"--config", n.config("350001")}, out, errOut, nil) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v (stderr %q)", err, errOut)
		}
	}()
	waitFor(t, "the ops listener", 30*time.Second, func() bool { return strings.Contains(out.String(), "ops http://") })
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + opsAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/readyz"); code != 200 || !strings.Contains(body, "ok listener network") {
		t.Errorf("/readyz: %d %q", code, body)
	}
	if _, body := get("/metrics"); !strings.Contains(body, "\njukinet_crl_revoked 1\n") {
		t.Errorf("/metrics does not report the one revoked certificate:\n%s", body)
	}
}

// logLines parses serve's JSON log lines and returns those with message msg.
func logLines(t *testing.T, out, msg string) []map[string]any {
	t.Helper()
	var found []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if m["msg"] == msg {
			found = append(found, m)
		}
	}
	return found
}
