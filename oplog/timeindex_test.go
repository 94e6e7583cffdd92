package oplog_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// Record times never decrease along idx, even when the clock steps back, and
// a time range (served by binary search on idx, there is no time index)
// returns exactly the records a scan of every record would.
func TestTimeRangeByIndex(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := newFixture(t, e)
			base := jst(5, 9, 0)
			// Minutes 0..19, then the clock steps back to minute 5 twice.
			minutes := []int{}
			for i := range 20 {
				minutes = append(minutes, i)
			}
			minutes = append(minutes, 5, 5, 21)
			for i, m := range minutes {
				f.read(t, operator, base.Add(time.Duration(m)*time.Minute), fmt.Sprintf("1000000%04d", i), "case")
			}
			aud := jukinet.WithActor(context.Background(), auditor)
			all, err := oplog.Query(aud, f.db, oplog.Filter{Limit: 100000})
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i < len(all); i++ {
				if all[i].Index >= all[i-1].Index || all[i].Time.After(all[i-1].Time) {
					t.Fatalf("records %d and %d: idx %d→%d, time %v→%v: want newest first, times never decreasing along idx",
						i-1, i, all[i-1].Index, all[i].Index, all[i-1].Time, all[i].Time)
				}
			}
			for _, tc := range []struct {
				name     string
				from, to time.Time
			}{
				{"middle", base.Add(3 * time.Minute), base.Add(7 * time.Minute)},
				{"from only", base.Add(18 * time.Minute), time.Time{}},
				{"to only", time.Time{}, base.Add(2 * time.Minute)},
				{"before everything", base.Add(-time.Hour), base.Add(-time.Minute)},
				{"after everything", base.Add(time.Hour), time.Time{}},
				{"stepped-back records", base.Add(19 * time.Minute), base.Add(20 * time.Minute)},
				{"empty range", base.Add(4 * time.Minute), base.Add(4 * time.Minute)},
			} {
				t.Run(tc.name, func(t *testing.T) {
					var want []uint64
					for _, r := range all {
						if (tc.from.IsZero() || !r.Time.Before(tc.from)) && (tc.to.IsZero() || r.Time.Before(tc.to)) {
							want = append(want, r.Index)
						}
					}
					got, err := oplog.Query(aud, f.db, oplog.Filter{From: tc.from, To: tc.to, Limit: 100000})
					if err != nil {
						t.Fatal(err)
					}
					var gotIdx []uint64
					for _, r := range got {
						if r.Index <= all[0].Index { // not the queries' own records
							gotIdx = append(gotIdx, r.Index)
						}
					}
					if fmt.Sprint(gotIdx) != fmt.Sprint(want) {
						t.Errorf("range [%v, %v): got %v, want %v", tc.from, tc.to, gotIdx, want)
					}
					// The same range with an indexed filter (the (column, time) index).
					got, err = oplog.Query(aud, f.db, oplog.Filter{CollationID: operator.CollationID, From: tc.from, To: tc.to, Limit: 100000})
					if err != nil {
						t.Fatal(err)
					}
					n := 0
					for _, r := range all {
						if r.CollationID == operator.CollationID && (tc.from.IsZero() || !r.Time.Before(tc.from)) && (tc.to.IsZero() || r.Time.Before(tc.to)) {
							n++
						}
					}
					if len(got) != n {
						t.Errorf("operator %s in [%v, %v): %d records, want %d", operator.CollationID, tc.from, tc.to, len(got), n)
					}
				})
			}
		})
	}
}

