package oplog_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// appendMessages is one network transaction of a system principal: its main
// record, then n per-message records (stored as a run), kinds alternating
// every `every` records when every > 0 (a run is cut where the operation
// changes).
func (f *fixture) appendMessages(t *testing.T, n, every int) {
	t.Helper()
	ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("network"))
	err := f.db.Update(ctx, store.Op{Operation: jukinet.OpNetworkDeliveryResult, Detail: fmt.Sprintf("batch of %d", n)}, func(tx *store.Tx) error {
		for i := 0; i < n; i++ {
			op, result := jukinet.OpNetworkReceive, "applied"
			if every > 0 && i/every%2 == 1 {
				op, result = jukinet.OpNetworkDeliveryResult, "accepted"
			}
			if i%5 == 4 {
				result = "rejected"
			}
			tx.Log(op, fmt.Sprintf("%011d", 30000000000+i%37), result, fmt.Sprintf("message %d of %d", i, n))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("append %d messages: %v", n, err)
	}
}

// runLog is a log of plain rows and runs: operator lookups, batches of
// messages of several sizes, one of kinds alternating.
func runLog(t *testing.T, e store.Engine) *fixture {
	t.Helper()
	f := newFixture(t, e)
	f.appendRecords(t, operator, 10, "case")
	f.appendMessages(t, 40, 0)
	f.appendRecords(t, operator, 3, "case")
	f.appendMessages(t, 2, 0)
	f.appendMessages(t, 30, 7)
	f.appendMessages(t, 1, 0)
	f.appendRecords(t, operator, 5, "case")
	f.checkpoint(t)
	return f
}

type storedRecord struct {
	Index uint64
	Leaf  string
	Hash  oplog.Hash
}

// storedRecords is every record as the rows hold them, runs expanded the
// plain way: the expected stream.
func storedRecords(t *testing.T, db *store.DB) []storedRecord {
	t.Helper()
	var out []storedRecord
	for _, r := range storetest.Records(t, db, nil) {
		out = append(out, storedRecord{Index: r.Index, Leaf: string(r.Leaf()), Hash: oplog.Hash(r.Hash)})
	}
	return out
}

// G15: records stored inside runs are read one by one, each with its own
// index, leaf and hash, by every reader: Rows (chunked and serial, from any
// start), LeafHashes, Leaf and Prove; the log verifies.
func TestRunsReadAsRecords(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := runLog(t, e)
			ctx := context.Background()
			var runs int
			if err := f.db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM oplog WHERE run > 1`).Scan(&runs); err != nil {
				t.Fatal(err)
			}
			if runs != 7 { // 40, 2, and 30 cut into 5 by kind (7+7+7+7+2); the batch of 1 is a plain row
				t.Errorf("%d run rows, want 7 — the fixture no longer makes the runs it tests", runs)
			}
			want := storedRecords(t, f.db)
			for i, r := range want {
				if r.Index != uint64(i) {
					t.Fatalf("reference record %d has index %d", i, r.Index)
				}
			}
			for _, chunk := range []uint64{0, 1, 7, 16, 1 << 20} {
				oplog.SetRowsChunk(f.log, chunk)
				for _, from := range []uint64{0, 10, 11, 25, 50, 51, 60, uint64(len(want)) - 1, uint64(len(want))} {
					var got []storedRecord
					for r, err := range f.log.Rows(ctx, from) {
						if err != nil {
							t.Fatalf("chunk %d, from %d: %v", chunk, from, err)
						}
						got = append(got, storedRecord{Index: r.Index, Leaf: string(r.Leaf), Hash: r.LeafHash})
					}
					if diff := cmp.Diff(want[from:], got, cmpopts.EquateEmpty()); diff != "" {
						t.Errorf("chunk %d, from %d: Rows differs (-want +got):\n%s", chunk, from, diff)
					}
				}
			}
			for _, rg := range [][2]uint64{{0, uint64(len(want))}, {12, 13}, {15, 70}, {51, 53}, {49, 50}} {
				hs, err := f.log.LeafHashes(ctx, rg[0], rg[1])
				if err != nil {
					t.Fatalf("LeafHashes %v: %v", rg, err)
				}
				for i, h := range hs {
					if h != want[rg[0]+uint64(i)].Hash {
						t.Errorf("LeafHashes %v: hash of %d differs", rg, rg[0]+uint64(i))
					}
				}
			}
			for _, r := range want {
				leaf, err := f.log.Leaf(ctx, r.Index)
				if err != nil || string(leaf) != r.Leaf {
					t.Errorf("Leaf(%d) = %q, %v; want %q", r.Index, leaf, err, r.Leaf)
				}
			}
			if _, err := f.log.Leaf(ctx, uint64(len(want))); jukinet.ErrorKind(err) != jukinet.KindNotFound {
				t.Errorf("Leaf beyond the end: %v, want not found", err)
			}
			for _, idx := range []uint64{11, 30, 50, 56, uint64(len(want)) - 7} {
				p, err := oplog.Prove(ctx, f.log, idx)
				if err != nil {
					t.Fatalf("prove %d: %v", idx, err)
				}
				if err := oplog.VerifyProof(p, f.logKey, f.witKey); err != nil {
					t.Errorf("proof of %d inside a run: %v", idx, err)
				}
			}
			if r := f.verify(t); !r.OK() {
				t.Fatalf("verify: %v", r.Failure)
			}
		})
	}
}

// runRow reads the row holding index idx.
func runRow(t *testing.T, db *store.DB, idx int) (start, run int64, leaves, hashes []byte) {
	t.Helper()
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT idx, run, leaf, leaf_hash FROM oplog WHERE idx <= $1 ORDER BY idx DESC LIMIT 1`, idx).Scan(&start, &run, &leaves, &hashes); err != nil {
		t.Fatal(err)
	}
	if run < 2 {
		t.Fatalf("record %d is not inside a run", idx)
	}
	return start, run, leaves, hashes
}

