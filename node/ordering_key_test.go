package node

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
)

// TestKeyAuthorizer: the rules of KeyAuthorizer one by one, at a prefecture
// (identity.notify) and at the national server (identity.relay).
func TestKeyAuthorizer(t *testing.T) {
	var b strings.Builder
	for i, x := range []struct{ id, kind, pref string }{
		{network.NationalID, "national", ""}, {"350001", "prefecture", ""}, {string(hofu), "municipality", "350001"},
		{string(yamaguchi), "municipality", "350001"}, {"400009", "prefecture", ""}, {string(kurume), "municipality", "400009"},
	} {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "[[node]]\nid = %q\nkind = %q\nname = \"n%d\"\n", x.id, x.kind, i)
		if x.pref != "" {
			fmt.Fprintf(&b, "prefecture = %q\n", x.pref)
		}
		fmt.Fprintf(&b, "network_addr = \"127.0.0.1:%d\"\nsigning_key = \"ed25519:%s\"\n\n", 7000+i, base64.StdEncoding.EncodeToString(pub))
	}
	d, err := network.LoadDescription(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	code := string(codeOf(t, "1234567890"))
	_, signer, err := ed25519.GenerateKey(rand.Reader) // signatures are the transport's, not checked here
	if err != nil {
		t.Fatal(err)
	}
	env := func(kind network.Kind, from, to, key string, v uint64, body []byte) *network.Envelope {
		e, err := network.NewEnvelope(kind, from, to, testNow.UnixMicro(), body)
		if err != nil {
			t.Fatal(err)
		}
		e.OrderingKey, e.Version = key, v
		if err := network.SignBatch(signer, from, []*network.Envelope{e}); err != nil {
			t.Fatal(err)
		}
		return e
	}
	notify := func(from, to, key string, v uint64) *network.Envelope {
		return env(network.KindIdentityNotify, from, to, key, v, []byte(`{}`))
	}
	relay := func(from string, inner *network.Envelope, key string, v uint64) *network.Envelope {
		raw, err := network.EncodeEnvelope(inner)
		if err != nil {
			t.Fatal(err)
		}
		return env(network.KindIdentityRelay, from, network.NationalID, key, v, raw)
	}
	hofuKey := string(hofu) + "/" + code
	genuine := notify(string(hofu), "350001", hofuKey, 4)
	confirm := env(network.KindMoveOutConfirm, string(hofu), "350001", "", 0, []byte(`{}`))
	for _, c := range []struct {
		name, self, from string
		e                *network.Envelope
		want             string // "" accepted, else a part of the refusal
	}{
		{"own resident", "350001", string(hofu), genuine, ""},
		{"unordered kind", "350001", string(hofu), confirm, ""},
		{"another municipality's resident", "350001", string(yamaguchi), notify(string(yamaguchi), "350001", hofuKey, 4), "own residents"},
		{"a municipality of another prefecture", "350001", string(kurume), notify(string(kurume), "350001", string(kurume)+"/"+code, 1), "not a municipality of prefecture 350001"},
		{"not a key", "350001", string(hofu), notify(string(hofu), "350001", string(hofu)+"/12345", 1), "not of the form"},
		{"a key on an unordered kind", "350001", string(hofu), env(network.KindMoveOutConfirm, string(hofu), "350001", hofuKey, 1, []byte(`{}`)), "not ordered per person"},
		{"relay under the inner key", network.NationalID, "350001", relay("350001", genuine, hofuKey, 4), ""},
		{"relay of an unordered message", network.NationalID, "350001", relay("350001", confirm, "", 0), ""},
		{"relay under another key", network.NationalID, "350001", relay("350001", genuine, string(hofu)+"/"+string(codeOf(t, "1234567891")), 4), "not those of the message"},
		{"relay under another version", network.NationalID, "350001", relay("350001", genuine, hofuKey, 5), "not those of the message"},
		{"relay of an unordered message under a key", network.NationalID, "350001", relay("350001", confirm, hofuKey, 1), "not those of the message"},
		{"relay by another prefecture", network.NationalID, "400009", relay("400009", genuine, hofuKey, 4), "not a municipality of prefecture 400009"},
		{"relay of a foreign key", network.NationalID, "350001", relay("350001", notify(string(yamaguchi), "350001", hofuKey, 4), hofuKey, 4), "own residents"},
		{"relay of no envelope", network.NationalID, "350001", env(network.KindIdentityRelay, "350001", network.NationalID, hofuKey, 4, []byte("x")), "body"},
		{"a key to a municipality", string(kurume), string(hofu), notify(string(hofu), string(kurume), hofuKey, 1), "not a municipality of prefecture " + string(kurume)},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := KeyAuthorizer(d, c.self)(nil, c.from, c.e)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && err == nil:
				t.Fatalf("accepted, want a refusal mentioning %q", c.want)
			case c.want != "" && !strings.Contains(err.Error(), c.want):
				t.Fatalf("refusal %q does not mention %q", err, c.want)
			case err != nil && strings.Contains(err.Error(), code):
				t.Fatalf("refusal %q quotes the resident code", err)
			}
			if k := jukinet.ErrorKind(err); err != nil && k != jukinet.KindForbidden && k != jukinet.KindInvalid {
				t.Errorf("error kind %s, want forbidden or invalid (a rejection, not a failed batch)", k)
			}
		})
	}
}