// Every query of the log uses an index on both engines (the table has no
// time index since migration 0500).
func TestQueryPlansUseIndexes(t *testing.T) {
	storetest.Run(t, node, func(t *testing.T, db *store.DB) {
		for _, tc := range []struct {
			name   string
			query  string
			args   []any
			sqlite string // what EXPLAIN QUERY PLAN must mention
			pg     string // what EXPLAIN must mention
		}{
			{"resident", oplog.QuerySQL([]string{"subject = $1 AND subject <> ''"}, 1000), []any{"x"}, "oplog_subject", "oplog_subject"},
			{"resident and time", oplog.QuerySQL([]string{"subject = $1 AND subject <> ''", "time >= $2"}, 1000), []any{"x", 1}, "oplog_subject", "oplog_subject"},
			{"operator", oplog.QuerySQL([]string{"collation_id = $1 AND collation_id <> ''"}, 1000), []any{"C1"}, "oplog_operator", "oplog_operator"},
			{"operation", oplog.QuerySQL([]string{"operation = $1"}, 1000), []any{"network.receive"}, "oplog_operation", "oplog_operation"},
			{"terminal", oplog.QuerySQL([]string{"terminal = $1 AND terminal <> ''"}, 1000), []any{"T1"}, "oplog_terminal", "oplog_terminal"},
			{"time range", oplog.QueryByIndexSQL([]string{"idx >= $1", "idx < $2"}, 1000), []any{1, 2}, "INTEGER PRIMARY KEY", "oplog_pkey"},
			{"result in time range", oplog.QueryByIndexSQL([]string{"(result = $1 OR run > 1)", "idx >= $2", "idx < $3"}, 1000), []any{"ok", 1, 2}, "INTEGER PRIMARY KEY", "oplog_pkey"},
			{"everything newest first", oplog.QueryByIndexSQL(nil, 1000), nil, "SCAN oplog", "oplog_pkey"},
			{"everything, next page", oplog.QueryByIndexSQL([]string{"idx >= $1", "idx < $2"}, 1000), []any{0, 2}, "INTEGER PRIMARY KEY", "oplog_pkey"},
			{"operation and result, next page", oplog.QuerySQL([]string{"operation = $1", "(result = $2 OR run > 1)", "time <= $3 AND (time < $3 OR idx < $4)"}, 1000), []any{"network.receive", "ok", 1, 2}, "oplog_operation", "oplog_operation"},
			{"resident, next page", oplog.QuerySQL([]string{"subject = $1 AND subject <> ''", "time <= $2 AND (time < $2 OR idx < $3)"}, 1000), []any{"x", 1, 2}, "oplog_subject", "oplog_subject"},
			{"resident inside runs", oplog.ResidentRunsSQL(1000), []any{int64(7), 0, 2}, "oplog_resident USING PRIMARY KEY", "oplog_resident_pkey"},
			{"run row holding a record", oplog.HoldingRowSQL, []any{1}, "INTEGER PRIMARY KEY", "oplog_pkey"},
			{"binary search probe", `SELECT time FROM oplog WHERE idx <= $1 ORDER BY idx DESC LIMIT 1`, []any{1}, "INTEGER PRIMARY KEY", "oplog_pkey"},
			{"oldest record", `SELECT time FROM oplog ORDER BY idx LIMIT 1`, nil, "SCAN oplog", "oplog_pkey"},
			{"report", oplog.ReportSQL, []any{1, 2}, "INTEGER PRIMARY KEY", "oplog_pkey"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				plan := explain(t, db, tc.query, tc.args)
				want := tc.sqlite
				if db.Engine() == store.Postgres {
					want = tc.pg
				}
				if !bytes.Contains(plan, []byte(want)) || bytes.Contains(plan, []byte("TEMP B-TREE")) {
					t.Errorf("plan of %q: want %q and no sort:\n%s", tc.query, want, plan)
				}
			})
		}
	})
}

func explain(t *testing.T, db *store.DB, q string, args []any) []byte {
	t.Helper()
	tx, err := db.Bookkeeping(store.Inspect).Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	explain := "EXPLAIN QUERY PLAN " + q
	if db.Engine() == store.Postgres {
		// An empty table would otherwise be scanned.
		if _, err := tx.Exec(`SET LOCAL enable_seqscan = off`); err != nil {
			t.Fatal(err)
		}
		explain = "EXPLAIN " + q
	}
	rows, err := tx.Query(explain, args...)
	if err != nil {
		t.Fatalf("%s: %v", explain, err)
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
	return plan.Bytes()
}
