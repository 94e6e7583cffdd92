package network

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/jukinet/jukinet"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	keys := newTestKeys()
	envs := signedEnvelopes(t, keys, KindIdentityNotify, hofu, yamaPref, 5)
	envs[2].OrderingKey, envs[2].Version = "", 0
	envs[3].Body = nil
	if err := SignBatch(keys[hofu], hofu, envs); err != nil {
		t.Fatal(err)
	}
	for i, e := range envs {
		b, err := EncodeEnvelope(e)
		if err != nil {
			t.Fatalf("EncodeEnvelope(envs[%d]): %v", i, err)
		}
		got, err := DecodeEnvelope(b)
		if err != nil {
			t.Fatalf("DecodeEnvelope(encoded envs[%d]): %v", i, err)
		}
		if d := cmp.Diff(e, got, cmp.Comparer(bytes.Equal)); d != "" {
			t.Errorf("envs[%d] round trip (-want +got):\n%s", i, d)
		}
		b2, _ := EncodeEnvelope(got)
		if !bytes.Equal(b, b2) {
			t.Errorf("envs[%d]: re-encoding differs: the encoding is not deterministic", i)
		}
	}
	batch := &Batch{Sender: hofu, Envelopes: envs}
	b, err := EncodeBatch(batch)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeBatch(b)
	if err != nil {
		t.Fatalf("DecodeBatch: %v", err)
	}
	if d := cmp.Diff(batch, got, cmp.Comparer(bytes.Equal)); d != "" {
		t.Errorf("batch round trip (-want +got):\n%s", d)
	}
}

// envelopeOffsets are byte offsets in an encoded envelope (see docs/protocol-wire.md).
const (
	offID   = 2
	offKind = 18
	offFrom = 20 // length byte of from
)

func TestDecodeEnvelopeRejects(t *testing.T) {
	keys := newTestKeys()
	env := signedEnvelopes(t, keys, KindIdentityNotify, hofu, yamaPref, 1)[0]
	good, err := EncodeEnvelope(env)
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	tests := []struct {
		name      string
		in        []byte
		wantField string
		wantKind  jukinet.Kind
	}{
		{"empty", nil, "format_version", jukinet.KindInvalid},
		{"bad version", mutate(func(b []byte) []byte { b[0] = 2; return b }), "format_version", jukinet.KindInvalid},
		{"receipt record type", mutate(func(b []byte) []byte { b[1] = recordReceipt; return b }), "record_type", jukinet.KindInvalid},
		{"uuid v4", mutate(func(b []byte) []byte { b[offID+6] = 0x40 | b[offID+6]&0x0f; return b }), "id", jukinet.KindInvalid},
		{"unknown kind", mutate(func(b []byte) []byte { binary.BigEndian.PutUint16(b[offKind:], 999); return b }), "kind", jukinet.KindInvalid},
		{"bad check digit in from", mutate(func(b []byte) []byte { b[offFrom+6] = '4'; return b }), "from", jukinet.KindInvalid},
		{"truncated", good[:len(good)-1], "sig.proof", jukinet.KindInvalid},
		{"truncated in body", good[:75], "body", jukinet.KindInvalid},
		{"trailing byte", append(append([]byte(nil), good...), 0), "", jukinet.KindInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeEnvelope(tc.in)
			if err == nil {
				t.Fatalf("DecodeEnvelope(%x) = %+v, want an error", tc.in, got)
			}
			if f := jukinet.ErrorField(err); f != tc.wantField {
				t.Errorf("DecodeEnvelope: field %q, want %q (err %v)", f, tc.wantField, err)
			}
			if k := jukinet.ErrorKind(err); k != tc.wantKind {
				t.Errorf("DecodeEnvelope: kind %v, want %v (err %v)", k, tc.wantKind, err)
			}
		})
	}
}

