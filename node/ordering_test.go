package node_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/pki"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

const (
	yamaguchi = "352012"
	kurume    = "402036"
	fukuoka   = "400009"
)

// TestOrderingKeyBoundToSender: peers with valid certificates and signing
// keys, sending over the real mutual-TLS transport, cannot move another
// municipality's ordering: 山口市 sending 山口県 a key of a 防府市 resident
// with an invalid body, 福岡県 relaying a genuine 久留米市 envelope under a
// 防府市 key, and 山口市 reporting a 防府市 resident under its own key. Each
// refusal is answered as a rejection, logged at the receiver and advances
// no version; 防府市's genuine next versions are applied everywhere.
func TestOrderingKeyBoundToSender(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) { orderingAttacks(t, e) })
	}
}

func orderingAttacks(t *testing.T, e store.Engine) {
	ctx := context.Background()
	n, err := demo.StartNetwork(ctx, demo.NetworkConfig{Dir: t.TempDir(), OutboxBatch: 500,
		Open: func(ctx context.Context, id string) (*store.DB, error) {
			return store.Open(ctx, storetest.Config(t, e, id))
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	infos := seedHofu(t, n, 3)
	nat, pref := n.DBs[network.NationalID], n.DBs[yamaPref]
	waitCount(t, nat, 3, 60*time.Second, `SELECT COUNT(*) FROM flow_identity`)

	send := func(from *pki.NodeCredentials, to string, envs ...*network.Envelope) []*network.Receipt {
		t.Helper()
		if err := network.SignBatch(from.SigningKey, from.NodeID, envs); err != nil {
			t.Fatal(err)
		}
		cl, err := network.NewClient(network.ClientConfig{TLS: from.ClientTLSConfig(to), Keys: n.Description.Keys(), Timeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer cl.CloseIdleConnections()
		rs, err := cl.Send(ctx, to, n.Runtimes[to].NetworkAddr(), &network.Batch{Sender: from.NodeID, Envelopes: envs})
		if err != nil || len(rs) != len(envs) {
			t.Fatalf("Send to %s: %v, %v", to, rs, err)
		}
		return rs
	}
	notify := func(from, to, key string, v uint64, info jukinet.IdentityInfo) *network.Envelope {
		t.Helper()
		b, err := json.Marshal(info)
		if err != nil {
			t.Fatal(err)
		}
		env, err := network.NewEnvelope(network.KindIdentityNotify, from, to, time.Now().UnixMicro(), b)
		if err != nil {
			t.Fatal(err)
		}
		env.OrderingKey, env.Version = key, v
		return env
	}
	applied := func(db *store.DB, key string) int {
		t.Helper()
		return count(t, db, `SELECT COALESCE(MAX(applied), 0) FROM inbox_versions WHERE ordering_key = $1`, key)
	}
	wantRejected := func(r *network.Receipt, reason network.Reason, detail string) {
		t.Helper()
		if r.Status != network.StatusRejected || r.Reason != reason || !strings.Contains(r.Detail, detail) {
			t.Fatalf("receipt = %s %s %q; want rejected %s mentioning %q", r.Status, r.Reason, r.Detail, reason, detail)
		}
	}
	victim := infos[0]
	key := victim.OrderingKey()

	// 1. 山口市 sends a 防府市 resident's key, next version, a body that fails
	// validation.
	bad := victim
	bad.Version, bad.Name.Kanji = 2, ""
	rejectedBefore := rejectedRecords(t, pref)
	wantRejected(send(n.Creds[yamaguchi], yamaPref, notify(yamaguchi, yamaPref, key, 2, bad))[0], network.ReasonInvalidBody, "own residents")
	if got := applied(pref, key); got != 1 {
		t.Errorf("山口県's applied version of the victim's key after the refusal: %d, want 1", got)
	}
	if got := rejectedRecords(t, pref); len(got) != len(rejectedBefore)+1 || !strings.Contains(got[len(got)-1], "ordering key not the sender's") {
		t.Errorf("山口県's rejected receive records: %q; want one more, naming the ordering key", got)
	}
	// 防府市's genuine version 2 is applied at the prefecture and national.
	queueVersions(t, n.DBs[hofu], infos[:1], 2, 2)
	waitCount(t, nat, 1, 30*time.Second, `SELECT COUNT(*) FROM flow_identity WHERE version = 2`)
	checkCurrent(t, n, victim, 2)

	// 2. 福岡県 relays a genuine 久留米市 envelope under the victim's key.
	newcomer := victim
	newcomer.Municipality, newcomer.ResidentCode, newcomer.Version = kurume, otherCode(t, victim.ResidentCode), 1
	newcomer.Address = jukinet.Address{LGCode: kurume, Text: "福岡県久留米市城南町15番地3"}
	inner := notify(kurume, fukuoka, newcomer.OrderingKey(), 1, newcomer)
	if err := network.SignBatch(n.Creds[kurume].SigningKey, kurume, []*network.Envelope{inner}); err != nil {
		t.Fatal(err)
	}
	relay := func(key string, v uint64) *network.Envelope {
		raw, err := network.EncodeEnvelope(inner)
		if err != nil {
			t.Fatal(err)
		}
		env, err := network.NewEnvelope(network.KindIdentityRelay, fukuoka, network.NationalID, time.Now().UnixMicro(), raw)
		if err != nil {
			t.Fatal(err)
		}
		env.OrderingKey, env.Version = key, v
		return env
	}
	wantRejected(send(n.Creds[fukuoka], network.NationalID, relay(key, 3))[0], network.ReasonRelayMismatch, "not those of the message it carries")
	if got := applied(nat, key); got != 2 {
		t.Errorf("national's applied version of the victim's key after the refusal: %d, want 2", got)
	}
	if got := count(t, nat, `SELECT COUNT(*) FROM flow_identity WHERE municipality = $1`, kurume); got != 0 {
		t.Errorf("national applied the relayed 久留米市 report under a foreign key: %d rows", got)
	}
	// The same envelope relayed under its own key is applied (the rule is
	// the binding, not the relay).
	if r := send(n.Creds[fukuoka], network.NationalID, relay(newcomer.OrderingKey(), 1))[0]; r.Status != network.StatusAccepted {
		t.Fatalf("genuine relay: %s %s %q, want accepted", r.Status, r.Reason, r.Detail)
	}
	if got := count(t, nat, `SELECT COUNT(*) FROM flow_identity WHERE municipality = $1`, kurume); got != 1 {
		t.Errorf("national rows of 久留米市 after the genuine relay: %d, want 1", got)
	}
	queueVersions(t, n.DBs[hofu], infos[:1], 3, 3)
	waitCount(t, nat, 1, 30*time.Second, `SELECT COUNT(*) FROM flow_identity WHERE version = 3`)
	checkCurrent(t, n, victim, 3)

	// 3. 山口市 reports 防府市 residents under its own keys: a 修正 is
	// refused; a 記載 (a claimed 転入) is held, never current, until 防府市
	// confirms a move-out to 山口市 (which it does not).
	claim := func(info jukinet.IdentityInfo, reason jukinet.ChangeReason) *network.Envelope {
		info.Municipality, info.Version = yamaguchi, 1
		info.Address = jukinet.Address{LGCode: yamaguchi, Text: "山口県山口市亀山町1番1号"}
		info.Change = jukinet.ChangeInfo{Reason: reason, Date: victim.Change.Date}
		return notify(yamaguchi, yamaPref, info.OrderingKey(), 1, info)
	}
	// The holder rule is the handler's business refusal (KindConflict): reason refused.
	wantRejected(send(n.Creds[yamaguchi], yamaPref, claim(infos[1], jukinet.ReasonMoveWithin))[0], network.ReasonRefused, "does not hold this person")
	if r := send(n.Creds[yamaguchi], yamaPref, claim(infos[2], jukinet.ReasonMoveInDomestic))[0]; r.Status != network.StatusAccepted {
		t.Fatalf("a claimed 転入: %s %s %q, want accepted (held)", r.Status, r.Reason, r.Detail)
	}
	waitCount(t, nat, 1, 30*time.Second, `SELECT COUNT(*) FROM flow_identity_held`)
	for _, db := range []*store.DB{pref, nat} {
		if got := count(t, db, `SELECT COUNT(*) FROM flow_identity WHERE municipality = $1`, yamaguchi); got != 0 {
			t.Errorf("%s: 山口市's claims were stored as current information (%d rows)", db.Node(), got)
		}
	}
	checkCurrent(t, n, infos[1], 1)
	checkCurrent(t, n, infos[2], 1)
}

// checkCurrent checks that the prefecture and the national server both
// answer info's person with 防府市's version v (address as queueVersions
// writes it).
func checkCurrent(t *testing.T, n *demo.Network, info jukinet.IdentityInfo, v uint64) {
	t.Helper()
	ctx := jukinet.WithActor(context.Background(), testActor)
	pc, _, err := n.Prefectures[yamaPref].Identity(ctx, "", info.ResidentCode, "test")
	if err != nil {
		t.Fatalf("prefecture identity: %v", err)
	}
	nc, _, err := n.NationalNode.Identity(ctx, info.ResidentCode, "test")
	if err != nil {
		t.Fatalf("national identity: %v", err)
	}
	for name, c := range map[string]*jukinet.IdentityInfo{"prefecture": pc, "national": nc} {
		if c.Municipality != hofu || c.Version != v || (v > 1) != strings.HasSuffix(c.Address.Text, ")") {
			t.Errorf("%s: current %s v%d %q; want 防府市's v%d", name, c.Municipality, c.Version, c.Address.Text, v)
		}
	}
}

// seedHofu seeds persons residents at 防府市 and returns their version-1
// identity information.
func seedHofu(t *testing.T, n *demo.Network, persons int) []jukinet.IdentityInfo {
	t.Helper()
	ctx := context.Background()
	if _, err := demo.SeedMunicipality(ctx, n.DBs[hofu], demo.Hofu, persons, 7); err != nil {
		t.Fatal(err)
	}
	rows, err := n.DBs[hofu].Bookkeeping(store.Inspect).QueryContext(ctx, `SELECT info FROM identity_history WHERE version = 1 ORDER BY resident_code`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var infos []jukinet.IdentityInfo
	for rows.Next() {
		var s string
		var info jukinet.IdentityInfo
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(s), &info); err != nil {
			t.Fatal(err)
		}
		infos = append(infos, info)
	}
	if len(infos) != persons {
		t.Fatalf("seeded %d persons, read back %d", persons, len(infos))
	}
	return infos
}

// otherCode returns a valid resident code that differs from c.
func otherCode(t *testing.T, c jukinet.ResidentCode) jukinet.ResidentCode {
	t.Helper()
	first := []byte(c[:10])
	first[0] = '0' + (first[0]-'0'+1)%10
	d, err := jukinet.ResidentCodeCheckDigit(string(first))
	if err != nil {
		t.Fatal(err)
	}
	return jukinet.ResidentCode(string(first) + string(d))
}

// rejectedRecords returns the details of db's rejected network.receive
// records, oldest first.
func rejectedRecords(t *testing.T, db *store.DB) []string {
	t.Helper()
	var out []string
	for _, r := range storetest.Records(t, db, func(r store.LogRecord) bool {
		return r.Operation == string(jukinet.OpNetworkReceive) && r.Result == "rejected"
	}) {
		out = append(out, r.Detail)
	}
	return out
}
