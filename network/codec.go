package network

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/jukinet/jukinet"
)

// FormatVersion is the first byte of every encoded record. A decoder refuses
// any other value.
const FormatVersion = 1

// Record types: the second byte of every encoded record, so that the bytes of
// one type can never be taken for another (an envelope leaf is never a receipt leaf).
const (
	recordEnvelope    = 1
	recordBatch       = 2
	recordReceipt     = 3
	recordReceiptList = 4
)

// Batch is what one HTTP request carries: envelopes from one sending node.
// Each envelope carries its own batch signature, so one Batch may mix
// envelopes signed in different signing batches (an outbox retry).
type Batch struct {
	Sender    string // the node that sends the request; must match its TLS certificate
	Envelopes []*Envelope
}

// --- encoding ---

func appendStr8(b []byte, s string) []byte {
	b = append(b, byte(len(s)))
	return append(b, s...)
}

// appendEnvelopeContent appends the signed part of e: the bytes hashed into
// the batch's Merkle tree. The caller has validated e.
func appendEnvelopeContent(b []byte, e *Envelope) []byte {
	b = append(b, FormatVersion, recordEnvelope)
	b = append(b, e.ID[:]...)
	b = binary.BigEndian.AppendUint16(b, uint16(e.Kind))
	b = appendStr8(b, e.From)
	b = appendStr8(b, e.To)
	b = binary.BigEndian.AppendUint64(b, uint64(e.CreatedAt))
	b = appendStr8(b, e.OrderingKey)
	b = binary.BigEndian.AppendUint64(b, e.Version)
	b = binary.BigEndian.AppendUint32(b, uint32(len(e.Body)))
	return append(b, e.Body...)
}

func appendSignature(b []byte, s *BatchSignature) []byte {
	b = appendStr8(b, s.Signer)
	b = binary.BigEndian.AppendUint64(b, s.BatchSize)
	b = binary.BigEndian.AppendUint64(b, s.LeafIndex)
	b = append(b, s.Root...)
	b = append(b, s.Signature...)
	b = append(b, byte(len(s.Proof)))
	for _, h := range s.Proof {
		b = append(b, h...)
	}
	return b
}

func (s *BatchSignature) validate(op, prefix string) error {
	switch {
	case !ValidNodeID(s.Signer):
		return jukinet.Errorf(op, jukinet.KindInvalid, prefix+"signer", "not a node ID")
	case s.BatchSize == 0 || s.BatchSize > MaxBatchEnvelopes:
		return jukinet.Errorf(op, jukinet.KindInvalid, prefix+"batch_size", "must be 1..%d", MaxBatchEnvelopes)
	case s.LeafIndex >= s.BatchSize:
		return jukinet.Errorf(op, jukinet.KindInvalid, prefix+"leaf_index", "must be below batch_size")
	case len(s.Root) != hashSize:
		return jukinet.Errorf(op, jukinet.KindInvalid, prefix+"root", "must be %d bytes", hashSize)
	case len(s.Signature) != signatureSize:
		return jukinet.Errorf(op, jukinet.KindInvalid, prefix+"signature", "must be %d bytes", signatureSize)
	case len(s.Proof) > MaxProofHashes:
		return jukinet.Errorf(op, jukinet.KindInvalid, prefix+"proof", "more than %d hashes", MaxProofHashes)
	}
	for i, h := range s.Proof {
		if len(h) != hashSize {
			return jukinet.Errorf(op, jukinet.KindInvalid, fmt.Sprintf("%sproof[%d]", prefix, i), "must be %d bytes", hashSize)
		}
	}
	return nil
}

// EncodeEnvelope returns the wire form of a signed envelope.
func EncodeEnvelope(e *Envelope) ([]byte, error) {
	return appendEnvelope(make([]byte, 0, envelopeSizeHint(e)), e)
}

// envelopeSizeHint is about the wire size of e, to allocate once.
func envelopeSizeHint(e *Envelope) int {
	return 64 + len(e.OrderingKey) + len(e.Body) + 150 + hashSize*len(e.Sig.Proof)
}

