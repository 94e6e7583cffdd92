package oplog

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"golang.org/x/mod/sumdb/note"
)

func TestSignerInteroperatesWithNote(t *testing.T) {
	s, v := testKey(t, testOrigin)
	if s.KeyHash() != v.KeyHash() {
		t.Fatalf("signer key hash %08x, verifier (note.NewEd25519VerifierKey) %08x", s.KeyHash(), v.KeyHash())
	}
	msg, err := SignCheckpoint(testOrigin, 5, Hash{7}, s)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCheckpoint(msg, v)
	if err != nil {
		t.Fatalf("ParseCheckpoint: %v", err)
	}
	if c.Origin != testOrigin || c.Size != 5 || c.Root != (Hash{7}) || len(c.Signers) != 1 {
		t.Errorf("parsed %+v, want origin %q size 5 root 07…", c, testOrigin)
	}
}

func TestParseCheckpointRejects(t *testing.T) {
	s, v := testKey(t, testOrigin)
	_, other := testKey(t, "jukinet.example/witness/350001")
	root := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	sign := func(text string) []byte {
		msg, err := note.Sign(&note.Note{Text: text}, s)
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	tests := []struct {
		name  string
		note  []byte
		field string
	}{
		{"leading zero size", sign(testOrigin + "\n05\n" + root + "\n"), "size"},
		{"negative size", sign(testOrigin + "\n-5\n" + root + "\n"), "size"},
		{"short root", sign(testOrigin + "\n5\nAAAA\n"), "root"},
		{"unpadded root", sign(testOrigin + "\n5\n" + strings.TrimSuffix(root, "=") + "\n"), "root"},
		{"extension line", sign(testOrigin + "\n5\n" + root + "\nextra\n"), "checkpoint"},
		{"missing root", sign(testOrigin + "\n5\n"), "checkpoint"},
		{"space in origin", sign("jukinet example\n5\n" + root + "\n"), "origin"},
		{"unsigned", []byte(testOrigin + "\n5\n" + root + "\n"), "checkpoint"},
		{"signed by another key", sign(testOrigin + "\n5\n" + root + "\n"), "signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verifiers := []note.Verifier{v}
			if tt.name == "signed by another key" {
				verifiers = []note.Verifier{other}
			}
			_, err := ParseCheckpoint(tt.note, verifiers...)
			if err == nil || jukinet.ErrorField(err) != tt.field {
				t.Errorf("ParseCheckpoint(%q) error %v (field %q), want an error naming %q", tt.note, err, jukinet.ErrorField(err), tt.field)
			}
		})
	}
}

func FuzzParseCheckpoint(f *testing.F) {
	s, v := testKey(f, testOrigin)
	good, _ := SignCheckpoint(testOrigin, 12345, Hash{1, 2, 3}, s)
	f.Add(good)
	f.Add([]byte(testOrigin + "\n1\nAA==\n\n— x AAAA\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCheckpoint(data, v)
		if err != nil {
			return
		}
		// Anything accepted must have been signed over exactly its body.
		n, err := note.Open(data, note.VerifierList(v))
		if err != nil || n.Text != CheckpointBody(c.Origin, c.Size, c.Root) {
			t.Fatalf("accepted %q: body %q is not canonical for %+v", data, n.Text, c)
		}
	})
}

