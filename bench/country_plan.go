package bench

import (
	"fmt"
	"math/rand/v2"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/register"
)

// The month the replay stands for: 965,000 moves (転出 and 転入 pairs), and
// births and deaths in their proportion to them (≈ 80,000 births and
// ≈ 130,000 deaths a month in Japan).
const (
	countryMonthMoves  = 965_000
	countryMonthBirths = 80_000
	countryMonthDeaths = 130_000
	// countryFarShare is the share of moves that cross a prefecture's
	// border (about half of Japan's moves between municipalities do).
	countryFarShare = 0.45
)

// Kinds of replayed events.
const (
	eventMove  = 'm'
	eventBirth = 'b'
	eventDeath = 'd'
)

// countryEvent is one event of the replay: a move of resident person of
// municipality from to municipality to (転出 there, then 転入 here), a birth
// at from, or the death of resident person of from.
type countryEvent struct {
	kind     byte
	from, to int
	person   int
}

// countryPlan is the month's events in their order and the population each
// municipality needs: exactly the residents who move out or die there,
// each of them once.
type countryPlan struct {
	events []countryEvent
	pop    [][]register.ImportRow
	moves  int
	births int
	deaths int
}

// newCountryPlan draws the events over the topology's municipalities
// (uniformly: each municipality as likely a source as any other) and the
// population they need.
func newCountryPlan(t *countryTopology, moves int, seed uint64, today jukinet.Date) (*countryPlan, error) {
	r := rand.New(rand.NewPCG(seed, 0x9e))
	p := &countryPlan{moves: moves, births: scaled(moves, countryMonthBirths), deaths: scaled(moves, countryMonthDeaths)}
	n := len(t.Munis)
	used := make([]int, n)
	add := func(kind byte, from, to int) {
		ev := countryEvent{kind: kind, from: from, to: to, person: -1}
		if kind != eventBirth {
			ev.person = used[from]
			used[from]++
		}
		p.events = append(p.events, ev)
	}
	for i := 0; i < p.moves; i++ {
		from := r.IntN(n)
		to := pickDestination(r, t, from)
		if to < 0 {
			return nil, jukinet.Errorf("bench.Country", jukinet.KindInvalid, "municipalities", "a move needs at least two municipalities")
		}
		add(eventMove, from, to)
	}
	for i := 0; i < p.births; i++ {
		add(eventBirth, r.IntN(n), -1)
	}
	for i := 0; i < p.deaths; i++ {
		add(eventDeath, r.IntN(n), -1)
	}
	r.Shuffle(len(p.events), func(i, j int) { p.events[i], p.events[j] = p.events[j], p.events[i] })
	// A resident's index follows the shuffled order within a municipality,
	// so nobody acts before they were drawn; renumber after the shuffle.
	next := make([]int, n)
	for i := range p.events {
		if e := &p.events[i]; e.kind != eventBirth {
			e.person = next[e.from]
			next[e.from]++
		}
	}
	var err error
	p.pop, err = countryPopulation(t, used, seed, today)
	return p, err
}

// scaled is month's count of something in proportion to moves.
func scaled(moves, month int) int {
	return int(float64(moves)*float64(month)/float64(countryMonthMoves) + 0.5)
}

// pickDestination draws where a resident of from moves: a near partner
// (same prefecture) or, countryFarShare of the time, a far one; -1 when
// there is no other municipality.
func pickDestination(r *rand.Rand, t *countryTopology, from int) int {
	near, far := t.Near[from], t.Far[from]
	switch {
	case len(near) == 0 && len(far) == 0:
		return -1
	case len(far) > 0 && (len(near) == 0 || r.Float64() < countryFarShare):
		return far[r.IntN(len(far))]
	default:
		return near[r.IntN(len(near))]
	}
}