// appendEnvelope appends the wire form of e to b.
func appendEnvelope(b []byte, e *Envelope) ([]byte, error) {
	const op = "network.EncodeEnvelope"
	if err := e.validateContent(op); err != nil {
		return nil, err
	}
	if err := e.Sig.validate(op, "sig."); err != nil {
		return nil, err
	}
	b = appendEnvelopeContent(b, e)
	return appendSignature(b, &e.Sig), nil
}

// EncodeBatch returns the wire form of a batch.
func EncodeBatch(batch *Batch) ([]byte, error) {
	const op = "network.EncodeBatch"
	if !ValidNodeID(batch.Sender) {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "sender", "not a node ID")
	}
	if len(batch.Envelopes) > MaxBatchEnvelopes {
		return nil, jukinet.Errorf(op, jukinet.KindTooLarge, "envelopes", "more than %d envelopes", MaxBatchEnvelopes)
	}
	size := 8 + len(batch.Sender)
	for _, e := range batch.Envelopes {
		size += 4 + envelopeSizeHint(e)
	}
	b := make([]byte, 0, size)
	b = append(b, FormatVersion, recordBatch)
	b = appendStr8(b, batch.Sender)
	b = binary.BigEndian.AppendUint32(b, uint32(len(batch.Envelopes)))
	for i, e := range batch.Envelopes {
		// Each envelope is length-prefixed: reserve the prefix, encode in
		// place, then fill it in (one buffer for the whole batch).
		at := len(b)
		b = append(b, 0, 0, 0, 0)
		var err error
		if b, err = appendEnvelope(b, e); err != nil {
			return nil, jukinet.E(op, jukinet.Field(fmt.Sprintf("envelopes[%d]", i)), err)
		}
		binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	}
	return b, nil
}

// --- decoding ---

// reader decodes strictly: the first error sticks and names the field.
type reader struct {
	op     string
	prefix string // prepended to field names, e.g. "envelopes[3]."
	b      []byte
	off    int
	err    error
}

func (r *reader) fail(kind jukinet.Kind, field, format string, args ...any) {
	if r.err == nil {
		r.err = jukinet.Errorf(r.op, kind, r.prefix+field, format, args...)
	}
}

func (r *reader) take(n int, field string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b)-r.off < n {
		r.fail(jukinet.KindInvalid, field, "truncated: need %d bytes, have %d", n, len(r.b)-r.off)
		return nil
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p
}

func (r *reader) u8(field string) byte {
	if p := r.take(1, field); p != nil {
		return p[0]
	}
	return 0
}

func (r *reader) u16(field string) uint16 {
	if p := r.take(2, field); p != nil {
		return binary.BigEndian.Uint16(p)
	}
	return 0
}

func (r *reader) u32(field string) uint32 {
	if p := r.take(4, field); p != nil {
		return binary.BigEndian.Uint32(p)
	}
	return 0
}

func (r *reader) u64(field string) uint64 {
	if p := r.take(8, field); p != nil {
		return binary.BigEndian.Uint64(p)
	}
	return 0
}

func (r *reader) str8(field string) string {
	n := r.u8(field)
	return string(r.take(int(n), field))
}

func (r *reader) copyBytes(n int, field string) []byte {
	p := r.take(n, field)
	if p == nil {
		return nil
	}
	return append([]byte(nil), p...)
}

func (r *reader) header(record byte, what string) {
	if v := r.u8("format_version"); r.err == nil && v != FormatVersion {
		r.fail(jukinet.KindInvalid, "format_version", "unsupported format version %d (want %d)", v, FormatVersion)
	}
	if t := r.u8("record_type"); r.err == nil && t != record {
		r.fail(jukinet.KindInvalid, "record_type", "record type %d is not %s", t, what)
	}
}

func (r *reader) nodeID(field string) string {
	s := r.str8(field)
	if r.err == nil && !ValidNodeID(s) {
		r.fail(jukinet.KindInvalid, field, "not a node ID (a 6-digit local-government code or %q)", NationalID)
	}
	return s
}

func (r *reader) end() {
	if r.err == nil && r.off != len(r.b) {
		r.fail(jukinet.KindInvalid, "", "%d trailing bytes", len(r.b)-r.off)
	}
}

