package biometric

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/jukinet/jukinet"
)

// testRand is a deterministic io.Reader standing in for crypto/rand.
func testRand(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	return rand.NewChaCha8(s)
}

func testKey(t testing.TB, version uint32, seed uint64) NodeKey {
	t.Helper()
	k, err := NewNodeKey(version, testRand(seed))
	if err != nil {
		t.Fatalf("NewNodeKey(%d): %v", version, err)
	}
	return k
}

func mustEnroll(t testing.TB, key NodeKey, r Reading, seed uint64) Template {
	t.Helper()
	tpl, err := Enroll(key, r, testRand(seed))
	if err != nil {
		t.Fatalf("Enroll: %v", err)
	}
	return tpl
}

func hammingBytes(a, b []byte) int {
	d := 0
	for i := range a {
		d += bits.OnesCount8(a[i] ^ b[i])
	}
	return d
}

func TestVerifyGenuine(t *testing.T) {
	key := testKey(t, 1, 1)
	reader := NewSyntheticReader(42, 0)
	for _, rate := range []float64{0, 0.10, 0.20} {
		for _, person := range []string{"alice", "bob", "chiyo"} {
			tpl := mustEnroll(t, key, reader.Template(person), 7)
			for i := range 20 {
				r := reader.Genuine(person, rate)
				ok, err := Verify(key, tpl, r)
				if err != nil || !ok {
					t.Fatalf("Verify(%s, genuine at %.0f%%, trial %d) = %v, %v; want true, nil", person, 100*rate, i, ok, err)
				}
			}
		}
	}
}

func TestVerifyRejectsNonMatches(t *testing.T) {
	key := testKey(t, 1, 1)
	reader := NewSyntheticReader(42, 0)
	tpl := mustEnroll(t, key, reader.Template("alice"), 7)
	for _, c := range []struct {
		name    string
		reading func() Reading
	}{
		{"other person, clean", func() Reading { return reader.Template("bob") }},
		{"other person, 10% noise", func() Reading { return reader.Impostor("bob", 0.10) }},
		{"random bits", reader.RandomReading},
		{"genuine at 40%", func() Reading { return reader.Genuine("alice", 0.40) }},
		{"genuine at 45%", func() Reading { return reader.Genuine("alice", 0.45) }},
		{"complement of genuine", func() Reading {
			r := reader.Template("alice")
			for i := range r {
				r[i] = ^r[i]
			}
			return r
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for range 20 {
				ok, err := Verify(key, tpl, c.reading())
				if err != nil || ok {
					t.Fatalf("Verify(%s) = %v, %v; want false, nil", c.name, ok, err)
				}
			}
		})
	}
}

func TestVerifyBurst(t *testing.T) {
	// The keyed permutation spreads a contiguous burst over all 64 blocks.
	key := testKey(t, 1, 1)
	reader := NewSyntheticReader(3, 0)
	tpl := mustEnroll(t, key, reader.Template("alice"), 7)
	for _, burst := range []int{256, 1024} {
		for i := range 20 {
			ok, err := Verify(key, tpl, reader.Burst("alice", 0.10, burst))
			if err != nil || !ok {
				t.Fatalf("Verify(10%% noise + %d-bit burst, trial %d) = %v, %v; want true, nil", burst, i, ok, err)
			}
		}
	}
}

func TestVerifyWrongNodeKey(t *testing.T) {
	keyA := testKey(t, 1, 1)
	keyB := testKey(t, 1, 2) // same version, other secret
	keyA2 := testKey(t, 2, 3)
	reader := NewSyntheticReader(42, 0)
	r := reader.Template("alice")
	tpl := mustEnroll(t, keyA, r, 7)
	for _, c := range []struct {
		name      string
		key       NodeKey
		wantField string
	}{
		{"other node", keyB, "key_id"},
		{"new version", keyA2, "key_version"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ok, err := Verify(c.key, tpl, r)
			if ok || jukinet.ErrorKind(err) != jukinet.KindConflict || jukinet.ErrorField(err) != c.wantField {
				t.Errorf("Verify under %s = %v, %v; want false, conflict on %s", c.name, ok, err, c.wantField)
			}
			if tpl.EnrolledUnder(c.key) {
				t.Errorf("EnrolledUnder(%s) = true, want false", c.name)
			}
		})
	}
	if !tpl.EnrolledUnder(keyA) {
		t.Errorf("EnrolledUnder(enrolling key) = false, want true")
	}
}

