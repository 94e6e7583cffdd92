package network

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	_ "crypto/sha256" // rfc6962.New(crypto.SHA256)
	"encoding/binary"
	"fmt"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/jukinet/jukinet"
)

const (
	hashSize      = 32
	signatureSize = ed25519.SignatureSize
)

// Signing contexts: what a batch signature is over, so that a signed envelope
// root can never pass for a signed receipt root.
const (
	contextEnvelopes = "jukinet/envelope-batch/v1"
	contextReceipts  = "jukinet/receipt-batch/v1"
)

// KeyLookup returns the Ed25519 public key of a node, and false if the node
// is unknown. Description.Keys returns one.
type KeyLookup func(nodeID string) (ed25519.PublicKey, bool)

var hasher = rfc6962.New(crypto.SHA256)

// signedMessage is what the Ed25519 signature covers.
func signedMessage(context, signer string, size uint64, root []byte) []byte {
	b := make([]byte, 0, len(context)+1+1+len(signer)+8+len(root))
	b = append(b, context...)
	b = append(b, 0)
	b = appendStr8(b, signer)
	b = binary.BigEndian.AppendUint64(b, size)
	return append(b, root...)
}

// signLeaves builds the RFC 6962 tree over leaves, signs its root once and
// returns each leaf's BatchSignature with its inclusion proof.
func signLeaves(op string, key ed25519.PrivateKey, context, signer string, leaves [][]byte) ([]BatchSignature, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "key", "not an Ed25519 private key")
	}
	if !ValidNodeID(signer) {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "signer", "not a node ID")
	}
	if len(leaves) == 0 || len(leaves) > MaxBatchEnvelopes {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "batch", "must hold 1..%d records, has %d", MaxBatchEnvelopes, len(leaves))
	}
	size := uint64(len(leaves))
	hashes := make([][]byte, len(leaves))
	for i, leaf := range leaves {
		hashes[i] = hashLeaf(leaf)
	}
	root, proofs := treeProofs(hashes)
	sig := ed25519.Sign(key, signedMessage(context, signer, size, root))
	out := make([]BatchSignature, len(leaves))
	for i := range leaves {
		out[i] = BatchSignature{Signer: signer, BatchSize: size, LeafIndex: uint64(i), Root: root, Signature: sig, Proof: proofs[i]}
	}
	return out, nil
}

// SignBatch signs envs as one batch created by signer: one Ed25519 signature
// over the RFC 6962 root of the envelopes' content hashes (docs/design.md §4 "The
// budget"), and each envelope gets its own BatchSignature with its inclusion
// proof. Every envelope's From must be signer. It replaces any earlier Sig.
func SignBatch(key ed25519.PrivateKey, signer string, envs []*Envelope) error {
	const op = "network.SignBatch"
	leaves := make([][]byte, len(envs))
	for i, e := range envs {
		if err := e.validateContent(op); err != nil {
			return jukinet.E(op, jukinet.Field(fmt.Sprintf("envs[%d]", i)), err)
		}
		if e.From != signer {
			return jukinet.Errorf(op, jukinet.KindInvalid, fmt.Sprintf("envs[%d].from", i), "a node signs only the messages it created")
		}
		leaves[i] = appendEnvelopeContent(nil, e)
	}
	sigs, err := signLeaves(op, key, contextEnvelopes, signer, leaves)
	if err != nil {
		return err
	}
	for i, e := range envs {
		e.Sig = sigs[i]
	}
	return nil
}

// Verifier verifies batch signatures, checking each distinct signed root
// once. It is not safe for concurrent use: make one per request or batch.
type Verifier struct {
	keys     KeyLookup
	verified map[string]bool // context, signer, size, root, signature → result
	// primed are records verified with their whole batch (PrimeEnvelopes,
	// PrimeReceipts), with their leaf hash.
	primed map[*BatchSignature][]byte
}

// NewVerifier returns a Verifier that finds signers' keys with keys.
func NewVerifier(keys KeyLookup) *Verifier {
	return &Verifier{keys: keys, verified: make(map[string]bool)}
}

// VerifyEnvelope checks that env was signed by its From node: the signer's
// key is known, the inclusion proof leads from env's content to the signed
// root, and the signature over the root is good. The error's reason
// (ReasonOf) is ReasonMalformed, ReasonUnknownSigner, ReasonBadProof or
// ReasonBadSignature.
func VerifyEnvelope(env *Envelope, keys KeyLookup) error {
	return NewVerifier(keys).VerifyEnvelope(env)
}

// VerifyEnvelope is the package function VerifyEnvelope with the verifier's cache.
func (v *Verifier) VerifyEnvelope(env *Envelope) error {
	const op = "network.VerifyEnvelope"
	if err := env.validateContent(op); err != nil {
		return withReason(ReasonMalformed, err)
	}
	if env.Sig.Signer != env.From {
		return withReason(ReasonBadSignature, jukinet.Errorf(op, jukinet.KindForbidden, "sig.signer",
			"the signer is not the node the message is from"))
	}
	return v.verify(op, contextEnvelopes, &env.Sig, appendEnvelopeContent(nil, env))
}

func (v *Verifier) verify(op, context string, s *BatchSignature, leaf []byte) error {
	if err := s.validate(op, "sig."); err != nil {
		return withReason(ReasonMalformed, err)
	}
	pub, ok := v.keys(s.Signer)
	if !ok || len(pub) != ed25519.PublicKeySize {
		return withReason(ReasonUnknownSigner, jukinet.Errorf(op, jukinet.KindUnauthorized, "sig.signer",
			"no signing key for node %q", s.Signer))
	}
	leafHash := hashLeaf(leaf)
	if h, ok := v.primed[s]; ok && bytes.Equal(h, leafHash) {
		return nil
	}
	if err := proof.VerifyInclusion(hasher, s.LeafIndex, s.BatchSize, leafHash, s.Proof, s.Root); err != nil {
		return withReason(ReasonBadProof, jukinet.Errorf(op, jukinet.KindForbidden, "sig.proof",
			"the inclusion proof does not lead to the signed root"))
	}
	good := v.signatureGood(context, s)
	if !good {
		return withReason(ReasonBadSignature, jukinet.Errorf(op, jukinet.KindForbidden, "sig.signature",
			"the signature over the batch root is not valid"))
	}
	return nil
}

// signatureGood checks the Ed25519 signature over s's root once per
// Verifier; the signer's key must exist (verify checked it).
func (v *Verifier) signatureGood(context string, s *BatchSignature) bool {
	key := context + "\x00" + sigKey(s)
	good, seen := v.verified[key]
	if !seen {
		pub, ok := v.keys(s.Signer)
		good = ok && len(pub) == ed25519.PublicKeySize && ed25519.Verify(pub, signedMessage(context, s.Signer, s.BatchSize, s.Root), s.Signature)
		v.verified[key] = good
	}
	return good
}
