package main

import (
	"context"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// TestNetworkReconcileCommand: `network reconcile` acts only as the operator
// of a console token (without one it is a usage error and queues nothing);
// with one it records the run as that operator, queues the request to the
// prefecture and prints counts, and --run shows the run again. The
// exchange itself is tested in the node package (TestReconcile*).
func TestNetworkReconcileCommand(t *testing.T) {
	dbPath, keys := governedNode(t)
	if code, _, stderr := exec(t, "", "network", "reconcile", "--db", dbPath); code != 2 || !strings.Contains(stderr, "--token") {
		t.Errorf("reconcile without a token: exit %d, %q; want 2 asking for --token", code, stderr)
	}
	if n := requests(t, dbPath); n != 0 {
		t.Fatalf("%d requests queued without a token", n)
	}
	tok := tokenArgs(t, dbPath, "352063", keys, 1, "C-SYSADM", jukinet.AuthoritySystemAdmin)
	code, out, stderr := exec(t, "", append([]string{"network", "reconcile", "--db", dbPath}, tok...)...)
	if code != 0 || !strings.Contains(out, "against 350001") || !strings.Contains(out, "waiting for the answer") {
		t.Fatalf("reconcile: exit %d, %q, %q", code, out, stderr)
	}
	if n := requests(t, dbPath); n != 1 {
		t.Errorf("%d reconcile.request queued to 350001, want 1", n)
	}
	db, err := store.Open(context.Background(), store.Config{Path: dbPath, Node: "352063"})
	if err != nil {
		t.Fatal(err)
	}
	var who string
	err = db.Bookkeeping(store.Inspect).QueryRow(`SELECT collation_id FROM oplog WHERE operation = $1 AND result = 'ok'`, string(jukinet.OpNetworkReconcile)).Scan(&who)
	db.Close()
	if err != nil || who != "C-SYSADM" {
		t.Errorf("reconcile logged as %q (%v), want C-SYSADM", who, err)
	}
	id := strings.Fields(out)[1]
	tok = tokenArgs(t, dbPath, "352063", keys, 1, "C-SYSADM", jukinet.AuthoritySystemAdmin)
	code, again, _ := exec(t, "", append([]string{"network", "reconcile", "--db", dbPath, "--run", id, "--json"}, tok...)...)
	if code != 0 || !strings.Contains(again, `"id": "`+id+`"`) || !strings.Contains(again, `"done": false`) {
		t.Errorf("reconcile --run: exit %d, %q", code, again)
	}
	if n := requests(t, dbPath); n != 1 {
		t.Errorf("--run queued another request (%d)", n)
	}
}

func requests(t *testing.T, dbPath string) int {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{Path: dbPath, Node: "352063"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM outbox WHERE kind = 'reconcile.request' AND dest = '350001'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
