package oplog_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
	"golang.org/x/mod/sumdb/note"
)

const node = "352063"

var origin = oplog.Origin("jukinet.example", node)

func key(t testing.TB, name string) (note.Signer, note.Verifier) {
	t.Helper()
	seed := sha256.Sum256([]byte("test key " + name))
	priv := ed25519.NewKeyFromSeed(seed[:])
	s, err := oplog.NewSigner(name, priv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := oplog.NewVerifier(name, priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

// clock is an injectable, settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

type fixture struct {
	db        *store.DB
	log       *oplog.SQLLog
	cp        *oplog.Checkpointer
	logKey    note.Verifier
	witKey    note.Verifier
	logSigner note.Signer
	clock     *clock
}

func (f *fixture) verifier() oplog.Verifier {
	return oplog.Verifier{Origin: origin, Log: f.logKey, Witnesses: []note.Verifier{f.witKey}}
}

var operator = jukinet.Actor{CollationID: "C001", OperatorID: "OP1", Authority: jukinet.AuthorityLookup, Terminal: "T1"}

func newFixture(t *testing.T, e store.Engine) *fixture {
	t.Helper()
	c := &clock{t: time.Date(2026, 10, 5, 10, 0, 0, 0, jukinet.JST)}
	db := storetest.OpenWith(t, e, node, storetest.Options{Now: c.now})
	return attach(t, db, c)
}

func attach(t *testing.T, db *store.DB, c *clock) *fixture {
	t.Helper()
	logSigner, logKey := key(t, origin)
	witSigner, witKey := key(t, "prefecture-35")
	w, err := oplog.NewSQLWitness(db, witSigner, map[string]note.Verifier{origin: logKey})
	if err != nil {
		t.Fatal(err)
	}
	l := oplog.NewSQLLog(db)
	oplog.SetRowsChunk(l, 16) // small test logs read in parallel chunks too
	cp, err := oplog.NewCheckpointer(l, oplog.CheckpointerConfig{Origin: origin, Signer: logSigner, Witness: w, EveryRecords: 5, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{db: db, log: l, cp: cp, logKey: logKey, witKey: witKey, logSigner: logSigner, clock: c}
}

// appendRecords adds n lookups of distinct residents (one transaction of n log records).
func (f *fixture) appendRecords(t *testing.T, a jukinet.Actor, n int, purpose string) {
	t.Helper()
	ctx := jukinet.WithActor(context.Background(), a)
	err := f.db.Update(ctx, store.Op{Operation: jukinet.OpResidentRead, Subject: "10000000001", Purpose: purpose}, func(tx *store.Tx) error {
		for i := 1; i < n; i++ {
			tx.Log(jukinet.OpResidentRead, fmt.Sprintf("%011d", 20000000000+i), "ok", "")
		}
		return nil
	})
	if err != nil {
		t.Fatalf("append %d records: %v", n, err)
	}
}

func (f *fixture) checkpoint(t *testing.T) oplog.StoredCheckpoint {
	t.Helper()
	c, err := f.cp.Checkpoint(context.Background())
	if err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	return c
}

func (f *fixture) verify(t *testing.T) oplog.Report {
	t.Helper()
	r, err := f.log.Verify(context.Background(), f.verifier())
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return r
}

func TestCheckpointsCosignedAndVerify(t *testing.T) {
	storetest.Run(t, node, func(t *testing.T, db *store.DB) {
		f := attach(t, db, nil)
		f.appendRecords(t, operator, 300, "case 1")
		c1 := f.checkpoint(t)
		if c1.Size != 300 || !c1.Cosigned {
			t.Fatalf("first checkpoint: size %d cosigned %v, want 300 true", c1.Size, c1.Cosigned)
		}
		if _, err := oplog.ParseCheckpoint(c1.Note, f.logKey, f.witKey); err != nil {
			t.Fatalf("stored note does not carry both signatures: %v", err)
		}
		f.appendRecords(t, operator, 40, "case 2")
		c2 := f.checkpoint(t)
		if c2.Size != 340 || !c2.Cosigned {
			t.Fatalf("second checkpoint: size %d cosigned %v, want 340 true", c2.Size, c2.Cosigned)
		}
		var nodes int
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM oplog_node WHERE level = 8`).Scan(&nodes); err != nil {
			t.Fatal(err)
		}
		if nodes != 1 {
			t.Errorf("level-8 nodes: got %d, want 1", nodes)
		}
		f.appendRecords(t, operator, 3, "case 3") // after the last checkpoint: unproven but fine
		r := f.verify(t)
		if !r.OK() || r.Rows != 343 || r.Verified != 340 || r.Checkpoints != 2 {
			t.Fatalf("verify intact log: %+v, want ok, 343 rows, 340 verified, 2 checkpoints", r)
		}

		// Restart: a new checkpointer resumes from the stored tree state.
		g := attach(t, db, nil)
		c3 := g.checkpoint(t)
		if c3.Size != 343 || !c3.Cosigned {
			t.Fatalf("after restart: size %d cosigned %v, want 343 true", c3.Size, c3.Cosigned)
		}
		if r := g.verify(t); !r.OK() || r.Verified != 343 {
			t.Fatalf("verify after restart: %+v", r)
		}
	})
}

func TestCheckpointerRunOnRecordCount(t *testing.T) {
	db := storetest.Open(t, store.SQLite, node)
	f := attach(t, db, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.cp.Run(ctx, func(err error) { t.Error(err) }) }()
	f.appendRecords(t, operator, 6, "case")
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, ok, err := f.log.LatestCheckpoint(context.Background(), true)
		if err != nil {
			t.Fatal(err)
		}
		if ok && c.Size == 6 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no cosigned checkpoint of size 6 after 6 records with EveryRecords 5")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
}

func TestWitnessStoreCompareAndSwap(t *testing.T) {
	storetest.Run(t, node, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := oplog.NewSQLWitnessStore(db)
		a := oplog.WitnessState{Size: 1, Root: oplog.Hash{1}}
		b := oplog.WitnessState{Size: 2, Root: oplog.Hash{2}}
		if err := s.SetWitnessState(ctx, origin, nil, a); err != nil {
			t.Fatalf("first set: %v", err)
		}
		if err := s.SetWitnessState(ctx, origin, nil, b); jukinet.ErrorKind(err) != jukinet.KindConflict {
			t.Errorf("set with old=nil over a stored state: got %v, want a conflict", err)
		}
		if err := s.SetWitnessState(ctx, origin, &b, a); jukinet.ErrorKind(err) != jukinet.KindConflict {
			t.Errorf("set with a stale old: got %v, want a conflict", err)
		}
		if err := s.SetWitnessState(ctx, origin, &a, b); err != nil {
			t.Errorf("set with the right old: %v", err)
		}
		got, ok, err := s.WitnessState(ctx, origin)
		if err != nil || !ok || got != b {
			t.Errorf("state: got %+v %v %v, want %+v", got, ok, err, b)
		}
	})
}

// dropGuards is what an attacker with database access does first.
func dropGuards(t *testing.T, db *store.DB) {
	t.Helper()
	stmts := []string{`DROP TRIGGER oplog_no_update`, `DROP TRIGGER oplog_no_delete`}
	if db.Engine() == store.Postgres {
		stmts = []string{`DROP TRIGGER oplog_no_update ON oplog`}
	}
	for _, s := range stmts {
		if _, err := db.Bookkeeping(store.Inspect).Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestVerifyCatchesTampering(t *testing.T) {
	leafOf := func(t *testing.T, db *store.DB, idx int) []byte {
		var b []byte
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT leaf FROM oplog WHERE idx = $1`, idx).Scan(&b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name      string
		tamper    func(t *testing.T, db *store.DB)
		wantIndex uint64
		wantWhy   oplog.Reason
	}{
		{"changed leaf", func(t *testing.T, db *store.DB) {
			leaf := bytes.Replace(leafOf(t, db, 123), []byte(`"result":"ok"`), []byte(`"result":"no"`), 1)
			db.Bookkeeping(store.Inspect).Exec(`UPDATE oplog SET leaf = $1 WHERE idx = 123`, leaf)
		}, 123, oplog.ReasonChangedLeaf},
		{"changed leaf and hash", func(t *testing.T, db *store.DB) {
			leaf := bytes.Replace(leafOf(t, db, 123), []byte(`"result":"ok"`), []byte(`"result":"no"`), 1)
			h := store.LeafHash(leaf)
			// Every stored value of the row agrees (the result column too):
			// only the checkpoint can tell.
			db.Bookkeeping(store.Inspect).Exec(`UPDATE oplog SET leaf = $1, leaf_hash = $2, result = 'no' WHERE idx = 123`, leaf, h[:])
		}, 0, oplog.ReasonRootMismatch},
		{"deleted row", func(t *testing.T, db *store.DB) {
			db.Bookkeeping(store.Inspect).Exec(`DELETE FROM oplog WHERE idx = 77`)
		}, 77, oplog.ReasonMissingIndex},
		{"inserted row", func(t *testing.T, db *store.DB) {
			// Shift rows 50… up by one and put a forged copy of row 49 at 50.
			db.Bookkeeping(store.Inspect).Exec(`UPDATE oplog SET idx = idx + 1000000 WHERE idx >= 50`)
			db.Bookkeeping(store.Inspect).Exec(`UPDATE oplog SET idx = idx - 999999 WHERE idx >= 1000000`)
			db.Bookkeeping(store.Inspect).Exec(`INSERT INTO oplog SELECT 50, time, collation_id, operator_id, authority, terminal, principal, operation, subject, purpose, result, policy_version, leaf, leaf_hash, run, client_addr FROM oplog WHERE idx = 49`)
		}, 50, oplog.ReasonBadLeaf},
		{"reordered rows", func(t *testing.T, db *store.DB) {
			db.Bookkeeping(store.Inspect).Exec(`UPDATE oplog SET idx = -1 WHERE idx = 10`)
			db.Bookkeeping(store.Inspect).Exec(`UPDATE oplog SET idx = 10 WHERE idx = 11`)
			db.Bookkeeping(store.Inspect).Exec(`UPDATE oplog SET idx = 11 WHERE idx = -1`)
		}, 10, oplog.ReasonBadLeaf},
		{"changed checkpoint", func(t *testing.T, db *store.DB) {
			var n []byte
			if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT note FROM oplog_checkpoint WHERE size = 300`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			n = bytes.Replace(n, []byte("\n300\n"), []byte("\n299\n"), 1)
			db.Bookkeeping(store.Inspect).Exec(`UPDATE oplog_checkpoint SET note = $1 WHERE size = 300`, n)
		}, 0, oplog.ReasonBadSignature},
		{"deleted tail", func(t *testing.T, db *store.DB) {
			db.Bookkeeping(store.Inspect).Exec(`DELETE FROM oplog WHERE idx >= 280`)
		}, 280, oplog.ReasonMissingRows},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, e := range storetest.Engines() {
				t.Run(string(e), func(t *testing.T) {
					f := newFixture(t, e)
					f.appendRecords(t, operator, 300, "case")
					f.checkpoint(t)
					if r := f.verify(t); !r.OK() {
						t.Fatalf("before tampering: %v", r.Failure)
					}
					dropGuards(t, f.db)
					tc.tamper(t, f.db)
					r := f.verify(t)
					if r.OK() || r.Failure.Index != tc.wantIndex || r.Failure.Reason != tc.wantWhy {
						t.Fatalf("after %s: failure %v, want index %d (%s)", tc.name, r.Failure, tc.wantIndex, tc.wantWhy)
					}
				})
			}
		})
	}
}

// TestRowsMatchOneQuery checks that Rows, reading chunks on two
// connections, streams exactly what one ordered query does, whatever was
// done to the table, from any start, and stops when the caller stops.
func TestRowsMatchOneQuery(t *testing.T) {
	type got struct {
		Index uint64
		Leaf  string
		Hash  oplog.Hash
	}
	oneQuery := func(t *testing.T, db *store.DB, from uint64) []got {
		rows, err := db.Bookkeeping(store.Inspect).Query(`SELECT idx, leaf, leaf_hash FROM oplog WHERE idx >= $1 ORDER BY idx`, int64(from))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []got
		for rows.Next() {
			var idx int64
			var leaf, h []byte
			if err := rows.Scan(&idx, &leaf, &h); err != nil {
				t.Fatal(err)
			}
			g := got{Index: uint64(idx), Leaf: string(leaf)}
			if len(h) == 32 {
				g.Hash = oplog.Hash(h)
			}
			out = append(out, g)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	copyRow := func(to, from int) string {
		return fmt.Sprintf(`INSERT INTO oplog SELECT %d, time, collation_id, operator_id, authority, terminal, principal, operation, subject, purpose, result, policy_version, leaf, leaf_hash, run, client_addr FROM oplog WHERE idx = %d`, to, from)
	}
	for _, tc := range []struct {
		name   string
		tamper []string
	}{
		{"untouched", nil},
		{"deleted row at a chunk start", []string{`DELETE FROM oplog WHERE idx = 32`}},
		{"deleted row inside a chunk", []string{`DELETE FROM oplog WHERE idx = 41`}},
		{"deleted tail", []string{`DELETE FROM oplog WHERE idx >= 64`}},
		{"row far beyond the end", []string{copyRow(1<<40, 3)}},
		{"row at the largest index", []string{copyRow(1<<63-1, 3)}},
		{"negative index", []string{copyRow(-5, 3)}},
		{"short hash", []string{`UPDATE oplog SET leaf_hash = substr(leaf_hash, 1, 1) WHERE idx = 20`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, e := range storetest.Engines() {
				t.Run(string(e), func(t *testing.T) {
					f := newFixture(t, e)
					f.appendRecords(t, operator, 100, "case")
					dropGuards(t, f.db)
					for _, q := range tc.tamper {
						if _, err := f.db.Bookkeeping(store.Inspect).Exec(q); err != nil {
							t.Fatalf("%s: %v", q, err)
						}
					}
					for _, chunk := range []uint64{1, 7, 1 << 20} {
						oplog.SetRowsChunk(f.log, chunk)
						for _, from := range []uint64{0, 5, 100} {
							var stream []got
							for r, err := range f.log.Rows(context.Background(), from) {
								if err != nil {
									t.Fatalf("chunk %d, from %d: %v", chunk, from, err)
								}
								stream = append(stream, got{Index: r.Index, Leaf: string(r.Leaf), Hash: r.LeafHash})
							}
							if diff := cmp.Diff(oneQuery(t, f.db, from), stream); diff != "" {
								t.Errorf("chunk %d, from %d: Rows differs from one query (-want +got):\n%s", chunk, from, diff)
							}
							// Stopping early ends the readers (Rows returns).
							n := 0
							for range f.log.Rows(context.Background(), from) {
								if n++; n == 20 {
									break
								}
							}
						}
					}
				})
			}
		})
	}
}

func TestProofOffline(t *testing.T) {
	storetest.Run(t, node, func(t *testing.T, db *store.DB) {
		f := attach(t, db, nil)
		f.appendRecords(t, operator, 600, "case")
		cp := f.checkpoint(t)
		ctx := context.Background()
		for _, idx := range []uint64{0, 255, 256, 599} {
			p, err := oplog.Prove(ctx, f.log, idx)
			if err != nil {
				t.Fatalf("prove %d: %v", idx, err)
			}
			if p.Size != cp.Size {
				t.Errorf("prove %d: size %d, want %d", idx, p.Size, cp.Size)
			}
			if err := oplog.VerifyProof(p, f.logKey, f.witKey); err != nil {
				t.Errorf("verify proof %d: %v", idx, err)
			}
			p.Leaf = bytes.Replace(p.Leaf, []byte(`"ok"`), []byte(`"no"`), 1)
			if err := oplog.VerifyProof(p, f.logKey, f.witKey); err == nil {
				t.Errorf("proof %d with a changed leaf verified", idx)
			}
		}
		if _, err := oplog.Prove(ctx, f.log, 600); jukinet.ErrorKind(err) != jukinet.KindNotFound {
			t.Errorf("prove beyond the checkpoint: got %v, want not found", err)
		}
	})
}

// A checkpoint covers the records as their transactions appended them (the
// hashes are handed over in memory), not as the database holds them when it
// is taken: a row rewritten in between — leaf and hash consistently — is
// caught by verify instead of being signed. After a restart (nothing handed
// over) the checkpoint reads the rows, and an untouched log verifies.
func TestCheckpointCoversWhatWasAppended(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := newFixture(t, e)
			f.appendRecords(t, operator, 300, "case")
			dropGuards(t, f.db)
			var leaf []byte
			if err := f.db.Bookkeeping(store.Inspect).QueryRow(`SELECT leaf FROM oplog WHERE idx = 123`).Scan(&leaf); err != nil {
				t.Fatal(err)
			}
			forged := bytes.Replace(leaf, []byte(`"result":"ok"`), []byte(`"result":"no"`), 1)
			fh := store.LeafHash(forged)
			if _, err := f.db.Bookkeeping(store.Inspect).Exec(`UPDATE oplog SET leaf = $1, leaf_hash = $2, result = 'no' WHERE idx = 123`, forged, fh[:]); err != nil {
				t.Fatal(err)
			}
			if c := f.checkpoint(t); c.Size != 300 {
				t.Fatalf("checkpoint of %d records, want 300", c.Size)
			}
			if r := f.verify(t); r.OK() || r.Failure.Reason != oplog.ReasonRootMismatch {
				t.Fatalf("a row rewritten before the checkpoint: verify %v; want the root mismatch", r.Failure)
			}
		})
	}
	storetest.Run(t, node, func(t *testing.T, db *store.DB) {
		f := attach(t, db, nil)
		f.appendRecords(t, operator, 200, "case")
		g := attach(t, db, nil) // a restarted node: nothing handed over
		size, err := g.log.Size(context.Background())
		if err != nil || size < 200 {
			t.Fatalf("log size %d, %v", size, err)
		}
		if c, err := g.cp.Checkpoint(context.Background()); err != nil || c.Size != size {
			t.Fatalf("checkpoint after a restart: size %d, %v; want %d", c.Size, err, size)
		}
		if r := g.verify(t); !r.OK() {
			t.Fatalf("verify after a restart: %v", r.Failure)
		}
	})
}
