package network

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"

	"github.com/transparency-dev/merkle/compact"

	"github.com/jukinet/jukinet"
)

// recordReceiptBatch is the compact receipt list (docs/protocol-wire.md):
// the receiver's batch signature once, then each receipt's content, without
// a per-receipt signature and inclusion proof. A receipt list is the answer
// to one request, always read whole, so the proofs — three quarters of the
// bytes of a list of 2000 — are derived by whoever needs one receipt alone
// (DecodeReceiptBatch).
const recordReceiptBatch = 5

// ReceiptBatchHeader is the request header by which a sender asks for the
// compact answer ("1"); without it a receiver answers the full list
// (EncodeReceipts).
const ReceiptBatchHeader = "Jukinet-Receipt-Batch"

// EncodeReceiptBatch signs rs as one batch by receiver (one Ed25519
// signature over the RFC 6962 root of their contents, as SignReceipts) and
// returns the compact wire form.
func EncodeReceiptBatch(key ed25519.PrivateKey, receiver string, rs []*Receipt) ([]byte, error) {
	const op = "network.EncodeReceiptBatch"
	if len(key) != ed25519.PrivateKeySize {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "key", "not an Ed25519 private key")
	}
	if !ValidNodeID(receiver) {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "receiver", "not a node ID")
	}
	if len(rs) == 0 || len(rs) > MaxBatchEnvelopes {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "receipts", "must hold 1..%d receipts, has %d", MaxBatchEnvelopes, len(rs))
	}
	size := 2 + 1 + len(receiver) + 8 + hashSize + signatureSize + 4
	for _, r := range rs {
		size += 4 + 48 + len(r.Receiver) + len(r.Detail)
	}
	b := make([]byte, 0, size)
	b = append(b, FormatVersion, recordReceiptBatch)
	b = appendStr8(b, receiver)
	b = binary.BigEndian.AppendUint64(b, uint64(len(rs)))
	at := len(b) // root and signature go here once the contents are hashed
	b = append(b, make([]byte, hashSize+signatureSize)...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(rs)))
	hashes := make([][]byte, len(rs))
	for i, r := range rs {
		if err := r.validateContent(op); err != nil {
			return nil, jukinet.E(op, jukinet.Field(fmt.Sprintf("receipts[%d]", i)), err)
		}
		if r.Receiver != receiver {
			return nil, jukinet.Errorf(op, jukinet.KindInvalid, fmt.Sprintf("receipts[%d].receiver", i), "a node signs only its own receipts")
		}
		start := len(b) + 4
		b = binary.BigEndian.AppendUint32(b, 0)
		b = appendReceiptContent(b, r)
		binary.BigEndian.PutUint32(b[start-4:], uint32(len(b)-start))
		hashes[i] = hashLeaf(b[start:])
	}
	root := treeRoot(hashes)
	sig := ed25519.Sign(key, signedMessage(contextReceipts, receiver, uint64(len(rs)), root))
	copy(b[at:], root)
	copy(b[at+hashSize:], sig)
	return b, nil
}

// DecodeReceiptBatch decodes a compact receipt list strictly and gives every
// receipt its batch signature with the inclusion proof computed from the
// list, so each verifies on its own (VerifyReceipts) — and none does if any
// content, the root or the signature was changed. It does not verify.
func DecodeReceiptBatch(b []byte) ([]*Receipt, error) {
	r := &reader{op: "network.DecodeReceiptBatch", b: b}
	r.header(recordReceiptBatch, "a receipt batch")
	signer := r.nodeID("signer")
	size := r.u64("batch_size")
	root := r.copyBytes(hashSize, "root")
	sig := r.copyBytes(signatureSize, "signature")
	n := r.u32("count")
	if r.err == nil && (n == 0 || n > MaxBatchEnvelopes || uint64(n) != size) {
		r.fail(jukinet.KindInvalid, "count", "%d receipts in a batch of %d (1..%d)", n, size, MaxBatchEnvelopes)
	}
	if r.err != nil {
		return nil, r.err
	}
	rs := make([]*Receipt, 0, n)
	hashes := make([][]byte, 0, n)
	for i := 0; i < int(n); i++ {
		field := fmt.Sprintf("receipts[%d]", i)
		p := r.take(int(r.u32(field)), field)
		if r.err != nil {
			return nil, r.err
		}
		sub := &reader{op: r.op, prefix: field + ".", b: p}
		rc := sub.receiptContent()
		sub.end()
		if sub.err != nil {
			return nil, sub.err
		}
		if rc.Receiver != signer {
			return nil, jukinet.Errorf(r.op, jukinet.KindInvalid, field+".receiver", "receipt of %s in a batch signed by %s", rc.Receiver, signer)
		}
		rs = append(rs, rc)
		hashes = append(hashes, hashLeaf(p))
	}
	r.end()
	if r.err != nil {
		return nil, r.err
	}
	_, proofs := treeProofs(hashes)
	for i, rc := range rs {
		rc.Sig = BatchSignature{Signer: signer, BatchSize: size, LeafIndex: uint64(i), Root: root, Signature: sig, Proof: proofs[i]}
	}
	return rs, nil
}

// DecodeReceiptAnswer decodes a receiver's answer in either form: a receipt
// list (EncodeReceipts) or a compact batch (EncodeReceiptBatch).
func DecodeReceiptAnswer(b []byte) ([]*Receipt, error) {
	if len(b) > 1 && b[1] == recordReceiptBatch {
		return DecodeReceiptBatch(b)
	}
	return DecodeReceipts(b)
}

// treeRoot is the RFC 6962 root over leaf hashes (no proofs), by
// transparency-dev/merkle's compact range.
func treeRoot(hashes [][]byte) []byte {
	if len(hashes) == 0 {
		return nil
	}
	r := treeRanges.NewEmptyRange(0)
	for _, h := range hashes {
		if err := r.Append(h, nil); err != nil {
			// Unreachable: a range built by Append from index 0.
			panic(fmt.Sprintf("network: compact range: %v", err))
		}
	}
	root, err := r.GetRootHash(nil)
	if err != nil {
		panic(fmt.Sprintf("network: compact range: %v", err))
	}
	return root
}

// treeRanges hashes interior nodes with hashChildren (RFC 6962, pooled).
var treeRanges = &compact.RangeFactory{Hash: hashChildren}
