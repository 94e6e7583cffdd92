package bench

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"strconv"

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
// at from, or the death of resident person of from. 16 bytes: the parent
// holds the month's 1.2 M of them.
type countryEvent struct {
	kind     byte
	from, to int32
	person   int32
}

// countryPlan is the month's events in their order and the population each
// municipality needs: exactly the residents who move out or die there,
// each of them once. The residents are not held: resident draws any of
// them again from the seed, so a process keeps a few integers per
// municipality where the month's 1.1 M rows were ≈ 0.5 GB in each of the
// parent and the shards.
type countryPlan struct {
	events []countryEvent
	used   []int // residents of each municipality
	first  []int // the country-wide number of each municipality's first resident
	places []string
	seed   uint64
	today  jukinet.Date
	moves  int
	births int
	deaths int
}

// newCountryPlan draws the events over the topology's municipalities
// (uniformly: each municipality as likely a source as any other) and the
// population they need.
func newCountryPlan(t *countryTopology, moves int, seed uint64, today jukinet.Date) (*countryPlan, error) {
	r := rand.New(rand.NewPCG(seed, 0x9e))
	p := &countryPlan{moves: moves, births: scaled(moves, countryMonthBirths), deaths: scaled(moves, countryMonthDeaths), seed: seed, today: today}
	n := len(t.Munis)
	p.used, p.first, p.places = make([]int, n), make([]int, n), make([]string, n)
	p.events = make([]countryEvent, 0, p.moves+p.births+p.deaths)
	add := func(kind byte, from, to int) {
		ev := countryEvent{kind: kind, from: int32(from), to: int32(to), person: -1}
		if kind != eventBirth {
			p.used[from]++
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
	// so nobody acts before they were drawn; number them after the shuffle.
	next := make([]int32, n)
	for i := range p.events {
		if e := &p.events[i]; e.kind != eventBirth {
			e.person = next[e.from]
			next[e.from]++
		}
	}
	total := 0
	for i := range p.used {
		p.first[i], p.places[i] = total, t.Munis[i].Place
		total += p.used[i]
	}
	if total >= countryCodeSpace {
		return nil, jukinet.Errorf("bench.Country", jukinet.KindInvalid, "moves", "more residents than codes")
	}
	return p, nil
}

// residents is the population of the whole country.
func (p *countryPlan) residents() int {
	n := 0
	for _, k := range p.used {
		n += k
	}
	return n
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

// population is municipality i's residents, as its import reads them.
func (p *countryPlan) population(i int) []register.ImportRow {
	rows := make([]register.ImportRow, p.used[i])
	for j := range rows {
		rows[j] = p.resident(i, j)
	}
	return rows
}

// resident is resident j of municipality i, drawn from the seed and (i, j)
// alone: every process draws the same. Each heads a household of one (a
// 転出 of a householder with others left behind is refused, rightly), has a
// 個人番号, and a 本籍 in their municipality. Resident codes and 個人番号
// are unique across the country: each is an affine bijection of the
// resident's country-wide number, then its check digit.
func (p *countryPlan) resident(i, j int) register.ImportRow {
	g := uint64(p.first[i] + j)
	r := rand.New(rand.NewPCG(p.seed^0x70, g))
	place := p.places[i]
	name := countryName(r)
	birth := p.today.AddDays(-(20*365 + r.IntN(60*365)))
	since := p.today.AddDays(-(30 + r.IntN(3650)))
	return register.ImportRow{Line: j + 2, ResidentCode: jukinet.ResidentCode(withCheckDigit(spread(g, p.seed, 1e10), 10, jukinet.ValidResidentCode)),
		IndividualNumber: jukinet.IndividualNumber(withCheckDigit(spread(g, p.seed>>1, 1e11), 11, jukinet.ValidIndividualNumber)),
		Name:             name, BirthDate: birth, Sex: jukinet.Sex(1 + r.IntN(2)), AddressText: countryAddress(place, r), AddressSince: since,
		ResidentSince: since, HouseholdKey: fmt.Sprintf("H%d", j), Relationship: register.RelationshipHead,
		Domicile: fmt.Sprintf("%s本町%d番地", place, 1+r.IntN(900)), DomicileHead: name.Kanji}
}

// countryCodeSpace bounds the residents of a country: spread is a
// bijection below it for both codes.
const countryCodeSpace = 1e10

// spreadFactor is odd and not a multiple of 5: multiplying by it is a
// bijection modulo any power of ten.
const spreadFactor = 7_380_196_231

// spread maps g < mod to g·spreadFactor + offset (mod mod), offset drawn
// from the seed: distinct g, distinct results, scattered over the space.
func spread(g, seed, mod uint64) uint64 {
	hi, lo := bits.Mul64(g, spreadFactor)
	_, rem := bits.Div64(hi%mod, lo, mod)
	return (rem + seed*0x9e3779b97f4a7c15%mod) % mod
}

// withCheckDigit writes v in digits decimal digits and appends the check
// digit valid accepts.
func withCheckDigit(v uint64, digits int, valid func(string) bool) string {
	s := fmt.Sprintf("%0*d", digits, v)
	for d := byte('0'); d <= '9'; d++ {
		if c := s + string(d); valid(c) {
			return c
		}
	}
	panic("bench: no check digit for " + strconv.Itoa(digits) + " digits")
}

// countryAddress draws an address in place ("prefecture + city").
func countryAddress(place string, r *rand.Rand) string {
	return fmt.Sprintf("%s本町%d丁目%d番%d号", place, 1+r.IntN(9), 1+r.IntN(30), 1+r.IntN(25))
}
