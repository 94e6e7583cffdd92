package biometric

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// corrupt applies nErrors errors and nErasures erasures at distinct random
// positions and returns the erased positions.
func corrupt(rng *rand.Rand, word []uint8, nErrors, nErasures int) []int {
	positions := rng.Perm(len(word))[:nErrors+nErasures]
	for _, p := range positions[:nErrors] {
		word[p] ^= uint8(1 + rng.IntN(fieldOrder))
	}
	erased := positions[nErrors:]
	for _, p := range erased {
		word[p] = uint8(rng.IntN(fieldOrder + 1)) // any value, possibly right
	}
	return erased
}

func TestReedSolomonWithinRadius(t *testing.T) {
	rs := newReedSolomon(innerBlocks, outerK)
	twoT := innerBlocks - outerK
	rng := rand.New(rand.NewPCG(1, 2))
	for errs := 0; 2*errs <= twoT; errs++ {
		for _, erasures := range []int{0, 1, twoT - 2*errs} {
			if 2*errs+erasures > twoT {
				continue
			}
			t.Run("", func(t *testing.T) {
				for range 50 {
					msg := make([]uint8, outerK)
					for i := range msg {
						msg[i] = uint8(rng.IntN(fieldOrder + 1))
					}
					cw := rs.encode(msg)
					recv := append([]uint8(nil), cw...)
					erased := corrupt(rng, recv, errs, erasures)
					got, ok := rs.decode(recv, erased)
					if !ok || !bytes.Equal(got, msg) {
						t.Fatalf("errors=%d erasures=%d: decode ok=%v, message matches=%v; want true, true", errs, erasures, ok, bytes.Equal(got, msg))
					}
					if !bytes.Equal(recv, cw) {
						t.Fatalf("errors=%d erasures=%d: corrected word differs from the codeword", errs, erasures)
					}
				}
			})
		}
	}
}

func TestReedSolomonBeyondRadius(t *testing.T) {
	// Beyond the radius the decoder must fail or return a codeword other than
	// the sent one; it must never return the sent message.
	rs := newReedSolomon(innerBlocks, outerK)
	twoT := innerBlocks - outerK
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct{ errs, erasures int }{{twoT/2 + 1, 0}, {twoT/2 + 3, 0}, {1, twoT - 1}, {5, 20}, {30, 0}} {
		for range 200 {
			msg := make([]uint8, outerK)
			for i := range msg {
				msg[i] = uint8(rng.IntN(fieldOrder + 1))
			}
			recv := rs.encode(msg)
			// errors only (erased positions get a guaranteed-wrong value)
			positions := rng.Perm(innerBlocks)[:c.errs+c.erasures]
			for _, p := range positions {
				recv[p] ^= uint8(1 + rng.IntN(fieldOrder))
			}
			got, ok := rs.decode(recv, positions[c.errs:])
			if ok && bytes.Equal(got, msg) {
				t.Fatalf("errors=%d erasures=%d: decoded to the sent message; want failure or another codeword", c.errs, c.erasures)
			}
			if ok {
				// a miscorrection must be a codeword within the radius
				if cw := rs.encode(got); !bytes.Equal(cw, recv) {
					t.Fatalf("errors=%d erasures=%d: decode returned a non-codeword", c.errs, c.erasures)
				}
			}
		}
	}
}

func TestReedSolomonRejectsBadInput(t *testing.T) {
	rs := newReedSolomon(innerBlocks, outerK)
	good := make([]uint8, innerBlocks)
	for _, c := range []struct {
		name     string
		word     []uint8
		erasures []int
	}{
		{"short word", make([]uint8, innerBlocks-1), nil},
		{"symbol out of field", append(append([]uint8(nil), good[:10]...), append([]uint8{200}, good[11:]...)...), nil},
		{"erasure out of range", good, []int{innerBlocks}},
		{"negative erasure", good, []int{-1}},
		{"duplicate erasure", good, []int{3, 3}},
		{"too many erasures", good, make([]int, innerBlocks-outerK+1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, ok := rs.decode(append([]uint8(nil), c.word...), c.erasures); ok {
				t.Errorf("decode(%s) ok = true, want false", c.name)
			}
		})
	}
}

func FuzzReedSolomonDecode(f *testing.F) {
	rs := newReedSolomon(innerBlocks, outerK)
	f.Add(make([]byte, innerBlocks), []byte{})
	f.Add(rs.encode(make([]uint8, outerK)), []byte{1, 2, 3})
	f.Add([]byte{1, 2, 3}, []byte{200})
	f.Fuzz(func(t *testing.T, word, erasedBytes []byte) {
		erased := make([]int, len(erasedBytes))
		for i, b := range erasedBytes {
			erased[i] = int(b) - 8 // reach negative and out-of-range positions too
		}
		recv := append([]uint8(nil), word...)
		msg, ok := rs.decode(recv, erased)
		if !ok {
			return
		}
		// Whatever it accepts must be a codeword within the decoding radius.
		cw := rs.encode(msg)
		if !bytes.Equal(cw, recv) {
			t.Fatalf("decode returned a message whose codeword differs from the corrected word")
		}
		isErased := map[int]bool{}
		for _, p := range erased {
			isErased[p] = true
		}
		errs := 0
		for i := range cw {
			if cw[i] != word[i] && !isErased[i] {
				errs++
			}
		}
		if 2*errs+len(erased) > innerBlocks-outerK {
			t.Fatalf("decoded with %d errors and %d erasures, beyond the radius", errs, len(erased))
		}
	})
}

func TestHadamardRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for sym := range uint8(1 << (innerOrder + 1)) {
		w := hadamardEncode(sym)
		got, ok := hadamardDecode(w, innerBits)
		if !ok || got != sym {
			t.Errorf("hadamardDecode(hadamardEncode(%d)) = %d, %v; want %d, true", sym, got, ok, sym)
		}
		// 15 bit errors are always corrected (minimum distance 32).
		noisy := w ^ (1<<15 - 1)
		if got, ok := hadamardDecode(noisy, 0); !ok || got != sym {
			t.Errorf("symbol %d with 15 bit errors: got %d, %v; want %d, true", sym, got, ok, sym)
		}
		// The FAR bound needs: with more than (64−threshold)/2 = 21 bit
		// errors a block never decodes to its own symbol.
		for i := range 200 {
			errs := 22 + i%43
			var e uint64
			for _, p := range rng.Perm(innerBits)[:errs] {
				e |= 1 << p
			}
			if got, ok := hadamardDecode(w^e, erasureThreshold); ok && got == sym {
				t.Fatalf("symbol %d with %d bit errors decoded to itself at threshold %d", sym, errs, erasureThreshold)
			}
		}
	}
}
