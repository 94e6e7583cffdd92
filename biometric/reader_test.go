package biometric

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
)

func TestSyntheticReaderDeterministic(t *testing.T) {
	a, b := NewSyntheticReader(9, 0.2), NewSyntheticReader(9, 0.2)
	for i := range 3 {
		ra, _ := a.Read(context.Background(), "alice")
		rb, _ := b.Read(context.Background(), "alice")
		if ra != rb {
			t.Fatalf("reading %d of two readers with seed 9 differ; want equal", i)
		}
	}
	if NewSyntheticReader(9, 0).Template("alice") == NewSyntheticReader(10, 0).Template("alice") {
		t.Errorf("templates for seeds 9 and 10 are equal; want different")
	}
}

func TestSyntheticReaderStatistics(t *testing.T) {
	s := NewSyntheticReader(1, 0)
	alice := s.Template("alice")
	again := s.Template("alice")
	if d := hammingBytes(alice[:], again[:]); d != 0 {
		t.Errorf("Template(alice) twice differs in %d bits; want 0", d)
	}
	for _, c := range []struct {
		name     string
		reading  Reading
		lo, hi   float64
		fromBits []byte
	}{
		{"genuine 0%", s.Genuine("alice", 0), 0, 0, alice[:]},
		{"genuine 20%", s.Genuine("alice", 0.2), 0.18, 0.22, alice[:]},
		{"genuine 40%", s.Genuine("alice", 0.4), 0.38, 0.42, alice[:]},
		{"other person", s.Template("bob"), 0.46, 0.54, alice[:]},
		{"random", s.RandomReading(), 0.46, 0.54, alice[:]},
		{"burst 1024 bits, no noise", s.Burst("alice", 0, 1024), 0.10, 0.15, alice[:]},
	} {
		frac := float64(hammingBytes(c.reading[:], c.fromBits)) / CodeBits
		if frac < c.lo || frac > c.hi {
			t.Errorf("%s: %.3f of bits differ from the template; want %.2f–%.2f", c.name, frac, c.lo, c.hi)
		}
	}
}

func TestSyntheticReaderReadErrors(t *testing.T) {
	s := NewSyntheticReader(1, 0.1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Read(ctx, "alice"); jukinet.ErrorKind(err) != jukinet.KindUnavailable {
		t.Errorf("Read(canceled ctx) error = %v; want unavailable", err)
	}
	if _, err := s.Read(context.Background(), ""); jukinet.ErrorField(err) != "collation_id" {
		t.Errorf("Read(empty id) error = %v; want invalid collation_id", err)
	}
	var _ Reader = s
}

func TestSecretsAreRedacted(t *testing.T) {
	r := NewSyntheticReader(1, 0).Template("alice")
	key := testKey(t, 3, 1)
	secretHex := hex.EncodeToString(key.Secret[:])
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
		if got := fmt.Sprintf(verb, r); got != redactedReading {
			t.Errorf("Sprintf(%q, reading) = %.60q; want %q", verb, got, redactedReading)
		}
		got := fmt.Sprintf(verb, key)
		if strings.Contains(strings.ToLower(got), secretHex[:16]) || strings.Contains(got, fmt.Sprint(key.Secret[0])+" ") {
			t.Errorf("Sprintf(%q, key) = %q; leaks the secret", verb, got)
		}
		if !strings.Contains(got, "redacted") {
			t.Errorf("Sprintf(%q, key) = %q; want it to say redacted", verb, got)
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("read", "reading", r, "key", key)
	if out := buf.String(); !strings.Contains(out, redactedReading) || strings.Contains(out, "Secret\"") || strings.Contains(out, secretHex[:16]) {
		t.Errorf("slog output = %s; want the reading and key redacted", out)
	}
}
