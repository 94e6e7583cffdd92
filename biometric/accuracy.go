package biometric

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/jukinet/jukinet"
)

// AccuracyConfig sets the size of MeasureAccuracy's run. Zero fields take the
// defaults noted, which run in about 10 s on two cores.
type AccuracyConfig struct {
	Seed              int64         // seed of the synthetic population and noise
	Persons           int           // enrolled synthetic persons (default 20)
	GenuineTrials     int           // genuine verifications at 20 % bit errors (default 20000)
	CurveTrials       int           // verifications per noise level of the curve (default 1000)
	NoiseLevels       []float64     // curve bit error rates (default 0, 0.05, …, 0.45)
	ImpostorBudget    time.Duration // wall time for empirical false-acceptance trials (default 3 s)
	MaxImpostorTrials int           // cap on those trials (default 1,000,000)
	VerifyTimings     int           // timed Verify calls for the median (default 1000)
}

func (c *AccuracyConfig) setDefaults() {
	if c.Persons <= 0 {
		c.Persons = 20
	}
	if c.GenuineTrials <= 0 {
		c.GenuineTrials = 20000
	}
	if c.CurveTrials <= 0 {
		c.CurveTrials = 1000
	}
	if len(c.NoiseLevels) == 0 {
		for i := range 10 {
			c.NoiseLevels = append(c.NoiseLevels, float64(5*i)/100)
		}
	}
	if c.ImpostorBudget <= 0 {
		c.ImpostorBudget = 3 * time.Second
	}
	if c.MaxImpostorTrials <= 0 {
		c.MaxImpostorTrials = 1_000_000
	}
	if c.VerifyTimings <= 0 {
		c.VerifyTimings = 1000
	}
}

// AccuracyReport is the result of MeasureAccuracy; `jukinet bench biometric
// --json` prints it. Analytic figures are upper bounds computed from the code
// parameters; sampled figures carry their trial counts.
type AccuracyReport struct {
	Params  Params `json:"params"`
	KeyBits int    `json:"key_bits"`
	Seed    int64  `json:"seed"`

	FRRAt20        float64 `json:"frr_at_20pct"`                // sampled false rejection rate at 20 % bit errors
	FRRAt20Trials  int     `json:"frr_at_20pct_trials"`         //
	FRRAt20Bound   float64 `json:"frr_at_20pct_analytic_bound"` // analytic upper bound
	FARAt40        float64 `json:"far_at_40pct"`                // analytic upper bound on acceptance at 40 % bit errors
	FARAt40Sampled float64 `json:"far_at_40pct_empirical"`      // accepted / trials for genuine-person readings at 40 %
	FARAt40Trials  int     `json:"far_at_40pct_empirical_trials"`
	// FARAt40Upper95 is the one-sided 95 % upper confidence limit of the
	// empirical rate (3/trials when nothing was accepted).
	FARAt40Upper95   float64 `json:"far_at_40pct_empirical_upper95"`
	ImpostorTrials   int     `json:"impostor_trials"` // other persons' readings and random bits
	ImpostorAccepted int     `json:"impostor_accepted"`
	FARImpostorBound float64 `json:"far_impostor_analytic_bound"` // analytic bound at 50 % bit errors

	// Block-level evidence for the analytic FAR: the share of inner blocks
	// of 40 % readings that decode to their enrolled symbol, the bound q used
	// by AcceptBound, and the most such blocks seen in one reading
	// (acceptance needs OuterK of them).
	BlockCorrectAt40      float64 `json:"block_correct_at_40pct_empirical"`
	BlockCorrectAt40Bound float64 `json:"block_correct_at_40pct_bound"`
	MaxCorrectBlocksAt40  int     `json:"max_correct_blocks_at_40pct"`
	CorrectBlocksNeeded   int     `json:"correct_blocks_needed"`

	VerifyMs        float64         `json:"verify_ms"`         // median of VerifyTimings calls of Verify (derives the transform each time)
	VerifyMatcherMs float64         `json:"verify_matcher_ms"` // the same with a Matcher (transform derived once)
	EnrollMs        float64         `json:"enroll_ms"`         // median of Persons calls of Enroll
	Curve           []AccuracyPoint `json:"curve"`
	ElapsedMs       float64         `json:"elapsed_ms"`
}

