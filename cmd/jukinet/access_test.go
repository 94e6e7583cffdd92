package main

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/access"
	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/store"
)

// seededNode makes a node database with the demo operators and its key dir.
func seededNode(t *testing.T) (dbPath, keys string) {
	t.Helper()
	dir := t.TempDir()
	dbPath = filepath.Join(dir, "352063.db")
	keys = filepath.Join(dir, "keys")
	db, err := store.Open(context.Background(), store.Config{Path: dbPath, Node: "352063"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ring, err := access.LoadOrCreateNodeKey(keys)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.SeedOperators(context.Background(), db, biometric.NewSyntheticReader(1, 0.1), ring.Current()); err != nil {
		t.Fatal(err)
	}
	return dbPath, keys
}

func TestDoctor(t *testing.T) {
	dbPath, keys := seededNode(t)
	archive := filepath.Join(filepath.Dir(dbPath), "archive")
	os.Mkdir(archive, 0o700)
	os.WriteFile(filepath.Join(archive, "2026-10.tar"), []byte("x"), 0o600)

	code, out, _ := exec(t, "", "doctor", "--db", dbPath, "--keys", keys, "--archive", archive)
	if code != 1 || !strings.Contains(out, "no OS password policy is recorded") || strings.Count(out, "finding:") != 1 {
		t.Errorf("doctor without a policy: exit %d, output %q; want 1 with exactly the missing policy", code, out)
	}
	code, out, errOut := exec(t, "", "access", "password-policy", "set", "--db", dbPath, "--min-length", "14", "--char-classes", "3", "--lockout", "5")
	if code != 0 {
		t.Fatalf("password-policy set: exit %d %s %s", code, out, errOut)
	}
	if code, out, _ := exec(t, "", "doctor", "--db", dbPath, "--keys", keys, "--archive", archive); code != 0 {
		t.Errorf("doctor on a clean node: exit %d, output %q; want 0", code, out)
	}
	for _, tc := range []struct {
		name, path, want string
		mode             os.FileMode
	}{
		{"db 0644", dbPath, "database file is accessible", 0o644},
		{"biometric key 0640", filepath.Join(keys, access.KeyFileName(1)), "private key is accessible", 0o640},
		{"archive file 0644", filepath.Join(archive, "2026-10.tar"), "archive file is accessible", 0o644},
		{"archive dir 0755", archive, "archive directory is accessible", 0o755},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info, _ := os.Stat(tc.path)
			os.Chmod(tc.path, tc.mode)
			defer os.Chmod(tc.path, info.Mode().Perm())
			code, out, _ := exec(t, "", "doctor", "--db", dbPath, "--keys", keys, "--archive", archive)
			if code != 1 || !strings.Contains(out, tc.path) || !strings.Contains(out, tc.want) {
				t.Errorf("doctor with %s at %v: exit %d, output %q; want 1 naming it (%q)", tc.path, tc.mode, code, out, tc.want)
			}
		})
	}
	if code, _, _ := exec(t, "", "doctor", "--db", filepath.Join(t.TempDir(), "none.db")); code != 1 {
		t.Errorf("doctor on a missing database: exit %d, want 1", code)
	}
	if code, _, _ := exec(t, "", "doctor"); code != 2 {
		t.Errorf("doctor without --db: exit %d, want 2", code)
	}
}

func TestAccessRegisterCommand(t *testing.T) {
	dbPath, keys := seededNode(t)
	tok := func(id string, a jukinet.Authority) []string { return tokenArgs(t, dbPath, "352063", keys, 1, id, a) }
	code, out, errOut := exec(t, "", append([]string{"access", "register", "--db", dbPath, "--format", "csv", "--register", "operator"}, tok("C-ADMIN", jukinet.AuthorityAccessAdmin)...)...)
	if code != 0 {
		t.Fatalf("access register csv: exit %d, %s", code, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 15 || rows[0][0] != "operator_id" {
		t.Errorf("operator register CSV: %d rows, err %v; want a header and the 14 demo 操作者ID", len(rows), err)
	}
	code, out, _ = exec(t, "", append([]string{"access", "register", "--db", dbPath, "--format", "html"}, tok("C-AUDIT", jukinet.AuthorityAudit)...)...)
	if code != 0 || !strings.Contains(out, "照合ID管理簿") || !strings.Contains(out, "@media print") {
		t.Errorf("access register html: exit %d, want a printable page", code)
	}
	if code, _, _ := exec(t, "", append([]string{"access", "register", "--db", dbPath}, tok("C-CLERK", jukinet.AuthorityRecord)...)...); code != 1 {
		t.Errorf("access register as a record clerk: exit %d, want 1 (forbidden)", code)
	}
	if code, _, _ := exec(t, "", "access", "register", "--db", dbPath, "--format", "pdf"); code != 2 {
		t.Errorf("access register --format pdf: exit %d, want 2", code)
	}
	if code, out, _ := exec(t, "", "access", "password-policy", "show", "--db", dbPath); code != 1 {
		t.Errorf("password-policy show with none recorded: exit %d (%s), want 1", code, out)
	}
	keys = filepath.Join(t.TempDir(), "k")
	if code, out, _ := exec(t, "", "access", "node-key", "init", "--keys", keys); code != 0 || !strings.Contains(out, "[1]") {
		t.Errorf("node-key init: exit %d, %q", code, out)
	}
	if code, out, _ := exec(t, "", "access", "node-key", "rotate", "--keys", keys); code != 0 || !strings.Contains(out, "[1 2]") {
		t.Errorf("node-key rotate: exit %d, %q", code, out)
	}
}