func TestWitness(t *testing.T) {
	ctx := context.Background()
	logSigner, logKey := testKey(t, testOrigin)
	witSigner, witKey := testKey(t, "jukinet.example/witness/350001")
	l := newMemLog(1000)
	store := &memWitnessStore{m: map[string]WitnessState{}}
	w, err := NewWitness(witSigner, store, map[string]note.Verifier{testOrigin: logKey})
	if err != nil {
		t.Fatal(err)
	}
	checkpointAt := func(size uint64) []byte {
		cp, err := SignCheckpoint(testOrigin, size, refRoot(l.hashes[:size]), logSigner)
		if err != nil {
			t.Fatal(err)
		}
		return cp
	}
	// First checkpoint: trusted on first use.
	cosigned, err := w.Cosign(ctx, checkpointAt(300), nil)
	if err != nil {
		t.Fatalf("first Cosign: %v", err)
	}
	if _, err := ParseCheckpoint(cosigned, logKey, witKey); err != nil {
		t.Fatalf("cosigned note does not verify with log and witness keys: %v", err)
	}
	proof, err := ConsistencyProof(ctx, l, 300, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Cosign(ctx, checkpointAt(1000), proof); err != nil {
		t.Fatalf("Cosign 300→1000: %v", err)
	}
	if _, err := w.Cosign(ctx, checkpointAt(1000), nil); err != nil {
		t.Fatalf("Cosign of the same checkpoint again: %v", err)
	}

	// A forked log: same prefix up to 500, different leaves after.
	fork := newMemLog(1200)
	fork.hashes[600] = LeafHash([]byte("forged"))
	forkCP, _ := SignCheckpoint(testOrigin, 1200, refRoot(fork.hashes), logSigner)
	forkProof, err := ConsistencyProof(ctx, fork, 1000, 1200)
	if err != nil {
		t.Fatal(err)
	}
	sameSizeFork, _ := SignCheckpoint(testOrigin, 1000, refRoot(fork.hashes[:1000]), logSigner)
	forgedLog, _ := SignCheckpoint(testOrigin, 1100, Hash{}, witSigner)
	unknown, _ := SignCheckpoint("jukinet.example/oplog/999999", 1, Hash{}, logSigner)
	tests := []struct {
		name     string
		cp       []byte
		proof    [][]byte
		kind     jukinet.Kind
		sentinel error
	}{
		{"rollback", checkpointAt(999), nil, jukinet.KindConflict, ErrRollback},
		{"fork with a valid-looking proof", forkCP, forkProof, jukinet.KindConflict, ErrFork},
		{"fork at the same size", sameSizeFork, nil, jukinet.KindConflict, ErrFork},
		{"empty note", nil, nil, jukinet.KindNotFound, nil},
		{"not signed by the log", forgedLog, nil, jukinet.KindInvalid, nil},
		{"unknown origin", unknown, nil, jukinet.KindNotFound, nil},
	}
	l.add(200)
	tests = append(tests, struct {
		name     string
		cp       []byte
		proof    [][]byte
		kind     jukinet.Kind
		sentinel error
	}{"extension without proof", checkpointAt(1200), nil, jukinet.KindConflict, ErrFork})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.Cosign(ctx, tt.cp, tt.proof)
			if jukinet.ErrorKind(err) != tt.kind || tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Errorf("Cosign error = %v (kind %v), want kind %v wrapping %v", err, jukinet.ErrorKind(err), tt.kind, tt.sentinel)
			}
		})
	}
	if st := store.m[testOrigin]; st.Size != 1000 {
		t.Errorf("witness state size %d after refusals, want 1000", st.Size)
	}
}

