// Package oplog is the storage-independent core of the operation log
// (操作履歴): an append-only RFC 6962 Merkle tree over the records' canonical
// bytes, signed checkpoints cosigned by a witness, inclusion and consistency
// proofs, a streaming verifier and monthly sealed archives.
//
// The history must stay analysable going back 7 years (G15) and is the
// evidence that each operation was done under a legitimate authority (G11.2),
// so every piece here is checkable offline by anyone holding the public keys.
// Storage (the oplog table, checkpoints, witness state, stored subtree hashes)
// is behind small interfaces implemented over SQL by package store.
package oplog

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"github.com/jukinet/jukinet/store"
	"math/bits"

	"github.com/jukinet/jukinet"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
)

// Hash is a SHA-256 Merkle tree hash.
type Hash = [32]byte

// LeafHash is the RFC 6962 leaf hash of a record's canonical bytes,
// SHA-256(0x00 || leaf): store.LeafHash, the one implementation, which the
// writer uses too.
func LeafHash(leaf []byte) Hash { return store.LeafHash(leaf) }

// nodeHash is the RFC 6962 interior node hash SHA-256(0x01 || left || right).
func nodeHash(left, right Hash) Hash {
	var buf [65]byte
	buf[0] = rfc6962.RFC6962NodeHashPrefix
	copy(buf[1:33], left[:])
	copy(buf[33:], right[:])
	return sha256.Sum256(buf[:])
}

// hashChildren adapts nodeHash to compact.HashFn.
func hashChildren(left, right []byte) []byte {
	h := nodeHash(Hash(left), Hash(right))
	return h[:]
}

// rangeFactory is never modified; compact ranges must share one factory to
// be merged.
var rangeFactory = &compact.RangeFactory{Hash: hashChildren}

// emptyRoot is the RFC 6962 root of the empty tree, SHA-256("").
func emptyRoot() Hash { return sha256.Sum256(nil) }

// TileHeight is the height of the stored subtree strata: the append path
// persists the hash of every complete perfect subtree whose level is a
// positive multiple of TileHeight (256, 65 536, … leaves), so any proof node
// can be rebuilt from at most 2^(TileHeight-1) stored hashes.
const TileHeight = 8

// Node is the hash of a complete perfect subtree: leaves
// [Index<<Level, (Index+1)<<Level).
type Node struct {
	Level uint
	Index uint64
	Hash  Hash
}

// Tree is the incremental state of the log's Merkle tree: the compact range
// [0, Size) (one hash per set bit of Size). It is what a node keeps in memory
// and stores beside each checkpoint so appending never rereads old leaves.
// The zero value is the empty tree.
type Tree struct {
	r *compact.Range
}

func (t *Tree) init() {
	if t.r == nil {
		t.r = rangeFactory.NewEmptyRange(0)
	}
}

// Append adds leaf hashes at the end of the tree.
func (t *Tree) Append(hashes ...Hash) {
	t.init()
	for _, h := range hashes {
		hc := h
		if err := t.r.Append(hc[:], nil); err != nil {
			// Unreachable: the range is only built by Append and the strict
			// UnmarshalBinary.
			panic(fmt.Sprintf("oplog: corrupt compact range: %v", err))
		}
	}
}

// AppendNodes is Append that also returns, appended to dst, the subtree
// hashes completed by these leaves at levels that are positive multiples of
// TileHeight. The caller stores them (NodeSource) in the same transaction as
// the rows, which keeps proofs cheap.
func (t *Tree) AppendNodes(dst []Node, hashes ...Hash) []Node {
	t.init()
	visit := func(id compact.NodeID, hash []byte) {
		if id.Level > 0 && id.Level%TileHeight == 0 {
			dst = append(dst, Node{Level: id.Level, Index: id.Index, Hash: Hash(hash)})
		}
	}
	for _, h := range hashes {
		hc := h
		if err := t.r.Append(hc[:], visit); err != nil {
			panic(fmt.Sprintf("oplog: corrupt compact range: %v", err))
		}
	}
	return dst
}

// Size is the number of leaves.
func (t *Tree) Size() uint64 {
	if t.r == nil {
		return 0
	}
	return t.r.End()
}

// Root is the RFC 6962 root hash of the tree.
func (t *Tree) Root() Hash {
	if t.r == nil || t.r.End() == 0 {
		return emptyRoot()
	}
	root, err := t.r.GetRootHash(nil)
	if err != nil {
		panic(fmt.Sprintf("oplog: corrupt compact range: %v", err))
	}
	return Hash(root)
}