func TestRenew(t *testing.T) {
	oldKey, newKey := testKey(t, 1, 1), testKey(t, 2, 2)
	reader := NewSyntheticReader(42, 0)
	tpl := mustEnroll(t, oldKey, reader.Template("alice"), 7)

	renewed, err := Renew(oldKey, newKey, tpl, reader.Genuine("alice", 0.15), testRand(8))
	if err != nil {
		t.Fatalf("Renew(genuine) error: %v", err)
	}
	if !renewed.EnrolledUnder(newKey) || renewed.KeyVersion != 2 {
		t.Errorf("renewed template: version %d, enrolled under new key %v; want 2, true", renewed.KeyVersion, renewed.EnrolledUnder(newKey))
	}
	if ok, err := Verify(newKey, renewed, reader.Genuine("alice", 0.15)); !ok || err != nil {
		t.Errorf("Verify(new key, renewed, genuine) = %v, %v; want true, nil", ok, err)
	}
	_, err = Renew(oldKey, newKey, tpl, reader.Template("bob"), testRand(9))
	if jukinet.ErrorKind(err) != jukinet.KindUnauthorized {
		t.Errorf("Renew(impostor) error = %v; want kind unauthorized", err)
	}
}

func TestTemplatesUnlinkableAcrossNodes(t *testing.T) {
	reader := NewSyntheticReader(42, 0)
	r := reader.Template("alice")
	for seed := range uint64(5) {
		a := mustEnroll(t, testKey(t, 1, 100+seed), r, 1)
		b := mustEnroll(t, testKey(t, 1, 200+seed), r, 1) // same random key and salt: only the node differs
		d := hammingBytes(a.Helper, b.Helper)
		if frac := float64(d) / CodeBits; frac < 0.45 || frac > 0.55 {
			t.Errorf("seed %d: helper data at two nodes differ in %.3f of bits; want 0.45–0.55", seed, frac)
		}
	}
}

func TestTemplateHoldsNoReading(t *testing.T) {
	key := testKey(t, 1, 1)
	reader := NewSyntheticReader(42, 0)
	r := reader.Template("alice")
	tpl := mustEnroll(t, key, r, 7)
	blob, err := tpl.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	x := newTransform(key).apply(&r)
	var transformed []byte
	for _, w := range x {
		transformed = binary.LittleEndian.AppendUint64(transformed, w)
	}
	for _, c := range []struct {
		name string
		data []byte
	}{{"reading", r[:]}, {"transformed reading", transformed}} {
		for off := 0; off+8 <= len(c.data); off += 8 {
			if bytes.Contains(blob, c.data[off:off+8]) {
				t.Fatalf("template contains 8 bytes of the %s at offset %d", c.name, off)
			}
		}
		if frac := float64(hammingBytes(tpl.Helper, c.data)) / CodeBits; frac < 0.45 || frac > 0.55 {
			t.Errorf("helper agrees with the %s in %.3f of bits; want 0.45–0.55", c.name, 1-frac)
		}
	}
}

func TestTemplateRoundTrip(t *testing.T) {
	key := testKey(t, 7, 1)
	tpl := mustEnroll(t, key, NewSyntheticReader(1, 0).Template("alice"), 7)
	blob, err := tpl.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(blob) != templateBytes {
		t.Errorf("len(MarshalBinary) = %d, want %d", len(blob), templateBytes)
	}
	var got Template
	if err := got.UnmarshalBinary(blob); err != nil {
		t.Fatalf("UnmarshalBinary: %v", err)
	}
	again, _ := got.MarshalBinary()
	if !bytes.Equal(again, blob) || got.KeyVersion != 7 || got.KeyID != key.ID() {
		t.Errorf("round trip changed the template: version %d id %x", got.KeyVersion, got.KeyID)
	}
}