var (
	countrySurnames = []jukinet.Name{{Kanji: "佐藤", Kana: "サトウ"}, {Kanji: "鈴木", Kana: "スズキ"}, {Kanji: "高橋", Kana: "タカハシ"},
		{Kanji: "田中", Kana: "タナカ"}, {Kanji: "伊藤", Kana: "イトウ"}, {Kanji: "渡辺", Kana: "ワタナベ"}, {Kanji: "山本", Kana: "ヤマモト"}}
	countryGiven = []jukinet.Name{{Kanji: "太郎", Kana: "タロウ"}, {Kanji: "花子", Kana: "ハナコ"}, {Kanji: "健", Kana: "ケン"},
		{Kanji: "陽子", Kana: "ヨウコ"}, {Kanji: "翔", Kana: "ショウ"}, {Kanji: "美咲", Kana: "ミサキ"}}
)

// countryName draws a synthetic name.
func countryName(r *rand.Rand) jukinet.Name {
	s, g := countrySurnames[r.IntN(len(countrySurnames))], countryGiven[r.IntN(len(countryGiven))]
	return jukinet.Name{Kanji: s.Kanji + "\u3000" + g.Kanji, Kana: s.Kana + "\u3000" + g.Kana}
}

// countryPopulation draws used[i] residents for municipality i: each heads
// a household of one (a 転出 of a householder with others left behind is
// refused, rightly), has a 個人番号, and a 本籍 in their municipality.
// Resident codes and 個人番号 are unique across the country.
func countryPopulation(t *countryTopology, used []int, seed uint64, today jukinet.Date) ([][]register.ImportRow, error) {
	r := rand.New(rand.NewPCG(seed, 0x70))
	codes := map[jukinet.ResidentCode]bool{}
	numbers := map[jukinet.IndividualNumber]bool{}
	out := make([][]register.ImportRow, len(used))
	for i, k := range used {
		place := t.Munis[i].Place
		for j := 0; j < k; j++ {
			code, number, err := uniqueCodes(randReader{r}, codes, numbers)
			if err != nil {
				return nil, err
			}
			name := countryName(r)
			birth := today.AddDays(-(20*365 + r.IntN(60*365)))
			since := today.AddDays(-(30 + r.IntN(3650)))
			out[i] = append(out[i], register.ImportRow{Line: j + 2, ResidentCode: code, IndividualNumber: number, Name: name,
				BirthDate: birth, Sex: jukinet.Sex(1 + r.IntN(2)), AddressText: countryAddress(place, r), AddressSince: since,
				ResidentSince: since, HouseholdKey: fmt.Sprintf("H%d", j), Relationship: register.RelationshipHead,
				Domicile: fmt.Sprintf("%s本町%d番地", place, 1+r.IntN(900)), DomicileHead: name.Kanji})
		}
	}
	return out, nil
}

// countryAddress draws an address in place ("prefecture + city").
func countryAddress(place string, r *rand.Rand) string {
	return fmt.Sprintf("%s本町%d丁目%d番%d号", place, 1+r.IntN(9), 1+r.IntN(30), 1+r.IntN(25))
}

// uniqueCodes draws a 住民票コード and a 個人番号 not drawn before.
func uniqueCodes(r randReader, codes map[jukinet.ResidentCode]bool, numbers map[jukinet.IndividualNumber]bool) (jukinet.ResidentCode, jukinet.IndividualNumber, error) {
	var code jukinet.ResidentCode
	for code == "" || codes[code] {
		c, err := jukinet.NewResidentCode(r)
		if err != nil {
			return "", "", err
		}
		code = c
	}
	codes[code] = true
	var number jukinet.IndividualNumber
	for number == "" || numbers[number] {
		n, err := jukinet.NewIndividualNumber(r)
		if err != nil {
			return "", "", err
		}
		number = n
	}
	numbers[number] = true
	return code, number, nil
}

// randReader reads random bytes from a seeded stream.
type randReader struct{ r *rand.Rand }

func (rr randReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(rr.r.Uint32())
	}
	return len(p), nil
}
