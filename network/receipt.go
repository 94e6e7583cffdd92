package network

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/jukinet/jukinet"
)

// Status is what a receiver did with one envelope.
type Status uint8

// The statuses. Wire codes: append-only.
const (
	StatusAccepted  Status = 1 // applied (or queued to apply) now
	StatusDuplicate Status = 2 // this message ID was accepted before; nothing done
	StatusRejected  Status = 3 // refused for Reason; the sender must not retry it
)

func (s Status) String() string {
	switch s {
	case StatusAccepted:
		return "accepted"
	case StatusDuplicate:
		return "duplicate"
	case StatusRejected:
		return "rejected"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Reason says why an envelope or a request was refused. The list is fixed and
// append-only (the numbers are wire codes); docs/protocol-wire.md documents it.
type Reason uint8

// The reason codes.
const (
	ReasonNone           Reason = 0  // accepted or duplicate
	ReasonMalformed      Reason = 1  // the bytes do not decode, or a field breaks its rule
	ReasonTooLarge       Reason = 2  // request, batch or body over its limit
	ReasonBadSignature   Reason = 3  // the Ed25519 signature over the batch root is not valid, or the signer is not From
	ReasonBadProof       Reason = 4  // the inclusion proof does not lead to the signed root (content changed)
	ReasonUnknownSigner  Reason = 5  // no public key for the signer in the network description
	ReasonForbiddenKind  Reason = 6  // the firewall policy does not let this sender send this kind here
	ReasonFromMismatch   Reason = 7  // From (or the batch sender) is not the peer's certificate identity
	ReasonWrongRecipient Reason = 8  // To is not this node
	ReasonRelayMismatch  Reason = 9  // identity.relay: the relaying node is not the origin's prefecture, or the inner message cannot be relayed
	ReasonInvalidBody    Reason = 10 // the body does not satisfy its kind's schema (the node package decides)
	ReasonStaleVersion   Reason = 11 // an older version than one already applied for this ordering key
	ReasonRateLimited    Reason = 12 // the peer sent too much; retry later
	ReasonInternal       Reason = 13 // the receiver failed; retry later
	ReasonUnauthorized   Reason = 14 // no usable client certificate identity
	ReasonRefused        Reason = 15 // the receiver's records refuse it: what it names does not exist there, or their state forbids it
)

var reasonNames = [...]string{
	ReasonNone:           "none",
	ReasonMalformed:      "malformed",
	ReasonTooLarge:       "too_large",
	ReasonBadSignature:   "bad_signature",
	ReasonBadProof:       "bad_proof",
	ReasonUnknownSigner:  "unknown_signer",
	ReasonForbiddenKind:  "forbidden_kind",
	ReasonFromMismatch:   "from_mismatch",
	ReasonWrongRecipient: "wrong_recipient",
	ReasonRelayMismatch:  "relay_mismatch",
	ReasonInvalidBody:    "invalid_body",
	ReasonStaleVersion:   "stale_version",
	ReasonRateLimited:    "rate_limited",
	ReasonInternal:       "internal",
	ReasonUnauthorized:   "unauthorized",
	ReasonRefused:        "refused",
}

func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// Valid reports whether r is a known reason code.
func (r Reason) Valid() bool { return int(r) < len(reasonNames) }

// ParseReason is the inverse of Reason.String.
func ParseReason(s string) (Reason, bool) {
	for i, n := range reasonNames {
		if n == s {
			return Reason(i), true
		}
	}
	return 0, false
}

// reasonError attaches a reason code to an error.
type reasonError struct {
	reason Reason
	err    error
}

func (e *reasonError) Error() string { return e.err.Error() }
func (e *reasonError) Unwrap() error { return e.err }

func withReason(r Reason, err error) error { return &reasonError{reason: r, err: err} }

// ReasonOf returns the reason code attached to err by this package, or
// ReasonInternal for an error without one, or ReasonNone for nil.
func ReasonOf(err error) Reason {
	if err == nil {
		return ReasonNone
	}
	var re *reasonError
	if errors.As(err, &re) {
		return re.reason
	}
	return ReasonInternal
}

// Outcome is what the Inbox did with one envelope.
type Outcome struct {
	Status Status
	Reason Reason // ReasonNone unless Status is StatusRejected
	Detail string // short English text for the sender's dead-letter list; no personal data
}

// Receipt is the receiver's signed statement about one envelope. The sender
// keeps it as evidence (docs/design.md §1.4).
type Receipt struct {
	MessageID uuid.UUID
	Status    Status
	Reason    Reason
	Detail    string // ≤ MaxDetailSize bytes of printable UTF-8
	Receiver  string // the node that received the envelope and signed the receipt
	Time      int64  // unix microseconds
	Sig       BatchSignature
}

func (r *Receipt) validateContent(op string) error {
	switch {
	case r.Status < StatusAccepted || r.Status > StatusRejected:
		return jukinet.Errorf(op, jukinet.KindInvalid, "status", "unknown status %d", uint8(r.Status))
	case !r.Reason.Valid():
		return jukinet.Errorf(op, jukinet.KindInvalid, "reason", "unknown reason code %d", uint8(r.Reason))
	case (r.Status == StatusRejected) != (r.Reason != ReasonNone):
		return jukinet.Errorf(op, jukinet.KindInvalid, "reason", "a rejection needs a reason and only a rejection has one")
	case len(r.Detail) > MaxDetailSize:
		return jukinet.Errorf(op, jukinet.KindTooLarge, "detail", "longer than %d bytes", MaxDetailSize)
	case !validUTF8Text(r.Detail):
		return jukinet.Errorf(op, jukinet.KindInvalid, "detail", "not printable UTF-8")
	case !ValidNodeID(r.Receiver):
		return jukinet.Errorf(op, jukinet.KindInvalid, "receiver", "not a node ID")
	case r.Time <= 0:
		return jukinet.Errorf(op, jukinet.KindInvalid, "time", "must be a positive unix-microsecond time")
	}
	return nil
}

func appendReceiptContent(b []byte, r *Receipt) []byte {
	b = append(b, FormatVersion, recordReceipt)
	b = append(b, r.MessageID[:]...)
	b = append(b, byte(r.Status), byte(r.Reason))
	b = appendStr8(b, r.Receiver)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Time))
	b = binary.BigEndian.AppendUint16(b, uint16(len(r.Detail)))
	return append(b, r.Detail...)
}

