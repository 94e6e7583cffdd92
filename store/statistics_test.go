package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jukinet/jukinet/store"
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
