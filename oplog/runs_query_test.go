package oplog_test

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// Residents of the run log: A, B and C in runs and plain rows, D only in
// runs, E only in plain rows, Z nowhere.
const (
	resA = "10000000001"
	resB = "10000000002"
	resC = "10000000003"
	resD = "10000000004"
	resE = "10000000005"
	resZ = "10000000009"
)

var network = jukinet.SystemActor("network")

// systemTx is one transaction of the network: its main record, then one
// record per logged message (consecutive ones of one operation become a
// record run).
func (f *fixture) systemTx(t *testing.T, at time.Time, main jukinet.Operation, logs func(tx *store.Tx)) {
	t.Helper()
	f.clock.set(at)
	err := f.db.Update(jukinet.WithActor(context.Background(), network), store.Op{Operation: main}, func(tx *store.Tx) error {
		logs(tx)
		return nil
	})
	if err != nil {
		t.Fatalf("system transaction at %v: %v", at, err)
	}
}

// buildRunLog writes a log of plain rows and record runs: several runs,
// runs with mixed results, residents inside runs and in plain rows, two
// transactions at one time, and a refused (forbidden) plain row.
func buildRunLog(t *testing.T, f *fixture) {
	t.Helper()
	t2 := operator
	t2.CollationID, t2.Terminal = "C002", "T2"
	f.read(t, operator, jst(5, 9, 0), resA, "case 1")
	f.systemTx(t, jst(5, 9, 10), jukinet.OpNetworkReceive, func(tx *store.Tx) {
		for i, r := range []struct{ res, result string }{{resA, "applied"}, {resB, "rejected"}, {resD, "applied"}, {resA, "applied"}, {"", "applied"}, {resC, "rejected"}} {
			tx.Log(jukinet.OpNetworkReceive, r.res, r.result, fmt.Sprintf("message %d", i))
		}
	})
	f.read(t, t2, jst(5, 9, 20), resB, "case 2")
	f.read(t, operator, jst(5, 9, 20), resE, "case 3")
	f.systemTx(t, jst(5, 9, 30), jukinet.OpNetworkSend, func(tx *store.Tx) {
		for _, r := range []string{resA, resB, resD} {
			tx.Log(jukinet.OpNetworkSend, r, "sent", "")
		}
		tx.Log(jukinet.OpNetworkDeliveryResult, resA, "ok", "") // alone: a plain row
		for i, r := range []string{resD, resA, resB, resD} {
			tx.Log(jukinet.OpNetworkReceive, r, []string{"applied", "rejected"}[i%2], "")
		}
	})
	// A refused act is a plain row with result forbidden.
	f.clock.set(jst(5, 9, 40))
	if err := f.db.Update(jukinet.WithActor(context.Background(), operator), store.Op{Operation: jukinet.OpOplogQuery, Subject: resA}, func(*store.Tx) error { return nil }); jukinet.ErrorKind(err) != jukinet.KindForbidden {
		t.Fatalf("oplog query by a lookup operator: got %v, want forbidden", err)
	}
	f.systemTx(t, jst(5, 9, 50), jukinet.OpNetworkReceive, func(tx *store.Tx) {
		for i := range 40 {
			tx.Log(jukinet.OpNetworkReceive, []string{resA, resB, resC, resD}[i%4], []string{"applied", "rejected", "applied"}[i%3], "")
		}
	})
	f.read(t, operator, jst(5, 9, 50), resA, "case 4") // same time as the run before it
	f.read(t, operator, jst(5, 10, 0), resC, "case 5")

	var runRows, inRuns, residents int
	if err := f.db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*), COALESCE(SUM(run), 0) FROM oplog WHERE run > 1`).Scan(&runRows, &inRuns); err != nil {
		t.Fatal(err)
	}
	if err := f.db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM oplog_resident`).Scan(&residents); err != nil {
		t.Fatal(err)
	}
	// Runs: 6 receives, 3 sends, 4 receives, 40 receives.
	if runRows != 4 || inRuns != 53 || residents != 52 {
		t.Fatalf("log has %d run rows holding %d records, %d residents in runs; want 4, 53, 52", runRows, inRuns, residents)
	}
}