// AccuracyPoint is one noise level of the curve: readings of the enrolled
// person with independent bit errors at BitErrorRate. Below about 30 % an
// acceptance is right and a rejection is a false rejection; above, the
// reading no longer resembles the finger and an acceptance counts as false.
type AccuracyPoint struct {
	BitErrorRate float64 `json:"bit_error_rate"`
	Trials       int     `json:"trials"`
	Accepted     int     `json:"accepted"`
	FRR          float64 `json:"frr"`         // 1 − accepted/trials
	AcceptRate   float64 `json:"accept_rate"` // accepted/trials (the FAR where the reading counts as not genuine)
	FRRBound     float64 `json:"frr_analytic_bound"`
	FARBound     float64 `json:"far_analytic_bound"` // upper bound on the acceptance probability
}

// MeasureAccuracy enrols synthetic persons under a fresh node key and
// measures false rejection and false acceptance over a range of noise
// levels, next to their analytic bounds, and the time of Verify. It returns
// ctx's error (KindUnavailable) if ctx ends first.
func MeasureAccuracy(ctx context.Context, cfg AccuracyConfig) (AccuracyReport, error) {
	cfg.setDefaults()
	start := time.Now()
	m := &accuracyRun{ctx: ctx, cfg: cfg, rep: AccuracyReport{Params: DefaultParams(), KeyBits: outerK * fieldBits, Seed: cfg.Seed}}
	for _, step := range []func() error{m.enroll, m.genuine, m.impostors, m.timings} {
		if err := step(); err != nil {
			return m.rep, err
		}
	}
	m.rep.ElapsedMs = float64(time.Since(start).Microseconds()) / 1000
	return m.rep, nil
}

// accuracyRun is one MeasureAccuracy: synthetic persons enrolled once,
// then genuine readings, impostors and timings measured against them.
type accuracyRun struct {
	ctx       context.Context
	cfg       AccuracyConfig
	rep       AccuracyReport
	key       NodeKey
	matcher   *Matcher
	reader    *SyntheticReader
	persons   []string
	templates []Template
	enrolled  [][innerBlocks]uint8 // each person's inner-code symbols as enrolled
}

func (m *accuracyRun) canceled() error {
	if err := m.ctx.Err(); err != nil {
		return jukinet.E("biometric.MeasureAccuracy", jukinet.KindUnavailable, "measurement interrupted", err)
	}
	return nil
}

// enroll enrolls cfg.Persons synthetic persons, timing each enrolment.
func (m *accuracyRun) enroll() error {
	key, err := NewNodeKey(1, rand.Reader)
	if err != nil {
		return err
	}
	m.key, m.matcher = key, NewMatcher(key)
	m.reader = NewSyntheticReader(m.cfg.Seed, 0)
	n := m.cfg.Persons
	m.persons, m.templates, m.enrolled = make([]string, n), make([]Template, n), make([][innerBlocks]uint8, n)
	enrollTimes := make([]time.Duration, n)
	for i := range m.persons {
		m.persons[i] = "person-" + strconv.Itoa(i)
		r := m.reader.Template(m.persons[i])
		t0 := time.Now()
		t, err := m.matcher.Enroll(r, rand.Reader)
		enrollTimes[i] = time.Since(t0)
		if err != nil {
			return err
		}
		m.templates[i] = t
	}
	m.rep.EnrollMs = medianMs(enrollTimes)
	for p := range m.persons {
		r := m.reader.Template(m.persons[p])
		m.enrolled[p] = innerSymbols(m.matcher.tr, &m.templates[p], &r)
	}
	return nil
}

// trials runs n verifications of readings made by reading(p) against
// person p = i mod Persons and returns the number accepted.
func (m *accuracyRun) trials(n int, reading func(person int) Reading) (int, error) {
	accepted := 0
	for i := range n {
		if i%256 == 0 {
			if err := m.canceled(); err != nil {
				return 0, err
			}
		}
		p := i % len(m.persons)
		r := reading(p)
		if verifyWith(m.matcher.tr, &m.templates[p], &r) {
			accepted++
		}
	}
	return accepted, nil
}

