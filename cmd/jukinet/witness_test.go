package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/store"
)

// TestOplogVerifyNetwork runs the demo network until 防府市's checkpoints are
// cosigned by 山口県 over mutual TLS, then verifies its log with the keys of
// DIR/network.toml; a changed leaf is named by its index.
func TestOplogVerifyNetwork(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	n, err := demo.StartNetwork(ctx, demo.NetworkConfig{Dir: dir, Residents: 10, Seed: 3,
		CheckpointEvery: 20, CheckpointInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	l := oplog.NewSQLLog(n.DBs["352063"])
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, ok, err := l.LatestCheckpoint(ctx, true)
		if err != nil {
			n.Close()
			t.Fatal(err)
		}
		if ok && c.Size > 10 {
			break
		}
		if time.Now().After(deadline) {
			n.Close()
			t.Fatal("352063: no cosigned checkpoint above size 10 within 20 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "352063.db")
	desc := filepath.Join(dir, "network.toml")
	if code, out, stderr := exec(t, "", "oplog", "verify", "--db", db, "--network", desc); code != 0 || !strings.HasPrefix(out, "ok") {
		t.Fatalf("verify --db %s --network: exit %d, %q %q; want 0 ok", db, code, out, stderr)
	}
	// The demo seeded its operators under DIR/352063's node key.
	tok := tokenArgs(t, db, "352063", filepath.Join(dir, "352063"), demo.ReaderSeed, "C-AUDIT", jukinet.AuthorityAudit)
	code, proof, stderr := exec(t, "", append([]string{"oplog", "prove", "--db", db, "--node", "352063", "--index", "3"}, tok...)...)
	if code != 0 {
		t.Fatalf("prove: exit %d: %s", code, stderr)
	}
	pf := filepath.Join(dir, "proof.json")
	if err := os.WriteFile(pf, []byte(proof), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := exec(t, "", "oplog", "verify-proof", pf, "--network", desc); code != 0 {
		t.Errorf("verify-proof --network: exit %d: %s", code, stderr)
	}
	for _, args := range [][]string{
		{"oplog", "verify", "--db", db, "--network", desc, "--log-key", "x=y"},
		{"oplog", "verify", "--db", filepath.Join(dir, "other.db"), "--network", desc},
	} {
		if code, _, _ := exec(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}

	// Tamper: drop the guard, change one leaf.
	s, err := store.Open(ctx, store.Config{Path: db, Node: "352063"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Bookkeeping(store.Inspect).Exec(`DROP TRIGGER oplog_no_update`); err != nil {
		t.Fatal(err)
	}
	// Record 4, in its own row or inside a run (store/logrun.go).
	var start, run int64
	var leaves, hashes []byte
	if err := s.Bookkeeping(store.Inspect).QueryRow(`SELECT idx, run, leaf, leaf_hash FROM oplog WHERE idx <= 4 ORDER BY idx DESC LIMIT 1`).Scan(&start, &run, &leaves, &hashes); err != nil {
		t.Fatal(err)
	}
	var recs []store.LogRecord
	if run == 1 {
		r, err := store.DecodeLogRecord(leaves)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	} else if err := store.RunRecords(uint64(start), leaves, hashes, int(run), func(_ int, leaf, _ []byte) bool {
		r, err := store.DecodeLogRecord(leaf)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	recs[4-start].Detail = "forged " + recs[4-start].Detail
	changed := recs[0].Leaf()
	if run > 1 {
		changed = store.EncodeRun(recs)
	}
	if _, err := s.Bookkeeping(store.Inspect).Exec(`UPDATE oplog SET leaf = $1 WHERE idx = $2`, changed, start); err != nil {
		t.Fatal(err)
	}
	s.Close()
	code, out, _ := exec(t, "", "oplog", "verify", "--db", db, "--network", desc)
	if code != 1 || !strings.Contains(out, "first bad index 4") {
		t.Errorf("verify tampered: exit %d, %q; want 1 naming index 4", code, out)
	}
}
