package oplog

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/jukinet/jukinet"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// HashSource reads stored leaf hashes (the oplog table's leaf_hash column).
type HashSource interface {
	// LeafHashes returns the leaf hashes of indices [from, to), in order;
	// fewer than to-from is an error.
	LeafHashes(ctx context.Context, from, to uint64) ([]Hash, error)
}

// NodeSource is optionally implemented by a HashSource that also stores the
// Nodes returned by Tree.AppendNodes. With it a proof reads at most
// 2^(TileHeight-1) hashes per proof node (a few thousand for any log size)
// instead of every leaf under the node.
type NodeSource interface {
	// NodeHashes returns the stored hashes of nodes (level, index) for index
	// in [from, to), in order. level is a positive multiple of TileHeight.
	NodeHashes(ctx context.Context, level uint, from, to uint64) ([]Hash, error)
}

// leafChunk bounds memory when a node must be rebuilt from leaves.
const leafChunk = 1 << 16

// subtreeHash computes the hash of the perfect subtree id, using stored
// strata when src implements NodeSource.
func subtreeHash(ctx context.Context, src HashSource, id compact.NodeID) (Hash, error) {
	if ns, ok := src.(NodeSource); ok && id.Level >= TileHeight {
		stratum := id.Level / TileHeight * TileHeight
		shift := id.Level - stratum
		from := id.Index << shift
		to := (id.Index + 1) << shift
		hashes, err := ns.NodeHashes(ctx, stratum, from, to)
		if err != nil {
			return Hash{}, err
		}
		if uint64(len(hashes)) != to-from {
			return Hash{}, fmt.Errorf("node source returned %d hashes at level %d for [%d, %d)", len(hashes), stratum, from, to)
		}
		return foldPerfect(hashes), nil
	}
	begin, end := id.Coverage()
	r := rangeFactory.NewEmptyRange(begin)
	for at := begin; at < end; {
		to := min(end, at+leafChunk)
		hashes, err := src.LeafHashes(ctx, at, to)
		if err != nil {
			return Hash{}, err
		}
		if uint64(len(hashes)) != to-at {
			return Hash{}, fmt.Errorf("hash source returned %d leaf hashes for [%d, %d)", len(hashes), at, to)
		}
		for _, h := range hashes {
			hc := h
			if err := r.Append(hc[:], nil); err != nil {
				return Hash{}, err
			}
		}
		at = to
	}
	return Hash(r.Hashes()[0]), nil
}

// foldPerfect hashes a power-of-two list of sibling hashes up to their root.
// It reuses the slice.
func foldPerfect(h []Hash) Hash {
	for n := len(h); n > 1; n /= 2 {
		for i := 0; i < n/2; i++ {
			h[i] = nodeHash(h[2*i], h[2*i+1])
		}
	}
	return h[0]
}

// proofHashes fetches the hashes for a proof's node IDs and folds the
// ephemeral node, as the proof package prescribes.
func proofHashes(ctx context.Context, src HashSource, nodes proof.Nodes) ([][]byte, error) {
	hashes := make([][]byte, len(nodes.IDs))
	for i, id := range nodes.IDs {
		h, err := subtreeHash(ctx, src, id)
		if err != nil {
			return nil, err
		}
		hashes[i] = h[:]
	}
	return nodes.Rehash(hashes, hashChildren)
}

// InclusionProof returns the RFC 6962 audit path for leaf index in the tree
// of the given size.
func InclusionProof(ctx context.Context, src HashSource, index, size uint64) ([][]byte, error) {
	const op = "oplog.InclusionProof"
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "index", "index %d is not below tree size %d", index, size)
	}
	hashes, err := proofHashes(ctx, src, nodes)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, "cannot read hashes", err)
	}
	return hashes, nil
}

// ConsistencyProof returns the RFC 6962 proof that the tree of oldSize is a
// prefix of the tree of newSize; the witness checks it before cosigning.
func ConsistencyProof(ctx context.Context, src HashSource, oldSize, newSize uint64) ([][]byte, error) {
	const op = "oplog.ConsistencyProof"
	nodes, err := proof.Consistency(oldSize, newSize)
	if err != nil {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "size", "old size %d is above new size %d", oldSize, newSize)
	}
	hashes, err := proofHashes(ctx, src, nodes)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, "cannot read hashes", err)
	}
	return hashes, nil
}

