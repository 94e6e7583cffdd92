package bench

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
)

// TestCountryQuick replays a small country (3 prefectures, 6
// municipalities in 2 processes, 300 moves with their births and deaths)
// and checks that every event committed and that national holds every
// identity notice the municipalities committed: lost is counted against
// national's history.
func TestCountryQuick(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	r, _, err := Country(ctx, CountryOptions{Quick: true, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if r.Nodes != 10 || r.Prefectures != 3 || r.Municipalities != 6 || r.Processes != 2 {
		t.Fatalf("topology: %d nodes, %d prefectures, %d municipalities, %d processes; want 10, 3, 6, 2", r.Nodes, r.Prefectures, r.Municipalities, r.Processes)
	}
	wantEvents := 2*r.Moves + r.Births + r.Deaths
	if r.Moves != 300 || r.Births != scaled(300, countryMonthBirths) || r.Deaths != scaled(300, countryMonthDeaths) || r.Births == 0 || r.Deaths == 0 {
		t.Fatalf("month: %d moves, %d births, %d deaths", r.Moves, r.Births, r.Deaths)
	}
	if r.Failed != 0 || r.Events != wantEvents {
		t.Fatalf("%d events committed, %d failed (%v); want %d", r.Events, r.Failed, r.Errors, wantEvents)
	}
	if r.Lost != 0 || r.Rejected != 0 {
		t.Fatalf("lost %d of %d identity notices, %d messages refused", r.Lost, r.IdentityUpdates, r.Rejected)
	}
	// Every event notifies at least one identity update (a move two), and
	// the population's import one per resident.
	if r.IdentityUpdates < r.Residents+wantEvents {
		t.Fatalf("%d identity notices for %d residents and %d events", r.IdentityUpdates, r.Residents, wantEvents)
	}
	if r.NationalApplied < wantEvents {
		t.Fatalf("national applied %d identity versions during the replay, want at least %d", r.NationalApplied, wantEvents)
	}
	if r.MaxRSSMB <= 0 || r.IdleNodeFiles <= 0 || r.SlowestPrefecture == "" {
		t.Fatalf("figures missing: %+v", r)
	}
	// The memory over the replay: its start, each tenth, the drain.
	planned := r.Moves + r.Births + r.Deaths
	ms := r.MemoryOverReplay
	if len(ms) < 11 || len(ms) > 12 || ms[0].EventsOffered != 0 || ms[len(ms)-1].EventsOffered != planned {
		t.Fatalf("memory over the replay: %+v; want the start, each tenth and the drain of %d events", ms, planned)
	}
	for i, m := range ms {
		if m.RSSMB <= 0 || (i > 0 && (m.EventsOffered <= ms[i-1].EventsOffered || m.S < ms[i-1].S)) {
			t.Fatalf("memory sample %d of %+v", i, ms)
		}
	}
	// Every node's listener accepted at least its own prefecture's or
	// municipalities' first connection, each a full handshake.
	if r.TLSHandshakes < int64(r.Nodes-1) {
		t.Fatalf("%d full TLS handshakes counted for %d nodes", r.TLSHandshakes, r.Nodes)
	}
}

// TestPrefectureCounts: the real counts add up to the 1,741 municipalities,
// and a scaled-down country keeps one municipality per prefecture at least
// and the total asked for.
func TestPrefectureCounts(t *testing.T) {
	all, err := prefectureCounts(47, 0)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, c := range all {
		sum += c
	}
	if sum != 1741 {
		t.Fatalf("real counts add up to %d, want 1741", sum)
	}
	small, err := prefectureCounts(47, 100)
	if err != nil {
		t.Fatal(err)
	}
	sum = 0
	for i, c := range small {
		if c < 1 {
			t.Fatalf("prefecture %d got %d municipalities", i+1, c)
		}
		sum += c
	}
	if sum != 100 || small[0] <= small[15] { // 北海道 (179) above 富山県 (15)
		t.Fatalf("scaled counts %v (sum %d)", small, sum)
	}
	if _, err := prefectureCounts(3, 2); err == nil {
		t.Fatal("fewer municipalities than prefectures accepted")
	}
}

// TestCountryTopologyCodes: every node's code is a valid 全国地方公共団体コード,
// municipalities carry their prefecture's two digits, and no code repeats.
func TestCountryTopologyCodes(t *testing.T) {
	topo, err := newCountryTopology(47, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(topo.Munis) != 1741 || len(topo.Nodes) != 1741+47+1 {
		t.Fatalf("%d municipalities, %d nodes", len(topo.Munis), len(topo.Nodes))
	}
	seen := map[string]bool{}
	for _, n := range topo.Nodes[1:] {
		if !jukinet.ValidLGCode(n.ID) || seen[n.ID] {
			t.Fatalf("node %s: invalid or repeated code", n.ID)
		}
		seen[n.ID] = true
		if n.Prefecture != "" && n.Prefecture[:2] != n.ID[:2] {
			t.Fatalf("municipality %s in prefecture %s", n.ID, n.Prefecture)
		}
	}
	for i := range topo.Munis {
		for _, j := range topo.Near[i] {
			if topo.Munis[j].Prefecture != topo.Munis[i].Prefecture || j == i {
				t.Fatalf("near partner %d of %d is not another municipality of its prefecture", j, i)
			}
		}
		for _, j := range topo.Far[i] {
			if topo.Munis[j].Prefecture == topo.Munis[i].Prefecture {
				t.Fatalf("far partner %d of %d is in its prefecture", j, i)
			}
		}
	}
}

// TestCountryPlanHoldsNoResidents: the month's plan holds its events and a
// few integers per municipality, not the population (the month's 1.1 M
// residents were ≈ 0.5 GB in every process); the residents drawn again
// are the same in every process, valid, and unique across the country.
func TestCountryPlanHoldsNoResidents(t *testing.T) {
	topo, err := newCountryTopology(47, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	today := jukinet.DateOf(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	p, err := newCountryPlan(topo, 200_000, 1, today)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perEvent := float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(len(p.events))
	if perEvent > 24 {
		t.Fatalf("the plan holds %.0f bytes per event, want at most 24 (its events, not its residents)", perEvent)
	}
	runtime.KeepAlive(p)

	small, err := newCountryPlan(topo, 20_000, 1, today)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := newCountryPlan(topo, 20_000, 1, today)
	codes, numbers := map[jukinet.ResidentCode]bool{}, map[jukinet.IndividualNumber]bool{}
	for i, k := range small.used {
		for j := 0; j < k; j++ {
			r := small.resident(i, j)
			if r != again.resident(i, j) {
				t.Fatalf("resident %d of municipality %d drawn twice differs", j, i)
			}
			if !jukinet.ValidResidentCode(string(r.ResidentCode)) || !jukinet.ValidIndividualNumber(string(r.IndividualNumber)) {
				t.Fatalf("resident %d of municipality %d: invalid code or number", j, i)
			}
			if codes[r.ResidentCode] || numbers[r.IndividualNumber] {
				t.Fatalf("resident %d of municipality %d: code or number drawn twice", j, i)
			}
			codes[r.ResidentCode], numbers[r.IndividualNumber] = true, true
		}
	}
	if len(codes) != small.residents() || len(codes) < 20_000 {
		t.Fatalf("%d residents drawn, the plan counts %d", len(codes), small.residents())
	}
	for _, e := range small.events {
		if e.kind != eventBirth && int(e.person) >= small.used[e.from] {
			t.Fatalf("event %+v names a resident beyond the %d of its municipality", e, small.used[e.from])
		}
	}
}
