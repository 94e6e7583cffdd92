package node_test

import (
	"context"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// TestNationalFailsOverOnPatroni runs the national server on a replicated
// PostgreSQL managed by Patroni (synchronous replication, etcd): identity
// updates reach the primary through a multi-host DSN
// (target_session_attrs=read-write), batch lookups a standby
// (prefer-standby). The primary is killed with SIGKILL in the middle of a
// stream: Patroni promotes the standby, the prefecture's outbox retries,
// and national ends with every update exactly once and in order, and a log
// that verifies on the promoted database. The gap is measured.
func TestNationalFailsOverOnPatroni(t *testing.T) {
	cluster := storetest.StartPatroni(t)
	ctx := context.Background()
	var national *store.DB
	n, err := demo.StartNetwork(ctx, demo.NetworkConfig{Dir: t.TempDir(), OutboxBatch: 500,
		CheckpointEvery: 200, CheckpointInterval: 200 * time.Millisecond,
		Open: func(ctx context.Context, id string) (*store.DB, error) {
			if id != network.NationalID {
				return store.Open(ctx, storetest.Config(t, store.SQLite, id))
			}
			db, err := store.Open(ctx, store.Config{DSN: cluster.DSN(), ReadDSN: cluster.ReadDSN(), Node: id})
			national = db
			return db, err
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	persons, versions := 200, 10
	if raceEnabled || testing.Short() {
		persons = 50
	}
	infos := seedHofu(t, n, persons)

	// A batch lookup reads on the standby: once it has replayed the seed,
	// the answer is the stored state.
	conn, err := national.ReadConn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var standby bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_is_in_recovery()`).Scan(&standby); err != nil || !standby {
		t.Fatalf("the read connection is on a standby: %v, %v", standby, err)
	}
	conn.Close()
	codes := make([]string, len(infos))
	for i, info := range infos {
		codes[i] = string(info.ResidentCode)
	}
	var got map[string]jukinet.IdentityInfo
	for try := 0; try < 100; try++ {
		if got, err = node.LookupIdentities(jukinet.WithActor(ctx, testActor), national, codes, "test"); err != nil || len(got) == persons {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil || len(got) != persons {
		t.Fatalf("batch lookup on the standby: %d of %d, %v", len(got), persons, err)
	}

	queueVersions(t, n.DBs[hofu], infos, 2, uint64(versions))
	total := persons * versions
	const q = `SELECT COUNT(*) FROM flow_identity_history`
	seen := waitBetween(t, national, persons+persons/2, total, q)
	killed := cluster.KillPrimary()
	killedAt := time.Now()
	t.Logf("killed primary pg%d with %d of %d updates at national (%d in flight)", killed+1, seen, total, total-seen)
	promoted := cluster.WaitPrimary(ctx, 60*time.Second)
	promotedAt := time.Now()
	if promoted == killed {
		t.Fatalf("the killed member pg%d is still the primary", killed+1)
	}
	// The first update applied after the kill ends the gap.
	var resumedAt time.Time
	deadline := time.Now().Add(120 * time.Second)
	for time.Now().Before(deadline) {
		var c int
		if err := national.Bookkeeping(store.Inspect).QueryRow(q).Scan(&c); err == nil && c > seen {
			resumedAt = time.Now()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if resumedAt.IsZero() {
		t.Fatal("national applied nothing after the failover")
	}
	t.Logf("failover: promoted after %s, updates applied again after %s", promotedAt.Sub(killedAt).Round(time.Millisecond), resumedAt.Sub(killedAt).Round(time.Millisecond))
	// A sender that failed during the outage may be in its backoff for a
	// while after the promotion (checkpoint and cosign messages too): give
	// every outbox time to drain before the exact checks.
	waitCount(t, national, total, 120*time.Second, q)
	for _, db := range n.DBs {
		waitCount(t, db, 0, 120*time.Second, `SELECT COUNT(*) FROM outbox WHERE state <> 'delivered'`)
	}
	checkNational(t, n, infos, versions)

	// After the failover no standby is left: prefer-standby falls back to
	// the new primary, and the answer is the newest state.
	got, err = node.LookupIdentities(jukinet.WithActor(ctx, testActor), national, codes, "test")
	if err != nil || len(got) != persons || got[codes[0]].Version != uint64(versions) {
		t.Fatalf("batch lookup after the failover: %d of %d at v%d, %v", len(got), persons, got[codes[0]].Version, err)
	}

	// The log verifies on the promoted database, checkpoints included.
	l := oplog.NewSQLLog(national)
	logKey, witKey, err := node.LogVerifiers(n.Description, node.DefaultLogDomain, network.NationalID)
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.Verify(ctx, oplog.Verifier{Origin: oplog.Origin(node.DefaultLogDomain, network.NationalID), Log: logKey, Witnesses: []note.Verifier{witKey}})
	if err != nil || r.Failure != nil {
		t.Fatalf("oplog verify on the promoted database: %+v, %v", r.Failure, err)
	}
	if r.Verified == 0 {
		t.Error("oplog verify proved no record")
	}
}
