package oplog

import (
	"bytes"
	"context"
	"testing"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
)

func TestLeafHashMatchesRFC6962(t *testing.T) {
	for _, n := range []int{0, 1, 200, 510, 511, 512, 4000} {
		leaf := bytes.Repeat([]byte{'x'}, n)
		got, want := LeafHash(leaf), Hash(rfc6962.DefaultHasher.HashLeaf(leaf))
		if got != want {
			t.Errorf("LeafHash(%d bytes) = %x, want %x", n, got, want)
		}
	}
}

func TestTreeRootMatchesReference(t *testing.T) {
	l := newMemLog(0)
	var tree Tree
	if got, want := tree.Root(), refRoot(nil); got != want {
		t.Fatalf("empty root = %x, want %x", got, want)
	}
	for size := 1; size <= 600; size++ {
		l.add(1)
		tree.Append(l.hashes[size-1])
		if tree.Size() != uint64(size) {
			t.Fatalf("Size() = %d, want %d", tree.Size(), size)
		}
		if got, want := tree.Root(), refRoot(l.hashes); got != want {
			t.Fatalf("size %d: root %x, want %x", size, got, want)
		}
	}
}

// The Verifier's allocation-free tree gives the reference root at every
// size, from empty and from a restored start (a purge boundary).
func TestStackTreeMatchesReference(t *testing.T) {
	l := newMemLog(0)
	st := newStackTree(nil)
	if got, want := st.Root(), refRoot(nil); got != want {
		t.Fatalf("empty root = %x, want %x", got, want)
	}
	for size := 1; size <= 600; size++ {
		l.add(1)
		st.Append(l.hashes[size-1])
		if st.Size() != uint64(size) {
			t.Fatalf("Size() = %d, want %d", st.Size(), size)
		}
		if got, want := st.Root(), refRoot(l.hashes); got != want {
			t.Fatalf("size %d: root %x, want %x", size, got, want)
		}
	}
	for _, start := range []int{1, 5, 64, 255, 301} {
		var tree Tree
		tree.Append(l.hashes[:start]...)
		st := newStackTree(&tree)
		for size := start + 1; size <= 600; size++ {
			st.Append(l.hashes[size-1])
			if got, want := st.Root(), refRoot(l.hashes[:size]); got != want {
				t.Fatalf("from %d, size %d: root %x, want %x", start, size, got, want)
			}
		}
	}
}

func TestAppendNodesReportsStrata(t *testing.T) {
	l := newMemLog(3 * 256 * 256 / 2) // 98 304 leaves: level-8 and one level-16 node
	if got, want := len(l.nodes[8]), len(l.hashes)/256; got != want {
		t.Fatalf("level-8 nodes = %d, want %d", got, want)
	}
	if got, want := len(l.nodes[16]), 1; got != want {
		t.Fatalf("level-16 nodes = %d, want %d", got, want)
	}
	for _, id := range []compact.NodeID{compact.NewNodeID(8, 0), compact.NewNodeID(8, 300), compact.NewNodeID(16, 0)} {
		begin, end := id.Coverage()
		var want Hash
		if id.Level == 8 {
			want = l.nodes[8][id.Index]
		} else {
			want = l.nodes[16][id.Index]
		}
		if got := refRoot(l.hashes[begin:end]); got != want {
			t.Errorf("node %v: stored %x, recomputed %x", id, want, got)
		}
	}
}

func TestTreeMarshalRoundTrip(t *testing.T) {
	l := newMemLog(0)
	for _, size := range []uint64{0, 1, 2, 3, 255, 256, 1000} {
		l.add(size - uint64(len(l.hashes)))
		var tree Tree
		tree.Append(l.hashes...)
		data, err := tree.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var back Tree
		if err := back.UnmarshalBinary(data); err != nil {
			t.Fatalf("size %d: UnmarshalBinary: %v", size, err)
		}
		if back.Size() != size || back.Root() != tree.Root() {
			t.Fatalf("size %d: round trip gave size %d root %x, want %x", size, back.Size(), back.Root(), tree.Root())
		}
		// The restored state must keep growing like the original.
		l.add(7)
		back.Append(l.hashes[size:]...)
		if got, want := back.Root(), refRoot(l.hashes); got != want {
			t.Fatalf("size %d+7: root after restore %x, want %x", size, got, want)
		}
		l.hashes, l.leaves = l.hashes[:size], l.leaves[:size]
		clone := tree.Clone()
		clone.Append(Hash{1})
		if tree.Size() != size {
			t.Fatalf("Clone shares state: original size %d after appending to clone", tree.Size())
		}
	}
}

func TestTreeUnmarshalRejects(t *testing.T) {
	var tree Tree
	tree.Append(Hash{1}, Hash{2}, Hash{3})
	good, _ := tree.MarshalBinary()
	tests := map[string][]byte{
		"empty":         nil,
		"short":         good[:8],
		"bad version":   append([]byte{2}, good[1:]...),
		"missing hash":  good[:len(good)-32],
		"extra byte":    append(append([]byte(nil), good...), 0),
		"size mismatch": append([]byte{1, 0, 0, 0, 0, 0, 0, 0, 4}, good[9:]...),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			var got Tree
			if err := got.UnmarshalBinary(data); err == nil {
				t.Errorf("UnmarshalBinary(%x) = nil error, want an error", data)
			}
		})
	}
}

func FuzzTreeUnmarshal(f *testing.F) {
	var tree Tree
	tree.Append(Hash{1}, Hash{2}, Hash{3})
	good, _ := tree.MarshalBinary()
	f.Add(good)
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var tr Tree
		if err := tr.UnmarshalBinary(data); err != nil {
			return
		}
		again, _ := tr.MarshalBinary()
		if !bytes.Equal(again, data) {
			t.Fatalf("accepted %x but re-encodes as %x", data, again)
		}
		_ = tr.Root()
		tr.Append(Hash{9})
	})
}

func TestSubtreeHashWithAndWithoutNodes(t *testing.T) {
	l := newMemLog(70000)
	ctx := context.Background()
	for _, id := range []compact.NodeID{compact.NewNodeID(0, 5), compact.NewNodeID(7, 3), compact.NewNodeID(9, 2), compact.NewNodeID(16, 0)} {
		a, err := subtreeHash(ctx, l, id)
		if err != nil {
			t.Fatal(err)
		}
		b, err := subtreeHash(ctx, leavesOnly{l}, id)
		if err != nil {
			t.Fatal(err)
		}
		begin, end := id.Coverage()
		if want := refRoot(l.hashes[begin:end]); a != want || b != want {
			t.Errorf("node %v: with nodes %x, leaves only %x, want %x", id, a, b, want)
		}
	}
}
