package store

import (
	"context"
	"database/sql"
	"os"
	"sync"
	"time"
)

// WAL checkpoints on SQLite.
//
// SQLite's automatic checkpoint runs inside the commit of whichever
// connection pushes the write-ahead log past wal_autocheckpoint pages: the
// writer copies the WAL back into the database file (and fsyncs both) before
// its COMMIT returns — a quarter of the append path's CPU in the operation-log
// profile (docs/performance.md). Instead every connection of a DB runs with
// wal_autocheckpoint = 0 and a checkpointer on a connection of its own copies
// the WAL in the background, beside the writer:
//
//   - after a write transaction (a kick from the writer lock's release) and
//     once every walCheckpointEvery, a PASSIVE checkpoint copies what it can
//     without waiting for anyone; then it pauses, so under a stream of
//     writes a page written by several transactions is copied once (−16 %
//     CPU per appended record measured with a 100 ms pause). The pause is
//     walCheckpointPause, a second, unless the WAL grew by walBusyFrames a
//     second or more since the last pass: then walBusyPause, 100 ms, so a
//     heavy writer's passes stay small and its WAL far from the restart
//     size. A node of a country's network commits a few small transactions
//     a second, and a pass after each of them fsynced both files for one
//     transaction's pages: a tenth of the country's CPU;
//   - the WAL is only rewound from its start by a writer that finds it wholly
//     copied, which a continuous stream of writes never lets a background
//     checkpoint achieve; so once the WAL holds walRestartPages frames the
//     checkpointer catches up once more, then copies the rest while holding
//     the writer lock (only the last transaction or so), and the next writer
//     starts the WAL over; journal_size_limit then cuts the file back;
//   - as a hard bound, a writer that finds the WAL file larger than
//     walHardFactor × the restart size checkpoints it itself before
//     releasing the writer lock, as SQLite's automatic checkpoint would
//     have (TestWALStaysBoundedUnderWrites);
//   - Close copies everything into the database file and empties the WAL
//     (without waiting for other processes).
//
// Durability is unchanged: a COMMIT is durable exactly as before (WAL,
// synchronous=NORMAL); only the copying into the database file moved, with
// its fsyncs. A reader holding an old snapshot keeps the WAL from being
// copied past it and rewound, as it always did; the writer's fallback then
// finds nothing to copy and the WAL grows until the reader ends.

// Tunables (tests shrink them through export_test.go).
var (
	// Each start-over costs the writer a short stall (the last transaction's
	// frames are copied and both files fsynced under the writer lock: 30–50
	// ms measured), so not too often: 64 MB of WAL.
	walRestartPages    int64 = 16384
	walHardFactor      int64 = 2 // walHardBytes = walHardFactor × the restart size
	walCheckpointEvery       = time.Second
	walCheckpointPause       = time.Second
	walBusyPause             = 100 * time.Millisecond
	walBusyFrames            = 4096.0 // a second: 16 MB of WAL
)

type walCheckpointer struct {
	db       *DB
	conn     *sql.DB // one connection of its own, or the DB's pool (shared)
	shared   bool
	dsn      string // for the last checkpoint when the pool is shared
	walPath  string
	restart  int64 // frames
	hard     int64 // bytes of WAL file
	kick     chan struct{}
	quit     chan struct{}
	done     chan struct{}
	once     sync.Once
	lockKick bool // a write happened since the last checkpoint under the writer lock (loop goroutine only)
	// copiedAll is the WAL file as it was when a checkpoint found all of it
	// copied (loop goroutine only): while the file stays so, a tick has
	// nothing to copy and runs no checkpoint — an idle node's checkpoint a
	// second was a tenth of a 1,789-node country's CPU.
	copiedAll walStat
	// lastLog and lastPass are the WAL's frames at the last pass and its
	// time (loop goroutine only): the rate of writes sets the pause.
	lastLog  int64
	lastPass time.Time
	// bulkLoad is set by a transaction that dropped indexes for a bulk
	// load (writer lock held): its commit leaves the copy of its WAL to the
	// background pass (afterWrite).
	bulkLoad bool
}

// walStat is what tells that a WAL file changed: any frame written changes
// its modification time.
type walStat struct {
	size int64
	mod  int64 // UnixNano
	ok   bool
}

func (c *walCheckpointer) walStat() walStat {
	fi, err := os.Stat(c.walPath)
	if err != nil {
		return walStat{}
	}
	return walStat{size: fi.Size(), mod: fi.ModTime().UnixNano(), ok: true}
}

// walSizeLimit is journal_size_limit: the WAL file is cut back to this after
// it starts over.
func walSizeLimit(pageSize int64) int64 { return walRestartPages * (pageSize + 24) }

// startCheckpointer opens the checkpointer's connection and starts it.
// With shared, a small database's (two connections: jukinet bench country's
// municipalities), it checkpoints on a connection of the DB's pool instead:
// a connection holds its own parse of the schema and cache, ≈ 400 KB
// measured, and a checkpoint is short enough to borrow one.
func (db *DB) startCheckpointer(ctx context.Context, dsn, path string, shared bool) error {
	conn := db.sql
	if !shared {
		var err error
		if conn, err = sql.Open("sqlite", dsn); err != nil {
			return err
		}
		conn.SetMaxOpenConns(1)
		conn.SetMaxIdleConns(1)
		conn.SetConnMaxIdleTime(0)
	}
	var pageSize int64
	if err := conn.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize); err != nil {
		if !shared {
			conn.Close()
		}
		return err
	}
	c := &walCheckpointer{
		db: db, conn: conn, shared: shared, dsn: dsn, walPath: path + "-wal",
		restart: walRestartPages,
		hard:    walHardFactor * walSizeLimit(pageSize),
		kick:    make(chan struct{}, 1),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	db.ckpt = c
	go c.run()
	return nil
}