// Clone returns an independent copy.
func (t *Tree) Clone() *Tree {
	c := &Tree{}
	c.init()
	if t.r != nil {
		hashes := make([][]byte, len(t.r.Hashes()))
		for i, h := range t.r.Hashes() {
			hashes[i] = append([]byte(nil), h...)
		}
		r, err := rangeFactory.NewRange(0, t.r.End(), hashes)
		if err != nil {
			panic(fmt.Sprintf("oplog: corrupt compact range: %v", err))
		}
		c.r = r
	}
	return c
}

// treeFormatV1 is the first byte of a marshalled Tree.
const treeFormatV1 = 1

// MarshalBinary encodes the tree as: version byte 1, the size as 8 bytes
// big-endian, then the popcount(size) compact-range hashes, left to right.
func (t *Tree) MarshalBinary() ([]byte, error) {
	size := t.Size()
	out := make([]byte, 9, 9+32*bits.OnesCount64(size))
	out[0] = treeFormatV1
	binary.BigEndian.PutUint64(out[1:], size)
	if t.r != nil {
		for _, h := range t.r.Hashes() {
			out = append(out, h...)
		}
	}
	return out, nil
}

// UnmarshalBinary decodes MarshalBinary's output strictly: the version must be
// 1 and the length exactly 9 + 32·popcount(size).
func (t *Tree) UnmarshalBinary(data []byte) error {
	const op = "oplog.Tree.UnmarshalBinary"
	if len(data) < 9 {
		return jukinet.Errorf(op, jukinet.KindInvalid, "tree", "state is %d bytes, want at least 9", len(data))
	}
	if data[0] != treeFormatV1 {
		return jukinet.Errorf(op, jukinet.KindInvalid, "tree", "unknown format version %d, want %d", data[0], treeFormatV1)
	}
	size := binary.BigEndian.Uint64(data[1:9])
	n := bits.OnesCount64(size)
	if len(data) != 9+32*n {
		return jukinet.Errorf(op, jukinet.KindInvalid, "tree", "state for size %d is %d bytes, want %d", size, len(data), 9+32*n)
	}
	hashes := make([][]byte, n)
	for i := range hashes {
		hashes[i] = append([]byte(nil), data[9+32*i:9+32*(i+1)]...)
	}
	r, err := rangeFactory.NewRange(0, size, hashes)
	if err != nil {
		return jukinet.E(op, jukinet.KindInvalid, jukinet.Field("tree"), "bad compact range", err)
	}
	t.r = r
	return nil
}

// stackTree is Tree for a single pass over many leaves (the Verifier): the
// same compact range, one hash per set bit of the size, kept in a slice of
// Hash values, so appending a leaf allocates nothing (compact.Range
// allocates for each leaf and each interior node).
type stackTree struct {
	size   uint64
	hashes []Hash // perfect subtrees, largest (leftmost) first
}

// newStackTree starts from t (nil: the empty tree).
func newStackTree(t *Tree) stackTree {
	s := stackTree{hashes: make([]Hash, 0, 64)}
	if t != nil && t.r != nil {
		s.size = t.r.End()
		for _, h := range t.r.Hashes() {
			s.hashes = append(s.hashes, Hash(h))
		}
	}
	return s
}

// Size is the number of leaves.
func (t *stackTree) Size() uint64 { return t.size }

// Append adds a leaf hash: each subtree the new leaf completes merges with
// its left neighbour.
func (t *stackTree) Append(h Hash) {
	t.hashes = append(t.hashes, h)
	for s := t.size; s&1 == 1; s >>= 1 {
		n := len(t.hashes)
		t.hashes[n-2] = nodeHash(t.hashes[n-2], t.hashes[n-1])
		t.hashes = t.hashes[:n-1]
	}
	t.size++
}

// appendNodes is Append that also passes visit the subtrees completed at
// levels that are positive multiples of TileHeight (those stored in
// oplog_node, as Tree.AppendNodes gives them).
func (t *stackTree) appendNodes(h Hash, visit func(Node)) {
	t.hashes = append(t.hashes, h)
	level := uint(0)
	for s := t.size; s&1 == 1; s >>= 1 {
		n := len(t.hashes)
		t.hashes[n-2] = nodeHash(t.hashes[n-2], t.hashes[n-1])
		t.hashes = t.hashes[:n-1]
		if level++; level%TileHeight == 0 {
			visit(Node{Level: level, Index: (t.size+1)>>level - 1, Hash: t.hashes[n-2]})
		}
	}
	t.size++
}

// Root is the RFC 6962 root hash: the subtrees folded from the right.
func (t *stackTree) Root() Hash {
	n := len(t.hashes)
	if n == 0 {
		return emptyRoot()
	}
	root := t.hashes[n-1]
	for i := n - 2; i >= 0; i-- {
		root = nodeHash(t.hashes[i], root)
	}
	return root
}