// SignReceipts signs receipts as one batch by receiver (one Ed25519
// signature over their Merkle root); each receipt stays verifiable alone.
func SignReceipts(key ed25519.PrivateKey, receiver string, rs []*Receipt) error {
	const op = "network.SignReceipts"
	leaves := make([][]byte, len(rs))
	for i, r := range rs {
		if err := r.validateContent(op); err != nil {
			return jukinet.E(op, jukinet.Field(fmt.Sprintf("receipts[%d]", i)), err)
		}
		if r.Receiver != receiver {
			return jukinet.Errorf(op, jukinet.KindInvalid, fmt.Sprintf("receipts[%d].receiver", i), "a node signs only its own receipts")
		}
		leaves[i] = appendReceiptContent(nil, r)
	}
	sigs, err := signLeaves(op, key, contextReceipts, receiver, leaves)
	if err != nil {
		return err
	}
	for i, r := range rs {
		r.Sig = sigs[i]
	}
	return nil
}

// VerifyReceipts checks every receipt's signature against its receiver's
// key, verifying each distinct signed root once. The error names the first
// bad receipt and carries a reason (ReasonOf).
func VerifyReceipts(rs []*Receipt, keys KeyLookup) error {
	v := NewVerifier(keys)
	v.PrimeReceipts(rs)
	for i, r := range rs {
		if err := v.VerifyReceipt(r); err != nil {
			return jukinet.E("network.VerifyReceipts", jukinet.Field(fmt.Sprintf("receipts[%d]", i)), err)
		}
	}
	return nil
}

// VerifyReceipt checks one receipt's signature (see VerifyReceipts).
func (v *Verifier) VerifyReceipt(r *Receipt) error {
	const op = "network.VerifyReceipt"
	if err := r.validateContent(op); err != nil {
		return withReason(ReasonMalformed, err)
	}
	if r.Sig.Signer != r.Receiver {
		return withReason(ReasonBadSignature, jukinet.Errorf(op, jukinet.KindForbidden, "sig.signer", "the signer is not the receiver"))
	}
	return v.verify(op, contextReceipts, &r.Sig, appendReceiptContent(nil, r))
}

