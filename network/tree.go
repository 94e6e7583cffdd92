package network

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"math/bits"
	"sync"

	"github.com/transparency-dev/merkle/rfc6962"
)

// treeProofs returns the RFC 6962 Merkle tree hash over the given leaf hashes
// and the inclusion proof of every leaf (RFC 6962 §2.1.1 PATH, nearest
// sibling first), computing each node of the tree once: n−1 hashes for the
// whole batch, where a proof per leaf costs log2(n) each. Proof slices share
// the node hashes. It is used to sign a batch and to verify a complete one.
// transparency-dev/merkle computes one proof at a time (proof.Inclusion
// names the nodes, the caller hashes them), so the whole batch's proofs
// are built here; the tests check every root and proof against that
// library's.
func treeProofs(leafHashes [][]byte) (root []byte, proofs [][][]byte) {
	n := len(leafHashes)
	if n == 0 {
		return nil, nil
	}
	depth := bits.Len(uint(n - 1)) // the longest proof
	backing := make([][]byte, n*depth)
	proofs = make([][][]byte, n)
	for i := range proofs {
		proofs[i] = backing[i*depth : i*depth : (i+1)*depth]
	}
	var build func(lo, hi int) []byte
	build = func(lo, hi int) []byte {
		if hi-lo == 1 {
			return leafHashes[lo]
		}
		// MTH(D[n]) = HashChildren(MTH(D[0:k]), MTH(D[k:n])), k the largest
		// power of two below n; each side's leaves get the other side's
		// hash next on their path.
		k := 1 << (bits.Len(uint(hi-lo-1)) - 1)
		left, right := build(lo, lo+k), build(lo+k, hi)
		for i := lo; i < lo+k; i++ {
			proofs[i] = append(proofs[i], right)
		}
		for i := lo + k; i < hi; i++ {
			proofs[i] = append(proofs[i], left)
		}
		return hashChildren(left, right)
	}
	return build(0, n), proofs
}

// RFC 6962 hashes (the same as rfc6962.DefaultHasher's, which tests check)
// without a new digest per call: batches hash thousands of nodes, and the
// digests were a tenth of a hop's allocations.
var digests = sync.Pool{New: func() any { return sha256.New() }}

// hashLeaf is SHA-256(0x00 ‖ leaf).
func hashLeaf(leaf []byte) []byte {
	h := digests.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte{rfc6962.RFC6962LeafHashPrefix})
	h.Write(leaf)
	sum := h.Sum(make([]byte, 0, hashSize))
	digests.Put(h)
	return sum
}

// hashChildren is SHA-256(0x01 ‖ left ‖ right) of two node hashes.
func hashChildren(left, right []byte) []byte {
	if len(left) != hashSize || len(right) != hashSize {
		return hasher.HashChildren(left, right)
	}
	var b [1 + 2*hashSize]byte
	b[0] = rfc6962.RFC6962NodeHashPrefix
	copy(b[1:], left)
	copy(b[1+hashSize:], right)
	sum := sha256.Sum256(b[:])
	return sum[:]
}

// Prime verifies the envelopes of one request together: for each batch
// signature that all of its envelopes share here (every leaf index
// 0..size−1 present once), the tree is computed once, its root compared
// with the signed one, every carried proof compared with the computed one
// and the signature checked once. VerifyEnvelope then accepts those
// envelopes after one leaf hash instead of a proof walk each. Anything that
// does not pass here is left to VerifyEnvelope, which names the problem.
func (v *Verifier) PrimeEnvelopes(envs []*Envelope) {
	sigs := make([]*BatchSignature, 0, len(envs))
	leaves := make([][]byte, 0, len(envs))
	for _, e := range envs {
		if e == nil || e.validateContent("") != nil || e.Sig.Signer != e.From {
			continue
		}
		sigs = append(sigs, &e.Sig)
		leaves = append(leaves, appendEnvelopeContent(nil, e))
	}
	v.prime(contextEnvelopes, sigs, leaves)
}

// PrimeReceipts is PrimeEnvelopes for a list of receipts (VerifyReceipt).
func (v *Verifier) PrimeReceipts(rs []*Receipt) {
	sigs := make([]*BatchSignature, 0, len(rs))
	leaves := make([][]byte, 0, len(rs))
	for _, r := range rs {
		if r == nil || r.validateContent("") != nil || r.Sig.Signer != r.Receiver {
			continue
		}
		sigs = append(sigs, &r.Sig)
		leaves = append(leaves, appendReceiptContent(nil, r))
	}
	v.prime(contextReceipts, sigs, leaves)
}

func (v *Verifier) prime(context string, sigs []*BatchSignature, leaves [][]byte) {
	groups := map[string][]int{}
	var order []string
	for i, s := range sigs {
		if s.validate("", "") != nil || s.BatchSize < 2 || s.BatchSize > MaxBatchEnvelopes {
			continue
		}
		k := sigKey(s)
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	for _, k := range order {
		members := groups[k]
		first := sigs[members[0]]
		if uint64(len(members)) != first.BatchSize {
			continue
		}
		hashes := make([][]byte, first.BatchSize)
		for _, m := range members {
			idx := sigs[m].LeafIndex
			if idx >= first.BatchSize || hashes[idx] != nil {
				hashes = nil
				break
			}
			hashes[idx] = hashLeaf(leaves[m])
		}
		if hashes == nil {
			continue
		}
		root, proofs := treeProofs(hashes)
		if !bytes.Equal(root, first.Root) || !v.signatureGood(context, first) {
			continue
		}
		if v.primed == nil {
			v.primed = map[*BatchSignature][]byte{}
		}
		for _, m := range members {
			s := sigs[m]
			if proofEqual(s.Proof, proofs[s.LeafIndex]) {
				v.primed[s] = hashes[s.LeafIndex]
			}
		}
	}
}

// sigKey identifies one signed root: signer, size, root and signature.
func sigKey(s *BatchSignature) string {
	return string(binary.BigEndian.AppendUint64([]byte(s.Signer+"\x00"), s.BatchSize)) + string(s.Root) + string(s.Signature)
}

func proofEqual(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