func TestCorruptTemplateRejected(t *testing.T) {
	key := testKey(t, 1, 1)
	reader := NewSyntheticReader(42, 0)
	r := reader.Template("alice")
	blob, err := mustEnroll(t, key, r, 7).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), blob...)) }
	// Structural damage: UnmarshalBinary refuses it.
	for _, c := range []struct {
		name, field string
		data        []byte
	}{
		{"empty", "template", nil},
		{"truncated", "template", blob[:len(blob)-1]},
		{"trailing byte", "template", append(append([]byte(nil), blob...), 0)},
		{"bad magic", "template", mod(func(b []byte) []byte { b[0] = 'X'; return b })},
		{"format 2", "format", mod(func(b []byte) []byte { b[4] = 2; return b })},
		{"inner order", "params", mod(func(b []byte) []byte { b[17] = 7; return b })},
		{"field bits", "params", mod(func(b []byte) []byte { b[18] = 8; return b })},
		{"outer n", "params", mod(func(b []byte) []byte { b[20]++; return b })},
		{"outer k", "params", mod(func(b []byte) []byte { b[22]--; return b })},
		{"threshold", "params", mod(func(b []byte) []byte { b[24] = 0; return b })},
		{"helper length", "helper", mod(func(b []byte) []byte { b[42]--; return b })},
	} {
		t.Run(c.name, func(t *testing.T) {
			var tpl Template
			err := tpl.UnmarshalBinary(c.data)
			if jukinet.ErrorKind(err) != jukinet.KindInvalid || jukinet.ErrorField(err) != c.field {
				t.Errorf("UnmarshalBinary(%s) error = %v; want invalid %s", c.name, err, c.field)
			}
		})
	}
	// Content damage: it parses, but Verify refuses it with a clear error
	// instead of reporting a non-match.
	for _, c := range []struct {
		name string
		off  int
	}{{"salt", 30}, {"helper", headerBytes + 100}, {"check", headerBytes + helperBytes + 3}, {"seal", len(blob) - 1}} {
		t.Run(c.name, func(t *testing.T) {
			var tpl Template
			if err := tpl.UnmarshalBinary(mod(func(b []byte) []byte { b[c.off] ^= 0x10; return b })); err != nil {
				t.Fatalf("UnmarshalBinary(%s flipped): %v", c.name, err)
			}
			ok, err := Verify(key, tpl, r)
			if ok || jukinet.ErrorKind(err) != jukinet.KindInvalid || jukinet.ErrorField(err) != "template" {
				t.Errorf("Verify(%s flipped) = %v, %v; want false, invalid template", c.name, ok, err)
			}
		})
	}
	// A hand-built template with a short helper must not reach the decoder.
	bad := Template{Format: TemplateFormat, KeyVersion: 1, KeyID: key.ID(), Params: DefaultParams(), Helper: make([]byte, 10)}
	if ok, err := Verify(key, bad, r); ok || jukinet.ErrorField(err) != "helper" {
		t.Errorf("Verify(short helper) = %v, %v; want false, invalid helper", ok, err)
	}
	if _, err := bad.MarshalBinary(); jukinet.ErrorField(err) != "helper" {
		t.Errorf("MarshalBinary(short helper) error = %v; want invalid helper", err)
	}
}