func TestProofs(t *testing.T) {
	ctx := context.Background()
	logSigner, logKey := testKey(t, testOrigin)
	witSigner, witKey := testKey(t, "jukinet.example/witness/350001")
	l := newMemLog(70001)
	size := uint64(len(l.hashes))
	cp, _ := SignCheckpoint(testOrigin, size, refRoot(l.hashes), logSigner)
	n, _ := note.Open(cp, note.VerifierList(logKey))
	cp, _ = note.Sign(n, witSigner)
	for _, index := range []uint64{0, 1, 255, 256, 65535, 65536, 70000} {
		hashes, err := InclusionProof(ctx, l, index, size)
		if err != nil {
			t.Fatal(err)
		}
		slow, err := InclusionProof(ctx, leavesOnly{l}, index, size)
		if err != nil {
			t.Fatal(err)
		}
		for i := range hashes {
			if string(hashes[i]) != string(slow[i]) {
				t.Fatalf("index %d: proof with nodes differs from proof from leaves at %d", index, i)
			}
		}
		p := Proof{Index: index, Size: size, Leaf: l.leaves[index], Hashes: hashes, Checkpoint: cp}
		if err := VerifyProof(p, logKey, witKey); err != nil {
			t.Fatalf("index %d: VerifyProof: %v", index, err)
		}
		data, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var back Proof
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatalf("index %d: Unmarshal(%s): %v", index, data, err)
		}
		if err := VerifyProof(back, logKey, witKey); err != nil {
			t.Fatalf("index %d: VerifyProof after JSON round trip: %v", index, err)
		}
		if index != 65536 {
			continue
		}
		// Flip every byte of leaf, each hash and the checkpoint: all must fail.
		flip := func(b []byte, i int) []byte {
			c := append([]byte(nil), b...)
			c[i] ^= 0x01
			return c
		}
		for i := range p.Leaf {
			q := p
			q.Leaf = flip(p.Leaf, i)
			if VerifyProof(q, logKey, witKey) == nil {
				t.Fatalf("leaf byte %d changed: VerifyProof = nil, want an error", i)
			}
		}
		for k := range p.Hashes {
			for i := range p.Hashes[k] {
				q := p
				q.Hashes = append([][]byte(nil), p.Hashes...)
				q.Hashes[k] = flip(p.Hashes[k], i)
				if VerifyProof(q, logKey, witKey) == nil {
					t.Fatalf("hash %d byte %d changed: VerifyProof = nil, want an error", k, i)
				}
			}
		}
		for i := range p.Checkpoint {
			q := p
			q.Checkpoint = flip(p.Checkpoint, i)
			if VerifyProof(q, logKey, witKey) == nil {
				t.Fatalf("checkpoint byte %d (%q) changed: VerifyProof = nil, want an error", i, p.Checkpoint[i])
			}
		}
		for _, q := range []Proof{{Index: p.Index + 1, Size: p.Size, Leaf: p.Leaf, Hashes: p.Hashes, Checkpoint: p.Checkpoint},
			{Index: p.Index, Size: p.Size - 1, Leaf: p.Leaf, Hashes: p.Hashes, Checkpoint: p.Checkpoint},
			{Index: p.Index, Size: p.Size, Leaf: p.Leaf, Hashes: p.Hashes[1:], Checkpoint: p.Checkpoint}} {
			if VerifyProof(q, logKey, witKey) == nil {
				t.Fatalf("proof %+v verifies, want an error", q)
			}
		}
		if VerifyProof(p, logKey, witKey, mustKey(t, "jukinet.example/witness/other")) == nil {
			t.Fatal("proof verifies although a required witness has not cosigned")
		}
	}
	for _, sizes := range [][2]uint64{{0, 10}, {1, 2}, {256, 70001}, {1000, 1000}, {65537, 70001}} {
		cons, err := ConsistencyProof(ctx, l, sizes[0], sizes[1])
		if err != nil {
			t.Fatal(err)
		}
		if err := verifyConsistency(sizes[0], sizes[1], cons, refRoot(l.hashes[:sizes[0]]), refRoot(l.hashes[:sizes[1]])); err != nil {
			t.Errorf("consistency %v: %v", sizes, err)
		}
	}
	if _, err := InclusionProof(ctx, l, size, size); jukinet.ErrorField(err) != "index" {
		t.Errorf("InclusionProof(index = size) error %v, want one naming index", err)
	}
}

func mustKey(t *testing.T, name string) note.Verifier {
	_, v := testKey(t, name)
	return v
}

func FuzzProofJSON(f *testing.F) {
	f.Add([]byte(`{"index":1,"size":2,"leaf":"AA==","hashes":["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="],"checkpoint":"x\n"}`))
	f.Add([]byte(`{"index":1,"extra":2}`))
	_, v := testKey(f, testOrigin)
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Proof
		if err := json.Unmarshal(data, &p); err != nil {
			return
		}
		for _, h := range p.Hashes {
			if len(h) != 32 {
				t.Fatalf("accepted a %d-byte hash", len(h))
			}
		}
		_ = VerifyProof(p, v)
		if _, err := json.Marshal(p); err != nil {
			t.Fatal(err)
		}
	})
}
