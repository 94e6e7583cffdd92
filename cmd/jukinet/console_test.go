package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/access"
	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/store"
)

// governedNode is seededNode with 防府市's year of governance: role holders
// and the staff designated to handle identity information (G16-2.1).
func governedNode(t *testing.T) (dbPath, keys string) {
	t.Helper()
	dbPath, keys = seededNode(t)
	governNode(t, dbPath)
	return dbPath, keys
}

// governNode seeds 防府市's year of governance on the database at dbPath.
func governNode(t *testing.T, dbPath string) {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{Path: dbPath, Node: "352063"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := demo.SeedGovernance(context.Background(), db, jukinet.Today(db.Now())); err != nil {
		t.Fatal(err)
	}
}

// handlersAt makes the municipality node of the database at dbPath ready
// for counter work (demo.SeedHandlers: role holders and the designated
// handlers of identity information).
func handlersAt(t *testing.T, dbPath, node string) {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{Path: dbPath, Node: node})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := demo.SeedHandlers(context.Background(), db, jukinet.Today(db.Now())); err != nil {
		t.Fatal(err)
	}
}

// seedOperatorsAt creates the node key under keys and the demo operators
// (synthetic reader of seed 1) on the database at dbPath.
func seedOperatorsAt(t *testing.T, dbPath, node, keys string) {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{Path: dbPath, Node: node})
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
}

// tokenArgs logs collationID in at the demo terminal under its 操作者ID of
// authority a (reading from a synthetic reader of seed), issues a console
// token from that session, and returns the flags that redeem it.
func tokenArgs(t *testing.T, dbPath, node, keys string, seed int64, collationID string, a jukinet.Authority) []string {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{Path: dbPath, Node: node})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ring, err := access.LoadNodeKeys(keys)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := access.New(db, ring, access.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := svc.Login(ctx, access.LoginRequest{Terminal: demo.TerminalID, CollationID: collationID,
		Reading: biometric.NewSyntheticReader(seed, 0.1).Genuine(collationID, 0.05), OperatorID: demo.OperatorID(collationID, a)})
	if err != nil {
		t.Fatalf("login %s: %v", collationID, err)
	}
	tok, err := svc.IssueConsoleToken(jukinet.WithActor(ctx, s.Actor))
	if err != nil {
		t.Fatal(err)
	}
	return []string{"--token", tok.Token, "--keys", keys}
}

// oplogCount counts the node's log records of operation with result.
func oplogCount(t *testing.T, dbPath string, operation jukinet.Operation, result string) int {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{Path: dbPath, Node: "352063"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM oplog WHERE operation = $1 AND result = $2`, string(operation), result).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestConsoleCannotClaimAnIdentity: whoever has the database file cannot
// act "as" an operator from the command line. Without a token the console
// is the console principal (OS user and host in the log), refused personal
// data; the old identity flags are refused; a token works once, as the
// operator who issued it; an export needs a token and a purpose.
func TestConsoleCannotClaimAnIdentity(t *testing.T) {
	dbPath, keys := governedNode(t)
	code, _, stderr := exec(t, "", "export", "--db", dbPath, "--purpose", "監査")
	if code != 1 || !strings.Contains(stderr, "console:") {
		t.Errorf("export by the console principal: exit %d, %q; want 1 naming the console principal", code, stderr)
	}
	if n := oplogCount(t, dbPath, jukinet.OpResidentExport, "forbidden"); n != 1 {
		t.Errorf("refused exports logged: %d, want 1", n)
	}
	for _, flag := range []string{"--collation-id", "--operator-id", "--authority", "--terminal"} {
		if code, _, _ := exec(t, "", "export", "--db", dbPath, "--purpose", "監査", flag, "C-AUDIT"); code != 2 {
			t.Errorf("export %s: exit %d, want 2 (the flag is refused)", flag, code)
		}
	}
	in := `{"resident_code":"12345678903","purpose":"照会"}`
	if code, _, stderr := exec(t, in, "register", "get", "--db", dbPath); code != 1 || !strings.Contains(stderr, "not allowed for authority system_admin") {
		t.Errorf("register get by the console principal: exit %d, %q; want refused", code, stderr)
	}

	tok := tokenArgs(t, dbPath, "352063", keys, 1, "C-SYSADM", jukinet.AuthoritySystemAdmin)
	if code, _, _ := exec(t, "", append([]string{"export", "--db", dbPath}, tok...)...); code != 2 {
		t.Errorf("export with a token but no purpose: exit %d, want 2", code)
	}
	code, out, stderr := exec(t, "", append([]string{"export", "--db", dbPath, "--purpose", "バックアップ"}, tok...)...)
	if code != 0 || !strings.HasPrefix(out, "resident_code,") {
		t.Fatalf("export with a token: exit %d, %q", code, stderr)
	}
	if code, _, _ := exec(t, "", append([]string{"export", "--db", dbPath, "--purpose", "バックアップ"}, tok...)...); code != 1 {
		t.Errorf("the same token again: exit %d, want 1", code)
	}
	bad := append([]string(nil), tok...)
	bad[3] = filepath.Join(t.TempDir(), "other-keys")
	if code, _, _ := exec(t, "", append([]string{"export", "--db", dbPath, "--purpose", "x"}, bad...)...); code != 1 {
		t.Errorf("a token with another node's keys: exit %d, want 1", code)
	}
	// The export is logged as the operator who issued the token.
	db, err := store.Open(context.Background(), store.Config{Path: dbPath, Node: "352063"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var who, purpose string
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT collation_id, purpose FROM oplog WHERE operation = $1 AND result = 'ok'`, string(jukinet.OpResidentExport)).Scan(&who, &purpose); err != nil {
		t.Fatal(err)
	}
	if who != "C-SYSADM" || purpose != "バックアップ" {
		t.Errorf("export logged as %q with purpose %q, want C-SYSADM and the purpose", who, purpose)
	}
}