// allRecords reads every record by brute force: every row, a run row's
// records decoded one by one from its leaf (storetest.Records).
func allRecords(t *testing.T, db *store.DB) []store.LogRecord {
	t.Helper()
	out := storetest.Records(t, db, nil)
	for i, r := range out {
		if r.Index != uint64(i) {
			t.Fatalf("record %d holds index %d", i, r.Index)
		}
	}
	return out
}

// reference is the brute-force answer to f over recs: every record tested
// against every filter, newest first, at most the limit.
func reference(db *store.DB, recs []store.LogRecord, f oplog.Filter) []oplog.Entry {
	limit := f.Limit
	if limit == 0 {
		limit = 1000
	}
	out := []oplog.Entry{}
	for _, r := range recs {
		at := time.UnixMicro(r.Time).In(jukinet.JST)
		if f.CollationID != "" && r.CollationID != f.CollationID || f.Terminal != "" && r.Terminal != f.Terminal ||
			f.Resident != "" && r.Subject != db.SubjectToken(f.Resident) || f.Operation != "" && r.Operation != f.Operation ||
			f.Result != "" && r.Result != f.Result || !f.From.IsZero() && at.Before(f.From) || !f.To.IsZero() && !at.Before(f.To) {
			continue
		}
		out = append(out, oplog.Entry{Index: r.Index, Time: at, CollationID: r.CollationID, OperatorID: r.OperatorID,
			Authority: r.Authority, Terminal: r.Terminal, Principal: r.Principal, Operation: r.Operation, Subject: r.Subject,
			Purpose: r.Purpose, Result: r.Result})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.After(out[j].Time)
		}
		return out[i].Index > out[j].Index
	})
	return out[:min(len(out), limit)]
}

