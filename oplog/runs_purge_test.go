package oplog_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// The retention purge and month bounds on a log whose per-message records
// are stored as record runs (store/logrun.go): every record is purged,
// kept as a hash and bounded one by one, as if it had its own row (G15).

var purgeAdmin = jukinet.Actor{CollationID: "ADM", OperatorID: "ADM1", Authority: jukinet.AuthorityAccessAdmin, Terminal: "T-ADM"}

// appendRun adds one transaction of the network's system principal: its main
// record (a plain row) and n received messages' records, stored as runs (cut
// at multiples of store.RunAlign). Every fourth message has no resident.
func (f *fixture) appendRun(t *testing.T, n int) {
	t.Helper()
	ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("network"))
	err := f.db.Update(ctx, store.Op{Operation: jukinet.OpNetworkReceive, Detail: "batch"}, func(tx *store.Tx) error {
		for i := range n {
			subject := fmt.Sprintf("%011d", 30000000000+i)
			if i%4 == 3 {
				subject = ""
			}
			tx.Log(jukinet.OpNetworkReceive, subject, "applied", "message")
		}
		return nil
	})
	if err != nil {
		t.Fatalf("append a run of %d records: %v", n, err)
	}
}

// rowRuns maps each oplog row's first index to its run length.
func rowRuns(t *testing.T, db *store.DB) map[uint64]int64 {
	t.Helper()
	rows, err := db.Bookkeeping(store.Inspect).Query(`SELECT idx, run FROM oplog ORDER BY idx`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[uint64]int64{}
	for rows.Next() {
		var idx, run int64
		if err := rows.Scan(&idx, &run); err != nil {
			t.Fatal(err)
		}
		out[uint64(idx)] = run
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func count(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Bookkeeping(store.Inspect).QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// firstAt is the index of the first record at or after tm (len(recs) if none).
func firstAt(recs []store.LogRecord, tm time.Time) uint64 {
	for _, r := range recs {
		if r.Time >= tm.UnixMicro() {
			return r.Index
		}
	}
	return uint64(len(recs))
}

func sealMonths(t *testing.T, f *fixture, months ...string) {
	t.Helper()
	audit := jukinet.WithActor(context.Background(), auditor)
	for _, m := range months {
		if _, err := oplog.SealMonth(audit, f.log, m, &bytes.Buffer{}, f.logSigner, f.logKey, f.witKey); err != nil {
			t.Fatalf("seal %s: %v", m, err)
		}
	}
}

// checkPurgedHashes checks that oplog_purged_hash holds exactly one row per
// record of [0, before), each the record's leaf hash as appended.
func checkPurgedHashes(t *testing.T, db *store.DB, recs []store.LogRecord, before uint64) {
	t.Helper()
	rows, err := db.Bookkeeping(store.Inspect).Query(`SELECT idx, leaf_hash FROM oplog_purged_hash ORDER BY idx`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	next := uint64(0)
	for rows.Next() {
		var idx int64
		var h []byte
		if err := rows.Scan(&idx, &h); err != nil {
			t.Fatal(err)
		}
		if uint64(idx) != next {
			t.Fatalf("purged hash at index %d, want %d (one row per record)", idx, next)
		}
		if !bytes.Equal(h, recs[idx].Hash) {
			t.Fatalf("purged hash of record %d is %d bytes %.32x…, want its 32-byte leaf hash %x", idx, len(h), h, recs[idx].Hash)
		}
		next++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if next != before {
		t.Errorf("oplog_purged_hash holds records [0, %d), want [0, %d)", next, before)
	}
}

// proveRecord proves a retained record against the latest cosigned
// checkpoint and checks the proof offline.
func proveRecord(t *testing.T, f *fixture, rec store.LogRecord) {
	t.Helper()
	p, err := oplog.Prove(context.Background(), f.log, rec.Index)
	if err != nil {
		t.Errorf("prove retained record %d: %v", rec.Index, err)
		return
	}
	if h := oplog.LeafHash(p.Leaf); !bytes.Equal(h[:], rec.Hash) {
		t.Errorf("proof of record %d carries a leaf hashing to %x, want %x", rec.Index, h, rec.Hash)
	}
	if err := oplog.VerifyProof(p, f.logKey, f.witKey); err != nil {
		t.Errorf("proof of retained record %d: %v", rec.Index, err)
	}
}

// G15: a purge of months holding runs keeps one hash per record, deletes the
// records' resident index rows with them, and leaves a log that verifies and
// proves its retained records, also inside runs, through a second purge too.
func TestPurgeRecordRuns(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := newFixture(t, e)
			ctx := context.Background()
			f.clock.set(time.Date(2018, 1, 10, 10, 0, 0, 0, jukinet.JST))
			f.appendRecords(t, operator, 3, "case")
			f.appendRun(t, 100)
			f.appendRun(t, 300)
			f.clock.set(time.Date(2018, 2, 10, 10, 0, 0, 0, jukinet.JST))
			f.appendRun(t, 4200) // crosses index 4096: two runs
			f.appendRecords(t, operator, 2, "case")
			f.clock.set(time.Date(2018, 3, 10, 10, 0, 0, 0, jukinet.JST))
			f.appendRun(t, 50)
			f.appendRecords(t, operator, 2, "case")
			f.clock.set(time.Date(2018, 4, 2, 10, 0, 0, 0, jukinet.JST))
			f.checkpoint(t)
			sealMonths(t, f, "2018-01", "2018-02")

			recs := storetest.Records(t, f.db, nil)
			runs := rowRuns(t, f.db)
			march := firstAt(recs, time.Date(2018, 3, 1, 0, 0, 0, 0, jukinet.JST))
			var runsBefore, runsAfter int
			for idx, n := range runs {
				if n > 1 && idx < march {
					runsBefore++
				} else if n > 1 {
					runsAfter++
				}
			}
			if runsBefore < 4 || runsAfter < 1 || runs[4096] <= 1 {
				t.Fatalf("the log holds %d runs before March and %d after, and the row at 4096 has run %d: want ≥ 4, ≥ 1 and a run starting at 4096",
					runsBefore, runsAfter, runs[4096])
			}
			residentsKept := count(t, f.db, `SELECT COUNT(*) FROM oplog_resident WHERE idx >= $1`, int64(march))
			if count(t, f.db, `SELECT COUNT(*) FROM oplog_resident WHERE idx < $1`, int64(march)) == 0 || residentsKept == 0 {
				t.Fatal("no resident index rows on both sides of the bound")
			}

			f.clock.set(time.Date(2026, 1, 5, 10, 0, 0, 0, jukinet.JST))
			purge := jukinet.WithActor(ctx, purgeAdmin)
			res, err := oplog.Purge(purge, f.log, "2018-03")
			if err != nil {
				t.Fatalf("purge before 2018-03: %v", err)
			}
			if res.From != 0 || res.Before != march || len(res.Months) != 2 {
				t.Fatalf("purge: %+v, want [0, %d) of 2 months", res, march)
			}
			checkPurgedHashes(t, f.db, recs, march)
			if n := count(t, f.db, `SELECT COUNT(*) FROM oplog WHERE idx < $1`, int64(march)); n != 0 {
				t.Errorf("%d purged rows remain", n)
			}
			if n := count(t, f.db, `SELECT COUNT(*) FROM oplog_resident WHERE idx < $1`, int64(march)); n != 0 {
				t.Errorf("%d resident index rows of purged records remain", n)
			}
			if n := count(t, f.db, `SELECT COUNT(*) FROM oplog_resident WHERE idx >= $1`, int64(march)); n != residentsKept {
				t.Errorf("%d resident index rows of retained records, want %d", n, residentsKept)
			}
			if n := count(t, f.db, `SELECT COUNT(*) FROM oplog_purge_allowed`); n != 0 {
				t.Errorf("the purge guard is still lifted: %d rows in oplog_purge_allowed", n)
			}
			if _, err := f.db.Bookkeeping(store.Inspect).Exec(`DELETE FROM oplog_resident`); err == nil {
				t.Error("DELETE FROM oplog_resident outside a purge succeeded")
			}
			if n := count(t, f.db, `SELECT COUNT(*) FROM oplog_resident`); n != residentsKept {
				t.Errorf("%d resident index rows after a refused DELETE, want %d", n, residentsKept)
			}

			// The hashes of every record, purged (from oplog_purged_hash) or
			// retained, as appended.
			hashes, err := f.log.LeafHashes(ctx, 0, uint64(len(recs)))
			if err != nil {
				t.Fatalf("leaf hashes after purge: %v", err)
			}
			for i, h := range hashes {
				if !bytes.Equal(h[:], recs[i].Hash) {
					t.Fatalf("leaf hash %d after purge is %x, want %x", i, h, recs[i].Hash)
				}
			}
			f.checkpoint(t)
			size, _ := f.log.Size(ctx)
			// Rows counts from 0: the purge's tree stands for [0, march).
			if r := f.verify(t); !r.OK() || r.Rows != size || r.Verified != size {
				t.Fatalf("verify after purge: %d rows, %d verified, failure %v; want ok up to %d", r.Rows, r.Verified, r.Failure, size)
			}
			// The first retained record, records inside the retained run (their
			// audit paths use the purged runs' hashes of the same subtree) and
			// the last of March.
			for _, i := range []uint64{march, march + 1, march + 2, march + 37, march + 50, march + 52} {
				proveRecord(t, f, recs[i])
			}
			if _, err := oplog.Prove(ctx, f.log, march-5); jukinet.ErrorKind(err) != jukinet.KindNotFound {
				t.Errorf("prove a purged record inside a run: got %v, want not found", err)
			}

			// A second purge starts where the first ended.
			sealMonths(t, f, "2018-03")
			all := storetest.Records(t, f.db, nil)
			recs = append(recs[:march:march], all...)
			april := firstAt(recs, time.Date(2018, 4, 1, 0, 0, 0, 0, jukinet.JST))
			res, err = oplog.Purge(purge, f.log, "2018-04")
			if err != nil {
				t.Fatalf("second purge before 2018-04: %v", err)
			}
			if res.From != march || res.Before != april {
				t.Fatalf("second purge: %+v, want [%d, %d)", res, march, april)
			}
			checkPurgedHashes(t, f.db, recs, april)
			if n := count(t, f.db, `SELECT COUNT(*) FROM oplog_resident`); n != 0 {
				t.Errorf("%d resident index rows remain after purging every record that had one", n)
			}
			f.checkpoint(t)
			if r := f.verify(t); !r.OK() {
				t.Fatalf("verify after the second purge: %v", r.Failure)
			}
			proveRecord(t, f, recs[april])
		})
	}
}

// G15: oplog_resident rows can be deleted only under the purge guard, only
// below its bound, and never updated.
func TestResidentIndexDeletableOnlyInPurge(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := newFixture(t, e)
			f.appendRun(t, 20) // records 1..20, 15 with a resident
			total := count(t, f.db, `SELECT COUNT(*) FROM oplog_resident`)
			if total != 15 {
				t.Fatalf("%d resident index rows, want 15", total)
			}
			for _, q := range []string{
				`DELETE FROM oplog_resident`,
				`DELETE FROM oplog_resident WHERE idx = 1`,
				`UPDATE oplog_resident SET idx = idx + 1000`,
			} {
				if _, err := f.db.Bookkeeping(store.Inspect).Exec(q); err == nil {
					t.Errorf("%s outside a purge succeeded", q)
				}
			}
			ctx := context.Background()
			tx, err := f.db.Bookkeeping(store.Inspect).BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if _, err := tx.Exec(`INSERT INTO oplog_purge_allowed (before_idx) VALUES (5)`); err != nil {
				t.Fatal(err)
			}
			r, err := tx.Exec(`DELETE FROM oplog_resident WHERE idx < 5`)
			if err != nil {
				t.Fatalf("DELETE below the guard's bound: %v", err)
			}
			if n, _ := r.RowsAffected(); n != 3 {
				t.Errorf("DELETE below the guard's bound removed %d rows, want 3 (records 1..3; 4 has no resident)", n)
			}
			if _, err := tx.Exec(`DELETE FROM oplog_resident WHERE idx = 5`); err == nil {
				t.Error("DELETE at the guard's bound succeeded")
			}
			tx.Rollback()
			if n := count(t, f.db, `SELECT COUNT(*) FROM oplog_resident`); n != total {
				t.Errorf("%d resident index rows after the rolled-back purge, want %d", n, total)
			}
		})
	}
}

