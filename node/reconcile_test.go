package node_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// The CS 整合性確認 over the real network (mutual TLS, the real inboxes and
// their ordering): 防府市 compares its current identity information with
// 山口県's copy and resends what differs.

const yamaguchiPref = "350001"

// reconcile runs one CS 整合性確認 at 防府市 to its end and waits until every
// resent notice is delivered.
func reconcile(t *testing.T, n *demo.Network) node.ReconcileRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin := jukinet.WithActor(ctx, jukinet.Actor{CollationID: "C-SYSADM", OperatorID: "OP-SYS", Authority: jukinet.AuthoritySystemAdmin, Terminal: demo.TerminalID})
	m := n.Municipality(hofu)
	id, err := m.Reconcile(admin)
	if err != nil {
		t.Fatal(err)
	}
	run, err := m.AwaitReconcile(ctx, id, 20*time.Millisecond)
	if err != nil {
		for _, id := range []string{string(hofu), yamaguchiPref} {
			rows, err := n.DBs[id].Bookkeeping(store.Inspect).Query(`SELECT kind, state, last_error FROM outbox WHERE kind LIKE 'reconcile%'`)
			if err != nil {
				t.Logf("%s outbox: %v", id, err)
				continue
			}
			for rows.Next() {
				var k, s, e string
				if err := rows.Scan(&k, &s, &e); err != nil {
					t.Logf("%s outbox: %v", id, err)
					break
				}
				t.Logf("%s outbox %s %s %s", id, k, s, e)
			}
			rows.Close()
		}
		t.Fatal(err)
	}
	if err := n.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	return run
}

