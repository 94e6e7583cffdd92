package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network/loopback"
	"github.com/jukinet/jukinet/pki"
	_ "modernc.org/sqlite"
)

// freePort picks a loopback address for a node's network listener, which
// the serve process binds later (outside the ephemeral range, so no
// connection made meanwhile takes it).
func freePort(t *testing.T) string {
	t.Helper()
	addr, err := loopback.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// TestServeRunsEachNodeOnItsOwn runs three nodes — a CS, its prefecture and
// the national server — each through `jukinet serve` with its own node.toml
// (as three processes would), records a birth at the CS from the console,
// and waits for the identity information to reach the national server.
func TestServeRunsEachNodeOnItsOwn(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if _, err := pki.Init(data, pki.Options{Name: "serve test CA"}); err != nil {
		t.Fatal(err)
	}
	nodes := []struct{ id, kind, name, pref string }{
		{"national", "national", "全国サーバ", ""}, {"350001", "prefecture", "山口県", ""}, {"352063", "municipality", "防府市", "350001"},
	}
	var desc strings.Builder
	for _, n := range nodes {
		c, err := pki.IssueNodeFiles(data, n.id, []string{"127.0.0.1"}, pki.Options{})
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
	// The CS's operators and designations before the node runs; the clerk
	// issues a console token for each attempt below.
	csDB, csKeys := filepath.Join(data, "352063.db"), filepath.Join(dir, "cs-keys")
	seedOperatorsAt(t, csDB, "352063", csKeys)
	governNode(t, csDB)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make([]error, len(nodes))
	outs := make([]*bytes.Buffer, len(nodes))
	for i, n := range nodes {
		cfg := filepath.Join(dir, n.id+".toml")
		os.WriteFile(cfg, []byte(fmt.Sprintf("node = %q\nnetwork = \"network.toml\"\ndata = \"data\"\n", n.id)), 0o600)
		outs[i] = &bytes.Buffer{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = run(ctx, []string{"serve", "--config", cfg}, strings.NewReader(""), outs[i], &bytes.Buffer{})
		}()
	}
	defer func() {
		cancel()
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("serve %s: %v (output %q)", nodes[i].id, err, outs[i])
			}
		}
	}()
	birth := `{"name":{"kanji":"防府　次郎","kana":"ホウフ　ジロウ"},"birth_date":"2026-11-01","sex":"male","address_text":"山口県防府市寿町7番1号"}`
	// The CS asked the national server for resident codes as it started; a
	// birth is refused until the grant and the answer to its check have
	// arrived.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		code, _, stderr := exec(t, birth, append([]string{"register", "birth", "--db", csDB}, tokenArgs(t, csDB, "352063", csKeys, 1, "C-CLERK", jukinet.AuthorityRecord)...)...)
		if code == 0 {
			break
		}
		if !strings.Contains(stderr, "pool is empty") && !strings.Contains(stderr, "waiting for the national server") || time.Now().After(deadline) {
			t.Fatalf("birth at the CS: %s", stderr)
		}
	}
	nat, err := sql.Open("sqlite", "file:"+filepath.Join(data, "national.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer nat.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		if err := nat.QueryRow(`SELECT COUNT(*) FROM flow_identity WHERE municipality = '352063'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the birth did not reach the national server; outputs: %q", outs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
