package oplog_test

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

var auditor = jukinet.Actor{CollationID: "AUD", OperatorID: "AUD1", Authority: jukinet.AuthorityAudit, Terminal: "T-AUD"}

func jst(d, h, m int) time.Time { return time.Date(2026, 10, d, h, m, 0, 0, jukinet.JST) }

// read logs one lookup of resident by a at time at.
func (f *fixture) read(t *testing.T, a jukinet.Actor, at time.Time, resident, purpose string) {
	t.Helper()
	f.clock.set(at)
	err := f.db.Update(jukinet.WithActor(context.Background(), a), store.Op{Operation: jukinet.OpResidentRead, Subject: resident, Purpose: purpose}, func(*store.Tx) error { return nil })
	if err != nil {
		t.Fatalf("read %s at %v: %v", resident, at, err)
	}
}

// search logs one search by operator at time at that showed the residents
// from, from+1, … (n of them).
func (f *fixture) search(t *testing.T, at time.Time, from, n int) {
	t.Helper()
	f.clock.set(at)
	err := f.db.Update(jukinet.WithActor(context.Background(), operator), store.Op{Operation: jukinet.OpResidentSearch, Purpose: "case 9"}, func(tx *store.Tx) error {
		for i := range n {
			tx.Shown(fmt.Sprintf("4000000%04d", from+i), "name,birth_date,address", false)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("search at %v: %v", at, err)
	}
}

// provide logs one agency request at time at: found persons, then codes
// that matched nobody.
func (f *fixture) provide(t *testing.T, at time.Time, found, missed int) {
	t.Helper()
	f.clock.set(at)
	ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("agency:pension"))
	err := f.db.Update(ctx, store.Op{Operation: jukinet.OpNationalProvide, Purpose: "年金給付の支給"}, func(tx *store.Tx) error {
		for i := range found + missed {
			result := store.ResultShown
			if i >= found {
				result = store.ResultNotFound
			}
			tx.Person(fmt.Sprintf("5%010d", at.Unix()%1e6*1000+int64(i)), result, "pension", false)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("provide at %v: %v", at, err)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

var (
	japaneseProse = regexp.MustCompile(`[\p{Hiragana}\p{Katakana}\p{Han}]`)
	englishWord   = regexp.MustCompile(`\b(?i:lookups?|residents?|agency|asked|threshold|failed|logins?|active|codes?|match|nobody|persons|usual|factor|outside|hours?|shown|within|watch)\b`)
)

func TestReportFindsEachAnomaly(t *testing.T) {
	t2 := operator
	t2.Terminal = "T2"
	for _, tc := range []struct {
		name  string
		build func(t *testing.T, f *fixture)
		want  string // finding kind; "" for none
	}{
		{"clean office-hours log", func(t *testing.T, f *fixture) {
			for i := range 10 {
				f.read(t, operator, jst(5, 10, i*5), fmt.Sprintf("1000000%04d", i), "case 2026-101")
			}
		}, ""},
		{"off hours", func(t *testing.T, f *fixture) { f.read(t, operator, jst(5, 22, 0), "10000000001", "case") }, oplog.FindingOffHours},
		{"holiday", func(t *testing.T, f *fixture) { f.read(t, operator, jst(12, 10, 0), "10000000001", "case") }, oplog.FindingOffHours},
		{"weekend", func(t *testing.T, f *fixture) { f.read(t, operator, jst(10, 10, 0), "10000000001", "case") }, oplog.FindingOffHours},
		{"bulk", func(t *testing.T, f *fixture) {
			for i := range 31 {
				f.read(t, operator, jst(5, 10, i), fmt.Sprintf("2000000%04d", i), "case")
			}
		}, oplog.FindingBulk},
		{"no purpose", func(t *testing.T, f *fixture) {
			f.clock.set(jst(5, 10, 0))
			f.db.Update(jukinet.WithActor(context.Background(), operator), store.Op{Operation: jukinet.OpResidentSearch, Purpose: "case"}, func(tx *store.Tx) error {
				tx.Log(jukinet.OpResidentRead, "10000000001", "ok", "")
				return nil
			})
		}, oplog.FindingNoPurpose},
		{"login failures", func(t *testing.T, f *fixture) {
			f.clock.set(jst(5, 10, 0))
			f.db.Update(jukinet.WithActor(context.Background(), operator), store.Op{Operation: jukinet.OpResidentSearch, Purpose: "case"}, func(tx *store.Tx) error {
				for range 3 {
					tx.Log("access.login.verify", "", "mismatch", "")
				}
				return nil
			})
		}, oplog.FindingLoginFailures},
		{"one 照合ID on two terminals", func(t *testing.T, f *fixture) {
			f.read(t, operator, jst(5, 10, 0), "10000000001", "case")
			f.read(t, t2, jst(5, 10, 5), "10000000002", "case")
			f.read(t, operator, jst(5, 10, 10), "10000000003", "case")
		}, oplog.FindingSharedID},
		{"watch-listed resident", func(t *testing.T, f *fixture) {
			if _, err := f.db.Bookkeeping(store.Inspect).Exec(`INSERT INTO access_watch (subject, reason, added_at, added_by) VALUES ($1, 'DV support measure', 0, 'test')`, f.db.SubjectToken("10000000009")); err != nil {
				t.Fatal(err)
			}
			f.read(t, operator, jst(5, 10, 0), "10000000009", "case")
		}, oplog.FindingWatchlist},
		{"filings (届出) are not lookups without a purpose", func(t *testing.T, f *fixture) {
			clerk := jukinet.Actor{CollationID: "C002", OperatorID: "OP2", Authority: jukinet.AuthorityRecord, Terminal: "T3"}
			for i := range 5 {
				f.clock.set(jst(5, 10, i))
				if err := f.db.Update(jukinet.WithActor(context.Background(), clerk), store.Op{Operation: jukinet.OpMoveWithin, Subject: fmt.Sprintf("3000000%04d", i)}, func(*store.Tx) error { return nil }); err != nil {
					t.Fatal(err)
				}
			}
		}, ""},
		{"one 50-person search is neither bulk nor browsing", func(t *testing.T, f *fixture) { f.search(t, jst(5, 10, 0), 0, 50) }, ""},
		{"browsing: 201 residents shown in a day", func(t *testing.T, f *fixture) {
			for i := range 5 {
				f.search(t, jst(5, 9+i, 0), 40*i, 40+boolInt(i == 4)) // 201 distinct, at most 41 an hour
			}
		}, oplog.FindingBrowsing},
		{"agency sweep: 100 codes matching nobody within an hour", func(t *testing.T, f *fixture) {
			f.provide(t, jst(5, 3, 0), 400, 100)
		}, oplog.FindingAgencySweep},
		{"agency misses: 30 of 100 codes match nobody in a day", func(t *testing.T, f *fixture) {
			for h := range 10 {
				f.provide(t, jst(5, 9+h, 0), 7, 3)
			}
		}, oplog.FindingAgencyMisses},
		{"agency volume: 4 times its usual day", func(t *testing.T, f *fixture) {
			for d := range 4 {
				f.provide(t, jst(1+d, 10, 0), 100, 0)
			}
			f.provide(t, jst(6, 10, 0), 400, 0)
		}, oplog.FindingAgencyVolume},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, e := range storetest.Engines() {
				t.Run(string(e), func(t *testing.T) {
					f := newFixture(t, e)
					tc.build(t, f)
					f.clock.set(jst(20, 10, 0))
					rep, err := oplog.Analyse(jukinet.WithActor(context.Background(), auditor), f.db, oplog.ReportConfig{From: jst(1, 0, 0), To: jst(15, 0, 0)})
					if err != nil {
						t.Fatal(err)
					}
					var kinds []string
					for _, fd := range rep.Findings {
						kinds = append(kinds, fd.Kind)
						if len(fd.Indices) == 0 {
							t.Errorf("finding %+v has no evidence", fd)
						}
						// The terminal shows DetailJA: Japanese prose around
						// the figures, IDs and dates, no English words.
						if !japaneseProse.MatchString(fd.DetailJA) || englishWord.MatchString(fd.DetailJA) {
							t.Errorf("finding %s: DetailJA %q is not Japanese", fd.Kind, fd.DetailJA)
						}
					}
					if tc.want == "" && len(kinds) != 0 || tc.want != "" && (len(kinds) != 1 || kinds[0] != tc.want) {
						t.Errorf("findings %v (%+v), want exactly [%s]", kinds, rep.Findings, tc.want)
					}
				})
			}
		})
	}
}

func TestReportRefusesLookupAuthority(t *testing.T) {
	f := newFixture(t, store.SQLite)
	_, err := oplog.Analyse(jukinet.WithActor(context.Background(), operator), f.db, oplog.ReportConfig{From: jst(1, 0, 0), To: jst(2, 0, 0)})
	if jukinet.ErrorKind(err) != jukinet.KindForbidden {
		t.Errorf("report by a lookup operator: got %v, want forbidden", err)
	}
}

func TestQueryFilters(t *testing.T) {
	storetest.Run(t, node, func(t *testing.T, db *store.DB) {
		attach(t, db, nil)
		t2 := operator
		t2.CollationID, t2.Terminal = "C002", "T2"
		ctx := context.Background()
		for i, a := range []jukinet.Actor{operator, t2, operator} {
			err := db.Update(jukinet.WithActor(ctx, a), store.Op{Operation: jukinet.OpResidentRead, Subject: fmt.Sprintf("3000000000%d", i%2), Purpose: "case"}, func(*store.Tx) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
		}
		aud := jukinet.WithActor(ctx, auditor)
		for _, tc := range []struct {
			name string
			f    oplog.Filter
			want int
		}{
			{"resident", oplog.Filter{Resident: "30000000000"}, 2},
			{"operator", oplog.Filter{CollationID: "C002"}, 1},
			{"terminal", oplog.Filter{Terminal: "T1"}, 2},
			{"operation", oplog.Filter{Operation: string(jukinet.OpResidentRead)}, 3},
			{"result", oplog.Filter{Result: "forbidden"}, 0},
			{"resident and operator", oplog.Filter{Resident: "30000000001", CollationID: "C001"}, 0},
			{"future", oplog.Filter{From: time.Now().Add(time.Hour)}, 0},
		} {
			es, err := oplog.Query(aud, db, tc.f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if len(es) != tc.want {
				t.Errorf("query %s %+v: %d records, want %d", tc.name, tc.f, len(es), tc.want)
			}
		}
		if _, err := oplog.Query(aud, db, oplog.Filter{Limit: -1}); jukinet.ErrorKind(err) != jukinet.KindInvalid {
			t.Errorf("limit -1: got %v, want invalid", err)
		}
	})
}

func TestQueryByResidentUsesIndex(t *testing.T) {
	storetest.Run(t, node, func(t *testing.T, db *store.DB) {
		q := oplog.QuerySQL([]string{"subject = $1 AND subject <> ''"}, 1000)
		explain := "EXPLAIN QUERY PLAN " + q
		if db.Engine() == store.Postgres {
			db.Bookkeeping(store.Inspect).Exec(`SET enable_seqscan = off`) // an empty table would otherwise be scanned
			explain = "EXPLAIN " + q
		}
		rows, err := db.Bookkeeping(store.Inspect).Query(explain, "x")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var plan bytes.Buffer
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&plan, vals...)
		}
		if !bytes.Contains(plan.Bytes(), []byte("oplog_subject")) {
			t.Errorf("plan of %q does not use oplog_subject:\n%s", q, plan.String())
		}
	})
}

// TestOfficeHours: 9:00–17:00 on a day the offices are open (the calendar
// itself is tested with jukinet.Date.Holiday).
func TestOfficeHours(t *testing.T) {
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{jst(5, 9, 0), true}, {jst(5, 16, 59), true}, {jst(5, 17, 0), false}, {jst(5, 8, 59), false},
		{jst(10, 10, 0), false}, {jst(12, 10, 0), false}, {time.Date(2026, 12, 29, 10, 0, 0, 0, jukinet.JST), false},
		{time.Date(2027, 1, 3, 10, 0, 0, 0, jukinet.JST), false}, {time.Date(2027, 1, 4, 10, 0, 0, 0, jukinet.JST), true},
	} {
		if got := oplog.OfficeHours(tc.at); got != tc.want {
			t.Errorf("OfficeHours(%v) = %v, want %v", tc.at, got, tc.want)
		}
	}
}

func FuzzCheckRecordIndex(f *testing.F) {
	f.Add(uint64(7), []byte(`{"v":1,"idx":7,"time":1}`))
	f.Add(uint64(7), []byte(`{"v":1,"idx":8,"time":1}`))
	f.Add(uint64(0), []byte(`{"v":1,"idx":`))
	f.Add(uint64(7), []byte(`{"v":1,"idx":07,"time":1}`))
	f.Add(uint64(0), []byte(`{"v":1,"idx":,"time":1}`))
	f.Add(uint64(18446744073709551615), []byte(`{"v":1,"idx":18446744073709551615,"time":1}`))
	f.Add(uint64(0), []byte(`{"v":1,"idx":18446744073709551616,"time":1}`))
	f.Add(uint64(1), []byte(`{"v":1,"idx":+1,"time":1}`))
	f.Fuzz(func(t *testing.T, index uint64, leaf []byte) {
		err := oplog.CheckRecordIndex(index, leaf)
		want := []byte(fmt.Sprintf(`{"v":1,"idx":%d,`, index))
		if (err == nil) != bytes.HasPrefix(leaf, want) {
			t.Errorf("CheckRecordIndex(%d, %q) = %v", index, leaf, err)
		}
	})
}

// G11.2: a search's persons are found by the resident's history (oplog
// query --resident) and by the operator's, each with the search's purpose.
func TestQueryFindsPersonsShown(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := newFixture(t, e)
			f.search(t, jst(5, 10, 0), 0, 50)
			f.read(t, operator, jst(5, 10, 1), "40000000003", "case 9")
			f.clock.set(jst(5, 11, 0))
			aud := jukinet.WithActor(context.Background(), auditor)
			got, err := oplog.Query(aud, f.db, oplog.Filter{Resident: "40000000003"})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0].Operation != string(jukinet.OpResidentRead) || got[1].Operation != string(jukinet.OpResidentSearch) ||
				got[1].Result != store.ResultShown || got[1].Purpose != "case 9" || got[1].CollationID != operator.CollationID {
				t.Fatalf("the resident's history: %+v, want the read and the search that showed them", got)
			}
			shown, err := oplog.Query(aud, f.db, oplog.Filter{CollationID: operator.CollationID, Result: store.ResultShown})
			if err != nil {
				t.Fatal(err)
			}
			if len(shown) != 50 {
				t.Errorf("the operator's persons shown: %d records, want 50", len(shown))
			}
			byTerm, err := oplog.Query(aud, f.db, oplog.Filter{Terminal: operator.Terminal})
			if err != nil {
				t.Fatal(err)
			}
			if len(byTerm) != 52 {
				t.Errorf("the terminal's records: %d, want 52 (search, 50 persons, read)", len(byTerm))
			}
			// The run row's operator columns are bound to its records.
			f.checkpoint(t)
			if rep := f.verify(t); !rep.OK() {
				t.Errorf("verify a log with an operator's person run: %+v", rep.Failure)
			}
		})
	}
}
