package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// writeRandomRows commits n rows of 500 bytes at random keys of table probe,
// so the transaction dirties pages all over the b-tree.
func writeRandomRows(t *testing.T, db *store.DB, n int) {
	t.Helper()
	ctx := jukinet.WithActor(context.Background(), recorder)
	err := db.Update(ctx, store.Op{Operation: jukinet.OpMoveWithin}, func(tx *store.Tx) error {
		args := make([]any, 0, 2*n)
		for range n {
			var k [8]byte
			rand.Read(k[:])
			v := make([]byte, 500)
			rand.Read(v)
			args = append(args, int64(binary.LittleEndian.Uint64(k[:])>>1), v)
		}
		return tx.InsertRows(`INSERT INTO probe (k, v) VALUES `, 2, args)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func walSize(t *testing.T, dbPath string) int64 {
	t.Helper()
	fi, err := os.Stat(dbPath + "-wal")
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// A writer's commit no longer checkpoints (wal_autocheckpoint is off); the
// background checkpointer copies the WAL into the database file by itself,
// and the next writer then starts the WAL over (the file is cut back to
// journal_size_limit) — without the writer's own fallback checkpoint.
// A small database (two connections) checkpoints on its pool's
// connections, as a larger one does on its own.
func TestWALCheckpointedInBackground(t *testing.T) {
	for _, conns := range []int{0, 2} {
		t.Run(fmt.Sprintf("conns=%d", conns), func(t *testing.T) { walCheckpointedInBackground(t, conns) })
	}
}

func walCheckpointedInBackground(t *testing.T, conns int) {
	defer store.SetWALLimits(64, 1000)() // no fallback below ~260 MB
	cfg := storetest.Config(t, store.SQLite, "352063")
	cfg.Conns = conns
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	db.CountCheckpoints()
	defer db.Close()
	for range 3 { // several pooled connections
		var n int
		if err := db.Bookkeeping(store.Inspect).QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("wal_autocheckpoint = %d, want 0 (checkpoints run in the background)", n)
		}
	}
	if _, err := db.Bookkeeping(store.Inspect).Exec(`CREATE TABLE probe (k INTEGER PRIMARY KEY, v BLOB)`); err != nil {
		t.Fatal(err)
	}
	writeRandomRows(t, db, 5000) // ~2.5 MB of rows
	grown := walSize(t, cfg.Path)
	// Wait for two background passes that copied everything (an
	// asynchronous event, not a speed test): the second began after the
	// last commit, so the WAL is wholly in the database file.
	before, _ := db.WALCheckpoints()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if n, _ := db.WALCheckpoints(); n >= before+2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no background checkpoint copied the WAL after the writes")
		}
	}
	writeRandomRows(t, db, 10) // at most ~20 pages
	after := walSize(t, cfg.Path)
	limit := int64(64+20) * (4096 + 24)
	if grown <= 2*limit || after > limit {
		t.Errorf("WAL %d bytes after a large write, %d after the checkpoint and one small write; want more than %d, then at most %d", grown, after, 2*limit, limit)
	}
	if _, writerRuns := db.WALCheckpoints(); writerRuns != 0 {
		t.Errorf("the writer checkpointed %d times itself, want 0", writerRuns)
	}
	// Idle, the ticks find the WAL as the last pass left it and run no
	// checkpoint (an asynchronous event: waited for, not timed).
	idle := db.WALIdleTicks()
	for deadline := time.Now().Add(30 * time.Second); db.WALIdleTicks() < idle+2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("every tick of an idle database ran a checkpoint")
		}
	}
}

