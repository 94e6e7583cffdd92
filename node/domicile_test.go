package node

import (
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
)

// A deployed CS resolves a 本籍 to the municipalities of its own network
// description (prefecture name + city name), not to a fixed list of cities.
func TestDomicileCodesOf(t *testing.T) {
	const key = "ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	var b strings.Builder
	for i, n := range [][4]string{
		{"national", "national", "全国サーバ", ""}, {"340006", "prefecture", "広島県", ""},
		{"342025", "municipality", "呉市", "340006"}, {"342076", "municipality", "福山市", "340006"},
	} {
		b.WriteString("[[node]]\nid = \"" + n[0] + "\"\nkind = \"" + n[1] + "\"\nname = \"" + n[2] + "\"\n")
		if n[3] != "" {
			b.WriteString("prefecture = \"" + n[3] + "\"\n")
		}
		b.WriteString("network_addr = \"127.0.0.1:" + string(rune('1'+i)) + "0000\"\nsigning_key = \"" + key + "\"\n\n")
	}
	d, err := network.LoadDescription(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	got := DomicileCodesOf(d)
	want := map[string]jukinet.LGCode{"広島県呉市": "342025", "広島県福山市": "342076"}
	if len(got) != len(want) {
		t.Fatalf("DomicileCodesOf = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s → %q, want %q", k, got[k], v)
		}
	}
}
