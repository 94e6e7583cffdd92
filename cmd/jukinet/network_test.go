package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/store"
)

func TestDemoConverges(t *testing.T) {
	code, out, stderr := exec(t, "", "demo", "--data", t.TempDir(), "--residents", "50", "--exit")
	if code != 0 || !strings.Contains(out, "national server holds the identity information of 150 persons") {
		t.Fatalf("demo --residents 50 --exit: exit %d, out %q, err %q; want 150 persons at national", code, out, stderr)
	}
}

func TestBenchNetworkQuickJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the network")
	}
	r := benchJSON(t, "network", "--quick")
	for _, k := range []string{"e2e_updates_per_s", "e2e_p99_ms", "baseline_writes_per_s", "ratio_to_baseline", "baseline_one_hop_writes_per_s", "batch_lookup_records_per_s"} {
		if v, ok := r[k].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v, want > 0 (output %v)", k, r[k], r)
		}
	}
}

// `network status` and `network receipt` on a node whose messages were
// delivered: the queues are empty, a delivered message's stored receipt
// verifies with the network description's keys and not with another's.
func TestNetworkStatusAndReceipt(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	n, err := demo.StartNetwork(ctx, demo.NetworkConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	cs := n.DBs["352063"]
	if _, err := demo.SeedMunicipality(ctx, cs, demo.Hofu, 20, 3); err != nil {
		t.Fatal(err)
	}
	var id string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var pending int
		if err := cs.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM outbox WHERE state = 'pending'`).Scan(&pending); err != nil {
			t.Fatal(err)
		}
		if pending == 0 && cs.Bookkeeping(store.Inspect).QueryRow(`SELECT id FROM outbox WHERE state = 'delivered' AND dest = '350001' ORDER BY seq LIMIT 1`).Scan(&id) == nil {
			break
		}
	}
	// Someone who is not a node connects to the listener and sends garbage:
	// the refusal is in the status once the node has stopped (Close writes
	// the open minute).
	if c, err := net.Dial("tcp", n.Runtimes["352063"].NetworkAddr()); err == nil {
		c.Write([]byte("garbage, not TLS\r\n\r\n"))
		c.Read(make([]byte, 16))
		c.Close()
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if len(n.Runtimes["352063"].Refusals().Counts()) > 0 {
			break
		}
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if id == "" {
		t.Fatal("no message of 352063 was delivered")
	}
	db := filepath.Join(dir, "352063.db")
	code, out, stderr := exec(t, "", "network", "status", "--db", db, "--node", "352063")
	if code != 0 || !strings.Contains(out, "nothing pending") || !regexp.MustCompile(`refused 127\.0\.0\.1 +tls_handshake +1 `).MatchString(out) {
		t.Errorf("network status: exit %d, out %q, err %q; want nothing pending and the refused handshake of 127.0.0.1", code, out, stderr)
	}
	desc := filepath.Join(dir, "network.toml")
	code, out, stderr = exec(t, "", "network", "receipt", "--db", db, "--node", "352063", "--id", id, "--network", desc, "--json")
	var v map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v["verified"] != true || v["message_id"] != id || v["receiver"] != "350001" || v["status"] != "accepted" {
		t.Errorf("network receipt: exit %d, out %q, err %q; want verified, accepted by 350001", code, out, stderr)
	}
	// The same receipt against a description where 350001 has another key.
	raw, err := os.ReadFile(desc)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	keys := regexp.MustCompile(`signing_key = "[^"]+"`).FindAllString(text, -1)
	at := strings.Index(text, `id = "350001"`)
	next := regexp.MustCompile(`signing_key = "[^"]+"`).FindStringIndex(text[at:])
	if len(keys) < 2 || at < 0 || next == nil {
		t.Fatalf("unexpected network.toml: %s", text)
	}
	own := text[at+next[0] : at+next[1]]
	other := keys[0]
	if other == own {
		other = keys[1]
	}
	forged := filepath.Join(t.TempDir(), "network.toml")
	if err := os.WriteFile(forged, []byte(text[:at+next[0]]+other+text[at+next[1]:]), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := exec(t, "", "network", "receipt", "--db", db, "--node", "352063", "--id", id, "--network", forged); code != 1 || !strings.Contains(stderr, "does not verify") {
		t.Errorf("receipt against another key: exit %d, out %q, err %q; want exit 1, does not verify", code, out, stderr)
	}
	if code, _, stderr := exec(t, "", "network", "receipt", "--db", db, "--node", "352063", "--id", "0190a7e2-0000-7000-8000-000000000000"); code == 0 || !strings.Contains(stderr, "no outbox message") {
		t.Errorf("receipt of an unknown message: exit %d, err %q", code, stderr)
	}
}

// `network status` puts a recent dead letter first, as an ALERT line with
// its ID, kind, destination and reason.
func TestNetworkStatusAlerts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "402036.db")
	db, err := store.Open(context.Background(), store.Config{Path: path, Node: "402036"})
	if err != nil {
		t.Fatal(err)
	}
	const id = "01a24c53-36a2-7c4d-b2f0-f24fba58034c"
	now := db.Now().UnixMicro()
	if _, err := db.Bookkeeping(store.Inspect).Exec(`INSERT INTO outbox (id, kind, dest, body, created_at, state, attempts, last_error, done_at)
		VALUES ($1, 'movein.notice', '352063', $2, $3, 'rejected', 1, 'refused: resident_code: no record', $4)`, id, []byte(`{}`), now, now); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, stderr := exec(t, "", "network", "status", "--db", path, "--node", "402036")
	first, _, _ := strings.Cut(out, "\n")
	if code != 0 || !strings.HasPrefix(first, "ALERT dead letter "+id) || !strings.Contains(first, "movein.notice to 352063") || !strings.Contains(first, "refused: resident_code") {
		t.Errorf("network status: exit %d, first line %q, err %q; want the dead letter's ALERT", code, first, stderr)
	}
}