// genuine measures false rejection at 20 % bit errors and the acceptance
// curve over the noise levels, with the bounds beside them.
func (m *accuracyRun) genuine() error {
	cfg, rep := m.cfg, &m.rep
	acc, err := m.trials(cfg.GenuineTrials, func(p int) Reading { return m.reader.Genuine(m.persons[p], 0.20) })
	if err != nil {
		return err
	}
	rep.FRRAt20Trials = cfg.GenuineTrials
	rep.FRRAt20 = 1 - float64(acc)/float64(cfg.GenuineTrials)
	rep.FRRAt20Bound = RejectBound(0.20)
	rep.FARAt40 = AcceptBound(0.40)
	rep.FARImpostorBound = AcceptBound(0.50)
	for _, level := range cfg.NoiseLevels {
		acc, err := m.trials(cfg.CurveTrials, func(p int) Reading { return m.reader.Genuine(m.persons[p], level) })
		if err != nil {
			return err
		}
		rate := float64(acc) / float64(cfg.CurveTrials)
		rep.Curve = append(rep.Curve, AccuracyPoint{
			BitErrorRate: level, Trials: cfg.CurveTrials, Accepted: acc,
			FRR: 1 - rate, AcceptRate: rate,
			FRRBound: RejectBound(level), FARBound: AcceptBound(level),
		})
	}
	return nil
}

// impostors measures false acceptance empirically: it alternates
// genuine-person readings at 40 % with impostors (another person at 20 %,
// or random bits) until the budget or the cap is reached.
func (m *accuracyRun) impostors() error {
	cfg, rep, tr := m.cfg, &m.rep, m.matcher.tr
	deadline := time.Now().Add(cfg.ImpostorBudget)
	far40Accepted, correctBlocks := 0, 0
	for i := 0; i < cfg.MaxImpostorTrials; i++ {
		if i%256 == 0 {
			if err := m.canceled(); err != nil {
				return err
			}
			if time.Now().After(deadline) {
				break
			}
		}
		p := i % len(m.persons)
		var r Reading
		switch i % 3 {
		case 0:
			r = m.reader.Genuine(m.persons[p], 0.40)
		case 1:
			r = m.reader.Impostor(m.persons[(p+1)%len(m.persons)], 0.20)
		default:
			r = m.reader.RandomReading()
		}
		ok := verifyWith(tr, &m.templates[p], &r)
		if i%3 != 0 {
			rep.ImpostorTrials++
			if ok {
				rep.ImpostorAccepted++
			}
			continue
		}
		got := innerSymbols(tr, &m.templates[p], &r)
		correct := 0
		for b := range got {
			if got[b] == m.enrolled[p][b] {
				correct++
			}
		}
		correctBlocks += correct
		rep.MaxCorrectBlocksAt40 = max(rep.MaxCorrectBlocksAt40, correct)
		rep.FARAt40Trials++
		if ok {
			far40Accepted++
		}
	}
	if rep.FARAt40Trials > 0 {
		rep.FARAt40Sampled = float64(far40Accepted) / float64(rep.FARAt40Trials)
		rep.FARAt40Upper95 = upper95(far40Accepted, rep.FARAt40Trials)
		rep.BlockCorrectAt40 = float64(correctBlocks) / float64(rep.FARAt40Trials*innerBlocks)
	}
	rep.BlockCorrectAt40Bound = binomialCDF(innerBits, maxCorrectBitErrors, 0.40)
	rep.CorrectBlocksNeeded = outerK
	return nil
}

// timings measures one verification's median time, through Verify and
// through the Matcher.
func (m *accuracyRun) timings() error {
	genuine := m.reader.Genuine(m.persons[0], 0.20)
	times := make([]time.Duration, m.cfg.VerifyTimings)
	for pass, verify := range []func(Template, Reading) (bool, error){
		func(t Template, r Reading) (bool, error) { return Verify(m.key, t, r) },
		m.matcher.Verify,
	} {
		for i := range times {
			t0 := time.Now()
			if _, err := verify(m.templates[0], genuine); err != nil {
				return err
			}
			times[i] = time.Since(t0)
		}
		if pass == 0 {
			m.rep.VerifyMs = medianMs(times)
		} else {
			m.rep.VerifyMatcherMs = medianMs(times)
		}
	}
	return nil
}

