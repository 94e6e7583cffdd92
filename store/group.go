package store

import (
	"context"
	"database/sql"

	"github.com/jukinet/jukinet"
)

// Log-only records — View(ctx, op, nil): the access is the record, its read
// ran beside it — commit in groups. Each waits for the writer lock; whoever
// holds it commits every record waiting then, in queue order, in one
// transaction: the View that takes the lock itself, or a ViewIfIdle read
// between its parts (Tx.Yield). So a batch read beside the writer waits for
// its record no longer than one part of the writer's read, not the whole of
// it (docs/scale.md). Each record is appended as its own transaction would
// have appended it; each caller gets the group's error and returns only
// once its record is committed. On PostgreSQL, which has no writer lock,
// the lock only leads the groups.

// logOnly is one log-only record waiting to commit.
type logOnly struct {
	rec  []LogRecord // the one record; appendLog sets its index and hash
	done chan error  // the group's outcome, sent once
}

// viewLogOnly is View with no read of its own: authorized as Update does,
// then the record committed in a group.
func (db *DB) viewLogOnly(ctx context.Context, op Op) error {
	actor, err := db.authorize(ctx, op)
	if err != nil {
		return err
	}
	p := &logOnly{rec: []LogRecord{db.record(ctx, actor, op, "ok", db.now().UnixMicro())}, done: make(chan error, 1)}
	db.groupMu.Lock()
	db.group = append(db.group, p)
	db.waiting.Store(int32(len(db.group)))
	db.groupMu.Unlock()
	select {
	case err = <-p.done:
	case db.writer <- struct{}{}:
		// The holder before may have committed it; if not, it is still
		// queued, and this View commits the group.
		select {
		case err = <-p.done:
		default:
			db.commitGroup(ctx, nil)
			err = <-p.done
		}
		db.unlockWriter()
	}
	if err != nil {
		return err
	}
	db.afterUpdate(ctx, p.rec, nil)
	return nil
}

// commitGroup commits the waiting log-only records in one transaction, on
// conn (nil: a connection of the pool), and tells each its outcome: all
// committed, or none. The writer lock is held.
func (db *DB) commitGroup(ctx context.Context, conn *sql.Conn) error {
	db.groupMu.Lock()
	group := db.group
	db.group = nil
	db.waiting.Store(0)
	db.groupMu.Unlock()
	if len(group) == 0 {
		return nil
	}
	err := db.appendGroup(context.WithoutCancel(ctx), conn, group)
	if h := db.activeHooks(); h != nil && err == nil {
		h.logGroup(len(group))
	}
	for _, p := range group {
		p.done <- err
	}
	return err
}

// appendGroup appends group's records in one transaction.
func (db *DB) appendGroup(ctx context.Context, conn *sql.Conn, group []*logOnly) error {
	const op = "store.View"
	var sqlTx *sql.Tx
	var err error
	if conn != nil {
		sqlTx, err = conn.BeginTx(ctx, nil)
	} else {
		var c *sql.Conn
		sqlTx, c, err = db.begin(ctx)
		if c != nil {
			defer c.Close()
		}
	}
	if err != nil {
		return jukinet.E(op, jukinet.KindUnavailable, err)
	}
	defer sqlTx.Rollback()
	tx := &Tx{ctx: ctx, tx: sqlTx, db: db}
	for _, p := range group {
		// One call per record: each is encoded as in a transaction of its own.
		if err := appendLog(tx, p.rec); err != nil {
			return jukinet.E(op, jukinet.KindInternal, "oplog", err)
		}
	}
	for _, step := range []string{"oplog", "commit"} {
		if err := db.fail(step); err != nil {
			return err
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return jukinet.E(op, jukinet.KindInternal, "commit", err)
	}
	return nil
}

// Yield commits the log-only records waiting for the writer (View with no
// read of its own), in a transaction of their own, and goes on reading in a
// new transaction on the same connection, whose page cache therefore
// survives. It is for ViewIfIdle's read between its parts, which reads
// nothing it needs consistent with the parts before; what the transaction
// wrote so far is discarded, as a View writes nothing. Anywhere else, or
// with nobody waiting, it does nothing. An error is the group's, which then
// fails too.
func (tx *Tx) Yield() error {
	if tx.own == nil || tx.db.waiting.Load() == 0 {
		return nil
	}
	for _, st := range tx.stmts {
		st.Close()
	}
	tx.stmts = nil
	tx.tx.Rollback()
	err := tx.db.commitGroup(tx.ctx, tx.own)
	next, berr := tx.own.BeginTx(tx.ctx, nil)
	if berr != nil {
		// tx.tx stays the one rolled back: every later use fails.
		return jukinet.E("store.Tx.Yield", jukinet.KindUnavailable, berr)
	}
	tx.tx = next
	return err
}