// The records inside record runs are found by every filter of a query as
// if each had its own row (G15: the log is searchable by operator,
// resident, operation, terminal and time): each query returns exactly what
// testing every record would, newest first, its limit counting records.
func TestQueryFindsRecordsInRuns(t *testing.T) {
	ranges := []struct {
		name     string
		from, to time.Time
	}{
		{"all time", time.Time{}, time.Time{}},
		{"09:15–09:45 (cuts between transactions)", jst(5, 9, 15), jst(5, 9, 45)},
		{"from 09:30", jst(5, 9, 30), time.Time{}},
		{"before 09:30", time.Time{}, jst(5, 9, 30)},
		{"09:50 only", jst(5, 9, 50), jst(5, 9, 51)},
		{"empty", jst(5, 9, 50), jst(5, 9, 50)},
	}
	receive, send := string(jukinet.OpNetworkReceive), string(jukinet.OpNetworkSend)
	filters := []struct {
		name string
		f    oplog.Filter
	}{
		{"nothing", oplog.Filter{}},
		{"resident A", oplog.Filter{Resident: resA}},
		{"resident D (only in runs)", oplog.Filter{Resident: resD}},
		{"resident E (only in plain rows)", oplog.Filter{Resident: resE}},
		{"resident Z (nowhere)", oplog.Filter{Resident: resZ}},
		{"operation receive", oplog.Filter{Operation: receive}},
		{"operation send", oplog.Filter{Operation: send}},
		{"operation resident.read", oplog.Filter{Operation: string(jukinet.OpResidentRead)}},
		{"result rejected", oplog.Filter{Result: "rejected"}},
		{"result ok", oplog.Filter{Result: "ok"}},
		{"result forbidden", oplog.Filter{Result: "forbidden"}},
		{"operator", oplog.Filter{CollationID: operator.CollationID}},
		{"terminal", oplog.Filter{Terminal: "T2"}},
		{"resident and operation", oplog.Filter{Resident: resA, Operation: receive}},
		{"resident and result", oplog.Filter{Resident: resA, Result: "rejected"}},
		{"resident, operation and result", oplog.Filter{Resident: resD, Operation: receive, Result: "applied"}},
		{"operation and result", oplog.Filter{Operation: receive, Result: "rejected"}},
		{"operation and result nowhere in runs", oplog.Filter{Operation: send, Result: "rejected"}},
		// The transactions' main records (ok) share their time with the run
		// after them: a page ending in a run row goes on at that time.
		{"operation and result only in plain rows", oplog.Filter{Operation: receive, Result: "ok"}},
		{"resident and operator (runs cannot match)", oplog.Filter{Resident: resA, CollationID: operator.CollationID}},
		{"resident and terminal", oplog.Filter{Resident: resB, Terminal: "T2"}},
		{"operation and operator", oplog.Filter{Operation: receive, CollationID: operator.CollationID}},
	}
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := newFixture(t, e)
			buildRunLog(t, f)
			f.clock.set(jst(5, 11, 0))
			aud := jukinet.WithActor(context.Background(), auditor)
			check := func(t *testing.T, fl oplog.Filter) {
				t.Helper()
				// The reference is taken just before: the queries' own
				// records are part of the log too.
				want := reference(f.db, allRecords(t, f.db), fl)
				got, err := oplog.Query(aud, f.db, fl)
				if err != nil {
					t.Fatalf("query %+v: %v", fl, err)
				}
				if got == nil {
					got = []oplog.Entry{}
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("query %+v (-brute force +got):\n%s", fl, d)
				}
				for i := 1; i < len(got); i++ {
					if got[i].Time.After(got[i-1].Time) || got[i].Index >= got[i-1].Index {
						t.Errorf("query %+v: entry %d (idx %d, %v) after entry %d (idx %d, %v): want newest first",
							fl, i, got[i].Index, got[i].Time, i-1, got[i-1].Index, got[i-1].Time)
					}
				}
			}
			for _, fc := range filters {
				for _, r := range ranges {
					t.Run(fc.name+"/"+r.name, func(t *testing.T) {
						fl := fc.f
						fl.From, fl.To = r.from, r.to
						check(t, fl)
					})
				}
				// Limits smaller than the 40-record run, and than a page.
				for _, limit := range []int{1, 3, 5, 17} {
					t.Run(fmt.Sprintf("%s/limit %d", fc.name, limit), func(t *testing.T) {
						fl := fc.f
						fl.Limit = limit
						check(t, fl)
					})
				}
			}
			// The limit counts records: a limit of 3 on the 40-record run
			// gives its 3 highest records, not 3 rows.
			got, err := oplog.Query(aud, f.db, oplog.Filter{Operation: receive, From: jst(5, 9, 50), To: jst(5, 9, 51), Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 3 || got[0].Index != got[1].Index+1 || got[1].Index != got[2].Index+1 || got[0].Principal != "network" {
				t.Errorf("3 newest receive records of the run: got %+v", got)
			}
		})
	}
}

// A run row whose records cannot be read, or a resident index entry that
// no run holds, makes a query fail naming the index rather than leave
// records out silently (verify names the bad index too).
func TestQueryRefusesDamagedRuns(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			for _, tc := range []struct {
				name   string
				damage func(t *testing.T, f *fixture, run int64)
				filter oplog.Filter
				want   string
			}{
				{"cut leaf", func(t *testing.T, f *fixture, run int64) {
					setLeaf(t, f.db, run, func(leaf []byte) []byte { return leaf[:len(leaf)-7] })
				}, oplog.Filter{Operation: string(jukinet.OpNetworkReceive)}, "cannot be read"},
				{"not a record", func(t *testing.T, f *fixture, run int64) {
					setLeaf(t, f.db, run, func(leaf []byte) []byte { return append([]byte{1}, bytes.Repeat([]byte{0xff}, 40)...) })
				}, oplog.Filter{Resident: resB}, "cannot be read"},
				{"resident index names a plain row", func(t *testing.T, f *fixture, _ int64) {
					if _, err := f.db.Bookkeeping(store.Inspect).Exec(`INSERT INTO oplog_resident (subject_key, idx) VALUES ($1, 0)`, store.SubjectKey(f.db.SubjectToken(resE))); err != nil {
						t.Fatal(err)
					}
				}, oplog.Filter{Resident: resE}, "not in a run row"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					f := newFixture(t, e)
					f.read(t, operator, jst(5, 9, 0), resE, "case")
					f.systemTx(t, jst(5, 9, 10), jukinet.OpNetworkReceive, func(tx *store.Tx) {
						for i, r := range []string{resA, resB, resC, resA, resB, resC} {
							tx.Log(jukinet.OpNetworkReceive, r, []string{"applied", "rejected"}[i%2], "")
						}
					})
					var run int64
					if err := f.db.Bookkeeping(store.Inspect).QueryRow(`SELECT idx FROM oplog WHERE run = 6`).Scan(&run); err != nil {
						t.Fatalf("the run row: %v", err)
					}
					aud := jukinet.WithActor(context.Background(), auditor)
					if _, err := oplog.Query(aud, f.db, tc.filter); err != nil {
						t.Fatalf("before the damage: %v", err)
					}
					dropGuards(t, f.db)
					tc.damage(t, f, run)
					_, err := oplog.Query(aud, f.db, tc.filter)
					if jukinet.ErrorKind(err) != jukinet.KindInternal || err == nil || !strings.Contains(err.Error(), tc.want) {
						t.Errorf("query %+v after %s: got %v, want an internal error saying %q", tc.filter, tc.name, err, tc.want)
					}
				})
			}
		})
	}
}