func TestEnrollNeedsRandom(t *testing.T) {
	key := testKey(t, 1, 1)
	if _, err := Enroll(key, Reading{}, nil); jukinet.ErrorField(err) != "rand" {
		t.Errorf("Enroll(nil rand) error = %v; want invalid rand", err)
	}
	if _, err := Enroll(key, Reading{}, bytes.NewReader(make([]byte, 10))); jukinet.ErrorKind(err) != jukinet.KindInternal {
		t.Errorf("Enroll(short rand) error = %v; want internal", err)
	}
	if _, err := NewNodeKey(1, bytes.NewReader(nil)); jukinet.ErrorKind(err) != jukinet.KindInternal {
		t.Errorf("NewNodeKey(empty rand) error = %v; want internal", err)
	}
}

func FuzzTemplateUnmarshal(f *testing.F) {
	key := testKey(f, 1, 1)
	blob, _ := mustEnroll(f, key, NewSyntheticReader(1, 0).Template("alice"), 7).MarshalBinary()
	f.Add(blob)
	f.Add([]byte{})
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		var tpl Template
		if err := tpl.UnmarshalBinary(data); err != nil {
			if jukinet.ErrorKind(err) != jukinet.KindInvalid {
				t.Fatalf("UnmarshalBinary error kind = %v, want invalid", jukinet.ErrorKind(err))
			}
			return
		}
		again, err := tpl.MarshalBinary()
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("accepted input does not round-trip: %v", err)
		}
		// Verify must not panic on any parsed template.
		_, _ = Verify(key, tpl, Reading{})
	})
}

func BenchmarkVerify(b *testing.B) {
	key := testKey(b, 1, 1)
	reader := NewSyntheticReader(1, 0)
	tpl := mustEnroll(b, key, reader.Template("alice"), 7)
	r := reader.Genuine("alice", 0.20)
	for b.Loop() {
		if ok, err := Verify(key, tpl, r); !ok || err != nil {
			b.Fatalf("Verify = %v, %v", ok, err)
		}
	}
}

func BenchmarkMatcherVerify(b *testing.B) {
	key := testKey(b, 1, 1)
	reader := NewSyntheticReader(1, 0)
	m := NewMatcher(key)
	tpl, err := m.Enroll(reader.Template("alice"), testRand(7))
	if err != nil {
		b.Fatal(err)
	}
	r := reader.Genuine("alice", 0.20)
	for b.Loop() {
		if ok, err := m.Verify(tpl, r); !ok || err != nil {
			b.Fatalf("Verify = %v, %v", ok, err)
		}
	}
}

func BenchmarkVerifyImpostor(b *testing.B) {
	key := testKey(b, 1, 1)
	reader := NewSyntheticReader(1, 0)
	tpl := mustEnroll(b, key, reader.Template("alice"), 7)
	r := reader.RandomReading()
	for b.Loop() {
		if ok, err := Verify(key, tpl, r); ok || err != nil {
			b.Fatalf("Verify = %v, %v", ok, err)
		}
	}
}

func BenchmarkEnroll(b *testing.B) {
	key := testKey(b, 1, 1)
	r := NewSyntheticReader(1, 0).Template("alice")
	rng := testRand(1)
	for b.Loop() {
		if _, err := Enroll(key, r, rng); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMatcherConcurrentUse(t *testing.T) {
	key := testKey(t, 1, 1)
	m := NewMatcher(key)
	reader := NewSyntheticReader(4, 0)
	tpl, err := m.Enroll(reader.Template("alice"), testRand(1))
	if err != nil {
		t.Fatal(err)
	}
	readings := []Reading{reader.Genuine("alice", 0.1), reader.Genuine("alice", 0.2), reader.Template("bob")}
	want := []bool{true, true, false}
	var wg sync.WaitGroup
	results := make([][]bool, 4)
	for g := range results {
		wg.Go(func() {
			for _, r := range readings {
				ok, err := m.Verify(tpl, r)
				if err != nil {
					ok = !ok // make the mismatch visible below
				}
				results[g] = append(results[g], ok)
			}
		})
	}
	wg.Wait()
	for g, got := range results {
		if !slices.Equal(got, want) {
			t.Errorf("goroutine %d: Verify results %v, want %v", g, got, want)
		}
	}
}
