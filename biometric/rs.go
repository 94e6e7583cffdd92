package biometric

// Reed–Solomon code over GF(2^7), the outer code of the fuzzy commitment.
// Written here rather than imported: it is small, and errors-and-erasures
// decoding with a strict "bounded distance or fail" rule is what the FAR
// bound in accuracy.go relies on.

const (
	fieldBits  = 7
	fieldOrder = 1<<fieldBits - 1 // 127 non-zero elements
	fieldPoly  = 0x89             // x^7 + x^3 + 1, primitive
)

// galoisField holds the exp/log tables of GF(2^7). gf is built at start-up
// and only read afterwards, like defaultCode.
type galoisField struct {
	exp [2 * fieldOrder]uint8
	log [fieldOrder + 1]uint8
}

var gf = newGaloisField()

func newGaloisField() *galoisField {
	f := new(galoisField)
	x := 1
	for i := range fieldOrder {
		f.exp[i] = uint8(x)
		f.exp[i+fieldOrder] = uint8(x)
		f.log[x] = uint8(i)
		x <<= 1
		if x&(1<<fieldBits) != 0 {
			x ^= fieldPoly
		}
	}
	return f
}

func (f *galoisField) mul(a, b uint8) uint8 {
	if a == 0 || b == 0 {
		return 0
	}
	return f.exp[int(f.log[a])+int(f.log[b])]
}

// div returns a/b; b must be non-zero.
func (f *galoisField) div(a, b uint8) uint8 {
	if a == 0 {
		return 0
	}
	return f.exp[int(f.log[a])+fieldOrder-int(f.log[b])]
}

// pow returns α^e for any integer e.
func (f *galoisField) alphaPow(e int) uint8 {
	e %= fieldOrder
	if e < 0 {
		e += fieldOrder
	}
	return f.exp[e]
}

// evalPoly evaluates p (p[0] the constant term) at x.
func (f *galoisField) evalPoly(p []uint8, x uint8) uint8 {
	var y uint8
	for i := len(p) - 1; i >= 0; i-- {
		y = f.mul(y, x) ^ p[i]
	}
	return y
}

// reedSolomon is a narrow-sense RS(n, k) code (roots α^1…α^(n−k)), shortened
// from length 127. Codeword position i is the coefficient of x^i; the message
// sits in positions n−k…n−1 (systematic), the parity in 0…n−k−1.
type reedSolomon struct {
	n, k      int
	generator []uint8 // degree n−k, monic
}

func newReedSolomon(n, k int) *reedSolomon {
	if n > fieldOrder || k < 1 || k >= n {
		panic("biometric: bad Reed–Solomon parameters")
	}
	g := []uint8{1}
	for i := 1; i <= n-k; i++ {
		root := gf.alphaPow(i)
		next := make([]uint8, len(g)+1)
		for j, c := range g {
			next[j+1] ^= c
			next[j] ^= gf.mul(c, root)
		}
		g = next
	}
	return &reedSolomon{n: n, k: k, generator: g}
}

// encode returns the codeword for msg (k symbols < 128).
func (rs *reedSolomon) encode(msg []uint8) []uint8 {
	parity := rs.n - rs.k
	cw := make([]uint8, rs.n)
	copy(cw[parity:], msg)
	// Remainder of msg(x)·x^parity divided by the generator, by long division.
	rem := make([]uint8, rs.n)
	copy(rem, cw)
	for i := rs.n - 1; i >= parity; i-- {
		c := rem[i]
		if c == 0 {
			continue
		}
		for j, g := range rs.generator {
			rem[i-parity+j] ^= gf.mul(c, g)
		}
	}
	copy(cw[:parity], rem[:parity])
	return cw
}

// decode corrects received in place given the erased positions and returns
// the message and true, or false if the word lies outside the decoding
// radius 2·errors + erasures ≤ n−k. It never returns a codeword farther than
// that radius from the received word, so a wrong reading cannot be
// "miscorrected" into the right key except by landing within the radius.
func (rs *reedSolomon) decode(received []uint8, erasures []int) ([]uint8, bool) {
	n, twoT := rs.n, rs.n-rs.k
	seen, ok := rs.checkInput(received, erasures)
	if !ok {
		return nil, false
	}
	synd, clean := syndromes(received, twoT)
	if clean {
		return append([]uint8(nil), received[twoT:]...), true
	}
	s := len(erasures)
	lambda, l := berlekampMassey(erasureLocator(erasures), synd, s, twoT)
	deg := len(lambda) - 1
	if deg != l || 2*(l-s) > twoT-s {
		return nil, false
	}
	corrected, ok := forney(received, lambda, synd, seen, n, twoT)
	if !ok {
		return nil, false
	}
	for j := range twoT {
		if gf.evalPoly(corrected, gf.alphaPow(j+1)) != 0 {
			return nil, false
		}
	}
	copy(received, corrected)
	return append([]uint8(nil), corrected[twoT:]...), true
}