// Proof is a self-contained, offline-checkable proof that one operation
// record is in the log: the record's bytes, its audit path and the signed
// (and cosigned) checkpoint whose root it leads to. It is what
// `jukinet oplog prove` prints, as JSON.
type Proof struct {
	Index      uint64
	Size       uint64
	Leaf       []byte
	Hashes     [][]byte
	Checkpoint []byte
}

// proofJSON is Proof's wire form: bytes in standard base64, the checkpoint
// note as text.
type proofJSON struct {
	Index      uint64   `json:"index"`
	Size       uint64   `json:"size"`
	Leaf       string   `json:"leaf"`
	Hashes     []string `json:"hashes"`
	Checkpoint string   `json:"checkpoint"`
}

// MarshalJSON encodes the proof as
// {"index","size","leaf":base64,"hashes":[base64…],"checkpoint":note text}.
func (p Proof) MarshalJSON() ([]byte, error) {
	j := proofJSON{Index: p.Index, Size: p.Size, Leaf: base64.StdEncoding.EncodeToString(p.Leaf),
		Hashes: make([]string, len(p.Hashes)), Checkpoint: string(p.Checkpoint)}
	for i, h := range p.Hashes {
		j.Hashes[i] = base64.StdEncoding.EncodeToString(h)
	}
	return json.Marshal(j)
}

// maxProofHashes is the longest audit path of a 2^64-leaf tree.
const maxProofHashes = 64

// UnmarshalJSON decodes MarshalJSON's form strictly: unknown fields, bad
// base64 or hashes that are not 32 bytes are refused.
func (p *Proof) UnmarshalJSON(data []byte) error {
	const op = "oplog.Proof.UnmarshalJSON"
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var j proofJSON
	if err := dec.Decode(&j); err != nil {
		return jukinet.E(op, jukinet.KindInvalid, jukinet.Field("proof"), "malformed proof JSON", err)
	}
	if dec.More() {
		return jukinet.E(op, jukinet.KindInvalid, jukinet.Field("proof"), "trailing data after proof JSON")
	}
	leaf, err := base64.StdEncoding.Strict().DecodeString(j.Leaf)
	if err != nil {
		return jukinet.E(op, jukinet.KindInvalid, jukinet.Field("leaf"), "leaf is not standard base64")
	}
	if len(j.Hashes) > maxProofHashes {
		return jukinet.Errorf(op, jukinet.KindInvalid, "hashes", "%d hashes, at most %d", len(j.Hashes), maxProofHashes)
	}
	hashes := make([][]byte, len(j.Hashes))
	for i, s := range j.Hashes {
		h, err := base64.StdEncoding.Strict().DecodeString(s)
		if err != nil || len(h) != 32 {
			return jukinet.Errorf(op, jukinet.KindInvalid, "hashes", "hash %d is not 32 bytes in standard base64", i)
		}
		hashes[i] = h
	}
	*p = Proof{Index: j.Index, Size: j.Size, Leaf: leaf, Hashes: hashes, Checkpoint: []byte(j.Checkpoint)}
	return nil
}

// VerifyProof checks a proof with no database: every verifier given (the
// log's key, the witness's) must have signed the checkpoint, the proof's size
// must be the checkpoint's, and the leaf hash recomputed from the leaf bytes
// must lead to the checkpoint's root along the audit path.
func VerifyProof(p Proof, verifiers ...note.Verifier) error {
	const op = "oplog.VerifyProof"
	c, err := ParseCheckpoint(p.Checkpoint, verifiers...)
	if err != nil {
		return jukinet.E(op, err)
	}
	if p.Size != c.Size {
		return jukinet.Errorf(op, jukinet.KindInvalid, "size", "proof is for tree size %d but the checkpoint is for %d", p.Size, c.Size)
	}
	leafHash := LeafHash(p.Leaf)
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, p.Index, p.Size, leafHash[:], p.Hashes, c.Root[:]); err != nil {
		return jukinet.E(op, jukinet.KindInvalid, jukinet.Field("hashes"), fmt.Sprintf("leaf %d is not included in the checkpoint of size %d", p.Index, p.Size), err)
	}
	return nil
}

// verifyConsistency checks an RFC 6962 consistency proof between two roots.
func verifyConsistency(oldSize, newSize uint64, hashes [][]byte, oldRoot, newRoot Hash) error {
	return proof.VerifyConsistency(rfc6962.DefaultHasher, oldSize, newSize, hashes, oldRoot[:], newRoot[:])
}
