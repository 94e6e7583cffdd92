package biometric

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"

	"github.com/jukinet/jukinet"
)

// Reading is one fixed-length binary vein code as a reader delivers it: bit i
// is bit i%8 of byte i/8. It is personal data (G2.6) and prints as
// "biometric.Reading{redacted}" with every fmt verb and in slog.
type Reading [CodeBits / 8]byte

const redactedReading = "biometric.Reading{redacted}"

// String redacts the reading.
func (Reading) String() string { return redactedReading }

// GoString redacts the reading.
func (Reading) GoString() string { return redactedReading }

// Format redacts the reading for every verb.
func (Reading) Format(f fmt.State, _ rune) { io.WriteString(f, redactedReading) }

// LogValue redacts the reading in structured logs.
func (Reading) LogValue() slog.Value { return slog.StringValue(redactedReading) }

// Reader takes a reading from the vein sensor of a terminal for the operator
// who presented collationID (照合ID).
type Reader interface {
	Read(ctx context.Context, collationID string) (Reading, error)
}

// SyntheticReader is the reader of the demo and the tests. Each person (keyed
// by any string, usually the 照合ID) has a template drawn from seed and the
// person; a reading flips each bit independently with the reader's bit error
// rate. Its noise stream is deterministic given the seed and the order of
// calls. It is safe for concurrent use.
type SyntheticReader struct {
	seed int64
	rate float64

	mu  sync.Mutex
	rng *rand.Rand
}

// NewSyntheticReader returns a reader whose Read adds bitErrorRate noise
// (clamped to [0, 1]).
func NewSyntheticReader(seed int64, bitErrorRate float64) *SyntheticReader {
	return &SyntheticReader{
		seed: seed,
		rate: min(max(bitErrorRate, 0), 1),
		rng:  rand.New(rand.NewChaCha8(syntheticSeed(seed, "noise", ""))),
	}
}

func syntheticSeed(seed int64, label, person string) [32]byte {
	h := sha256.New()
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(seed)))
	h.Write([]byte(label))
	h.Write([]byte{0})
	h.Write([]byte(person))
	var s [32]byte
	h.Sum(s[:0])
	return s
}

// Read returns a genuine reading of collationID's finger at the reader's bit
// error rate. It fails only if ctx is done or collationID is empty.
func (s *SyntheticReader) Read(ctx context.Context, collationID string) (Reading, error) {
	if err := ctx.Err(); err != nil {
		return Reading{}, jukinet.E("biometric.SyntheticReader.Read", jukinet.KindUnavailable, err)
	}
	if collationID == "" {
		return Reading{}, jukinet.E("biometric.SyntheticReader.Read", jukinet.KindInvalid, jukinet.Field("collation_id"), "must not be empty")
	}
	return s.Genuine(collationID, s.rate), nil
}

// Template returns person's noise-free vein code.
func (s *SyntheticReader) Template(person string) Reading {
	var r Reading
	src := rand.NewChaCha8(syntheticSeed(s.seed, "template", person))
	for i := 0; i < len(r); i += 8 {
		binary.LittleEndian.PutUint64(r[i:], src.Uint64())
	}
	return r
}

// Genuine returns a reading of person with each bit flipped independently
// with probability rate.
func (s *SyntheticReader) Genuine(person string, rate float64) Reading {
	r := s.Template(person)
	s.mu.Lock()
	defer s.mu.Unlock()
	flipBits(s.rng, &r, 0, CodeBits, rate)
	return r
}

// Burst returns a genuine reading at rate with, in addition, burstBits
// consecutive bits starting at a random position replaced by random bits (a
// smudge or a badly placed finger over part of the sensor).
func (s *SyntheticReader) Burst(person string, rate float64, burstBits int) Reading {
	r := s.Template(person)
	burstBits = min(max(burstBits, 0), CodeBits)
	s.mu.Lock()
	defer s.mu.Unlock()
	flipBits(s.rng, &r, 0, CodeBits, rate)
	start := s.rng.IntN(CodeBits - burstBits + 1)
	flipBits(s.rng, &r, start, start+burstBits, 0.5)
	return r
}

// Impostor returns a reading of other's finger at rate, to be presented as
// someone else.
func (s *SyntheticReader) Impostor(other string, rate float64) Reading {
	return s.Genuine(other, rate)
}

// RandomReading returns uniformly random bits (a reading of nobody).
func (s *SyntheticReader) RandomReading() Reading {
	var r Reading
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < len(r); i += 8 {
		binary.LittleEndian.PutUint64(r[i:], s.rng.Uint64())
	}
	return r
}

// flipBits flips each bit in [from, to) with probability rate.
func flipBits(rng *rand.Rand, r *Reading, from, to int, rate float64) {
	if rate <= 0 {
		return
	}
	for i := from; i < to; i++ {
		if rng.Float64() < rate {
			r[i>>3] ^= 1 << (i & 7)
		}
	}
}
