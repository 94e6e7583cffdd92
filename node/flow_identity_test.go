package node

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// A received identity body in json.Marshal's form is kept byte for byte (no
// second encoding); any other accepted form is kept re-encoded, so that what
// is stored is always the canonical JSON of what was validated; trailing
// data after the JSON value is refused naming the body.
func TestIdentityBodyStoredCanonical(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			r := birth(t, n.muni[hofu], "山田\u3000花子", "ヤマダ\u3000ハナコ", "2026-11-01", "山口県防府市松崎町1番地")
			n.run()
			n.noRejections()
			cur, _, err := n.pref["350001"].Identity(as(looker), hofu, r.ResidentCode, "test")
			if err != nil {
				t.Fatal(err)
			}
			pref := n.nodes["350001"]
			send := func(version uint64, body []byte) error {
				env := n.envelope(n.nodes[string(hofu)], network.KindIdentityNotify, "350001", cur.OrderingKey(), version, body)
				return pref.db.Update(as(jukinet.SystemActor("network")), store.Op{Operation: jukinet.OpNetworkReceive, Detail: "test"}, func(tx *store.Tx) error {
					return pref.handlers[network.KindIdentityNotify](tx, env)
				})
			}
			stored := func(version uint64) string {
				var s string
				if err := pref.db.Bookkeeping(store.Inspect).QueryRow(`SELECT info FROM flow_identity_history WHERE resident_code = $1 AND version = $2`,
					string(r.ResidentCode), int64(version)).Scan(&s); err != nil {
					t.Fatalf("history v%d: %v", version, err)
				}
				return s
			}

			// The birth's notice and the 個人番号 it asked for are versions up
			// to cur.Version; the test's bodies follow them.
			b := cur.Version
			v2 := *cur
			v2.Version, v2.Name.Kanji = b+1, "佐藤\u3000花子"
			canonical, _ := json.Marshal(v2)
			if err := send(b+1, canonical); err != nil {
				t.Fatal(err)
			}
			if got := stored(b + 1); got != string(canonical) {
				t.Errorf("canonical body stored as %s, want it verbatim", got)
			}

			v3 := v2
			v3.Version = b + 2
			want3, _ := json.Marshal(v3)
			// Same information with a \u escape and spaces: accepted, kept re-encoded.
			ver := fmt.Sprintf(`"version":%d`, b+2)
			escaped := strings.Replace(string(want3), ver, " "+strings.Replace(ver, ":", " : ", 1)+" ", 1)
			escaped = strings.Replace(escaped, "佐藤", `\u4f50藤`, 1)
			if err := send(b+2, []byte(escaped)); err != nil {
				t.Fatal(err)
			}
			if got := stored(b + 2); got != string(want3) {
				t.Errorf("escaped body stored as %s, want %s", got, want3)
			}

			v4 := v3
			v4.Version = b + 3
			b4, _ := json.Marshal(v4)
			err = send(b+3, append(b4, []byte(` {"x":1}`)...))
			if jukinet.ErrorKind(err) != jukinet.KindInvalid || !strings.Contains(err.Error(), "body") {
				t.Errorf("trailing data: %v; want invalid naming the body", err)
			}
			var count int
			if err := pref.db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM flow_identity_history WHERE resident_code = $1 AND version = $2`, string(r.ResidentCode), int64(b+3)).Scan(&count); err != nil || count != 0 {
				t.Errorf("trailing data wrote %d history rows (%v)", count, err)
			}
		})
	}
}
