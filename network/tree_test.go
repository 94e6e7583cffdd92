package network

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
)

// treeProofs gives the same root as transparency-dev's compact range and,
// for every leaf, a proof that proof.VerifyInclusion accepts and that equals
// the one built from proof.Inclusion's node IDs.
func TestTreeProofsAreRFC6962(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 33, 100, 255, 256, 257, 1000, 2000, MaxBatchEnvelopes} {
		hashes := make([][]byte, n)
		rf := compact.RangeFactory{Hash: hasher.HashChildren}
		rng := rf.NewEmptyRange(0)
		for i := range hashes {
			h := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
			hashes[i] = hasher.HashLeaf(h[:])
			if err := rng.Append(hashes[i], nil); err != nil {
				t.Fatal(err)
			}
		}
		want, err := rng.GetRootHash(nil)
		if err != nil {
			t.Fatal(err)
		}
		root, proofs := treeProofs(hashes)
		if string(root) != string(want) || string(treeRoot(hashes)) != string(want) {
			t.Fatalf("n=%d: root differs from the compact range's", n)
		}
		for i := range hashes {
			if err := proof.VerifyInclusion(hasher, uint64(i), uint64(n), hashes[i], proofs[i], root); err != nil {
				t.Fatalf("n=%d leaf %d: %v", n, i, err)
			}
			if n > 300 && i%97 != 0 {
				continue // the full comparison below is quadratic-ish: sample large trees
			}
			nodes, err := proof.Inclusion(uint64(i), uint64(n))
			if err != nil {
				t.Fatal(err)
			}
			if len(nodes.IDs) == 0 && len(proofs[i]) == 0 {
				continue
			}
			// Each node by its ID, as RFC 6962's MTH over the leaves it covers.
			ids := make([][]byte, len(nodes.IDs))
			for j, id := range nodes.IDs {
				lo, hi := id.Coverage()
				ids[j] = mth(hashes[lo:min(hi, uint64(n))])
			}
			p, err := nodes.Rehash(ids, hasher.HashChildren)
			if err != nil {
				t.Fatal(err)
			}
			if !proofEqual(p, proofs[i]) {
				t.Fatalf("n=%d leaf %d: proof differs from proof.Inclusion's", n, i)
			}
		}
	}
}

// A primed Verifier answers exactly as one that checks every envelope on its
// own, whatever was done to the batch.
func TestPrimedVerifierAgrees(t *testing.T) {
	keys := newTestKeys()
	other := testKeys{}
	for id := range keys {
		seed := sha256.Sum256([]byte("another key " + id))
		other[id] = ed25519.NewKeyFromSeed(seed[:])
	}
	cases := map[string]func(envs []*Envelope) []*Envelope{
		"intact": func(envs []*Envelope) []*Envelope { return envs },
		"one proof changed": func(envs []*Envelope) []*Envelope {
			e := envs[len(envs)-1]
			p := append([][]byte(nil), e.Sig.Proof...)
			p[0] = append([]byte(nil), p[0]...)
			p[0][0] ^= 1
			e.Sig.Proof = p
			return envs
		},
		"one proof shortened": func(envs []*Envelope) []*Envelope {
			envs[0].Sig.Proof = envs[0].Sig.Proof[:len(envs[0].Sig.Proof)-1]
			return envs
		},
		"one body changed": func(envs []*Envelope) []*Envelope {
			envs[1].Body = []byte(`{"n":999}`)
			return envs
		},
		"two indices swapped": func(envs []*Envelope) []*Envelope {
			envs[0].Sig.LeafIndex, envs[1].Sig.LeafIndex = envs[1].Sig.LeafIndex, envs[0].Sig.LeafIndex
			return envs
		},
		"one missing":   func(envs []*Envelope) []*Envelope { return envs[1:] },
		"one duplicate": func(envs []*Envelope) []*Envelope { return append(envs[:len(envs)-1], envs[0]) },
		"re-signed by another key": func(envs []*Envelope) []*Envelope {
			if err := SignBatch(other[hofu], hofu, envs); err != nil {
				t.Fatal(err)
			}
			return envs
		},
		"wrong signer": func(envs []*Envelope) []*Envelope {
			for _, e := range envs {
				e.Sig.Signer = yamaPref
			}
			return envs
		},
	}
	for name, change := range cases {
		for _, n := range []int{2, 7, 16, 33} {
			envs := change(signedEnvelopes(t, keys, KindIdentityNotify, hofu, yamaPref, n))
			primed := NewVerifier(keys.lookup)
			primed.PrimeEnvelopes(envs)
			alone := NewVerifier(keys.lookup)
			for i, e := range envs {
				got, want := primed.VerifyEnvelope(e), alone.VerifyEnvelope(e)
				if (got == nil) != (want == nil) || ReasonOf(got) != ReasonOf(want) {
					t.Errorf("%s, n=%d, envelope %d: primed %v; alone %v", name, n, i, got, want)
				}
			}
			if name == "intact" && len(primed.primed) != n {
				t.Errorf("intact batch of %d: %d envelopes primed", n, len(primed.primed))
			}
		}
	}
}

// mth is RFC 6962 §2.1's MTH, written from the definition.
func mth(hs [][]byte) []byte {
	if len(hs) == 1 {
		return hs[0]
	}
	k := 1
	for k*2 < len(hs) {
		k *= 2
	}
	return hasher.HashChildren(mth(hs[:k]), mth(hs[k:]))
}

// The local hashes are rfc6962's.
func TestHashesAreRFC6962(t *testing.T) {
	for n := 0; n < 300; n++ {
		leaf := make([]byte, n)
		for i := range leaf {
			leaf[i] = byte(i*7 + n)
		}
		if string(hashLeaf(leaf)) != string(hasher.HashLeaf(leaf)) {
			t.Fatalf("leaf of %d bytes: hashLeaf differs", n)
		}
		l, r := hashLeaf(leaf), hashLeaf(append(leaf, 1))
		if string(hashChildren(l, r)) != string(hasher.HashChildren(l, r)) {
			t.Fatalf("children of the %d-byte leaf: hashChildren differs", n)
		}
	}
}