// converged checks that 山口県 holds, for every person of 防府市, the
// current notice of 防府市 — same content, same version — and that no
// version was applied twice there.
func converged(t *testing.T, n *demo.Network) {
	t.Helper()
	cs, pref := n.DBs[hofu], n.DBs[yamaguchiPref]
	rows, err := cs.Bookkeeping(store.Inspect).Query(`SELECT h.resident_code, h.version, h.info FROM identity_history h
 JOIN identity_versions v ON v.resident_code = h.resident_code AND v.version = h.version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	persons := 0
	for rows.Next() {
		var code, info string
		var v int64
		if err := rows.Scan(&code, &v, &info); err != nil {
			t.Fatal(err)
		}
		persons++
		var got string
		var gv int64
		if err := pref.Bookkeeping(store.Inspect).QueryRow(`SELECT version, info FROM flow_identity WHERE municipality = $1 AND resident_code = $2`, string(hofu), code).Scan(&gv, &got); err != nil {
			t.Fatalf("person %d: the prefecture has no row: %v", persons, err)
		}
		if gv != v || !sameInfo(t, got, info) {
			t.Errorf("person %d: the prefecture holds version %d %s, the CS version %d %s", persons, gv, got, v, info)
		}
	}
	if persons == 0 {
		t.Fatal("the CS has no persons")
	}
	if dup := count(t, pref, `SELECT COUNT(*) FROM (SELECT ordering_key, version FROM inbox WHERE state = 'applied' AND kind = 'identity.notify'
 GROUP BY ordering_key, version HAVING COUNT(*) > 1) d`); dup != 0 {
		t.Errorf("%d versions applied twice at the prefecture", dup)
	}
}

func sameInfo(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y jukinet.IdentityInfo
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatal(err)
	}
	x.Version, y.Version = 0, 0
	return x == y
}

func outboxCount(t *testing.T, db *store.DB, kind string) int {
	t.Helper()
	return count(t, db, `SELECT COUNT(*) FROM outbox WHERE kind = $1`, kind)
}

// TestReconcileEqualCopySendsNothing: against an equal copy the run is one
// request and one answer, and no notice is sent again.
func TestReconcileEqualCopySendsNothing(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := engineNet(t, e, 30)
			if err := n.WaitIdle(context.Background()); err != nil {
				t.Fatal(err)
			}
			cs, pref := n.DBs[hofu], n.DBs[yamaguchiPref]
			notices, answers, all := outboxCount(t, cs, "identity.notify"), outboxCount(t, pref, "reconcile.digests"), count(t, cs, `SELECT COUNT(*) FROM outbox`)
			run := reconcile(t, n)
			if run.Persons != 30 || run.DifferingBuckets != 0 || run.ResentPersons != 0 || run.Messages != 0 || run.PeerOnly != 0 {
				t.Errorf("run = %+v, want 30 persons compared and nothing differing or resent", run)
			}
			if got := outboxCount(t, cs, "identity.notify"); got != notices {
				t.Errorf("identity.notify queued at the CS: %d, was %d: a reconcile against an equal copy sent notices", got, notices)
			}
			if got := count(t, cs, `SELECT COUNT(*) FROM outbox`); got != all+1 {
				t.Errorf("CS outbox grew by %d messages, want 1 (the request)", got-all)
			}
			if got := outboxCount(t, pref, "reconcile.digests"); got != answers+1 {
				t.Errorf("the prefecture answered with %d messages, want 1", got-answers)
			}
			converged(t, n)
		})
	}
}

// TestReconcilePrefectureLostRows: the prefecture lost some rows of its
// copy (its inbox still says which versions it applied); the CS sends
// those persons' notices above that version and the copy is whole again,
// nothing applied twice.
func TestReconcilePrefectureLostRows(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := engineNet(t, e, 30)
			pref := n.DBs[yamaguchiPref]
			if _, err := pref.Bookkeeping(store.Inspect).Exec(`DELETE FROM flow_identity WHERE municipality = $1 AND resident_code IN
 (SELECT resident_code FROM flow_identity WHERE municipality = $1 ORDER BY resident_code LIMIT 4)`, string(hofu)); err != nil {
				t.Fatal(err)
			}
			run := reconcile(t, n)
			if run.ResentPersons != 4 || run.Messages != 4 || run.PeerOnly != 0 || run.Unresolved != 0 {
				t.Errorf("run = %+v, want 4 persons resent with one message each", run)
			}
			converged(t, n)
			if again := reconcile(t, n); again.Messages != 0 {
				t.Errorf("a second run sent %d messages, want 0 (converged)", again.Messages)
			}
		})
	}
}

// TestReconcileAlteredField: a field of the prefecture's copy was altered
// behind the protocol's back; the CS's current notice goes again under the
// next version and replaces it, at the national server too.
func TestReconcileAlteredField(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := engineNet(t, e, 10)
			pref := n.DBs[yamaguchiPref]
			info := identityOf(t, n.DBs[hofu])
			altered := info
			altered.Name.Kanji = "改竄\u3000太郎"
			b, _ := json.Marshal(altered)
			if _, err := pref.Bookkeeping(store.Inspect).Exec(`UPDATE flow_identity SET info = $1 WHERE municipality = $2 AND resident_code = $3`, string(b), string(hofu), string(info.ResidentCode)); err != nil {
				t.Fatal(err)
			}
			run := reconcile(t, n)
			if run.ResentPersons != 1 || run.Messages != 1 || run.DifferingBuckets != 1 {
				t.Errorf("run = %+v, want one person in one bucket resent", run)
			}
			converged(t, n)
			var v int64
			if err := pref.Bookkeeping(store.Inspect).QueryRow(`SELECT version FROM flow_identity WHERE resident_code = $1`, string(info.ResidentCode)).Scan(&v); err != nil || v != int64(info.Version)+1 {
				t.Errorf("prefecture version %d (%v), want %d", v, err, info.Version+1)
			}
			waitCount(t, n.DBs[network.NationalID], 1, 30*time.Second, `SELECT COUNT(*) FROM flow_identity WHERE version = 2`)
		})
	}
}

// TestReconcileOtherMunicipalityRefused: a CS asking for the digests of
// another municipality's residents is refused; the refusal is recorded at
// the prefecture (inbox and log) and is a dead letter at the CS; nothing
// is answered.
func TestReconcileOtherMunicipalityRefused(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := engineNet(t, e, 3)
			ctx := context.Background()
			cs, pref := n.DBs[hofu], n.DBs[yamaguchiPref]
			answers := outboxCount(t, pref, "reconcile.digests")
			req := node.ReconcileRequest{Run: "0195f3a1-7c2e-7d41-9b1f-000000000001", Municipality: yamaguchi,
				Buckets: []node.BucketDigest{{Bucket: 0, Count: 1, Digest: "00000000000000000000000000000000000000000000000000000000000000ff"}}}
			if err := cs.Update(jukinet.WithActor(ctx, jukinet.SystemActor("test")), store.Op{Operation: jukinet.OpNetworkReconcile, Detail: "probe"}, func(tx *store.Tx) error {
				return node.Queue(tx, network.KindReconcileRequest, yamaguchiPref, "", 0, req)
			}); err != nil {
				t.Fatal(err)
			}
			waitCount(t, pref, 1, 30*time.Second, `SELECT COUNT(*) FROM inbox WHERE kind = 'reconcile.request' AND state = 'rejected' AND reason = 'refused'`)
			waitCount(t, cs, 1, 30*time.Second, `SELECT COUNT(*) FROM outbox WHERE kind = 'reconcile.request' AND state = 'rejected'`)
			found := false
			for _, r := range rejectedRecords(t, pref) {
				found = found || strings.Contains(r, "reconcile.request")
			}
			if !found {
				t.Errorf("no rejected log record of the reconcile.request at the prefecture: %v", rejectedRecords(t, pref))
			}
			if got := outboxCount(t, pref, "reconcile.digests"); got != answers {
				t.Errorf("the prefecture answered a probe of another municipality (%d answers)", got-answers)
			}
		})
	}
}

// TestReconcileRestoredCS: 防府市's CS is restored from a backup older than
// two changes the prefecture already has. A change made after the restore
// reuses a version the prefecture applied, so the prefecture keeps it as
// history only; the CS 整合性確認 sends the CS's current notices above the
// prefecture's versions, the copy converges, nothing is applied twice, and
// the next change applies normally. SQLite: the restore is the file copy
// `jukinet backup` makes.
func TestReconcileRestoredCS(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	n, err := demo.StartNetwork(ctx, demo.NetworkConfig{Dir: dir, OutboxBatch: 500})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	seedHofu(t, n, 10)
	if err := n.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	clerkCtx := jukinet.WithActor(ctx, jukinet.Actor{CollationID: demo.DemoClerk, OperatorID: demo.OperatorID(demo.DemoClerk, jukinet.AuthorityRecord), Authority: jukinet.AuthorityRecord, Terminal: demo.TerminalID})
	backup := filepath.Join(t.TempDir(), "hofu.db")
	if err := n.DBs[hofu].Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	info := identityOf(t, n.DBs[hofu])
	today := jukinet.Today(time.Now())
	rename := func(kanji string) {
		t.Helper()
		if _, err := n.Municipality(hofu).Register().NameChange(clerkCtx, info.ResidentCode, jukinet.Name{Kanji: kanji, Kana: "カイメイ\u3000タロウ"}, today); err != nil {
			t.Fatal(err)
		}
		if err := n.WaitIdle(ctx); err != nil {
			t.Fatal(err)
		}
	}
	rename("改名\u3000一郎")
	rename("改名\u3000二郎") // the prefecture is at version 3
	if err := n.Stop(string(hofu), true); err != nil {
		t.Fatal(err)
	}
	restoreFile(t, backup, filepath.Join(dir, string(hofu)+".db"))
	if err := n.Restart(ctx, string(hofu)); err != nil {
		t.Fatal(err)
	}
	rename("改名\u3000三郎") // version 2 again at the CS: history at the prefecture
	if got := prefName(t, n, info.ResidentCode); got != "改名\u3000二郎" {
		t.Fatalf("before the reconcile the prefecture holds %q, want the lost change (改名 二郎)", got)
	}
	run := reconcile(t, n)
	if run.ResentPersons != 1 || run.Messages != 1 {
		t.Errorf("run = %+v, want one person resent", run)
	}
	converged(t, n)
	rename("改名\u3000四郎")
	if got := prefName(t, n, info.ResidentCode); got != "改名\u3000四郎" {
		t.Errorf("after the reconcile a new change did not apply at the prefecture: %q", got)
	}
	converged(t, n)
}

func prefName(t *testing.T, n *demo.Network, code jukinet.ResidentCode) string {
	t.Helper()
	var s string
	if err := n.DBs[yamaguchiPref].Bookkeeping(store.Inspect).QueryRow(`SELECT info FROM flow_identity WHERE resident_code = $1`, string(code)).Scan(&s); err != nil {
		t.Fatal(err)
	}
	var info jukinet.IdentityInfo
	if err := json.Unmarshal([]byte(s), &info); err != nil {
		t.Fatal(err)
	}
	return info.Name.Kanji
}

// restoreFile puts the backup in place of the (closed) database at path.
func restoreFile(t *testing.T, backup, path string) {
	t.Helper()
	b, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		os.Remove(path + suffix)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