// Under a continuous stream of writes the WAL is still started over: its
// file never grows past the hard bound plus one transaction, where without
// checkpoints it would hold everything written (~30 MB here).
func TestWALStaysBoundedUnderWrites(t *testing.T) {
	defer store.SetWALLimits(64, 4)()
	cfg := storetest.Config(t, store.SQLite, "352063")
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	db.CountCheckpoints()
	defer db.Close()
	if _, err := db.Bookkeeping(store.Inspect).Exec(`CREATE TABLE probe (k INTEGER PRIMARY KEY, v BLOB)`); err != nil {
		t.Fatal(err)
	}
	const txs, rows = 60, 200
	// A transaction writes at most ~rows leaf pages plus interior pages.
	bound := db.WALHardBytes() + 2*rows*(4096+24)
	var largest int64
	for range txs {
		writeRandomRows(t, db, rows)
		largest = max(largest, walSize(t, cfg.Path))
	}
	if largest > bound {
		t.Errorf("WAL file reached %d bytes, want at most %d", largest, bound)
	}
	copiedAll, writerRuns := db.WALCheckpoints()
	t.Logf("largest WAL %d bytes (bound %d); background passes that copied all: %d; checkpoints run by the writer: %d", largest, bound, copiedAll, writerRuns)
	var n int
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM probe`).Scan(&n); err != nil || n != txs*rows {
		t.Fatalf("probe has %d rows (%v), want %d", n, err, txs*rows)
	}
}

// Close leaves everything in the database file: no WAL behind.
func TestCloseCheckpointsWAL(t *testing.T) {
	cfg := storetest.Config(t, store.SQLite, "352063")
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Bookkeeping(store.Inspect).Exec(`CREATE TABLE probe (k INTEGER PRIMARY KEY, v BLOB)`); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		writeRandomRows(t, db, 200)
	}
	if walSize(t, cfg.Path) == 0 {
		t.Fatal("no WAL before Close: the test proves nothing")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if n := walSize(t, cfg.Path); n != 0 {
		t.Errorf("WAL holds %d bytes after Close, want none", n)
	}
	// Read the database file alone: a read-only, immutable open ignores any WAL.
	raw, err := sql.Open("sqlite", "file:"+cfg.Path+"?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM probe`).Scan(&n); err != nil || n != 1000 {
		t.Errorf("the database file has %d probe rows (%v), want 1000", n, err)
	}
}

// A database that commits small transactions a few times a second (a node
// of a country's network) runs a background pass at most once a second,
// not one after each commit: each pass fsyncs the WAL and the database file
// for a transaction's pages. The bound is taken from the time the writes
// really took, so a slow machine only loosens it.
func TestSparseWritesCheckpointedOnceASecond(t *testing.T) {
	cfg := storetest.Config(t, store.SQLite, "352063")
	cfg.Conns = 2
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Bookkeeping(store.Inspect).Exec(`CREATE TABLE probe (k INTEGER PRIMARY KEY, v BLOB)`); err != nil {
		t.Fatal(err)
	}
	db.CountCheckpoints()
	const writes = 30
	start := time.Now()
	for range writes {
		writeRandomRows(t, db, 1)
		time.Sleep(50 * time.Millisecond)
	}
	elapsed := time.Since(start)
	passes := db.WALPasses()
	bound := int64(elapsed/time.Second) + 2
	if passes > bound {
		t.Errorf("%d background passes for %d small commits over %v, want at most %d (one a second)", passes, writes, elapsed, bound)
	}
	if passes == 0 {
		t.Error("no background pass ran during the writes")
	}
}

// A bulk load (a transaction that dropped indexes: a register's first
// load) leaves the copy of its WAL to the background pass, even past the
// hard bound, instead of holding the writer lock to copy it; an ordinary
// transaction as large still copies it itself.
func TestBulkLoadLeavesItsWALToTheBackground(t *testing.T) {
	defer store.SetWALLimits(64, 1)() // hard bound: 64 pages
	cfg := storetest.Config(t, store.SQLite, "352063")
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Bookkeeping(store.Inspect).Exec(`CREATE TABLE probe (k INTEGER PRIMARY KEY, v BLOB)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Bookkeeping(store.Inspect).Exec(`CREATE INDEX probe_v ON probe (v)`); err != nil {
		t.Fatal(err)
	}
	db.CountCheckpoints()
	ctx := jukinet.WithActor(context.Background(), recorder)
	err = db.Update(ctx, store.Op{Operation: jukinet.OpMoveWithin}, func(tx *store.Tx) error {
		if err := tx.DropIndexes("probe"); err != nil {
			return err
		}
		args := make([]any, 0, 2*2000)
		for i := range 2000 {
			v := make([]byte, 500)
			rand.Read(v)
			args = append(args, int64(i), v)
		}
		if err := tx.InsertRows(`INSERT INTO probe (k, v) VALUES `, 2, args); err != nil {
			return err
		}
		return tx.RebuildIndexes()
	})
	if err != nil {
		t.Fatal(err)
	}
	if size := walSize(t, cfg.Path); size <= db.WALHardBytes() {
		t.Fatalf("WAL %d bytes after the load, not past the hard bound %d: the test proves nothing", size, db.WALHardBytes())
	}
	if _, writerRuns := db.WALCheckpoints(); writerRuns != 0 {
		t.Errorf("the bulk load's writer checkpointed %d times itself, want 0", writerRuns)
	}
	// The background copies it (an asynchronous event: waited for).
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if copiedAll, _ := db.WALCheckpoints(); copiedAll > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no background pass copied the bulk load's WAL")
		}
	}
	writeRandomRows(t, db, 2000)
	if _, writerRuns := db.WALCheckpoints(); writerRuns == 0 {
		t.Error("an ordinary transaction past the hard bound left its copy to the background")
	}
}
