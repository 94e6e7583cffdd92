package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/store"
)

const (
	hofu     = "352063"
	yamaPref = "350001"
)

var testActor = jukinet.SystemActor("test")

// streamNet starts the demo network with persons residents seeded at 防府市
// (and none elsewhere) and returns it with the version-1 identity
// information of those persons, read back from 防府市's register history.
func streamNet(t *testing.T, persons int) (*demo.Network, []jukinet.IdentityInfo) {
	t.Helper()
	ctx := context.Background()
	n, err := demo.StartNetwork(ctx, demo.NetworkConfig{Dir: t.TempDir(), OutboxBatch: 500})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n, seedHofu(t, n, persons)
}

// queueVersions queues versions [from, to] of every person at 防府市, in
// transactions of 100 messages, interleaving persons.
func queueVersions(t testing.TB, db *store.DB, infos []jukinet.IdentityInfo, from, to uint64) int {
	t.Helper()
	ctx := jukinet.WithActor(context.Background(), testActor)
	var msgs []store.Message
	for v := from; v <= to; v++ {
		for _, info := range infos {
			info.Version = v
			info.Address.Text = fmt.Sprintf("%s (v%d)", info.Address.Text, v)
			b, err := json.Marshal(info)
			if err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, store.Message{Kind: network.KindIdentityNotify.String(), To: yamaPref, OrderingKey: info.OrderingKey(), Version: v, Body: b})
		}
	}
	for i := 0; i < len(msgs); i += 100 {
		chunk := msgs[i:min(i+100, len(msgs))]
		if err := db.Update(ctx, store.Op{Operation: jukinet.OpNetworkSend, Detail: "test stream"}, func(tx *store.Tx) error {
			for _, m := range chunk {
				tx.Send(m)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	return len(msgs)
}

func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var c int
	if err := db.Bookkeeping(store.Inspect).QueryRow(q, args...).Scan(&c); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return c
}

// waitCount polls q on db until it answers want.
func waitCount(t *testing.T, db *store.DB, want int, timeout time.Duration, q string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	got := -1
	for time.Now().Before(deadline) {
		if got = count(t, db, q); got == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s = %d after %s, want %d", q, got, timeout, want)
}

// waitBetween polls q until it answers more than lo (and returns it); it
// fails if the count reaches hi first (the stream finished too soon).
func waitBetween(t *testing.T, db *store.DB, lo, hi int, q string) int {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		c := count(t, db, q)
		if c > lo {
			if c >= hi {
				t.Fatalf("%s reached %d before the node could be stopped mid-stream", q, c)
			}
			return c
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("%s did not pass %d", q, lo)
	return 0
}

// checkNational checks the national server's exact state after a stream of
// versions 1..last of every person: every person at version last with the
// last body, every version recorded once, in version order, nothing parked.
func checkNational(t *testing.T, n *demo.Network, infos []jukinet.IdentityInfo, last int) {
	t.Helper()
	db := n.DBs[network.NationalID]
	total := len(infos) * last
	waitCount(t, db, total, 120*time.Second, `SELECT COUNT(*) FROM flow_identity_history`)
	if got := count(t, db, `SELECT COUNT(*) FROM flow_identity WHERE version = $1`, last); got != len(infos) {
		t.Errorf("persons at version %d: got %d, want %d", last, got, len(infos))
	}
	if got := count(t, db, `SELECT COUNT(*) FROM inbox WHERE state = 'applied' AND kind = 'identity.relay'`); got != total {
		t.Errorf("applied inbox rows: got %d, want %d (nothing applied twice)", got, total)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM inbox WHERE state <> 'applied'`); got != 0 {
		t.Errorf("parked/history/rejected inbox rows: got %d, want 0", got)
	}
	// Insertion order: SQLite's rowid; on PostgreSQL the applying
	// transaction's clock (a later transaction never has an earlier one).
	later := `a.rowid > b.rowid`
	if db.Engine() == store.Postgres {
		later = `a.received_at > b.received_at`
	}
	if got := count(t, db, `SELECT COUNT(*) FROM flow_identity_history a JOIN flow_identity_history b
		ON a.municipality = b.municipality AND a.resident_code = b.resident_code AND a.version < b.version AND `+later); got != 0 {
		t.Errorf("versions recorded out of order: %d pairs, want 0", got)
	}
	info, err := node.LookupIdentity(jukinet.WithActor(context.Background(), testActor), db, string(infos[0].ResidentCode), "test")
	want := fmt.Sprintf("%s (v%d)", infos[0].Address.Text, last)
	if err != nil || info.Address.Text != want || info.Version != uint64(last) {
		t.Errorf("LookupIdentity: got %q v%d, %v; want %q v%d", info.Address.Text, info.Version, err, want, last)
	}
	for _, db := range n.DBs { // receipts are recorded just after national commits
		waitCount(t, db, 0, 10*time.Second, `SELECT COUNT(*) FROM outbox WHERE state <> 'delivered'`)
	}
}

// streamSize is persons × versions: 10,000 updates in plain go test.
func streamSize() (persons, versions int) {
	if raceEnabled || testing.Short() {
		return 100, 10
	}
	return 1000, 10
}

// TestCrashMidStream stops a node abruptly (runtime and database closed,
// no drain) in the middle of a stream of updates and restarts it: the
// national server ends with exactly the expected state.
func TestCrashMidStream(t *testing.T) {
	for _, victim := range []string{hofu, yamaPref} {
		t.Run(victim, func(t *testing.T) {
			persons, versions := streamSize()
			n, infos := streamNet(t, persons)
			queueVersions(t, n.DBs[hofu], infos, 2, uint64(versions/2))
			total := persons * versions
			seen := waitBetween(t, n.DBs[network.NationalID], persons/2, total, `SELECT COUNT(*) FROM flow_identity_history`)
			if err := n.Stop(victim, true); err != nil {
				t.Fatal(err)
			}
			t.Logf("stopped %s with %d of %d updates at national", victim, seen, total)
			if victim == yamaPref {
				queueVersions(t, n.DBs[hofu], infos, uint64(versions/2)+1, uint64(versions))
			}
			time.Sleep(200 * time.Millisecond)
			if err := n.Restart(context.Background(), victim); err != nil {
				t.Fatal(err)
			}
			if victim == hofu {
				queueVersions(t, n.DBs[hofu], infos, uint64(versions/2)+1, uint64(versions))
			}
			checkNational(t, n, infos, versions)
		})
	}
}

// TestLinkCut closes the national server's listener (the peer refuses
// connections) and restores it: the prefecture's queue drains by itself.
func TestLinkCut(t *testing.T) {
	persons := 50
	n, infos := streamNet(t, persons)
	waitCount(t, n.DBs[network.NationalID], persons, 30*time.Second, `SELECT COUNT(*) FROM flow_identity`)
	// Receipts are recorded just after national commits: wait for them, so
	// only the messages queued below are pending when the link is cut.
	waitCount(t, n.DBs[yamaPref], 0, 30*time.Second, `SELECT COUNT(*) FROM outbox WHERE state = 'pending'`)
	if err := n.Stop(network.NationalID, false); err != nil {
		t.Fatal(err)
	}
	queueVersions(t, n.DBs[hofu], infos, 2, 3)
	waitCount(t, n.DBs[yamaPref], 3*persons, 30*time.Second, `SELECT COUNT(*) FROM flow_identity_history`)
	// The prefecture keeps them queued and records the failed attempts.
	deadline := time.Now().Add(10 * time.Second)
	for count(t, n.DBs[yamaPref], `SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND attempts > 0`) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	st, err := network.QueueStatus(context.Background(), n.DBs[yamaPref])
	if err != nil || len(st.Outbox) != 1 || st.Outbox[0].Dest != network.NationalID || st.Outbox[0].Pending != 2*persons || st.Outbox[0].LastError == "" {
		t.Fatalf("QueueStatus(350001) with national down = %+v, %v; want %d pending to national with an error", st, err, 2*persons)
	}
	if err := n.Restart(context.Background(), network.NationalID); err != nil {
		t.Fatal(err)
	}
	checkNational(t, n, infos, 3)
}

// TestStoredReceipts: every settled outbox message keeps the receiver's
// signed receipt as evidence — a delivered one in its batch's receipt list
// (outbox_receipts), a refused one in its own row — and it verifies with the
// receiver's key and names the message.
func TestStoredReceipts(t *testing.T) {
	persons := 30
	n, infos := streamNet(t, persons)
	ctx := jukinet.WithActor(context.Background(), testActor)
	bad := infos[0]
	if err := n.DBs[hofu].Update(ctx, store.Op{Operation: jukinet.OpNetworkSend, Detail: "test"}, func(tx *store.Tx) error {
		// The envelope says version 2, the body version 1: refused.
		return node.Queue(tx, network.KindIdentityNotify, yamaPref, bad.OrderingKey(), 2, bad)
	}); err != nil {
		t.Fatal(err)
	}
	waitCount(t, n.DBs[network.NationalID], persons, 30*time.Second, `SELECT COUNT(*) FROM flow_identity`)
	for _, id := range []string{hofu, yamaPref} {
		waitCount(t, n.DBs[id], 0, 30*time.Second, `SELECT COUNT(*) FROM outbox WHERE state = 'pending'`)
	}
	states, kinds := map[string]int{}, map[string]int{}
	for _, id := range []string{hofu, yamaPref} {
		// The identity flow's rows only: not the CS's resident-code pool
		// request and tallies, sent as it and the national server start,
		// nor the operation-log checkpoints' cosignatures, which a run
		// slowed by the machine's load reaches.
		rows, err := n.DBs[id].Bookkeeping(store.Inspect).Query(`SELECT id, dest, state, kind FROM outbox WHERE kind IN ('identity.notify', 'identity.relay') ORDER BY seq`)
		if err != nil {
			t.Fatal(err)
		}
		type row struct{ id, dest, state, kind string }
		var all []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.dest, &r.state, &r.kind); err != nil {
				t.Fatal(err)
			}
			all = append(all, r)
		}
		rows.Close()
		for _, r := range all {
			states[r.state]++
			kinds[id+" "+r.kind+" "+r.state]++
			rc, err := network.StoredReceipt(context.Background(), n.DBs[id], r.id)
			if err != nil {
				t.Fatalf("%s: receipt of %s (%s): %v", id, r.id, r.state, err)
			}
			if rc.MessageID.String() != r.id || rc.Receiver != r.dest {
				t.Errorf("%s: receipt of %s is for %s from %s", id, r.id, rc.MessageID, rc.Receiver)
			}
			if err := network.VerifyReceipts([]*network.Receipt{rc}, n.Description.Keys()); err != nil {
				t.Errorf("%s: receipt of %s does not verify: %v", id, r.id, err)
			}
			if rejected := rc.Status == network.StatusRejected; rejected != (r.state == "rejected") {
				t.Errorf("%s: row %s is %s but its receipt says %s", id, r.id, r.state, rc.Status)
			}
		}
	}
	if states["delivered"] != 2*persons || states["rejected"] != 1 {
		t.Errorf("settled rows by state: %v (by node, kind and state: %v); want %d delivered and 1 rejected", states, kinds, 2*persons)
	}
	if _, err := network.StoredReceipt(context.Background(), n.DBs[hofu], "0190a7e2-0000-7000-8000-000000000000"); jukinet.ErrorKind(err) != jukinet.KindNotFound {
		t.Errorf("receipt of an unknown message: %v; want not found", err)
	}
	if _, err := n.DBs[hofu].Bookkeeping(store.Inspect).Exec(`DELETE FROM outbox_receipts`); err == nil {
		t.Error("outbox_receipts accepted a DELETE; it must be append-only")
	}
}

// TestReceiptRecordingFails: while 防府市 cannot record the receipts of its
// deliveries (an injected failure on outbox_receipts), the batches still
// reach the prefecture and the national server; its rows stay pending and,
// once recording works again, are sent again, answered "duplicate" and
// settled — the national server ends exact (nothing lost, nothing applied
// twice, order kept).
func TestReceiptRecordingFails(t *testing.T) {
	persons := 100
	n, infos := streamNet(t, persons)
	cs := n.DBs[hofu]
	waitCount(t, n.DBs[network.NationalID], persons, 30*time.Second, `SELECT COUNT(*) FROM flow_identity`)
	waitCount(t, cs, 0, 30*time.Second, `SELECT COUNT(*) FROM outbox WHERE state = 'pending'`)
	if _, err := cs.Bookkeeping(store.Inspect).Exec(`CREATE TRIGGER inject_receipt_failure BEFORE INSERT ON outbox_receipts BEGIN SELECT RAISE(ABORT, 'injected failure'); END`); err != nil {
		t.Fatal(err)
	}
	queueVersions(t, cs, infos, 2, 4)
	// Everything arrives although nothing could be recorded at 防府市.
	waitCount(t, n.DBs[network.NationalID], persons*4, 60*time.Second, `SELECT COUNT(*) FROM flow_identity_history`)
	if pending := count(t, cs, `SELECT COUNT(*) FROM outbox WHERE state = 'pending'`); pending == 0 {
		t.Fatal("every row was settled although recording receipts failed")
	}
	if _, err := cs.Bookkeeping(store.Inspect).Exec(`DROP TRIGGER inject_receipt_failure`); err != nil {
		t.Fatal(err)
	}
	checkNational(t, n, infos, 4)
	var dup int
	rows, err := cs.Bookkeeping(store.Inspect).Query(`SELECT id FROM outbox WHERE version > 1`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		rc, err := network.StoredReceipt(context.Background(), cs, id)
		if err != nil {
			t.Fatalf("receipt of %s: %v", id, err)
		}
		if rc.Status == network.StatusDuplicate {
			dup++
		}
	}
	if dup == 0 {
		t.Error("no message was answered duplicate: the failed recordings were not followed by a resend")
	}
}