func TestEnvelopeValidation(t *testing.T) {
	keys := newTestKeys()
	tests := []struct {
		name      string
		change    func(e *Envelope)
		wantField string
	}{
		{"from not a node", func(e *Envelope) { e.From = "abc" }, "from"},
		{"to bad check digit", func(e *Envelope) { e.To = "350002" }, "to"},
		{"zero time", func(e *Envelope) { e.CreatedAt = 0 }, "created_at"},
		{"key without version", func(e *Envelope) { e.Version = 0 }, "version"},
		{"version without key", func(e *Envelope) { e.OrderingKey = "" }, "version"},
		{"control byte in key", func(e *Envelope) { e.OrderingKey = "352063/\n1" }, "ordering_key"},
		{"long key", func(e *Envelope) { e.OrderingKey = string(bytes.Repeat([]byte("a"), MaxOrderingKeySize+1)) }, "ordering_key"},
		{"big body", func(e *Envelope) { e.Body = make([]byte, MaxBodySize+1) }, "body"},
		{"nil id", func(e *Envelope) { e.ID = uuid.Nil }, "id"},
		{"short root", func(e *Envelope) { e.Sig.Root = e.Sig.Root[:31] }, "sig.root"},
		{"index beyond size", func(e *Envelope) { e.Sig.LeafIndex = e.Sig.BatchSize }, "sig.leaf_index"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := signedEnvelopes(t, keys, KindIdentityNotify, hofu, yamaPref, 2)[1]
			tc.change(e)
			if _, err := EncodeEnvelope(e); jukinet.ErrorField(err) != tc.wantField {
				t.Errorf("EncodeEnvelope: err %v, want one naming field %q", err, tc.wantField)
			}
		})
	}
}

func TestDecodeBatchRejects(t *testing.T) {
	keys := newTestKeys()
	envs := signedEnvelopes(t, keys, KindIdentityNotify, hofu, yamaPref, 3)
	good, err := EncodeBatch(&Batch{Sender: hofu, Envelopes: envs})
	if err != nil {
		t.Fatal(err)
	}
	huge := append([]byte(nil), good[:13]...)
	binary.BigEndian.PutUint32(huge[len(huge)-4:], MaxBatchEnvelopes+1)
	corrupt := append([]byte(nil), good...)
	// the second envelope's kind: header(2) sender(7) count(4) len(4) env0 len(4) then kind at offKind.
	env0 := binary.BigEndian.Uint32(good[13:])
	binary.BigEndian.PutUint16(corrupt[17+int(env0)+4+offKind:], 0)
	tests := []struct {
		name      string
		in        []byte
		wantField string
	}{
		{"truncated", good[:len(good)-3], "envelopes[2]"},
		{"trailing", append(append([]byte(nil), good...), 1), ""},
		{"too many", huge, "count"},
		{"bad inner kind", corrupt, "envelopes[1].kind"},
		{"envelope as batch", good[17:], "record_type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := DecodeBatch(tc.in); err == nil || jukinet.ErrorField(err) != tc.wantField {
				t.Errorf("DecodeBatch: err %v, want one naming field %q", err, tc.wantField)
			}
		})
	}
}

func FuzzDecodeEnvelope(f *testing.F) {
	keys := newTestKeys()
	for _, n := range []int{1, 3} {
		for _, e := range signedEnvelopes(f, keys, KindMoveInNotice, hofu, kurume, n) {
			b, _ := EncodeEnvelope(e)
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEnvelope(b)
		if err != nil {
			if jukinet.ErrorKind(err) != jukinet.KindInvalid && jukinet.ErrorKind(err) != jukinet.KindTooLarge {
				t.Fatalf("DecodeEnvelope error of kind %v: %v", jukinet.ErrorKind(err), err)
			}
			return
		}
		// Anything that decodes re-encodes to the same bytes: one canonical form.
		b2, err := EncodeEnvelope(e)
		if err != nil {
			t.Fatalf("EncodeEnvelope(decoded %x): %v", b, err)
		}
		if !bytes.Equal(b, b2) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b, b2)
		}
	})
}

func FuzzDecodeBatch(f *testing.F) {
	keys := newTestKeys()
	b, _ := EncodeBatch(&Batch{Sender: hofu, Envelopes: signedEnvelopes(f, keys, KindMoveInNotice, hofu, kurume, 3)})
	f.Add(b)
	b, _ = EncodeBatch(&Batch{Sender: hofu})
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		batch, err := DecodeBatch(b)
		if err != nil {
			return
		}
		b2, err := EncodeBatch(batch)
		if err != nil {
			t.Fatalf("EncodeBatch(decoded %x): %v", b, err)
		}
		if !bytes.Equal(b, b2) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b, b2)
		}
	})
}
