package network

import (
	"crypto/ed25519"
	"testing"

	"github.com/jukinet/jukinet"
)

func TestSignVerifyBatchSizes(t *testing.T) {
	keys := newTestKeys()
	for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 100} {
		envs := signedEnvelopes(t, keys, KindIdentityNotify, hofu, yamaPref, n)
		v := NewVerifier(keys.lookup)
		for i, e := range envs {
			if err := v.VerifyEnvelope(e); err != nil {
				t.Errorf("batch of %d, envelope %d: VerifyEnvelope: %v", n, i, err)
			}
			// Survives the wire: verify the decoded copy on its own.
			b, err := EncodeEnvelope(e)
			if err != nil {
				t.Fatal(err)
			}
			d, err := DecodeEnvelope(b)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyEnvelope(d, keys.lookup); err != nil {
				t.Errorf("batch of %d, decoded envelope %d: VerifyEnvelope: %v", n, i, err)
			}
		}
		if len(v.verified) != 1 {
			t.Errorf("batch of %d: %d signature checks, want 1 per distinct root", n, len(v.verified))
		}
	}
}

func TestVerifyEnvelopeRejects(t *testing.T) {
	keys := newTestKeys()
	other := newTestKeys()
	seed := make([]byte, ed25519.SeedSize)
	other[hofu] = ed25519.NewKeyFromSeed(seed)
	tests := []struct {
		name   string
		change func(e *Envelope, sibling *Envelope)
		keys   KeyLookup
		want   Reason
	}{
		{"tampered body", func(e, _ *Envelope) { e.Body = []byte(`{"n":99}`) }, keys.lookup, ReasonBadProof},
		{"tampered to", func(e, _ *Envelope) { e.To = yamaguch }, keys.lookup, ReasonBadProof},
		{"tampered version", func(e, _ *Envelope) { e.Version++ }, keys.lookup, ReasonBadProof},
		{"swapped proof", func(e, s *Envelope) { e.Sig.Proof = s.Sig.Proof }, keys.lookup, ReasonBadProof},
		{"wrong leaf index", func(e, s *Envelope) { e.Sig.LeafIndex = s.Sig.LeafIndex }, keys.lookup, ReasonBadProof},
		{"flipped signature bit", func(e, _ *Envelope) { e.Sig.Signature[5] ^= 1 }, keys.lookup, ReasonBadSignature},
		{"key of another node", func(e, _ *Envelope) {}, other.lookup, ReasonBadSignature},
		{"from changed with signer", func(e, _ *Envelope) { e.From, e.Sig.Signer = yamaguch, yamaguch }, keys.lookup, ReasonBadProof},
		{"signer is not from", func(e, _ *Envelope) { e.Sig.Signer = yamaguch }, keys.lookup, ReasonBadSignature},
		{"unknown signer", func(e, _ *Envelope) {}, func(string) (ed25519.PublicKey, bool) { return nil, false }, ReasonUnknownSigner},
		{"malformed", func(e, _ *Envelope) { e.Sig.Root = nil }, keys.lookup, ReasonMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			envs := signedEnvelopes(t, keys, KindIdentityNotify, hofu, yamaPref, 5)
			tc.change(envs[1], envs[3])
			err := VerifyEnvelope(envs[1], tc.keys)
			if got := ReasonOf(err); got != tc.want {
				t.Errorf("VerifyEnvelope: reason %v, want %v (err %v)", got, tc.want, err)
			}
		})
	}
}

func TestSignBatchRefusesOthersMessages(t *testing.T) {
	keys := newTestKeys()
	envs := []*Envelope{newTestEnvelope(t, KindMoveInNotice, hofu, kurume, 1), newTestEnvelope(t, KindMoveInNotice, ube, kurume, 2)}
	err := SignBatch(keys[hofu], hofu, envs)
	if jukinet.ErrorField(err) != "envs[1].from" {
		t.Errorf("SignBatch with a message from another node: err %v, want one naming envs[1].from", err)
	}
	if err := SignBatch(keys[hofu], hofu, nil); jukinet.ErrorKind(err) != jukinet.KindInvalid {
		t.Errorf("SignBatch(no envelopes): err %v, want KindInvalid", err)
	}
}

// BenchmarkBatchSignVerify500 reports the cost per envelope of signing a
// 500-envelope batch and verifying every envelope (one root signature).
func BenchmarkBatchSignVerify500(b *testing.B) {
	keys := newTestKeys()
	const n = 500
	envs := make([]*Envelope, n)
	for i := range envs {
		envs[i] = newTestEnvelope(b, KindIdentityNotify, hofu, yamaPref, i)
		envs[i].Body = make([]byte, 300)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := SignBatch(keys[hofu], hofu, envs); err != nil {
			b.Fatal(err)
		}
		v := NewVerifier(keys.lookup)
		for _, e := range envs {
			if err := v.VerifyEnvelope(e); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/1000, "µs/envelope")
}

// BenchmarkEd25519SignVerify is the baseline: one signature per message.
func BenchmarkEd25519SignVerify(b *testing.B) {
	keys := newTestKeys()
	env := newTestEnvelope(b, KindIdentityNotify, hofu, yamaPref, 1)
	env.Body = make([]byte, 300)
	msg := appendEnvelopeContent(nil, env)
	pub, _ := keys.lookup(hofu)
	for b.Loop() {
		sig := ed25519.Sign(keys[hofu], msg)
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("verify failed")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "µs/envelope")
}
