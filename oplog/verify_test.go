package oplog

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// testLogWithCheckpoints returns rows 0..n-1 and cosigned checkpoints every
// `every` rows (and at n).
func testLogWithCheckpoints(t testing.TB, n, every uint64) (*memLog, [][]byte, *Verifier) {
	logSigner, logKey := testKey(t, testOrigin)
	witSigner, witKey := testKey(t, "jukinet.example/witness/350001")
	l := newMemLog(n)
	var cps [][]byte
	for size := every; ; size += every {
		size = min(size, n)
		cp, err := SignCheckpoint(testOrigin, size, refRootFast(l.hashes[:size]), logSigner)
		if err != nil {
			t.Fatal(err)
		}
		nt, _ := note.Open(cp, note.VerifierList(logKey))
		cp, _ = note.Sign(nt, witSigner)
		cps = append(cps, cp)
		if size == n {
			break
		}
	}
	return l, cps, &Verifier{Origin: testOrigin, Log: logKey, Witnesses: []note.Verifier{witKey}}
}

func refRootFast(h []Hash) Hash {
	var t Tree
	t.Append(h...)
	return t.Root()
}

func TestVerifyDetectsTampering(t *testing.T) {
	ctx := context.Background()
	const n, every = 3000, 500
	l, cps, v := testLogWithCheckpoints(t, n, every)
	logSigner, _ := testKey(t, testOrigin)
	witSigner, _ := testKey(t, "jukinet.example/witness/350001")

	resign := func(cp []byte, edit func(string) string, signers ...note.Signer) []byte {
		nt, err := note.Open(cp, note.VerifierList(v.Log))
		if err != nil {
			t.Fatal(err)
		}
		out, err := note.Sign(&note.Note{Text: edit(nt.Text)}, signers...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// forgedCosig replaces the witness signature by one with the right key
	// hash but made by another key.
	forgedCosig := func(cp []byte) []byte {
		seed := sha256.Sum256([]byte("not the witness"))
		other := ed25519.NewKeyFromSeed(seed[:])
		lines := strings.Split(string(cp), "\n")
		for i, line := range lines {
			if strings.HasPrefix(line, "— jukinet.example/witness/350001 ") {
				b64 := line[strings.LastIndexByte(line, ' ')+1:]
				raw, _ := base64.StdEncoding.DecodeString(b64)
				nt, _ := note.Open(cp, note.VerifierList(v.Log))
				sig := ed25519.Sign(other, []byte(nt.Text))
				lines[i] = "— jukinet.example/witness/350001 " + base64.StdEncoding.EncodeToString(append(raw[:4:4], sig...))
			}
		}
		return []byte(strings.Join(lines, "\n"))
	}
	dropSig := func(cp []byte, name string) []byte {
		var out []string
		for _, line := range strings.Split(string(cp), "\n") {
			if !strings.HasPrefix(line, "— "+name+" ") {
				out = append(out, line)
			}
		}
		return []byte(strings.Join(out, "\n"))
	}

	tests := []struct {
		name      string
		rows      func([]Row) []Row
		cps       func([][]byte) [][]byte
		wantIndex uint64
		reason    Reason
	}{
		{name: "untouched", reason: ReasonNone},
		{name: "changed leaf byte", rows: func(r []Row) []Row { r[1234].Leaf[10] ^= 1; return r }, wantIndex: 1234, reason: ReasonChangedLeaf},
		{name: "changed leaf and leaf hash", rows: func(r []Row) []Row {
			r[1234].Leaf[10] ^= 1
			r[1234].LeafHash = LeafHash(r[1234].Leaf)
			return r
		}, wantIndex: 1000, reason: ReasonRootMismatch},
		{name: "deleted row", rows: func(r []Row) []Row { return append(r[:777], r[778:]...) }, wantIndex: 777, reason: ReasonMissingIndex},
		{name: "inserted row", rows: func(r []Row) []Row {
			return append(r[:778:778], append([]Row{{Index: 777, Leaf: []byte("x"), LeafHash: LeafHash([]byte("x"))}}, r[778:]...)...)
		}, wantIndex: 778, reason: ReasonDuplicateIndex},
		{name: "inserted and renumbered", rows: func(r []Row) []Row {
			ins := Row{Index: 2100, Leaf: []byte("x"), LeafHash: LeafHash([]byte("x"))}
			out := append(r[:2100:2100], ins)
			for _, row := range r[2100:] {
				row.Index++
				out = append(out, row)
			}
			return out
		}, wantIndex: 2000, reason: ReasonRootMismatch},
		{name: "swapped leaves", rows: func(r []Row) []Row {
			r[10].Leaf, r[11].Leaf, r[10].LeafHash, r[11].LeafHash = r[11].Leaf, r[10].Leaf, r[11].LeafHash, r[10].LeafHash
			return r
		}, wantIndex: 0, reason: ReasonRootMismatch},
		{name: "swapped rows", rows: func(r []Row) []Row { r[10], r[11] = r[11], r[10]; return r }, wantIndex: 10, reason: ReasonMissingIndex},
		{name: "row moved back", rows: func(r []Row) []Row {
			moved := r[5]
			return append(append(r[:20:20], moved), r[20:]...)
		}, wantIndex: 20, reason: ReasonOutOfOrder},
		{name: "truncated tail", rows: func(r []Row) []Row { return r[:2990] }, wantIndex: 2990, reason: ReasonMissingRows},
		{name: "checkpoint root changed", cps: func(c [][]byte) [][]byte {
			body := strings.SplitN(string(c[2]), "\n", 4)
			c[2] = []byte(body[0] + "\n" + body[1] + "\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" + body[3])
			return c
		}, wantIndex: 1000, reason: ReasonBadSignature},
		{name: "checkpoint size changed", cps: func(c [][]byte) [][]byte {
			c[2] = []byte(strings.Replace(string(c[2]), "\n1500\n", "\n1400\n", 1))
			return c
		}, wantIndex: 1000, reason: ReasonBadSignature},
		{name: "re-signed wrong root", cps: func(c [][]byte) [][]byte {
			c[2] = resign(c[2], func(s string) string {
				return CheckpointBody(testOrigin, 1500, Hash{})
			}, logSigner, witSigner)
			return c
		}, wantIndex: 1000, reason: ReasonRootMismatch},
		{name: "witness signature dropped", cps: func(c [][]byte) [][]byte {
			c[3] = dropSig(c[3], "jukinet.example/witness/350001")
			return c
		}, wantIndex: 1500, reason: ReasonMissingCosignature},
		{name: "log signature dropped", cps: func(c [][]byte) [][]byte {
			c[3] = dropSig(c[3], testOrigin)
			return c
		}, wantIndex: 1500, reason: ReasonMissingSignature},
		{name: "forged witness cosignature", cps: func(c [][]byte) [][]byte {
			c[4] = forgedCosig(c[4])
			return c
		}, wantIndex: 2000, reason: ReasonBadSignature},
		{name: "checkpoint going back", cps: func(c [][]byte) [][]byte {
			c[3], c[4] = c[4], c[3]
			return c
		}, wantIndex: 2500, reason: ReasonBadCheckpoint},
		{name: "checkpoint for another origin", cps: func(c [][]byte) [][]byte {
			c[1] = resign(c[1], func(s string) string { return strings.Replace(s, "352063", "352064", 1) }, logSigner, witSigner)
			return c
		}, wantIndex: 500, reason: ReasonBadCheckpoint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := l.rows()
			if tt.rows != nil {
				rows = tt.rows(rows)
			}
			notes := append([][]byte(nil), cps...)
			if tt.cps != nil {
				notes = tt.cps(notes)
			}
			for _, workers := range []int{1, 3} {
				vv := *v
				vv.Workers = workers
				rep, err := vv.Verify(ctx, seqRows(rows), seqNotes(notes))
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if tt.reason == ReasonNone {
					if !rep.OK() || rep.Rows != n || rep.Verified != n || rep.Checkpoints != len(cps) || rep.Root != refRoot(l.hashes) {
						t.Fatalf("untouched log: report %+v (failure %v), want OK with %d rows verified", rep, rep.Failure, n)
					}
					continue
				}
				if rep.OK() {
					t.Fatalf("workers %d: Verify reports OK, want %v at %d", workers, tt.reason, tt.wantIndex)
				}
				if rep.Failure.Reason != tt.reason || rep.Failure.Index != tt.wantIndex {
					t.Fatalf("workers %d: failure %v, want %v at index %d", workers, rep.Failure, tt.reason, tt.wantIndex)
				}
			}
		})
	}
}

func TestVerifyUncoveredTail(t *testing.T) {
	l, cps, v := testLogWithCheckpoints(t, 1000, 400)
	l.add(10)
	rep, err := v.Verify(context.Background(), seqRows(l.rows()), seqNotes(cps))
	if err != nil || !rep.OK() || rep.Rows != 1010 || rep.Verified != 1000 {
		t.Fatalf("report %+v err %v, want OK with 1010 rows and 1000 verified", rep, err)
	}
}

// BenchmarkVerify measures full verification of realistic ~200-byte leaves
// with a cosigned checkpoint every 100 000 rows; it reports records/s.
func BenchmarkVerify(b *testing.B) {
	const n = 1 << 20
	l, cps, v := testLogWithCheckpoints(b, n, 100000)
	rows := l.rows()
	b.SetBytes(int64(n * len(rows[0].Leaf)))
	b.ResetTimer()
	for range b.N {
		rep, err := v.Verify(context.Background(), seqRows(rows), seqNotes(cps))
		if err != nil || !rep.OK() {
			b.Fatalf("Verify: %v %v", err, rep.Failure)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