// EncodeReceipts returns the wire form of a list of signed receipts.
func EncodeReceipts(rs []*Receipt) ([]byte, error) {
	const op = "network.EncodeReceipts"
	if len(rs) > MaxBatchEnvelopes {
		return nil, jukinet.Errorf(op, jukinet.KindTooLarge, "receipts", "more than %d receipts", MaxBatchEnvelopes)
	}
	size := 6
	for _, r := range rs {
		size += 4 + receiptSizeHint(r)
	}
	b := make([]byte, 0, size)
	b = append(b, FormatVersion, recordReceiptList)
	b = binary.BigEndian.AppendUint32(b, uint32(len(rs)))
	for i, r := range rs {
		// Length-prefixed in place, as EncodeBatch does.
		at := len(b)
		b = append(b, 0, 0, 0, 0)
		var err error
		if b, err = appendReceipt(b, r); err != nil {
			return nil, jukinet.E(op, jukinet.Field(fmt.Sprintf("receipts[%d]", i)), err)
		}
		binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	}
	return b, nil
}

// receiptSizeHint is about the wire size of r, to allocate once.
func receiptSizeHint(r *Receipt) int {
	return 48 + len(r.Receiver) + len(r.Detail) + 130 + hashSize*len(r.Sig.Proof)
}

// EncodeReceipt returns the wire form of one signed receipt.
func EncodeReceipt(r *Receipt) ([]byte, error) {
	return appendReceipt(make([]byte, 0, receiptSizeHint(r)), r)
}

func appendReceipt(b []byte, r *Receipt) ([]byte, error) {
	const op = "network.EncodeReceipt"
	if err := r.validateContent(op); err != nil {
		return nil, err
	}
	if err := r.Sig.validate(op, "sig."); err != nil {
		return nil, err
	}
	b = appendReceiptContent(b, r)
	return appendSignature(b, &r.Sig), nil
}

// DecodeReceipt decodes the wire form of one receipt strictly (see
// DecodeEnvelope); it does not verify the signature.
func DecodeReceipt(b []byte) (*Receipt, error) {
	r := &reader{op: "network.DecodeReceipt", b: b}
	rc := r.receipt()
	if r.err != nil {
		return nil, r.err
	}
	return rc, nil
}

func (r *reader) receipt() *Receipt {
	rc := r.receiptContent()
	r.signature(&rc.Sig)
	r.end()
	return rc
}

// receiptContent reads what a receipt's signature covers.
func (r *reader) receiptContent() *Receipt {
	rc := &Receipt{}
	r.header(recordReceipt, "a receipt")
	if p := r.take(16, "message_id"); p != nil {
		copy(rc.MessageID[:], p)
	}
	rc.Status = Status(r.u8("status"))
	rc.Reason = Reason(r.u8("reason"))
	rc.Receiver = r.nodeID("receiver")
	rc.Time = int64(r.u64("time"))
	n := r.u16("detail")
	if r.err == nil && n > MaxDetailSize {
		r.fail(jukinet.KindTooLarge, "detail", "%d bytes, more than %d", n, MaxDetailSize)
	}
	rc.Detail = string(r.take(int(n), "detail"))
	if r.err == nil {
		if err := rc.validateContent(r.op); err != nil {
			r.err = prefixField(err, r.prefix)
		}
	}
	return rc
}

// DecodeReceipts decodes the wire form of a list of receipts.
func DecodeReceipts(b []byte) ([]*Receipt, error) {
	r := &reader{op: "network.DecodeReceipts", b: b}
	r.header(recordReceiptList, "a receipt list")
	n := r.u32("count")
	if r.err == nil && n > MaxBatchEnvelopes {
		r.fail(jukinet.KindTooLarge, "count", "%d receipts, more than %d", n, MaxBatchEnvelopes)
	}
	if r.err != nil {
		return nil, r.err
	}
	rs := make([]*Receipt, 0, min(int(n), len(b)/64))
	for i := 0; i < int(n); i++ {
		field := fmt.Sprintf("receipts[%d]", i)
		size := r.u32(field)
		p := r.take(int(size), field)
		if r.err != nil {
			return nil, r.err
		}
		sub := &reader{op: r.op, prefix: field + ".", b: p}
		rc := sub.receipt()
		if sub.err != nil {
			return nil, sub.err
		}
		rs = append(rs, rc)
	}
	r.end()
	if r.err != nil {
		return nil, r.err
	}
	return rs, nil
}