// rewriteRun rewrites the run holding idx: edit gets its records and their
// hashes and returns new ones, written back in the run layout.
func rewriteRun(t *testing.T, db *store.DB, idx int, edit func(start int64, recs []store.LogRecord, hashes [][]byte) ([]store.LogRecord, [][]byte)) {
	t.Helper()
	start, run, leafCol, hashCol := runRow(t, db, idx)
	var recs []store.LogRecord
	var hashes [][]byte
	if err := store.RunRecords(uint64(start), leafCol, hashCol, int(run), func(_ int, l, h []byte) bool {
		r, err := store.DecodeLogRecord(l)
		if err != nil {
			t.Fatal(err)
		}
		recs, hashes = append(recs, r), append(hashes, h)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	recs, hashes = edit(start, recs, hashes)
	var hc []byte
	for _, h := range hashes {
		hc = append(hc, h...)
	}
	if _, err := db.Bookkeeping(store.Inspect).Exec(`UPDATE oplog SET leaf = $1, leaf_hash = $2 WHERE idx = $3`, store.EncodeRun(recs), hc, start); err != nil {
		t.Fatal(err)
	}
}

// G15: changing, deleting, inserting or reordering records stored inside
// a run is caught by verify, naming the first bad record.
func TestVerifyCatchesTamperingInRuns(t *testing.T) {
	for _, tc := range []struct {
		name      string
		tamper    func(t *testing.T, db *store.DB)
		wantIndex uint64
		wantWhy   oplog.Reason
	}{
		{"changed record", func(t *testing.T, db *store.DB) {
			rewriteRun(t, db, 30, func(start int64, r []store.LogRecord, h [][]byte) ([]store.LogRecord, [][]byte) {
				r[30-start].Detail = "forged " + r[30-start].Detail
				return r, h
			})
		}, 30, oplog.ReasonChangedLeaf},
		{"changed record and hash", func(t *testing.T, db *store.DB) {
			rewriteRun(t, db, 30, func(start int64, r []store.LogRecord, h [][]byte) ([]store.LogRecord, [][]byte) {
				r[30-start].Detail = "forged " + r[30-start].Detail
				lh := store.LeafHash(r[30-start].Leaf())
				h[30-start] = lh[:]
				return r, h
			})
		}, 0, oplog.ReasonRootMismatch},
		{"swapped records", func(t *testing.T, db *store.DB) {
			// Each record takes the other's place with its hash: the
			// position gives the index, so the rebuilt leaves change.
			rewriteRun(t, db, 30, func(start int64, r []store.LogRecord, h [][]byte) ([]store.LogRecord, [][]byte) {
				a, b := 30-start, 31-start
				r[a], r[b], h[a], h[b] = r[b], r[a], h[b], h[a]
				return r, h
			})
		}, 30, oplog.ReasonChangedLeaf},
		{"deleted record", func(t *testing.T, db *store.DB) {
			rewriteRun(t, db, 30, func(start int64, r []store.LogRecord, h [][]byte) ([]store.LogRecord, [][]byte) {
				a := 30 - start
				return append(r[:a:a], r[a+1:]...), append(h[:a:a], h[a+1:]...)
			})
			db.Bookkeeping(store.Inspect).Exec(`UPDATE oplog SET run = run - 1 WHERE idx = (SELECT MAX(idx) FROM oplog WHERE idx <= 30)`)
		}, 30, oplog.ReasonChangedLeaf},
		{"run length changed", func(t *testing.T, db *store.DB) {
			db.Bookkeeping(store.Inspect).Exec(`UPDATE oplog SET run = run + 1 WHERE idx = (SELECT MAX(idx) FROM oplog WHERE idx <= 30)`)
		}, 11, oplog.ReasonChangedLeaf},
		{"deleted run", func(t *testing.T, db *store.DB) {
			db.Bookkeeping(store.Inspect).Exec(`DELETE FROM oplog WHERE idx = (SELECT MAX(idx) FROM oplog WHERE idx <= 30)`)
		}, 11, oplog.ReasonMissingIndex},
		{"plain row's hash forged as the chunk reader's run marker", func(t *testing.T, db *store.DB) {
			db.Bookkeeping(store.Inspect).Exec(`UPDATE oplog SET leaf_hash = $1 WHERE idx = 5`, []byte("jukinet run row marker ---------"))
		}, 5, oplog.ReasonChangedLeaf},
		{"cut leaves", func(t *testing.T, db *store.DB) {
			_, _, leaves, _ := runRow(t, db, 30)
			db.Bookkeeping(store.Inspect).Exec(`UPDATE oplog SET leaf = $1 WHERE idx = (SELECT MAX(idx) FROM oplog WHERE idx <= 30)`, leaves[:len(leaves)/2])
		}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, e := range storetest.Engines() {
				t.Run(string(e), func(t *testing.T) {
					f := runLog(t, e)
					if r := f.verify(t); !r.OK() {
						t.Fatalf("before tampering: %v", r.Failure)
					}
					dropGuards(t, f.db)
					tc.tamper(t, f.db)
					r := f.verify(t)
					if r.OK() {
						t.Fatalf("after %s: verify passed", tc.name)
					}
					if tc.wantWhy == 0 { // cut: the first record whose bytes are gone
						start, _, _, _ := runRow(t, f.db, 30)
						if r.Failure.Index <= uint64(start) || r.Failure.Index > 50 || r.Failure.Reason != oplog.ReasonChangedLeaf {
							t.Fatalf("after %s: failure %v, want a changed leaf inside the run", tc.name, r.Failure)
						}
						return
					}
					if r.Failure.Index != tc.wantIndex || r.Failure.Reason != tc.wantWhy {
						t.Fatalf("after %s: failure %v, want index %d (%s)", tc.name, r.Failure, tc.wantIndex, tc.wantWhy)
					}
				})
			}
		})
	}
}

// The resident index of runs is keyed by 64 bits of the subject token: a
// key shared by two residents (a 1-in-2^64 chance, forced here) never
// gives one resident the other's records, because the query compares each
// record's own subject.
func TestResidentKeyCollisionFiltered(t *testing.T) {
	storetest.Run(t, node, func(t *testing.T, db *store.DB) {
		f := attach(t, db, nil)
		f.appendMessages(t, 40, 0)
		auditor := jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: "AUD", OperatorID: "AUD", Authority: jukinet.AuthorityAudit, Terminal: "T9"})
		const a, b = "30000000001", "39999999999"
		before, err := oplog.Query(auditor, db, oplog.Filter{Resident: a})
		if err != nil || len(before) == 0 {
			t.Fatalf("query %s: %d entries, %v", a, len(before), err)
		}
		if got := store.SubjectKey(db.SubjectToken(a)); got == 0 || fmt.Sprintf("%016x", uint64(got)) != db.SubjectToken(a)[:16] {
			t.Fatalf("SubjectKey(%s) = %x, want the token's first 16 hex digits", db.SubjectToken(a), got)
		}
		// b's key pointing at a's record inside the run.
		if _, err := db.Bookkeeping(store.Inspect).Exec(`INSERT INTO oplog_resident (subject_key, idx) VALUES ($1, $2)`, store.SubjectKey(db.SubjectToken(b)), int64(before[0].Index)); err != nil {
			t.Fatal(err)
		}
		got, err := oplog.Query(auditor, db, oplog.Filter{Resident: b})
		if err != nil || len(got) != 0 {
			t.Fatalf("query %s after a forced key collision: %v, %v; want no entries", b, got, err)
		}
		after, err := oplog.Query(auditor, db, oplog.Filter{Resident: a})
		if err != nil || len(after) != len(before)+1 { // +1: the first query's own record names a
			t.Fatalf("query %s: %d entries, %v; want %d", a, len(after), err, len(before)+1)
		}
	})
}