func (r *reader) signature(s *BatchSignature) {
	s.Signer = r.nodeID("sig.signer")
	s.BatchSize = r.u64("sig.batch_size")
	s.LeafIndex = r.u64("sig.leaf_index")
	s.Root = r.copyBytes(hashSize, "sig.root")
	s.Signature = r.copyBytes(signatureSize, "sig.signature")
	n := r.u8("sig.proof")
	if r.err == nil && n > MaxProofHashes {
		r.fail(jukinet.KindInvalid, "sig.proof", "more than %d hashes", MaxProofHashes)
	}
	if r.err != nil {
		return
	}
	s.Proof = make([][]byte, n)
	for i := range s.Proof {
		s.Proof[i] = r.copyBytes(hashSize, "sig.proof")
	}
	if r.err == nil {
		if err := s.validate(r.op, r.prefix+"sig."); err != nil {
			r.err = err
		}
	}
}

// DecodeEnvelope decodes the wire form of one signed envelope. It checks the
// format, every field's syntax and limits, and that no bytes trail; it does
// not verify the signature (VerifyEnvelope does). Errors are KindInvalid (or
// KindTooLarge) and name the field.
func DecodeEnvelope(b []byte) (*Envelope, error) {
	r := &reader{op: "network.DecodeEnvelope", b: b}
	e := r.envelope()
	if r.err != nil {
		return nil, r.err
	}
	return e, nil
}

func (r *reader) envelope() *Envelope {
	e := &Envelope{}
	r.header(recordEnvelope, "an envelope")
	if p := r.take(16, "id"); p != nil {
		copy(e.ID[:], p)
		if e.ID.Version() != 7 || e.ID.Variant() != uuid.RFC4122 {
			r.fail(jukinet.KindInvalid, "id", "message ID must be a UUIDv7")
		}
	}
	e.Kind = Kind(r.u16("kind"))
	if r.err == nil && !e.Kind.Valid() {
		r.fail(jukinet.KindInvalid, "kind", "unknown message kind %d", uint16(e.Kind))
	}
	e.From = r.nodeID("from")
	e.To = r.nodeID("to")
	e.CreatedAt = int64(r.u64("created_at"))
	e.OrderingKey = r.str8("ordering_key")
	e.Version = r.u64("version")
	n := r.u32("body")
	if r.err == nil && n > MaxBodySize {
		r.fail(jukinet.KindTooLarge, "body", "%d bytes, more than %d", n, MaxBodySize)
	}
	e.Body = r.copyBytes(int(n), "body")
	if r.err == nil {
		if err := e.validateContent(r.op); err != nil {
			r.err = prefixField(err, r.prefix)
		}
	}
	r.signature(&e.Sig)
	r.end()
	return e
}

func prefixField(err error, prefix string) error {
	if prefix == "" {
		return err
	}
	if e, ok := err.(*jukinet.Error); ok {
		c := *e
		c.Field = prefix + c.Field
		return &c
	}
	return err
}

// DecodeBatch decodes the wire form of a batch; every envelope is decoded
// strictly (see DecodeEnvelope), and a field in error is named like
// "envelopes[3].from".
func DecodeBatch(b []byte) (*Batch, error) {
	r := &reader{op: "network.DecodeBatch", b: b}
	r.header(recordBatch, "a batch")
	batch := &Batch{Sender: r.nodeID("sender")}
	n := r.u32("count")
	if r.err == nil && n > MaxBatchEnvelopes {
		r.fail(jukinet.KindTooLarge, "count", "%d envelopes, more than %d", n, MaxBatchEnvelopes)
	}
	if r.err != nil {
		return nil, r.err
	}
	batch.Envelopes = make([]*Envelope, 0, min(int(n), len(b)/64))
	for i := 0; i < int(n); i++ {
		field := fmt.Sprintf("envelopes[%d]", i)
		size := r.u32(field)
		p := r.take(int(size), field)
		if r.err != nil {
			return nil, r.err
		}
		sub := &reader{op: r.op, prefix: field + ".", b: p}
		e := sub.envelope()
		if sub.err != nil {
			return nil, sub.err
		}
		batch.Envelopes = append(batch.Envelopes, e)
	}
	r.end()
	if r.err != nil {
		return nil, r.err
	}
	return batch, nil
}

// validUTF8Text reports whether s is valid UTF-8 without control characters.
func validUTF8Text(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}
