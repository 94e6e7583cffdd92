package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/pki"
)

// TestServeProcessesRefuseAForeignOrderingKey runs national, 山口県, 防府市 and
// 山口市 as four separate `jukinet serve` processes. 山口市, with its own
// certificate and key files, sends 山口県 an identity.notify under the
// ordering key of a 防府市 resident with the next version and an invalid
// body: it is rejected and 山口県's version of the key does not move, so
// 防府市's genuine next report reaches the national server.
func TestServeProcessesRefuseAForeignOrderingKey(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "jukinet")
	if out, err := osexec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	if _, err := pki.Init(data, pki.Options{Name: "serve test CA"}); err != nil {
		t.Fatal(err)
	}
	nodes := []struct{ id, kind, name, pref string }{
		{"national", "national", "全国サーバ", ""}, {"350001", "prefecture", "山口県", ""},
		{"352063", "municipality", "防府市", "350001"}, {"352012", "municipality", "山口市", "350001"},
	}
	addr := map[string]string{}
	var desc strings.Builder
	for _, n := range nodes {
		c, err := pki.IssueNodeFiles(data, n.id, []string{"127.0.0.1"}, pki.Options{})
		if err != nil {
			t.Fatal(err)
		}
		addr[n.id] = freePort(t)
		fmt.Fprintf(&desc, "[[node]]\nid = %q\nkind = %q\nname = %q\n", n.id, n.kind, n.name)
		if n.pref != "" {
			fmt.Fprintf(&desc, "prefecture = %q\n", n.pref)
		}
		fmt.Fprintf(&desc, "network_addr = %q\nsigning_key = %q\n\n", addr[n.id], pki.FormatPublicKey(c.SigningPublicKey()))
	}
	if err := os.WriteFile(filepath.Join(dir, "network.toml"), []byte(desc.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	// 防府市's operators and designations before the node runs; the clerk
	// issues a console token for each attempt below.
	hofuDB, hofuKeys := filepath.Join(data, "352063.db"), filepath.Join(dir, "hofu-keys")
	seedOperatorsAt(t, hofuDB, "352063", hofuKeys)
	governNode(t, hofuDB)
	for _, n := range nodes {
		cfg := filepath.Join(dir, n.id+".toml")
		if err := os.WriteFile(cfg, []byte(fmt.Sprintf("node = %q\nnetwork = \"network.toml\"\ndata = \"data\"\n", n.id)), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := osexec.Command(bin, "serve", "--config", cfg)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
			if t.Failed() {
				t.Logf("serve %s output:\n%s", n.id, out.String())
			}
		})
	}
	openDB := func(id string) *sql.DB {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(data, id+".db")+"?_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	waitFor := func(db *sql.DB, q string, want int, args ...any) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			var n int
			if err := db.QueryRow(q, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s = %d after 60 s, want %d", q, n, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// A 防府市 resident, reported to the prefecture and national.
	birth := `{"name":{"kanji":"防府　次郎","kana":"ホウフ　ジロウ"},"birth_date":"2026-11-01","sex":"male","address_text":"山口県防府市寿町7番1号"}`
	// The CS asks national for resident codes as it starts; a birth is
	// refused until the grant and the answer to its check have arrived.
	var stdout string
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		code, out, stderr := exec(t, birth, append([]string{"register", "birth", "--db", hofuDB}, tokenArgs(t, hofuDB, "352063", hofuKeys, 1, "C-CLERK", jukinet.AuthorityRecord)...)...)
		if code == 0 {
			stdout = out
			break
		}
		if !strings.Contains(stderr, "pool is empty") && !strings.Contains(stderr, "waiting for the national server") || time.Now().After(deadline) {
			t.Fatalf("birth at 防府市: %s", stderr)
		}
	}
	var r struct {
		ResidentCode string `json:"resident_code"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || r.ResidentCode == "" {
		t.Fatalf("birth output %q: %v", stdout, err)
	}
	nat, pref, hofu := openDB("national"), openDB("350001"), openDB("352063")
	// Settled: the birth's report and the 個人番号 designated after it have
	// reached national (every queue empty, national at 防府市's last version).
	var info jukinet.IdentityInfo
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var last, pending int
		var raw string
		if err := hofu.QueryRow(`SELECT COALESCE(MAX(version), 0) FROM identity_history WHERE resident_code = $1`, r.ResidentCode).Scan(&last); err != nil {
			t.Fatal(err)
		}
		for _, db := range []*sql.DB{hofu, pref, nat} {
			var n int
			if err := db.QueryRow(`SELECT COUNT(*) FROM outbox WHERE state = 'pending'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			pending += n
		}
		// No row yet: the report has not reached national.
		if err := nat.QueryRow(`SELECT info FROM flow_identity WHERE resident_code = $1`, r.ResidentCode).Scan(&raw); err != nil && !errors.Is(err, sql.ErrNoRows) {
			t.Fatal(err)
		}
		info = jukinet.IdentityInfo{}
		json.Unmarshal([]byte(raw), &info)
		if pending == 0 && last > 0 && info.Version == uint64(last) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not settled after 60 s: 防府市 at v%d, national at v%d, %d pending", last, info.Version, pending)
		}
	}
	v := info.Version

	// 山口市 sends the victim's key, the next version, an invalid body.
	yama, err := pki.LoadNode(data, "352012")
	if err != nil {
		t.Fatal(err)
	}
	bad := info
	bad.Version, bad.Name.Kanji = v+1, ""
	body, _ := json.Marshal(bad)
	env, err := network.NewEnvelope(network.KindIdentityNotify, "352012", "350001", time.Now().UnixMicro(), body)
	if err != nil {
		t.Fatal(err)
	}
	env.OrderingKey, env.Version = info.OrderingKey(), v+1
	if err := network.SignBatch(yama.SigningKey, "352012", []*network.Envelope{env}); err != nil {
		t.Fatal(err)
	}
	desc2, err := network.LoadDescription(strings.NewReader(desc.String()))
	if err != nil {
		t.Fatal(err)
	}
	cl, err := network.NewClient(network.ClientConfig{TLS: yama.ClientTLSConfig("350001"), Keys: desc2.Keys(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.CloseIdleConnections()
	rs, err := cl.Send(context.Background(), "350001", addr["350001"], &network.Batch{Sender: "352012", Envelopes: []*network.Envelope{env}})
	if err != nil || len(rs) != 1 {
		t.Fatalf("send: %v, %v", rs, err)
	}
	if rs[0].Status != network.StatusRejected || !strings.Contains(rs[0].Detail, "own residents") {
		t.Fatalf("receipt %s %s %q; want rejected, not the sender's key", rs[0].Status, rs[0].Reason, rs[0].Detail)
	}
	var applied int
	if err := pref.QueryRow(`SELECT applied FROM inbox_versions WHERE ordering_key = $1`, info.OrderingKey()).Scan(&applied); err != nil || uint64(applied) != v {
		t.Fatalf("山口県's applied version of the key: %d, %v; want %d", applied, err, v)
	}

	// 防府市's genuine version 2 reaches the national server.
	change := `{"resident_code":"` + r.ResidentCode + `","date":"2026-11-20","name":{"kanji":"佐藤　次郎","kana":"サトウ　ジロウ"}}`
	if code, _, stderr := exec(t, change, append([]string{"register", "name-change", "--db", hofuDB}, tokenArgs(t, hofuDB, "352063", hofuKeys, 1, "C-CLERK", jukinet.AuthorityRecord)...)...); code != 0 {
		t.Fatalf("name change at 防府市: %s", stderr)
	}
	waitFor(nat, `SELECT COUNT(*) FROM flow_identity WHERE resident_code = $1 AND version = $2 AND municipality = '352063'`, 1, r.ResidentCode, int64(v+1))
}