// checkInput checks that received is a word of symbols and erasures
// distinct positions in it, no more than the code can fill, and returns
// which positions are erased.
func (rs *reedSolomon) checkInput(received []uint8, erasures []int) (seen []bool, ok bool) {
	n, twoT := rs.n, rs.n-rs.k
	if len(received) != n || len(erasures) > twoT {
		return nil, false
	}
	for _, s := range received {
		if s > fieldOrder {
			return nil, false
		}
	}
	seen = make([]bool, n)
	for _, p := range erasures {
		if p < 0 || p >= n || seen[p] {
			return nil, false
		}
		seen[p] = true
	}
	return seen, true
}

// syndromes returns S_1…S_2t, as synd[j] = S_{j+1}; clean when all are zero
// (received is a codeword).
func syndromes(received []uint8, twoT int) (synd []uint8, clean bool) {
	synd = make([]uint8, twoT)
	clean = true
	for j := range twoT {
		synd[j] = gf.evalPoly(received, gf.alphaPow(j+1))
		if synd[j] != 0 {
			clean = false
		}
	}
	return synd, clean
}

// erasureLocator returns Γ(x) = Π (1 − α^p x) over the erased positions p.
func erasureLocator(erasures []int) []uint8 {
	gamma := []uint8{1}
	for _, p := range erasures {
		xp := gf.alphaPow(p)
		next := make([]uint8, len(gamma)+1)
		for i, c := range gamma {
			next[i] ^= c
			next[i+1] ^= gf.mul(c, xp)
		}
		gamma = next
	}
	return gamma
}

// berlekampMassey finds the errata locator Λ(x) from the syndromes,
// initialised with the erasure locator gamma of s erasures (Blahut), and
// returns it trimmed with its register length l.
func berlekampMassey(gamma, synd []uint8, s, twoT int) (lambda []uint8, l int) {
	lambda = append([]uint8(nil), gamma...)
	b := append([]uint8(nil), gamma...)
	l = s
	for r := s + 1; r <= twoT; r++ {
		var delta uint8
		for j := 0; j < len(lambda) && j < r; j++ {
			delta ^= gf.mul(lambda[j], synd[r-j-1])
		}
		shifted := append([]uint8{0}, b...) // x·B(x)
		if delta == 0 {
			b = shifted
			continue
		}
		t := make([]uint8, max(len(lambda), len(shifted)))
		copy(t, lambda)
		for i, c := range shifted {
			t[i] ^= gf.mul(delta, c)
		}
		if 2*l <= r+s-1 {
			b = make([]uint8, len(lambda))
			for i, c := range lambda {
				b[i] = gf.div(c, delta)
			}
			l = r + s - l
		} else {
			b = shifted
		}
		lambda = t
	}
	return trimPoly(lambda), l
}

// forney finds the errata positions by a Chien search over the n used
// positions and their values by Forney's formula, and returns the corrected
// word; ok is false when Λ does not have deg Λ roots there or the new
// errors exceed what the code corrects beside the erasures.
func forney(received, lambda, synd []uint8, erased []bool, n, twoT int) (corrected []uint8, ok bool) {
	deg := len(lambda) - 1
	// Ω(x) = S(x)·Λ(x) mod x^2t.
	omega := make([]uint8, twoT)
	for i, c := range lambda {
		for j := 0; i+j < twoT; j++ {
			omega[i+j] ^= gf.mul(c, synd[j])
		}
	}
	// Formal derivative: in characteristic 2 only odd terms survive.
	deriv := make([]uint8, max(deg, 1))
	for i := 1; i <= deg; i += 2 {
		deriv[i-1] = lambda[i]
	}
	corrected = append([]uint8(nil), received...)
	roots, newErrors, s := 0, 0, 0
	for _, e := range erased {
		if e {
			s++
		}
	}
	for p := range n {
		xinv := gf.alphaPow(-p)
		if gf.evalPoly(lambda, xinv) != 0 {
			continue
		}
		roots++
		den := gf.evalPoly(deriv, xinv)
		if den == 0 {
			return nil, false
		}
		v := gf.div(gf.evalPoly(omega, xinv), den)
		if v != 0 && !erased[p] {
			newErrors++
		}
		corrected[p] ^= v
	}
	if roots != deg || 2*newErrors+s > twoT {
		return nil, false
	}
	return corrected, true
}

func trimPoly(p []uint8) []uint8 {
	for len(p) > 1 && p[len(p)-1] == 0 {
		p = p[:len(p)-1]
	}
	return p
}
