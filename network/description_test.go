package network

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
)

func keyString(k testKeys, id string) string {
	pub, _ := k.lookup(id)
	return signingKeyPrefix + base64.StdEncoding.EncodeToString(pub)
}

// testDescriptionTOML is the demo network of docs/design.md §3 plus 宇部市. Each
// node's network port is 7000+i; extra is appended to 防府市's entry.
func testDescriptionTOML(k testKeys, extra string) string {
	type n struct{ id, kind, name, pref string }
	nodes := []n{
		{NationalID, "national", "全国サーバ", ""},
		{yamaPref, "prefecture", "山口県", ""},
		{hofu, "municipality", "防府市", yamaPref},
		{yamaguch, "municipality", "山口市", yamaPref},
		{ube, "municipality", "宇部市", yamaPref},
		{fukuPref, "prefecture", "福岡県", ""},
		{kurume, "municipality", "久留米市", fukuPref},
	}
	var b strings.Builder
	for i, x := range nodes {
		fmt.Fprintf(&b, "[[node]]\nid = %q\nkind = %q\nname = %q\n", x.id, x.kind, x.name)
		if x.pref != "" {
			fmt.Fprintf(&b, "prefecture = %q\n", x.pref)
		}
		fmt.Fprintf(&b, "network_addr = \"127.0.0.1:%d\"\nterminal_addr = \"127.0.0.1:%d\"\nsigning_key = %q\n", 7000+i, 8000+i, keyString(k, x.id))
		if x.id == hofu {
			b.WriteString(extra)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func loadTestDescription(t testing.TB, k testKeys, extra string) *Description {
	t.Helper()
	d, err := LoadDescription(strings.NewReader(testDescriptionTOML(k, extra)))
	if err != nil {
		t.Fatalf("LoadDescription: %v", err)
	}
	return d
}

func TestLoadDescription(t *testing.T) {
	k := newTestKeys()
	d := loadTestDescription(t, k, "")
	if got, err := d.PrefectureOf(kurume); err != nil || got != fukuPref {
		t.Errorf("PrefectureOf(%s) = %q, %v; want %q", kurume, got, err, fukuPref)
	}
	if _, err := d.PrefectureOf(yamaPref); jukinet.ErrorKind(err) != jukinet.KindInvalid {
		t.Errorf("PrefectureOf(a prefecture): err %v, want KindInvalid", err)
	}
	pub, ok := d.Keys()(hofu)
	want, _ := k.lookup(hofu)
	if !ok || !pub.Equal(want) {
		t.Errorf("Keys()(%s) = %x, %v; want %x", hofu, pub, ok, want)
	}
	if _, ok := d.Keys()("999999"); ok {
		t.Errorf("Keys() found a key for an unknown node")
	}
	if err := d.CheckRelay(yamaPref, hofu); err != nil {
		t.Errorf("CheckRelay(山口県, 防府市): %v", err)
	}
	if err := d.CheckRelay(fukuPref, hofu); ReasonOf(err) != ReasonRelayMismatch {
		t.Errorf("CheckRelay(福岡県, 防府市): %v, want relay_mismatch", err)
	}
}

func TestLoadDescriptionErrors(t *testing.T) {
	k := newTestKeys()
	good := testDescriptionTOML(k, "")
	tests := []struct {
		name      string
		toml      string
		wantField string
		marker    string // the want line is that of the marker's last occurrence
	}{
		{"unknown node key", strings.Replace(good, `name = "防府市"`, "name = \"防府市\"\ncolour = \"red\"", 1), "node.colour", "colour"},
		{"syntax", good + "[[node]\n", "", ""}, // the parser names the line after
		{"duplicate id", strings.Replace(good, `id = "352012"`, `id = "352063"`, 1), "node[3].id", `id = "352063"`},
		{"bad check digit", strings.Replace(good, `id = "352012"`, `id = "352013"`, 1), "node[3].id", `id = "352013"`},
		{"prefecture not a prefecture", strings.Replace(good, `prefecture = "400009"`, `prefecture = "352063"`, 1), "node[6].prefecture", `prefecture = "352063"`},
		{"missing prefecture", strings.Replace(good, `prefecture = "400009"`, `prefecture = "130001"`, 1), "node[6].prefecture", `prefecture = "130001"`},
		{"prefecture of other region", strings.Replace(good, `prefecture = "400009"`, `prefecture = "350001"`, 1), "node[6].prefecture", `prefecture = "350001"`},
		{"prefecture code as municipality", strings.Replace(good, `kind = "prefecture"`, `kind = "municipality"`, 1), "node[1].id", `id = "350001"`},
		{"shared address", strings.Replace(good, `"127.0.0.1:7003"`, `"127.0.0.1:7002"`, 1), "node[3].network_addr", `"127.0.0.1:7002"`},
		{"network and terminal share", strings.Replace(good, `terminal_addr = "127.0.0.1:8000"`, `terminal_addr = "127.0.0.1:7000"`, 1), "node[0].terminal_addr", `terminal_addr = "127.0.0.1:7000"`},
		{"bad key", strings.Replace(good, keyString(k, ube), "ed25519:AAAA", 1), "node[4].signing_key", "ed25519:AAAA"},
		{"unknown kind", strings.Replace(good, `kind = "national"`, `kind = "federal"`, 1), "node[0].kind", `kind = "federal"`},
		{"national with LG code", strings.Replace(good, `id = "national"`, `id = "130001"`, 1), "node[0].id", `id = "130001"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadDescription(strings.NewReader(tc.toml))
			if err == nil {
				t.Fatalf("LoadDescription succeeded, want an error naming %q", tc.wantField)
			}
			if f := jukinet.ErrorField(err); f != tc.wantField {
				t.Errorf("field %q, want %q (err %v)", f, tc.wantField, err)
			}
			want := "line "
			if tc.marker != "" {
				want = fmt.Sprintf("line %d:", strings.Count(tc.toml[:strings.LastIndex(tc.toml, tc.marker)], "\n")+1)
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %q", err, want)
			}
		})
	}
}

func TestAcceptRules(t *testing.T) {
	k := newTestKeys()
	rule := "  [[node.accept]]\n  from = \"municipality\"\n  kinds = [\"movein.notice\"]\n" +
		"  [[node.accept]]\n  from = \"350001\"\n  kinds = [\"checkpoint.cosign.response\"]\n"
	d := loadTestDescription(t, k, rule)
	p := d.Policy()
	tests := []struct {
		from, to string
		kind     Kind
		allowed  bool
	}{
		{yamaguch, hofu, KindMoveInNotice, true},
		{kurume, hofu, KindMoveInNotice, true},
		{yamaguch, hofu, KindCopyRequest, false},  // narrowed away by 防府市's rules
		{yamaguch, kurume, KindCopyRequest, true}, // 久留米市 has no rules: the defaults
		{yamaPref, hofu, KindCheckpointCosignResponse, true},
		{hofu, yamaPref, KindIdentityNotify, true},
		{kurume, yamaPref, KindIdentityNotify, false}, // not its prefecture
		{hofu, NationalID, KindIdentityNotify, false}, // CS → national directly
		{yamaPref, NationalID, KindIdentityRelay, true},
		{hofu, NationalID, KindIdentityRelay, false},
		{NationalID, hofu, KindCardStatus, false}, // narrowed away by 防府市's rules
		{NationalID, yamaguch, KindCardStatus, true},
		{hofu, NationalID, KindCardStatus, true},
		{NationalID, hofu, KindMyNumberRequest, false},
		{"999999", hofu, KindMoveInNotice, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s→%s %s", tc.from, tc.to, tc.kind), func(t *testing.T) {
			err := p.Allow(tc.from, tc.to, tc.kind)
			if (err == nil) != tc.allowed {
				t.Fatalf("Allow = %v, want allowed=%v", err, tc.allowed)
			}
			if err != nil && (ReasonOf(err) != ReasonForbiddenKind || jukinet.ErrorKind(err) != jukinet.KindForbidden) {
				t.Errorf("Allow: %v, want forbidden_kind/KindForbidden", err)
			}
		})
	}
	widen := "  [[node.accept]]\n  from = \"national\"\n  kinds = [\"movein.notice\"]\n"
	if _, err := LoadDescription(strings.NewReader(testDescriptionTOML(k, widen))); jukinet.ErrorField(err) != "node[2].accept[0].kinds" {
		t.Errorf("a rule that widens the defaults: err %v, want one naming node[2].accept[0].kinds", err)
	}
}

func FuzzLoadDescription(f *testing.F) {
	k := newTestKeys()
	f.Add(testDescriptionTOML(k, ""))
	f.Add(testDescriptionTOML(k, "  [[node.accept]]\n  from = \"municipality\"\n  kinds = [\"movein.notice\"]\n"))
	f.Fuzz(func(t *testing.T, s string) {
		d, err := LoadDescription(strings.NewReader(s))
		if err != nil {
			if jukinet.ErrorKind(err) != jukinet.KindInvalid {
				t.Fatalf("error of kind %v: %v", jukinet.ErrorKind(err), err)
			}
			return
		}
		for _, n := range d.Nodes() {
			if !ValidNodeID(n.ID) || !n.Role.Valid() || len(n.SigningKey) != 32 {
				t.Fatalf("accepted an invalid node %+v", n)
			}
		}
	})
}

// The policy is built once per description and shared: the runtimes of a
// process hosting many nodes of one description hold one map of its nodes,
// not one each.
func TestPolicyBuiltOnce(t *testing.T) {
	d := loadTestDescription(t, newTestKeys(), "")
	p := d.Policy()
	if q := d.Policy(); q != p {
		t.Fatal("Policy built a second policy for the same description")
	}
	if err := p.Allow(hofu, yamaPref, KindIdentityNotify); err != nil {
		t.Errorf("the shared policy refuses a municipality's identity notice to its prefecture: %v", err)
	}
}
