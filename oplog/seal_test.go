package oplog

import (
	"bytes"
	"context"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

func sealTestArchive(t testing.TB, first, count uint64) ([]byte, SealSummary, note.Verifier, note.Verifier) {
	l, cps, v := testLogWithCheckpoints(t, 3000, 3000)
	logSigner, _ := testKey(t, testOrigin)
	var buf bytes.Buffer
	s, err := Seal(context.Background(), &buf, SealRequest{
		Month: "2026-11", First: first, Rows: seqRows(l.rows()[first : first+count]),
		Checkpoint: cps[len(cps)-1], CheckpointVerifiers: append([]note.Verifier{v.Log}, v.Witnesses...), Hashes: l,
	}, logSigner)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return buf.Bytes(), s, v.Log, v.Witnesses[0]
}

func TestSealRoundTrip(t *testing.T) {
	for _, r := range [][2]uint64{{0, 3000}, {1000, 777}, {2999, 1}, {512, 0}} {
		data, want, logKey, witKey := sealTestArchive(t, r[0], r[1])
		got, err := VerifySeal(bytes.NewReader(data), logKey, witKey)
		if err != nil {
			t.Fatalf("rows %v: VerifySeal: %v", r, err)
		}
		if got != want || got.First != r[0] || got.Count != r[1] || got.CheckpointSize != 3000 {
			t.Fatalf("rows %v: summary %+v, want %+v", r, got, want)
		}
	}
}

func TestVerifySealDetectsTampering(t *testing.T) {
	data, _, logKey, witKey := sealTestArchive(t, 1000, 20)
	// Every single-byte change and every truncation must be refused.
	for i := range data {
		bad := append([]byte(nil), data...)
		bad[i] ^= 0x01
		if _, err := VerifySeal(bytes.NewReader(bad), logKey, witKey); err == nil {
			t.Fatalf("byte %d changed: VerifySeal = nil error, want an error", i)
		}
	}
	for _, n := range []int{0, 10, len(data) / 2, len(data) - 1} {
		if _, err := VerifySeal(bytes.NewReader(data[:n]), logKey, witKey); err == nil {
			t.Fatalf("truncated to %d bytes: VerifySeal = nil error, want an error", n)
		}
	}
	if _, err := VerifySeal(bytes.NewReader(append(append([]byte(nil), data...), 0)), logKey, witKey); err == nil {
		t.Fatal("trailing byte: VerifySeal = nil error, want an error")
	}
	if _, err := VerifySeal(bytes.NewReader(data), witKey); err == nil {
		t.Fatal("verified with the witness key as the node key, want an error")
	}
}

func TestSealRejectsBadInput(t *testing.T) {
	l, cps, v := testLogWithCheckpoints(t, 1000, 1000)
	logSigner, _ := testKey(t, testOrigin)
	vs := append([]note.Verifier{v.Log}, v.Witnesses...)
	rows := l.rows()
	tampered := l.rows()
	tampered[5].Leaf[0] ^= 1
	tests := map[string]SealRequest{
		"bad month":           {Month: "2026-13", Rows: seqRows(rows[:10]), Checkpoint: cps[0], CheckpointVerifiers: vs, Hashes: l},
		"gap":                 {Month: "2026-11", First: 1, Rows: seqRows(rows[:10]), Checkpoint: cps[0], CheckpointVerifiers: vs, Hashes: l},
		"changed leaf":        {Month: "2026-11", Rows: seqRows(tampered[:10]), Checkpoint: cps[0], CheckpointVerifiers: vs, Hashes: l},
		"unsigned checkpoint": {Month: "2026-11", Rows: seqRows(rows[:10]), Checkpoint: []byte("x"), CheckpointVerifiers: vs, Hashes: l},
	}
	for name, req := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Seal(context.Background(), &bytes.Buffer{}, req, logSigner); err == nil {
				t.Errorf("Seal(%s) = nil error, want an error", name)
			}
		})
	}
}

func FuzzVerifySeal(f *testing.F) {
	data, _, logKey, witKey := sealTestArchive(f, 1000, 3)
	f.Add(data)
	f.Add([]byte(sealMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := VerifySeal(bytes.NewReader(data), logKey, witKey)
		if err == nil && (s.CheckpointSize < s.First+s.Count || s.Origin != testOrigin) {
			t.Fatalf("accepted an inconsistent archive: %+v", s)
		}
	})
}