func setLeaf(t *testing.T, db *store.DB, idx int64, change func([]byte) []byte) {
	t.Helper()
	var leaf []byte
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT leaf FROM oplog WHERE idx = $1`, idx).Scan(&leaf); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Bookkeeping(store.Inspect).Exec(`UPDATE oplog SET leaf = $1 WHERE idx = $2`, change(leaf), idx); err != nil {
		t.Fatal(err)
	}
}

// copyAsPlainRows writes every record of recs into db as a row of its own
// (run = 1), as the log stored them before record runs.
func copyAsPlainRows(t *testing.T, db *store.DB, recs []store.LogRecord) {
	t.Helper()
	var last int64
	for _, r := range recs {
		leaf := r.Leaf()
		lh := store.LeafHash(leaf)
		_, err := db.Bookkeeping(store.Inspect).Exec(`INSERT INTO oplog (idx, time, collation_id, operator_id, authority, terminal, principal, operation, subject, purpose, result, policy_version, leaf, leaf_hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			int64(r.Index), r.Time, r.CollationID, r.OperatorID, r.Authority, r.Terminal, r.Principal, r.Operation, r.Subject, r.Purpose, r.Result, r.PolicyVersion, leaf, lh[:])
		if err != nil {
			t.Fatal(err)
		}
		last = max(last, r.Time)
	}
	if _, err := db.Bookkeeping(store.Inspect).Exec(`UPDATE oplog_head SET size = $1, time = $2 WHERE id = 1`, len(recs), last); err != nil {
		t.Fatal(err)
	}
}

