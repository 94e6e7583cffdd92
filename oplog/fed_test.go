package oplog

import (
	"math/rand/v2"
	"testing"

	"github.com/jukinet/jukinet/store"
)

// The handed-over hashes, kept as runs, behave exactly as one hash per
// index would: random feeds (some straddling, some with a hash missing),
// takes, lookups and drops against a reference map.
func TestFedRunsMatchPerIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	hashOf := func(i uint64) Hash { return LeafHash([]byte{byte(i), byte(i >> 8), byte(i >> 16)}) }
	for round := 0; round < 200; round++ {
		c := &Checkpointer{}
		ref := map[uint64]Hash{}
		next := uint64(rng.IntN(50))
		for step := 0; step < 40; step++ {
			switch rng.IntN(4) {
			case 0, 1: // a transaction's records, maybe one without a hash
				n := 1 + rng.IntN(30)
				recs := make([]store.LogRecord, n)
				cut := n
				if rng.IntN(5) == 0 {
					cut = rng.IntN(n)
				}
				for i := range recs {
					recs[i].Index = next + uint64(i)
					if i < cut {
						h := hashOf(next + uint64(i))
						recs[i].Hash = h[:]
						ref[next+uint64(i)] = h
					}
				}
				c.feed(recs)
				next += uint64(n) + uint64(rng.IntN(3)) // sometimes a gap (another node's refusal)
			case 2:
				at := uint64(rng.IntN(int(next) + 1))
				size := at + uint64(rng.IntN(40))
				got := c.takeFed(at, size)
				var want []Hash
				for i := at; i < size; i++ {
					h, ok := ref[i]
					if !ok {
						break
					}
					want = append(want, h)
					delete(ref, i)
				}
				if len(got) != len(want) {
					t.Fatalf("round %d: takeFed(%d, %d) gave %d hashes, want %d", round, at, size, len(got), len(want))
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("round %d: takeFed(%d, %d)[%d] differs", round, at, size, i)
					}
				}
			case 3:
				size := uint64(rng.IntN(int(next) + 1))
				c.dropFed(size)
				for i := range ref {
					if i < size {
						delete(ref, i)
					}
				}
			}
			at := uint64(rng.IntN(int(next) + 1))
			to := at + uint64(rng.IntN(60))
			want := to
			for i := range ref {
				if i >= at && i < want {
					want = i
				}
			}
			if got := c.fedFrom(at, to); got != want {
				t.Fatalf("round %d: fedFrom(%d, %d) = %d, want %d", round, at, to, got, want)
			}
			if c.fedLen != len(ref) {
				t.Fatalf("round %d: %d hashes kept, want %d", round, c.fedLen, len(ref))
			}
		}
	}
}