// G15: a damaged table is refused whole — a run whose hashes are not 32
// bytes per record, a missing row, a run crossing the purge bound — and
// nothing is purged.
func TestPurgeRefusesDamagedRuns(t *testing.T) {
	// Records: 0 main, [1, 101) a run, 101 main, [102, 402) a run (all
	// January); 402 and 403 in February. [0, 256) is covered by a stored
	// node, so the tree at the bound does not read the damaged rows there.
	hashOf := func(t *testing.T, db *store.DB, idx int) []byte {
		t.Helper()
		var b []byte
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT leaf_hash FROM oplog WHERE idx = $1`, idx).Scan(&b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	exec := func(t *testing.T, db *store.DB, q string, args ...any) {
		t.Helper()
		if _, err := db.Bookkeeping(store.Inspect).Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, db *store.DB)
		kind   jukinet.Kind
		msg    string
	}{
		{"run hashes cut", func(t *testing.T, db *store.DB) {
			exec(t, db, `UPDATE oplog SET leaf_hash = $1 WHERE idx = 1`, hashOf(t, db, 1)[:32*99])
		}, jukinet.KindInternal, "the row at index 1 holds 3168 bytes of leaf hashes for 100 records"},
		{"run longer than its hashes", func(t *testing.T, db *store.DB) {
			exec(t, db, `UPDATE oplog SET run = 101 WHERE idx = 1`)
		}, jukinet.KindInternal, "the row at index 1 holds 3200 bytes of leaf hashes for 101 records"},
		{"row missing", func(t *testing.T, db *store.DB) {
			exec(t, db, `DELETE FROM oplog WHERE idx = 101`)
		}, jukinet.KindInternal, "index 101 is missing"},
		{"bound inside a run", func(t *testing.T, db *store.DB) {
			// The January run swallows February's first record (with its
			// true hash, so the tree at the bound still adds up).
			h := append(hashOf(t, db, 102), hashOf(t, db, 402)...)
			exec(t, db, `UPDATE oplog SET run = 301, leaf_hash = $1 WHERE idx = 102`, h)
		}, jukinet.KindConflict, "the purge bound 402 falls inside the run of records [102, 403)"},
	} {
		for _, e := range storetest.Engines() {
			t.Run(tc.name+"/"+string(e), func(t *testing.T) {
				f := newFixture(t, e)
				f.clock.set(time.Date(2018, 1, 10, 10, 0, 0, 0, jukinet.JST))
				f.appendRun(t, 100)
				f.appendRun(t, 300)
				f.clock.set(time.Date(2018, 2, 10, 10, 0, 0, 0, jukinet.JST))
				f.appendRecords(t, operator, 2, "case")
				f.clock.set(time.Date(2018, 3, 2, 10, 0, 0, 0, jukinet.JST))
				f.checkpoint(t)
				sealMonths(t, f, "2018-01")
				if runs := rowRuns(t, f.db); runs[1] != 100 || runs[102] != 300 || runs[402] != 1 {
					t.Fatalf("rows %v, want runs of 100 at 1 and 300 at 102, a plain row at 402", runs)
				}
				dropGuards(t, f.db)
				tc.tamper(t, f.db)
				rows := count(t, f.db, `SELECT COUNT(*) FROM oplog`)
				residents := count(t, f.db, `SELECT COUNT(*) FROM oplog_resident`)

				f.clock.set(time.Date(2026, 1, 5, 10, 0, 0, 0, jukinet.JST))
				_, err := oplog.Purge(jukinet.WithActor(context.Background(), purgeAdmin), f.log, "2018-02")
				if jukinet.ErrorKind(err) != tc.kind || err == nil || !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("purge of a damaged log: got %v, want %v naming %q", err, tc.kind, tc.msg)
				}
				for q, want := range map[string]int{
					`SELECT COUNT(*) FROM oplog`:               rows,
					`SELECT COUNT(*) FROM oplog_resident`:      residents,
					`SELECT COUNT(*) FROM oplog_purged_hash`:   0,
					`SELECT COUNT(*) FROM oplog_purge`:         0,
					`SELECT COUNT(*) FROM oplog_purge_allowed`: 0,
				} {
					if n := count(t, f.db, q); n != want {
						t.Errorf("after the refused purge, %s = %d, want %d", q, n, want)
					}
				}
			})
		}
	}
}

// A month's index range on a log with runs: its bounds are row starts (a
// run's records share its row's time) and it holds exactly the records of
// that month, those inside runs included.
func TestMonthRangeWithRuns(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := newFixture(t, e)
			ctx := context.Background()
			f.clock.set(time.Date(2018, 1, 10, 10, 0, 0, 0, jukinet.JST))
			f.appendRecords(t, operator, 2, "case")
			f.appendRun(t, 4200) // crosses index 4096: two runs
			f.clock.set(time.Date(2018, 1, 31, 23, 59, 59, 999999e3, jukinet.JST))
			f.appendRun(t, 7)
			f.clock.set(time.Date(2018, 2, 1, 0, 0, 0, 0, jukinet.JST))
			f.appendRun(t, 30)
			f.appendRun(t, 5)
			// March has no record.
			f.clock.set(time.Date(2018, 4, 20, 10, 0, 0, 0, jukinet.JST))
			f.appendRecords(t, operator, 1, "case")
			f.appendRun(t, 3)

			recs := storetest.Records(t, f.db, nil)
			runs := rowRuns(t, f.db)
			size := uint64(len(recs))
			inRuns := map[string]int{}
			for _, r := range recs {
				if _, own := runs[r.Index]; !own || runs[r.Index] > 1 {
					inRuns[time.UnixMicro(r.Time).In(jukinet.JST).Format("2006-01")]++
				}
			}
			if inRuns["2018-01"] < 4000 || inRuns["2018-02"] < 30 || inRuns["2018-04"] < 2 {
				t.Fatalf("records inside runs by month: %v", inRuns)
			}
			for _, m := range []string{"2017-12", "2018-01", "2018-02", "2018-03", "2018-04", "2018-05"} {
				first, end, err := f.log.MonthRange(ctx, m)
				if err != nil {
					t.Fatalf("month range %s: %v", m, err)
				}
				for _, b := range []uint64{first, end} {
					if _, ok := runs[b]; !ok && b != size {
						t.Errorf("month %s: bound %d is not the start of a row", m, b)
					}
				}
				var want []uint64
				for _, r := range recs {
					if time.UnixMicro(r.Time).In(jukinet.JST).Format("2006-01") == m {
						want = append(want, r.Index)
					}
				}
				wantFirst, wantEnd := firstAt(recs, mustMonthStart(t, m)), firstAt(recs, mustMonthStart(t, m).AddDate(0, 1, 0))
				if first != wantFirst || end != wantEnd {
					t.Errorf("month %s: range [%d, %d), want [%d, %d)", m, first, end, wantFirst, wantEnd)
				}
				if uint64(len(want)) != end-first || len(want) > 0 && (want[0] != first || want[len(want)-1] != end-1) {
					t.Errorf("month %s: range [%d, %d) does not hold exactly its %d records", m, first, end, len(want))
				}
			}
		})
	}
}

func mustMonthStart(t *testing.T, m string) time.Time {
	t.Helper()
	start, _, err := oplog.MonthBounds(m)
	if err != nil {
		t.Fatal(err)
	}
	return start
}