// The periodic analysis (G15) takes each record inside a run as it takes a
// row: the same log stored with runs and with a row per record gives the
// same report. A system principal's records are no lookups (isLookup), so
// of the rules only failed logins can fire on them; a run of them does.
func TestReportSeesRecordsInRuns(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := newFixture(t, e)
			for _, r := range []string{resA, resD} {
				if _, err := f.db.Bookkeeping(store.Inspect).Exec(`INSERT INTO access_watch (subject, reason, added_at, added_by) VALUES ($1, 'DV support measure', 0, 'test')`, f.db.SubjectToken(r)); err != nil {
					t.Fatal(err)
				}
			}
			buildRunLog(t, f)
			f.read(t, operator, jst(5, 22, 0), resB, "case 6") // off hours
			var failed []uint64
			f.systemTx(t, jst(5, 22, 10), jukinet.OpNetworkReceive, func(tx *store.Tx) {
				for range 4 {
					tx.Log("access.login.verify", "", "mismatch", "")
				}
			})
			recs := allRecords(t, f.db)
			for _, r := range recs {
				if r.Operation == "access.login.verify" {
					failed = append(failed, r.Index)
				}
			}
			var inRun int
			if err := f.db.Bookkeeping(store.Inspect).QueryRow(`SELECT run FROM oplog WHERE idx = $1`, int64(failed[0])).Scan(&inRun); err != nil || inRun != 4 {
				t.Fatalf("the failed logins: run %d (%v), want one run of 4", inRun, err)
			}

			plain := storetest.OpenWith(t, e, node, storetest.Options{Now: f.clock.now})
			for _, r := range []string{resA, resD} {
				if _, err := plain.Bookkeeping(store.Inspect).Exec(`INSERT INTO access_watch (subject, reason, added_at, added_by) VALUES ($1, 'DV support measure', 0, 'test')`, f.db.SubjectToken(r)); err != nil {
					t.Fatal(err)
				}
			}
			copyAsPlainRows(t, plain, recs)

			f.clock.set(jst(20, 10, 0))
			cfg := oplog.ReportConfig{From: jst(5, 9, 5), To: jst(6, 0, 0)}
			aud := jukinet.WithActor(context.Background(), auditor)
			got, err := oplog.Analyse(aud, f.db, cfg)
			if err != nil {
				t.Fatal(err)
			}
			want, err := oplog.Analyse(aud, plain, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("report of the log with runs (-as plain rows +with runs):\n%s", d)
			}
			var n uint64
			for _, r := range recs {
				if r.Time >= cfg.From.UnixMicro() && r.Time < cfg.To.UnixMicro() {
					n++
				}
			}
			if got.Records != n {
				t.Errorf("report counts %d records, want %d", got.Records, n)
			}
			var found bool
			for _, fd := range got.Findings {
				if fd.Kind == oplog.FindingLoginFailures && fd.CollationID == "" && fmt.Sprint(fd.Indices) == fmt.Sprint(failed) {
					found = true
				}
				if fd.Kind != oplog.FindingLoginFailures {
					for _, i := range fd.Indices {
						if recs[i].Principal != "" {
							t.Errorf("finding %+v cites the system record %d", fd, i)
						}
					}
				}
			}
			if !found {
				t.Errorf("findings %+v: want failed logins evidenced by the run's records %v", got.Findings, failed)
			}
			kinds := map[string]bool{}
			for _, fd := range got.Findings {
				kinds[fd.Kind] = true
			}
			if !kinds[oplog.FindingWatchlist] || !kinds[oplog.FindingOffHours] {
				t.Errorf("findings %+v: want the operator's watch-listed and off-hours lookups too", got.Findings)
			}
		})
	}
}

// A run row that cannot be read is named in the report's notes; the other
// records are analysed.
func TestReportNotesDamagedRun(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := newFixture(t, e)
			f.read(t, operator, jst(5, 22, 0), resE, "case")
			f.systemTx(t, jst(5, 22, 10), jukinet.OpNetworkReceive, func(tx *store.Tx) {
				for range 3 {
					tx.Log("access.login.verify", "", "mismatch", "")
				}
			})
			var run int64
			if err := f.db.Bookkeeping(store.Inspect).QueryRow(`SELECT idx FROM oplog WHERE run = 3`).Scan(&run); err != nil {
				t.Fatalf("the run row: %v", err)
			}
			dropGuards(t, f.db)
			setLeaf(t, f.db, run, func(leaf []byte) []byte { return leaf[:len(leaf)-1] })
			f.clock.set(jst(20, 10, 0))
			rep, err := oplog.Analyse(jukinet.WithActor(context.Background(), auditor), f.db, oplog.ReportConfig{From: jst(5, 0, 0), To: jst(6, 0, 0)})
			if err != nil {
				t.Fatal(err)
			}
			if name := fmt.Sprintf("run row at index %d", run); len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], name) || !strings.Contains(rep.Notes[0], store.ErrBadRun.Error()) {
				t.Errorf("notes %q: want one naming the %s", rep.Notes, name)
			}
			// The operator's off-hours lookup and the system's main record
			// are still analysed; the run's three records are not.
			if rep.Records != 2 || len(rep.Findings) != 1 || rep.Findings[0].Kind != oplog.FindingOffHours {
				t.Errorf("report %+v: want 2 records and the off-hours finding", rep)
			}
		})
	}
}
