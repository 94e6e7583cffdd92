package store_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// ANALYZE writes the statistics tables, so on SQLite it must queue behind a
// running writer rather than race it in SQLite's busy handler: there its
// 10-second timeout failed a long bulk load when the 10-minute refresh fell
// inside one of the load's transactions.
func TestStatisticsQueueBehindWriters(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{Path: filepath.Join(t.TempDir(), "n.db"), Node: "352063"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, run := range map[string]func() error{
		"Analyze":           func() error { return db.Analyze(ctx) },
		"RefreshStatistics": func() error { return store.RefreshStatistics(ctx, db) },
	} {
		release := store.HoldWriter(db)
		done := make(chan error, 1)
		go func() { done <- run() }()
		select {
		case err := <-done:
			release()
			t.Fatalf("%s ran while a writer held the lock (err %v)", name, err)
		case <-time.After(200 * time.Millisecond):
		}
		release()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s after the writer: %v", name, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s did not run once the writer released the lock", name)
		}
	}
}

// A refusal the caller decided is recorded with result "refused", so that
// an auditor filtering the log by result finds it; an operation that ran is
// "ok".
func TestRecordRefusalResult(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{Path: filepath.Join(t.TempDir(), "n.db"), Node: "352063"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	actx := jukinet.WithActor(ctx, jukinet.SystemActor("test"))
	if err := db.RecordRefusal(actx, store.Op{Operation: jukinet.OpGovRefused, Detail: "refused: field date"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(actx, store.Op{Operation: jukinet.OpGovRefused, Detail: "ran"}, func(*store.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range storetest.Records(t, db, func(r store.LogRecord) bool { return r.Operation == string(jukinet.OpGovRefused) }) {
		got[r.Detail] = r.Result
	}
	if got["refused: field date"] != store.ResultRefused || got["ran"] != "ok" {
		t.Fatalf("results %v, want the refusal %q and the operation ok", got, store.ResultRefused)
	}
}

// Analyze of several tables analyzes every one of them (on PostgreSQL
// they are split over two sessions), and only them.
func TestAnalyzeEveryNamedTable(t *testing.T) {
	for _, e := range storetest.Engines() {
		if e != store.Postgres {
			continue // SQLite keeps no time of its last ANALYZE per table
		}
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, e, "352063")
			analyzed := func() map[string]bool {
				rows, err := db.Bookkeeping(store.Inspect).QueryContext(ctx, `SELECT relname FROM pg_stat_user_tables
					WHERE schemaname = current_schema() AND last_analyze IS NOT NULL`)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				out := map[string]bool{}
				for rows.Next() {
					var n string
					if err := rows.Scan(&n); err != nil {
						t.Fatal(err)
					}
					out[n] = true
				}
				return out
			}
			before := analyzed()
			tables := []string{"outbox", "inbox", "oplog", "node_meta", "schema_migrations"}
			if err := db.Analyze(ctx, tables...); err != nil {
				t.Fatal(err)
			}
			after := analyzed()
			for _, tb := range tables {
				if !after[tb] {
					t.Errorf("%s was not analyzed", tb)
				}
			}
			for tb := range after {
				if !before[tb] && !slices.Contains(tables, tb) {
					t.Errorf("%s was analyzed, but not named", tb)
				}
			}
		})
	}
}