// innerSymbols decodes every block of helper ⊕ T(reading) with the template's
// erasure threshold; an erased block gets the impossible symbol 0xff.
func innerSymbols(tr *transform, t *Template, r *Reading) [innerBlocks]uint8 {
	x := tr.apply(r)
	var out [innerBlocks]uint8
	for i := range out {
		sym, ok := hadamardDecode(binary.LittleEndian.Uint64(t.Helper[8*i:])^x[i], int(t.Params.ErasureThreshold))
		if !ok {
			sym = 0xff
		}
		out[i] = sym
	}
	return out
}

func medianMs(d []time.Duration) float64 {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return float64(s[len(s)/2].Nanoseconds()) / 1e6
}

// upper95 is a one-sided 95 % upper confidence limit for a rate: 3/n with no
// successes (rule of three), otherwise a normal approximation.
func upper95(k, n int) float64 {
	if k == 0 {
		return 3 / float64(n)
	}
	p := float64(k) / float64(n)
	return math.Min(1, p+1.645*math.Sqrt(p*(1-p)/float64(n)))
}

// maxCorrectBitErrors is the most bit errors a block can have and still
// decode to its own symbol: a correct symbol needs correlation 64−2e ≥ the
// erasure threshold.
const maxCorrectBitErrors = (innerBits - erasureThreshold) / 2

// AcceptBound is an upper bound on the probability that Verify accepts a
// reading whose bits differ from the enrolled ones independently with
// probability p (0 ≤ p ≤ 0.5; an impostor or random reading is p = 0.5).
//
// Acceptance needs the RS decoder to return the committed key, i.e.
// 2·errors + erasures ≤ n−k, so at least k of the n blocks must decode to
// their own symbol; each such block has ≤ 21 bit errors (see
// maxCorrectBitErrors). Blocks are independent, so
// P(accept) ≤ P(Binomial(n, q) ≥ k) with q = P(Binomial(64, p) ≤ 21). The
// decoder never returns a codeword outside its radius (so it cannot
// "miscorrect" to the right key) and a wrong key passes the SHA-256 check
// with probability 2^−256, which is below float64 resolution here.
func AcceptBound(p float64) float64 {
	q := binomialCDF(innerBits, maxCorrectBitErrors, p)
	return binomialTail(innerBlocks, outerK, q)
}

// RejectBound is an upper bound on the false rejection probability of a
// genuine reading with independent bit errors at rate p. A block is wrong
// only if some other RM(1,6) codeword is at least as close (union bound over
// 126 codewords of weight 32 and one of weight 64), and erased only if it
// has more than 21 bit errors; the decoder fails only if
// 2·wrong + erased > n−k, computed over the trinomial that dominates them.
// The union bound is loose above about 22 %.
func RejectBound(p float64) float64 {
	wrong := (1<<(innerOrder+1)-2)*binomialTail(innerBits/2, innerBits/4, p) + binomialTail(innerBits, innerBits/2, p)
	erased := 1 - binomialCDF(innerBits, maxCorrectBitErrors, p)
	if wrong+erased >= 1 {
		return 1
	}
	correct := 1 - wrong - erased
	n, radius := innerBlocks, innerBlocks-outerK
	var fail float64
	for e := 0; e <= n; e++ {
		for s := 0; e+s <= n; s++ {
			if 2*e+s <= radius {
				continue
			}
			fail += math.Exp(lchoose(n, e) + lchoose(n-e, s) + xlogy(e, wrong) + xlogy(s, erased) + xlogy(n-e-s, correct))
		}
	}
	return math.Min(1, fail)
}

// binomialTail is P(Binomial(n, p) ≥ k).
func binomialTail(n, k int, p float64) float64 {
	var s float64
	for i := max(k, 0); i <= n; i++ {
		s += binomialPMF(n, i, p)
	}
	return math.Min(1, s)
}

// binomialCDF is P(Binomial(n, p) ≤ k).
func binomialCDF(n, k int, p float64) float64 {
	var s float64
	for i := 0; i <= min(k, n); i++ {
		s += binomialPMF(n, i, p)
	}
	return math.Min(1, s)
}

func binomialPMF(n, i int, p float64) float64 {
	return math.Exp(lchoose(n, i) + xlogy(i, p) + xlogy(n-i, 1-p))
}

func lchoose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

// xlogy is k·log(p) with 0·log(0) = 0.
func xlogy(k int, p float64) float64 {
	if k == 0 {
		return 0
	}
	return float64(k) * math.Log(p)
}
