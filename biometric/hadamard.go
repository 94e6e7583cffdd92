package biometric

import "math/bits"

// Inner code: the first-order Reed–Muller code RM(1,6), i.e. a Hadamard code
// of 64 bits carrying a 7-bit symbol (6 linear bits u plus a complement bit).
// Minimum distance 32: it tolerates heavy independent noise, which a vein code
// at 20 % bit errors needs.

const (
	innerOrder = 6
	innerBits  = 1 << innerOrder // 64 bits per block = one uint64
)

// hadamardEncode maps a 7-bit symbol to its 64-bit codeword: bit x is
// parity(u·x) ⊕ c, where u is the low 6 bits and c bit 6.
func hadamardEncode(symbol uint8) uint64 {
	u := uint(symbol & (innerBits - 1))
	var w uint64
	for x := range uint(innerBits) {
		if bits.OnesCount(u&x)&1 == 1 {
			w |= 1 << x
		}
	}
	if symbol&innerBits != 0 {
		w = ^w
	}
	return w
}

// hadamardDecode is maximum-likelihood decoding by the fast Hadamard
// transform. It returns the symbol and true, or false (an erasure) when the
// best correlation is below threshold: a block that far from every codeword
// carries no reliable symbol, and marking it erased is what makes the false
// acceptance rate computable (a correct symbol implies ≤ (64−threshold)/2
// bit errors in its block).
func hadamardDecode(w uint64, threshold int) (uint8, bool) {
	var f [innerBits]int32
	for x := range innerBits {
		f[x] = 1 - 2*int32((w>>x)&1)
	}
	for h := 1; h < innerBits; h <<= 1 {
		for i := 0; i < innerBits; i += 2 * h {
			for j := i; j < i+h; j++ {
				a, b := f[j], f[j+h]
				f[j], f[j+h] = a+b, a-b
			}
		}
	}
	best, bestAbs := 0, int32(-1)
	for u, v := range f {
		if v < 0 {
			v = -v
		}
		if v > bestAbs { // ties keep the first: deterministic
			best, bestAbs = u, v
		}
	}
	if int(bestAbs) < threshold {
		return 0, false
	}
	symbol := uint8(best)
	if f[best] < 0 {
		symbol |= innerBits
	}
	return symbol, true
}
