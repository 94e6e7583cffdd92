package node

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/pki"
	"github.com/jukinet/jukinet/store"
)

// A deployed CS resolves a 本籍 to the municipalities of its own network
// description (prefecture name + city name), not to a fixed list of cities.
func TestDomicileCodesOf(t *testing.T) {
	d := domicileDescription(t, "ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
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

// A municipality assembled with a map of 本籍 given (a process hosting many
// nodes shares one) resolves by that map, not by one of its own; without
// one it builds its own from the description.
func TestAssembleTakesTheGivenDomicileCodes(t *testing.T) {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d := domicileDescription(t, pki.FormatPublicKey(pub))
	db := openNode(t, store.SQLite, "342025")
	shared := map[string]jukinet.LGCode{"広島県呉市": "342025", "東京都千代田区": "131016"}
	a, err := Assemble(t.Context(), AssemblyConfig{DB: db, Description: d, SigningKey: key, DomicileCodes: shared})
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Municipality.DomicileMunicipality("東京都千代田区千代田1番"); got != "131016" {
		t.Errorf("with the given map: 東京都千代田区 → %q, want 131016", got)
	}
	if got := a.Municipality.DomicileMunicipality("広島県福山市東桜町3番5号"); got != "" {
		t.Errorf("with the given map: 広島県福山市 → %q, want none (not in the map given)", got)
	}
	own, err := Assemble(t.Context(), AssemblyConfig{DB: db, Description: d, SigningKey: key})
	if err != nil {
		t.Fatal(err)
	}
	if got := own.Municipality.DomicileMunicipality("広島県福山市東桜町3番5号"); got != "342076" {
		t.Errorf("without a map: 広島県福山市 → %q, want 342076", got)
	}
}

// domicileDescription is a network of 広島県 with two municipalities, every
// node with signing key key.
func domicileDescription(t *testing.T, key string) *network.Description {
	t.Helper()
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
	return d
}
