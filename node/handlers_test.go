package node

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// Every handler of every node kind rejects malformed bodies as KindInvalid
// (the message is dead-lettered, never retried), on both engines.
func TestHandlersRejectBadBodies(t *testing.T) {
	bodies := map[string]string{
		"not json":      `{`,
		"unknown field": `{"unknown": 1}`,
		"empty object":  `{}`,
		"wrong types":   `{"municipality": 5, "resident_code": true}`,
		"array":         `[]`,
	}
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			senders := map[string]string{"350001": "352063", "400009": "402036", network.NationalID: "350001",
				"352063": network.NationalID, "352012": network.NationalID, "402036": network.NationalID}
			for id, node := range n.nodes {
				for kind, h := range node.handlers {
					for name, body := range bodies {
						from := senders[id]
						if strings.HasPrefix(kind.String(), "mov") || strings.HasPrefix(kind.String(), "copy") || strings.HasPrefix(kind.String(), "annex") {
							from = "352012"
							if id == "352012" {
								from = "352063"
							}
						}
						env := n.envelope(n.nodes[from], kind, id, "", 0, []byte(body))
						err := node.db.Update(as(jukinet.SystemActor("network")), store.Op{Operation: jukinet.OpNetworkReceive}, func(tx *store.Tx) error { return h(tx, env) })
						if k := jukinet.ErrorKind(err); k != jukinet.KindInvalid {
							t.Errorf("%s at %s, body %s: got %v (kind %v), want invalid", kind, id, name, err, k)
						}
					}
				}
			}
		})
	}
}

// A prefecture relays the municipality's original signed envelope, and a
// body claiming another municipality than the sender is refused.
func TestPrefectureRelaysOriginalEnvelope(t *testing.T) {
	storetest.Run(t, "350001", func(t *testing.T, db *store.DB) {
		n := newTestNet(t, db.Engine(), nil)
		p := n.pref["350001"]
		info := jukinet.IdentityInfo{Municipality: hofu, ResidentCode: codeOf(t, "1234567890"), Name: jukinet.Name{Kanji: "山田\u3000花子", Kana: "ヤマダ\u3000ハナコ"},
			BirthDate: mustDate(t, "1990-01-01"), Sex: jukinet.SexFemale, Address: jukinet.Address{LGCode: hofu, Text: "山口県防府市松崎町1番"},
			Change: jukinet.ChangeInfo{Reason: jukinet.ReasonBirth, Date: mustDate(t, "1990-01-01")}, Version: 1}
		body, _ := json.Marshal(info)
		cases := []struct {
			name    string
			from    string
			key     string
			version uint64
			want    jukinet.Kind
		}{
			{"from another municipality", "352012", info.OrderingKey(), 1, jukinet.KindInvalid},
			{"version differs from the body", "352063", info.OrderingKey(), 2, jukinet.KindInvalid},
			{"municipality of another prefecture", "402036", info.OrderingKey(), 1, jukinet.KindInvalid},
			{"good", "352063", info.OrderingKey(), 1, jukinet.KindOther},
		}
		for _, c := range cases {
			env := n.envelope(n.nodes[c.from], network.KindIdentityNotify, "350001", c.key, c.version, body)
			var sent []byte
			err := p.DB().Update(as(jukinet.SystemActor("network")), store.Op{Operation: jukinet.OpNetworkReceive}, func(tx *store.Tx) error {
				return p.prefectureIdentityNotify(tx, env)
			})
			if jukinet.ErrorKind(err) != c.want && !(c.want == jukinet.KindOther && err == nil) {
				t.Errorf("%s: %v, want kind %v", c.name, err, c.want)
				continue
			}
			if err != nil {
				continue
			}
			if err := p.DB().Bookkeeping(store.Inspect).QueryRow(`SELECT envelope FROM outbox WHERE kind = 'identity.relay'`).Scan(&sent); err != nil {
				t.Fatal(err)
			}
			want, _ := network.EncodeEnvelope(env)
			if !bytes.Equal(sent, want) {
				t.Errorf("relayed envelope differs from the original (%d bytes, want %d)", len(sent), len(want))
			}
			inner, err := network.DecodeEnvelope(sent)
			if err != nil || inner.From != "352063" || network.VerifyEnvelope(inner, keyLookup(n)) != nil {
				t.Errorf("relayed envelope: %v; from %s, want a verifiable envelope of 352063", err, inner.From)
			}
		}
	})
}

// The national server refuses a relay whose inner message is not from a
// municipality of the relaying prefecture.
func TestNationalRefusesForeignRelay(t *testing.T) {
	n := newTestNet(t, storetest.Engines()[0], nil)
	info := jukinet.IdentityInfo{Municipality: kurume, ResidentCode: codeOf(t, "1234567890"), Name: jukinet.Name{Kanji: "山田\u3000花子", Kana: "ヤマダ\u3000ハナコ"},
		BirthDate: mustDate(t, "1990-01-01"), Sex: jukinet.SexFemale, Address: jukinet.Address{LGCode: kurume, Text: "福岡県久留米市東町1番"},
		Change: jukinet.ChangeInfo{Reason: jukinet.ReasonBirth, Date: mustDate(t, "1990-01-01")}, Version: 1}
	body, _ := json.Marshal(info)
	inner := n.envelope(n.nodes[string(kurume)], network.KindIdentityNotify, "400009", info.OrderingKey(), 1, body)
	raw, _ := network.EncodeEnvelope(inner)
	for _, c := range []struct {
		relayer string
		want    jukinet.Kind
	}{{"350001", jukinet.KindInvalid}, {"400009", jukinet.KindOther}} {
		outer := n.envelope(n.nodes[c.relayer], network.KindIdentityRelay, network.NationalID, info.OrderingKey(), 1, raw)
		err := n.national.DB().Update(as(jukinet.SystemActor("network")), store.Op{Operation: jukinet.OpNetworkReceive}, func(tx *store.Tx) error {
			return n.national.nationalIdentityRelay(tx, outer)
		})
		if got := jukinet.ErrorKind(err); got != c.want && !(err == nil && c.want == jukinet.KindOther) {
			t.Errorf("relay by %s: %v, want %v", c.relayer, err, c.want)
		}
	}
}

func keyLookup(n *testNet) network.KeyLookup {
	return func(id string) (ed25519.PublicKey, bool) {
		node := n.nodes[id]
		if node == nil {
			return nil, false
		}
		return node.key.Public().(ed25519.PublicKey), true
	}
}
