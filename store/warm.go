package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jukinet/jukinet"
)

// Warm readers (SQLite). In WAL mode a connection empties its page cache,
// and unmaps the file, when it starts a read after another connection's
// commit, and every batch lookup commits a log record: a reader-pool
// connection meets every page of a batch cold. A warm reader instead keeps
// one read transaction open from batch to batch — its snapshot, hence its
// page cache and its mapping of the file, last — as long as nothing but
// log records was committed since it began (the data generation, dataGen,
// is unchanged) and for at most warmSnapshotAge. So a batch read beside the
// writer sees every change that was committed before it started, as a read
// on a fresh snapshot would; only the log records committed meanwhile are
// not in its snapshot, and it reads none. Decision 0011.

// warmReaders is how many warm readers a SQLite database keeps: one batch
// at a time each, beside the one on the writer's connection.
const warmReaders = 2

// warmCacheKiB bounds the page cache of a warm reader.
var warmCacheKiB = 64 << 10

// warmSnapshotAge bounds how long a warm reader keeps one snapshot: a
// snapshot held open keeps the checkpointer from copying the WAL past it,
// and a write made by another process (an operator's command on the same
// file) is not counted in dataGen. A variable for the tests.
var warmSnapshotAge = 5 * time.Second

// warmReader is one connection that keeps its read transaction open.
type warmReader struct {
	conn *sql.Conn
	mu   sync.Mutex // held while the snapshot is used or ended
	held bool       // a read transaction is open
	gen  uint64     // dataGen when it began
	at   time.Time  // when it began
	seq  uint64     // counts the snapshots begun
	end  *time.Timer
}

// openWarmReaders opens the warm readers (warmDSN: each with the page
// cache and the mapping of the file of a writing connection).
func (db *DB) openWarmReaders(ctx context.Context) error {
	pool, err := sql.Open("sqlite", db.warmDSN)
	if err != nil {
		return err
	}
	pool.SetMaxOpenConns(warmReaders)
	pool.SetMaxIdleConns(warmReaders)
	pool.SetConnMaxIdleTime(0)
	warm := make(chan *warmReader, warmReaders)
	for range warmReaders {
		conn, err := pool.Conn(ctx)
		if err != nil {
			pool.Close()
			return err
		}
		warm <- &warmReader{conn: conn}
	}
	db.warmPool, db.warm = pool, warm
	return nil
}

// closeWarmReaders ends the warm readers' snapshots and closes them; none
// opens after.
func (db *DB) closeWarmReaders() error {
	db.warmOnce.Do(func() { db.warmErr = errors.New("store: the database is closed") })
	if db.warmPool == nil {
		return nil
	}
	for range warmReaders {
		w := <-db.warm
		w.mu.Lock()
		w.finish()
		w.conn.Close()
		w.mu.Unlock()
	}
	return db.warmPool.Close()
}

// ReadWarm runs fn with a query function on a warm reader, if one is free
// (SQLite; on PostgreSQL, or with every warm reader busy, it runs nothing
// and reports false): a connection whose page cache and mapping of the
// file outlive the log records committed beside it. It sees every commit
// that returned before it started, except those of log-only records. Like
// ReadConn it is not an audited read: the caller records it (View with a
// nil fn, G15). Nothing is written through it.
func (db *DB) ReadWarm(ctx context.Context, fn func(query func(q string, args ...any) (*sql.Rows, error)) error) (bool, error) {
	if db.warmDSN == "" {
		return false, nil
	}
	db.warmOnce.Do(func() { db.warmErr = db.openWarmReaders(context.WithoutCancel(ctx)) })
	if db.warmErr != nil {
		return true, jukinet.E("store.DB.ReadWarm", jukinet.KindUnavailable, db.warmErr)
	}
	var w *warmReader
	select {
	case w = <-db.warm:
	default:
		return false, nil
	}
	defer func() { db.warm <- w }()
	w.mu.Lock()
	defer w.mu.Unlock()
	seq := w.seq
	if err := w.begin(ctx, db.dataGen.Load()); err != nil {
		return true, jukinet.E("store.DB.ReadWarm", jukinet.KindUnavailable, err)
	}
	if h := db.activeHooks(); h != nil {
		h.warmRead(w.seq != seq)
	}
	err := fn(func(q string, args ...any) (*sql.Rows, error) { return w.conn.QueryContext(ctx, q, args...) })
	if err != nil {
		// A failed read may have left the transaction unusable.
		w.finish()
	}
	return true, err
}

// begin makes w's snapshot current: it keeps the open one if nothing but
// log records was committed since it began (gen) and it is younger than
// warmSnapshotAge, else it ends it and begins another. The read
// transaction itself starts at the first query, after gen was read, so it
// holds every commit counted in gen. w.mu is held.
func (w *warmReader) begin(ctx context.Context, gen uint64) error {
	if w.held && w.gen == gen && time.Since(w.at) < warmSnapshotAge {
		return nil
	}
	w.finish()
	if _, err := w.conn.ExecContext(ctx, `BEGIN DEFERRED`); err != nil {
		return fmt.Errorf("warm reader: %w", err)
	}
	w.seq++
	w.held, w.gen, w.at = true, gen, time.Now()
	// An idle reader must not hold its snapshot for ever: end this one
	// once it is old, after the read that may be using it then.
	seq := w.seq
	w.end = time.AfterFunc(warmSnapshotAge, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.seq == seq {
			w.finish()
		}
	})
	return nil
}

// finish ends w's read transaction, if one is open. w.mu is held.
func (w *warmReader) finish() {
	if w.end != nil {
		w.end.Stop()
		w.end = nil
	}
	if w.held {
		w.conn.ExecContext(context.Background(), `ROLLBACK`)
		w.held = false
	}
}
