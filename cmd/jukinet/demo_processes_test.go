package main

import (
	"bufio"
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

	"github.com/jukinet/jukinet/demo"
)

// TestDemoProcesses builds the jukinet binary, runs `jukinet demo
// --processes`, waits for its "node <ID> terminal <URL> ops <URL>" lines,
// reaches every node's terminal with that node's terminal certificate and
// its ops /healthz, waits for the seeded persons to reach the national
// server across the six processes, then stops it with SIGINT and checks
// that every child has stopped.
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
	}
	if _, err := os.Stat(filepath.Join(data, "352063.toml")); err != nil {
		t.Errorf("the node configuration an operator would write: %v", err)
	}
}
