package bench

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/pki"
)

// countryPrefectures are the 47 prefectures with their real names and the
// number of municipalities each had in 2024 (市町村 and 東京都's 23 特別区:
// 1,741 in all). Only the counts are real; the municipalities' codes and
// names are generated (countryTopology).
var countryPrefectures = []struct {
	name  string
	count int
}{
	{"北海道", 179}, {"青森県", 40}, {"岩手県", 33}, {"宮城県", 35}, {"秋田県", 25}, {"山形県", 35}, {"福島県", 59},
	{"茨城県", 44}, {"栃木県", 25}, {"群馬県", 35}, {"埼玉県", 63}, {"千葉県", 54}, {"東京都", 62}, {"神奈川県", 33},
	{"新潟県", 30}, {"富山県", 15}, {"石川県", 19}, {"福井県", 17}, {"山梨県", 27}, {"長野県", 77}, {"岐阜県", 42},
	{"静岡県", 35}, {"愛知県", 54}, {"三重県", 29}, {"滋賀県", 19}, {"京都府", 26}, {"大阪府", 43}, {"兵庫県", 41},
	{"奈良県", 39}, {"和歌山県", 30}, {"鳥取県", 19}, {"島根県", 19}, {"岡山県", 27}, {"広島県", 23}, {"山口県", 19},
	{"徳島県", 24}, {"香川県", 17}, {"愛媛県", 20}, {"高知県", 34}, {"福岡県", 60}, {"佐賀県", 20}, {"長崎県", 21},
	{"熊本県", 45}, {"大分県", 18}, {"宮崎県", 26}, {"鹿児島県", 43}, {"沖縄県", 41},
}

// countryNode is one node of the country topology.
type countryNode struct {
	ID         string
	Role       network.Role
	Name       string // 北海道, or a generated municipality name (第12市)
	Prefecture string // a municipality's prefecture node
	Place      string // a municipality's "prefecture + city" address prefix
	Index      int    // a municipality's index in countryTopology.Munis
	Node       int    // the node's index in countryTopology.Nodes
}

func (n countryNode) nodeIndex() int { return n.Node }

// countryTopology is the national server, the prefectures and their
// municipalities, and which municipalities people move between.
type countryTopology struct {
	Nodes []countryNode // national first, then each prefecture and its municipalities
	Munis []countryNode
	// Partners[i] are the municipalities people of municipality i move to:
	// a few in its prefecture and a few elsewhere (a gravity model's few
	// strong flows, not all 1,740 others: every pair is a TLS connection).
	Near, Far [][]int
}

// prefectureCounts spreads munis municipalities over the first prefs
// prefectures in the real proportions (at least one each, largest
// remainders); munis 0 keeps the real counts.
func prefectureCounts(prefs, munis int) ([]int, error) {
	if prefs < 1 || prefs > len(countryPrefectures) {
		return nil, jukinet.Errorf("bench.Country", jukinet.KindInvalid, "prefectures", "must be 1 to %d", len(countryPrefectures))
	}
	real, total := make([]int, prefs), 0
	for i := range real {
		real[i] = countryPrefectures[i].count
		total += real[i]
	}
	if munis == 0 || munis == total {
		return real, nil
	}
	if munis < prefs || munis > 799*prefs {
		return nil, jukinet.Errorf("bench.Country", jukinet.KindInvalid, "municipalities", "must be at least one per prefecture (%d) and at most 799 per prefecture", prefs)
	}
	out := make([]int, prefs)
	type rem struct {
		i int
		r float64
	}
	var rems []rem
	left := munis - prefs
	given := 0
	for i, c := range real {
		share := float64(left) * float64(c) / float64(total)
		out[i] = 1 + int(share)
		given += int(share)
		rems = append(rems, rem{i, share - float64(int(share))})
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for k := 0; given < left; k++ {
		out[rems[k].i]++
		given++
	}
	return out, nil
}

// lgCode is the 全国地方公共団体コード of prefecture pref (1–47) and
// municipality number num (000 for the prefecture itself), check digit
// included.
func lgCode(pref, num int) (string, error) {
	first := fmt.Sprintf("%02d%03d", pref, num)
	cd, err := jukinet.LGCodeCheckDigit(first)
	if err != nil {
		return "", err
	}
	return first + string(cd), nil
}

// newCountryTopology builds the topology: municipality numbers 201, 202, …
// in each prefecture (generated, with valid check digits), named 第1市,
// 第2市, …; near partners are the next municipalities of the prefecture,
// far partners are drawn from other prefectures.
func newCountryTopology(prefs, munis int, seed uint64) (*countryTopology, error) {
	counts, err := prefectureCounts(prefs, munis)
	if err != nil {
		return nil, err
	}
	t := &countryTopology{Nodes: []countryNode{{ID: network.NationalID, Role: network.RoleNational, Name: "全国サーバ"}}}
	var prefOf []int
	for p, c := range counts {
		pid, err := lgCode(p+1, 0)
		if err != nil {
			return nil, err
		}
		pname := countryPrefectures[p].name
		t.Nodes = append(t.Nodes, countryNode{ID: pid, Role: network.RolePrefecture, Name: pname})
		for i := 0; i < c; i++ {
			id, err := lgCode(p+1, 201+i)
			if err != nil {
				return nil, err
			}
			name := fmt.Sprintf("第%d市", i+1)
			m := countryNode{ID: id, Role: network.RoleMunicipality, Name: name, Prefecture: pid, Place: pname + name, Index: len(t.Munis), Node: len(t.Nodes)}
			t.Nodes = append(t.Nodes, m)
			t.Munis = append(t.Munis, m)
			prefOf = append(prefOf, p)
		}
	}
	t.partners(prefOf, seed)
	return t, nil
}

// partners draws each municipality's near and far destinations.
func (t *countryTopology) partners(prefOf []int, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0xc0))
	first := map[int]int{} // prefecture → index of its first municipality
	size := map[int]int{}
	for i, p := range prefOf {
		if _, ok := first[p]; !ok {
			first[p] = i
		}
		size[p]++
	}
	t.Near, t.Far = make([][]int, len(prefOf)), make([][]int, len(prefOf))
	for i, p := range prefOf {
		for k := 1; k <= min(4, size[p]-1); k++ {
			t.Near[i] = append(t.Near[i], first[p]+(i-first[p]+k)%size[p])
		}
		if len(size) == 1 {
			continue
		}
		for len(t.Far[i]) < 2 {
			j := r.IntN(len(prefOf))
			if prefOf[j] != p {
				t.Far[i] = append(t.Far[i], j)
			}
		}
	}
}

// description writes the network description (network.toml) of the
// topology with every node's address and signing key.
func (t *countryTopology) description(addrs map[string]string, creds map[string]*pki.NodeCredentials) (string, error) {
	var b strings.Builder
	for _, n := range t.Nodes {
		fmt.Fprintf(&b, "[[node]]\nid = %q\nkind = %q\nname = %q\n", n.ID, n.Role, n.Name)
		if n.Prefecture != "" {
			fmt.Fprintf(&b, "prefecture = %q\n", n.Prefecture)
		}
		c, ok := creds[n.ID]
		if !ok {
			return "", fmt.Errorf("no credentials for node %s", n.ID)
		}
		fmt.Fprintf(&b, "network_addr = %q\nsigning_key = %q\n\n", addrs[n.ID], pki.FormatPublicKey(c.SigningPublicKey()))
	}
	return b.String(), nil
}