// checkpoint runs one checkpoint of the given mode and returns the WAL's
// frames and how many of them are now in the database file.
func (c *walCheckpointer) checkpoint(mode string) (log, copied int64, err error) {
	var busy int
	err = c.conn.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(`+mode+`)`).Scan(&busy, &log, &copied)
	return log, copied, err
}

func (c *walCheckpointer) run() {
	defer close(c.done)
	tick := time.NewTicker(walCheckpointEvery)
	defer tick.Stop()
	for {
		select {
		case <-c.quit:
			return
		case <-c.kick:
			c.lockKick = true
		case <-tick.C:
			if c.copiedAll.ok && c.walStat() == c.copiedAll {
				if h := c.db.activeHooks(); h != nil {
					h.walIdleTick()
					if c.copiedAll.size > 0 {
						h.walCopiedAll() // still wholly copied
					}
				}
				continue
			}
		}
		before := c.walStat()
		log, copied, err := c.checkpoint("PASSIVE")
		if h := c.db.activeHooks(); h != nil {
			h.walPass()
		}
		c.copiedAll = walStat{}
		if err == nil && copied == log {
			c.copiedAll = before // a write since the stat changes the file: the next tick copies it
		}
		if h := c.db.activeHooks(); h != nil && err == nil && log > 0 && copied == log {
			h.walCopiedAll()
		}
		if err == nil && log >= c.restart && c.lockKick {
			// Catch up with what was written meanwhile, then finish the
			// copy with no writer running, so the next writer finds the
			// WAL wholly copied and starts it over.
			c.checkpoint("PASSIVE")
			c.db.writer <- struct{}{}
			c.checkpoint("PASSIVE")
			c.lockKick = false
			<-c.db.writer
		}
		// Let writes gather: a page written by several transactions is
		// then copied once.
		if pause := c.pause(log, err == nil); pause > 0 {
			t := time.NewTimer(pause)
			select {
			case <-c.quit:
				t.Stop()
				return
			case <-t.C:
			}
		}
	}
}

// pause is the wait after a pass that found log frames in the WAL:
// walBusyPause while the WAL grows by walBusyFrames a second or more,
// walCheckpointPause otherwise.
func (c *walCheckpointer) pause(log int64, ok bool) time.Duration {
	now := time.Now()
	grown := log - c.lastLog
	if log < c.lastLog {
		grown = log // started over since
	}
	busy := ok && !c.lastPass.IsZero() && float64(grown) >= walBusyFrames*now.Sub(c.lastPass).Seconds()
	if ok {
		c.lastLog, c.lastPass = log, now
	}
	if busy {
		return walBusyPause
	}
	return walCheckpointPause
}

// afterWrite runs at the end of each write transaction, writer lock held.
func (c *walCheckpointer) afterWrite() {
	load := c.bulkLoad
	c.bulkLoad = false
	// A bulk load (DropIndexes: a register's first load) is one
	// transaction of the whole register, ≈ 350 MB of WAL for 200,000
	// residents. Copied here it held the load's return and the writer
	// lock (0.9 s of a 10.75 s CPU profile of the load, docs/scale.md)
	// while the second core idled: the background pass the kick below
	// starts copies it instead. A writer that finds the WAL still past
	// the bound after it copies it itself, as before.
	if fi, err := os.Stat(c.walPath); err == nil && fi.Size() > c.hard && !load {
		// The background checkpoints fell behind: copy now, like SQLite's
		// automatic checkpoint, so the WAL stays bounded.
		if h := c.db.activeHooks(); h != nil {
			h.walWriterRun()
		}
		c.checkpoint("PASSIVE")
	}
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// close stops the checkpointer and checkpoints the whole WAL into the
// database file, truncating it. The DB's other connections are closed by
// then.
func (c *walCheckpointer) close() error {
	var err error
	c.once.Do(func() {
		close(c.quit)
		<-c.done
		if c.shared {
			// The pool is closed by now: a connection for the last copy.
			conn, oerr := sql.Open("sqlite", c.dsn)
			if oerr != nil {
				err = oerr
				return
			}
			conn.SetMaxOpenConns(1)
			c.conn = conn
		}
		// Copy what can be copied without waiting; then, never waiting
		// (another process may use the database: a waiting TRUNCATE would
		// hold its writers back), empty the WAL file. Closing the last
		// connection checkpoints and deletes the WAL anyway when no other
		// process has the database open.
		c.checkpoint("PASSIVE")
		c.conn.ExecContext(context.Background(), `PRAGMA busy_timeout = 0`)
		// Busy is no failure: the WAL then stays, valid, for the others.
		c.checkpoint("TRUNCATE")
		err = c.conn.Close()
	})
	return err
}
