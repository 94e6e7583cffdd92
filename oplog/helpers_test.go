package oplog

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"iter"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

const testOrigin = "jukinet.example/oplog/352063"

// testKey derives a deterministic synthetic key.
func testKey(t testing.TB, name string) (note.Signer, note.Verifier) {
	t.Helper()
	seed := sha256.Sum256([]byte("test key " + name))
	priv := ed25519.NewKeyFromSeed(seed[:])
	s, err := NewSigner(name, priv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(name, priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

// testLeaf is a synthetic ~200-byte record.
func testLeaf(i uint64) []byte {
	return fmt.Appendf(nil, `{"idx":%d,"at":"2026-11-%02dT09:%02d:%02d+09:00","operator":"OP%06d","op":"identity.lookup","terminal":"T-%04d","resident":"R%011d","policy":"sha256:0f3a9c1e7b2d4f6a8c0e1a2b3c4d5e6f"}`,
		i, i%28+1, i%60, i%60, i%997, i%31, i*7919%100000000000)
}

// memLog is an in-memory oplog table plus stored strata nodes.
type memLog struct {
	leaves [][]byte
	hashes []Hash
	nodes  map[uint][]Hash
	tree   Tree
}

func newMemLog(n uint64) *memLog {
	l := &memLog{nodes: map[uint][]Hash{}}
	l.add(n)
	return l
}

func (l *memLog) add(n uint64) {
	for range n {
		leaf := testLeaf(uint64(len(l.leaves)))
		h := LeafHash(leaf)
		l.leaves = append(l.leaves, leaf)
		l.hashes = append(l.hashes, h)
		for _, nd := range l.tree.AppendNodes(nil, h) {
			if uint64(len(l.nodes[nd.Level])) != nd.Index {
				panic("nodes out of order")
			}
			l.nodes[nd.Level] = append(l.nodes[nd.Level], nd.Hash)
		}
	}
}

func (l *memLog) LeafHashes(_ context.Context, from, to uint64) ([]Hash, error) {
	if from > to || to > uint64(len(l.hashes)) {
		return nil, jukinet.Errorf("memLog", jukinet.KindNotFound, "", "[%d,%d) beyond %d", from, to, len(l.hashes))
	}
	return append([]Hash(nil), l.hashes[from:to]...), nil
}

func (l *memLog) NodeHashes(_ context.Context, level uint, from, to uint64) ([]Hash, error) {
	ns := l.nodes[level]
	if from > to || to > uint64(len(ns)) {
		return nil, jukinet.Errorf("memLog", jukinet.KindNotFound, "", "level %d [%d,%d) beyond %d", level, from, to, len(ns))
	}
	return append([]Hash(nil), ns[from:to]...), nil
}

func (l *memLog) rows() []Row {
	rows := make([]Row, len(l.leaves))
	for i := range rows {
		rows[i] = Row{Index: uint64(i), Leaf: append([]byte(nil), l.leaves[i]...), LeafHash: l.hashes[i]}
	}
	return rows
}

// leavesOnly hides NodeSource so proofs fall back to leaf hashes.
type leavesOnly struct{ l *memLog }

func (s leavesOnly) LeafHashes(ctx context.Context, from, to uint64) ([]Hash, error) {
	return s.l.LeafHashes(ctx, from, to)
}

// refRoot is an independent recursive RFC 6962 Merkle tree hash.
func refRoot(hashes []Hash) Hash {
	switch len(hashes) {
	case 0:
		return Hash(rfc6962.DefaultHasher.EmptyRoot())
	case 1:
		return hashes[0]
	}
	k := 1
	for k*2 < len(hashes) {
		k *= 2
	}
	l, r := refRoot(hashes[:k]), refRoot(hashes[k:])
	return Hash(rfc6962.DefaultHasher.HashChildren(l[:], r[:]))
}

func seqRows(rows []Row) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		for _, r := range rows {
			if !yield(r, nil) {
				return
			}
		}
	}
}

func seqNotes(notes [][]byte) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		for _, n := range notes {
			if !yield(n, nil) {
				return
			}
		}
	}
}

// memWitnessStore is an in-memory WitnessStore.
type memWitnessStore struct{ m map[string]WitnessState }

func (s *memWitnessStore) WitnessState(_ context.Context, origin string) (WitnessState, bool, error) {
	st, ok := s.m[origin]
	return st, ok, nil
}

func (s *memWitnessStore) SetWitnessState(_ context.Context, origin string, old *WitnessState, next WitnessState) error {
	cur, ok := s.m[origin]
	if ok != (old != nil) || ok && cur != *old {
		return jukinet.E("memWitnessStore", jukinet.KindConflict, "state changed")
	}
	s.m[origin] = next
	return nil
}
