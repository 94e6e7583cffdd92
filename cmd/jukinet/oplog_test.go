package main

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/access"
	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/pki"
	"github.com/jukinet/jukinet/store"
)

func writeKey(t *testing.T, path string) {
	t.Helper()
	k, err := pki.NewSigningKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := pki.EncodePrivateKeyPEM(k)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestOplogCommands(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "352063.db")
	db, err := store.Open(context.Background(), store.Config{Path: dbPath, Node: "352063"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: "C1", OperatorID: "O1", Authority: jukinet.AuthorityLookup, Terminal: "T1"})
	for i := range 20 {
		if err := db.Update(ctx, store.Op{Operation: jukinet.OpResidentRead, Subject: "1000000000" + string(rune('0'+i%10)), Purpose: "case"}, func(*store.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	// The demo's operators, so that an auditor can hand a console token to
	// the command line.
	keysDir := filepath.Join(dir, "keys")
	ring, err := access.LoadOrCreateNodeKey(keysDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.SeedOperators(context.Background(), db, biometric.NewSyntheticReader(1, 0.1), ring.Current()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	auditor := func() []string { return tokenArgs(t, dbPath, "352063", keysDir, 1, "C-AUDIT", jukinet.AuthorityAudit) }
	writeKey(t, filepath.Join(dir, "node.key"))
	writeKey(t, filepath.Join(dir, "witness.key"))
	base := []string{"--db", dbPath, "--node", "352063"}

	code, out, stderr := exec(t, "", append([]string{"oplog", "checkpoint", "--key", filepath.Join(dir, "node.key"), "--witness-signing-key", filepath.Join(dir, "witness.key")}, base...)...)
	if code != 0 {
		t.Fatalf("checkpoint: exit %d: %s", code, stderr)
	}
	keys := regexp.MustCompile(`(?m)^(log|witness) key\s+(\S+)$`).FindAllStringSubmatch(out, -1)
	if len(keys) != 2 {
		t.Fatalf("checkpoint output %q does not print both keys", out)
	}
	keyArgs := []string{"--log-key", keys[0][2], "--witness-key", keys[1][2]}

	if code, out, stderr := exec(t, "", append(append([]string{"oplog", "verify"}, base...), keyArgs...)...); code != 0 || !strings.HasPrefix(out, "ok") {
		t.Fatalf("verify intact: exit %d, %q %q; want 0 ok", code, out, stderr)
	}
	code, proof, stderr := exec(t, "", append(append([]string{"oplog", "prove", "--index", "7"}, auditor()...), base...)...)
	if code != 0 {
		t.Fatalf("prove: exit %d: %s", code, stderr)
	}
	pf := filepath.Join(dir, "proof.json")
	os.WriteFile(pf, []byte(proof), 0o600)
	if code, _, stderr := exec(t, "", append([]string{"oplog", "verify-proof", pf}, keyArgs...)...); code != 0 {
		t.Errorf("verify-proof: exit %d: %s", code, stderr)
	}
	if code, _, _ := exec(t, "", append([]string{"oplog", "verify-proof", pf}, "--log-key", keys[1][2], "--witness-key", keys[1][2])...); code != 1 {
		t.Errorf("verify-proof with the wrong log key: exit %d, want 1", code)
	}
	if code, out, _ := exec(t, "", append(append([]string{"oplog", "query", "--resident", "10000000003", "--json"}, auditor()...), base...)...); code != 0 || strings.Count(out, `"idx"`) != 2 {
		t.Errorf("query by resident: exit %d, %s; want 2 records", code, out)
	}
	if code, _, _ := exec(t, "", append(append([]string{"oplog", "query"}, tokenArgs(t, dbPath, "352063", keysDir, 1, "C-CLERK", jukinet.AuthorityLookup)...), base...)...); code != 1 {
		t.Errorf("query by a lookup operator: exit %d, want 1 (forbidden)", code)
	}

	// Tamper: drop the guard, change one row.
	db, _ = store.Open(context.Background(), store.Config{Path: dbPath, Node: "352063"})
	db.Bookkeeping(store.Inspect).Exec(`DROP TRIGGER oplog_no_update`)
	if _, err := db.Bookkeeping(store.Inspect).Exec(`UPDATE oplog SET leaf = replace(leaf, '"purpose":"case"', '"purpose":"cas2"') WHERE idx = 5`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, _ = exec(t, "", append(append([]string{"oplog", "verify"}, base...), keyArgs...)...)
	if code != 1 || !strings.Contains(out, "first bad index 5") {
		t.Errorf("verify tampered: exit %d, %q; want 1 naming index 5", code, out)
	}

	// Put the leaf back and move row 9 to another operator: only its
	// collation_id column changes, which query --operator reads.
	db, _ = store.Open(context.Background(), store.Config{Path: dbPath, Node: "352063"})
	if _, err := db.Bookkeeping(store.Inspect).Exec(`UPDATE oplog SET leaf = replace(leaf, '"purpose":"cas2"', '"purpose":"case"') WHERE idx = 5`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Bookkeeping(store.Inspect).Exec(`UPDATE oplog SET collation_id = 'C2' WHERE idx = 9`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, _ = exec(t, "", append(append([]string{"oplog", "verify"}, base...), keyArgs...)...)
	if code != 1 || !strings.Contains(out, "first bad index 9") || !strings.Contains(out, "column oplog.collation_id") {
		t.Errorf("verify with a changed collation_id: exit %d, %q; want 1 naming index 9 and column oplog.collation_id", code, out)
	}

	for _, args := range [][]string{{"oplog"}, {"oplog", "nope"}, {"oplog", "prove", "--db", dbPath, "--node", "352063"}, {"oplog", "verify", "--db", dbPath, "--node", "352063"},
		{"oplog", "report", "--db", dbPath, "--node", "352063"}, {"oplog", "purge", "--db", dbPath}, {"oplog", "verify-seal"}} {
		if code, _, _ := exec(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
