// Package store opens a node's database — SQLite (modernc.org/sqlite, the
// embedded default) or PostgreSQL (pgx) — applies its migrations and provides
// the three ways in (ways.go), the only handles to the database:
//
//   - DB.Update, the one write path for business state: a change, its
//     outgoing messages (transactional outbox) and its operation-log records
//     in one transaction, authorized (docs/design.md §1.1);
//   - DB.View, the audited read: authorized, and the persons it shows are
//     recorded; DB.RecordRefusal records a refusal the caller decided;
//   - DB.Bookkeeping, for derived or bookkeeping data and reads of rows
//     without residents' data, each use naming a Purpose whose reason is
//     listed in ways.go.
//
// Nothing else in jukinet changes business state: the handle itself is not
// exported, and each table's SQL lives in the package that owns it (the
// root package's TestOneOwnerPerTable).
package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	"github.com/jukinet/jukinet"
	_ "modernc.org/sqlite" // SQLite driver "sqlite"
)

// Engine names a database engine.
type Engine string

// The engines jukinet runs on.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Config says which database to open: Path for an SQLite file, DSN for a
// PostgreSQL connection URL. Exactly one must be set.
type Config struct {
	Path string // SQLite file; created with mode 0600 (G12.1)
	DSN  string // postgres://…
	// ReadDSN, PostgreSQL only, is where reads that may lag the primary go:
	// batch lookups for agencies read on a standby (target_session_attrs=
	// prefer-standby) while every write, and every lookup's log record, goes
	// to DSN. Empty: reads use DSN too.
	ReadDSN string
	// Node is the node ID recorded in every operation-log record (an LG code
	// or "national"). The database records the node it belongs to: "" means
	// that node, and another node's ID is refused. Required for a new
	// database.
	Node string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// SQLite only: Conns is the pool's connections (0 means 4; at least 2:
	// a transaction prepares a shared statement on a second one) and CacheKiB
	// each connection's page cache (0 means 64 MiB, 512 MiB at national). A
	// node among thousands in one process (jukinet bench country) keeps them
	// small: every connection holds its own cache and prepared statements,
	// and two files open.
	Conns    int
	CacheKiB int
	// SQLite only: MmapBytes is how much of the file the pool's connections
	// map: 0 means the default (nationalMmapBytes at national, none
	// elsewhere), negative none. The mapped pages a connection touched are
	// in the process's resident set, per connection: a country of nodes in
	// one process maps nothing.
	MmapBytes int64
}

//go:embed migrations
var migrationFS embed.FS

// DB is one node's database.
type DB struct {
	sql    *sql.DB
	read   *sql.DB // ReadDSN's pool, the SQLite reader pool, or nil
	engine Engine
	node   string
	now    func() time.Time
	// subjectKey keys the tokens that stand for resident codes in the
	// operation log, so the log names whom an operation touched without
	// holding the code itself.
	subjectKey []byte
	subjectMAC sync.Pool // of hash.Hash: HMAC-SHA256 keyed with subjectKey

	// onQueue is told after a commit that appended outbox rows which
	// destinations they go to, so senders need not poll (docs/design.md §4:
	// immediate wake-up on new rows) and wake only for their destination.
	queueMu sync.Mutex
	onQueue map[int]func(dests []string)
	queueID int
	hooks   atomic.Value // of testHooks; never set in production (export_test.go sets it)
	onLog   []func(ctx context.Context, recs []LogRecord)
	onLogMu sync.Mutex
	guard   atomic.Pointer[Guard]

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt // prepared statements of the write path, by text
	bulk   map[string]*sql.Stmt // prepared multi-row inserts (bulk.go), by prefix, suffix and rows

	// ckpt checkpoints the WAL in the background (SQLite; checkpoint.go).
	ckpt *walCheckpointer
	// statsStop ends keepStatistics (statistics.go).
	statsStop chan struct{}

	// writer serializes write transactions on SQLite, which allows one
	// writer at a time: waiting here is queueing, where waiting inside
	// SQLite is its busy handler sleeping in steps of up to 100 ms
	// (measured in docs/performance.md). A channel of one, not a mutex, so
	// that a View waiting for it also sees its record committed by the
	// holder (group.go). On PostgreSQL it leads the log-only groups only.
	writer chan struct{}
	// group is the log-only records waiting to commit (group.go).
	groupMu sync.Mutex
	group   []*logOnly
	waiting atomic.Int32 // len(group), read without the lock
}

// lockWriter takes the in-process writer lock on SQLite; the returned
// function releases it.
func (db *DB) lockWriter() func() {
	if db.engine != SQLite {
		return func() {}
	}
	db.writer <- struct{}{}
	return db.unlockWriter
}

// tryLockWriter is lockWriter if the writer lock is free at once (SQLite).
func (db *DB) tryLockWriter() (func(), bool) {
	if db.engine != SQLite {
		return nil, false
	}
	select {
	case db.writer <- struct{}{}:
		return db.unlockWriter, true
	default:
		return nil, false
	}
}

// unlockWriter releases the writer lock taken by lockWriter.
func (db *DB) unlockWriter() {
	if db.engine == SQLite && db.ckpt != nil {
		db.ckpt.afterWrite()
	}
	<-db.writer
}

// maxCachedStatements bounds the statement cache: generated statements
// (bulk inserts of varying length) must not grow it without end.
const maxCachedStatements = 512

// prepared returns query prepared on the database, or nil if it cannot be
// (the statement then runs unprepared).
func (db *DB) prepared(ctx context.Context, query string) *sql.Stmt {
	db.stmtMu.Lock()
	defer db.stmtMu.Unlock()
	if st, ok := db.stmts[query]; ok {
		return st
	}
	if len(db.stmts) >= maxCachedStatements {
		return nil
	}
	st, err := db.sql.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	if db.stmts == nil {
		db.stmts = map[string]*sql.Stmt{}
	}
	db.stmts[query] = st
	return st
}

// Open opens and migrates the database. Errors: KindInvalid for a bad config,
// KindUnavailable when the database cannot be reached.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	const op = "store.Open"
	if (cfg.Path == "") == (cfg.DSN == "") {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("db"), "give exactly one of --db PATH (SQLite) or --dsn URL (PostgreSQL)")
	}
	if cfg.Conns == 1 || cfg.Conns < 0 {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("conns"), "at least 2 connections (0 means the default, 4)")
	}
	db := &DB{node: cfg.Node, now: cfg.Now, writer: make(chan struct{}, 1)}
	if db.now == nil {
		db.now = time.Now
	}
	var err error
	var dsn string
	if cfg.Path != "" {
		db.engine = SQLite
		db.sql, dsn, err = openSQLite(cfg)
	} else {
		db.engine = Postgres
		db.sql, err = sql.Open("pgx", cfg.DSN)
		if err == nil {
			db.sql.SetMaxOpenConns(16)
			db.sql.SetMaxIdleConns(16)
		}
	}
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindUnavailable, err)
	}
	if err := db.sql.PingContext(ctx); err != nil {
		db.sql.Close()
		return nil, jukinet.E(op, jukinet.KindUnavailable, "cannot reach the database", err)
	}
	if err := db.migrate(ctx); err != nil {
		db.sql.Close()
		return nil, jukinet.E(op, err)
	}
	if err := db.bindNode(ctx, cfg.Node); err != nil {
		db.sql.Close()
		return nil, err
	}
	if err := db.loadSubjectKey(ctx); err != nil {
		db.sql.Close()
		return nil, jukinet.E(op, err)
	}
	if cfg.ReadDSN != "" {
		if err := db.openReadPool(ctx, cfg.ReadDSN); err != nil {
			db.sql.Close()
			return nil, jukinet.E(op, err)
		}
	}
	if db.engine == SQLite {
		if db.read, err = openSQLiteReaders(cfg.Path); err != nil {
			db.sql.Close()
			return nil, jukinet.E(op, jukinet.KindUnavailable, err)
		}
		if err := db.startCheckpointer(ctx, dsn, cfg.Path, cfg.Conns == 2); err != nil {
			db.read.Close()
			db.sql.Close()
			return nil, jukinet.E(op, jukinet.KindUnavailable, err)
		}
	}
	db.statsStop = make(chan struct{})
	go db.keepStatistics(StatisticsInterval, db.statsStop)
	return db, nil
}

// nationalCacheKiB is the page cache of each writing connection of the
// national server's SQLite database (64 MiB elsewhere), for the lookups and
// updates that run in a write transaction.
const nationalCacheKiB = 512 << 10

// nationalMmapBytes is how much of the national server's file its writing
// connections map (SQLite's compiled maximum, 2 GiB less 64 KiB). SQLite
// unmaps a connection's file whenever it empties its cache — at a read
// after another connection's commit — so only the writer's connection,
// which commits and is never emptied, keeps its mapping: a batch read
// there takes its pages from the mapping, with no pread and no page of the
// cache (−20–25 % CPU per record with two clients at 1 M persons, same
// run; docs/scale.md). The reader pool is not mapped: there every read
// would map and fault again.
const nationalMmapBytes = 0x7fff0000

// sqlitePageSize is the page size of a new SQLite database, the national
// server's included. A file keeps the page size it was created with. 8 and
// 16 KiB pages were measured on the national store (docs/scale.md): a batch
// read beside the writer reads a whole page from the file per person, so
// two batch clients at 1 M persons spent 1.2–1.3× (8 KiB) and 1.5–1.6×
// (16 KiB) the CPU per record of 4 KiB pages; the interior level they take
// away gained nothing that showed on the writer's connection, whose
// interior pages stay cached.
const sqlitePageSize = 4096

// readerCacheKiB is the page cache of each connection of the reader pool
// (ReadConn on SQLite). In WAL mode a connection empties its whole page
// cache when it starts a read after another connection's commit, and every
// batch lookup commits its log record: a reader's cache lives for one read.
// A large one only made each read allocate, then free, every page it read
// (malloc and truncate were 45 % of a batch's CPU at 1 M persons); a small
// one recycles its pages (−40 % CPU per record at 1 M persons, same run;
// docs/scale.md).
const readerCacheKiB = 1 << 10

// sqliteReaders is the connections of the reader pool: lookupReaders
// (node) for each of a few concurrent batches.
const sqliteReaders = 8

// sqliteDSN is the URI of the SQLite file at path, with every connection's
// pragmas: a page cache of cacheKiB, pages of pageSize bytes if the file is
// new (its WAL cut back to walRestartPages of them), and extra.
func sqliteDSN(path string, cacheKiB, pageSize int, extra ...string) string {
	q := url.Values{}
	// WAL through the driver's _journal_mode, which it applies after every
	// _pragma (those it runs in name order): switching a new file to WAL
	// writes its first page and so fixes its page size, and page_size sorts
	// after journal_mode.
	q.Set("_journal_mode", "WAL")
	for _, p := range append([]string{"busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)",
		fmt.Sprintf("cache_size(-%d)", cacheKiB), "temp_store(MEMORY)",
		// No checkpoint inside a writer's commit: the DB's checkpointer
		// copies the WAL in the background (checkpoint.go).
		"wal_autocheckpoint(0)", fmt.Sprintf("journal_size_limit(%d)", walSizeLimit(int64(pageSize))),
		fmt.Sprintf("page_size(%d)", pageSize)}, extra...) {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	// A URI: '#' would end the path and '?' start the parameters (a test's
	// directory "Test…#01" opened a shared file beside it), so escape them.
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path) + "?" + q.Encode()
}

func openSQLite(cfg Config) (*sql.DB, string, error) {
	path := cfg.Path
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, "", err
		}
	}
	// Create the file 0600 before SQLite does, so personal data is never
	// readable by others, not even for a moment (G12.1).
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, "", err
	}
	f.Close()
	cache := 64 << 10
	var extra []string
	mmap := cfg.MmapBytes
	if cfg.Node == "national" {
		cache = nationalCacheKiB
		if mmap == 0 {
			mmap = nationalMmapBytes
		}
	}
	if mmap > 0 {
		extra = append(extra, fmt.Sprintf("mmap_size(%d)", mmap))
	}
	if cfg.CacheKiB > 0 {
		cache = cfg.CacheKiB
	}
	dsn := sqliteDSN(path, cache, sqlitePageSize, extra...)
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, "", err
	}
	// One writer at a time is SQLite's nature; a few connections let reads
	// run beside it in WAL mode.
	conns := 4
	if cfg.Conns > 0 {
		conns = cfg.Conns
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(0)
	return db, dsn, nil
}

// openSQLiteReaders opens the reader pool of the SQLite file at path: the
// connections ReadConn gives out, read-only, each with a small page cache
// (readerCacheKiB).
func openSQLiteReaders(path string) (*sql.DB, error) {
	// The file exists by now (migrated): the page size given is moot.
	db, err := sql.Open("sqlite", sqliteDSN(path, readerCacheKiB, sqlitePageSize, "query_only(1)"))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(sqliteReaders)
	db.SetMaxIdleConns(sqliteReaders)
	db.SetConnMaxIdleTime(0)
	return db, nil
}

// ReleaseStatements closes the statements the database keeps prepared on
// its connections; the ones still in use are prepared again when next
// run. SQLite holds each statement's program on every connection that ran
// it: after a one-off bulk load (an import's multi-row inserts of
// thousands of parameters) they are most of a small database's memory.
// Transactions still running keep theirs until they end.
func (db *DB) ReleaseStatements() {
	db.stmtMu.Lock()
	defer db.stmtMu.Unlock()
	for _, st := range db.stmts {
		st.Close()
	}
	for _, st := range db.bulk {
		st.Close()
	}
	db.stmts, db.bulk = nil, nil
}

// Close closes the database.
func (db *DB) Close() error {
	db.ReleaseStatements()
	if db.statsStop != nil {
		close(db.statsStop)
		db.statsStop = nil
	}
	err := db.sql.Close()
	if db.read != nil {
		if rerr := db.read.Close(); err == nil {
			err = rerr
		}
	}
	if db.ckpt != nil {
		// After the other connections: nothing reads or writes any more.
		if cerr := db.ckpt.close(); err == nil {
			err = cerr
		}
	}
	return err
}

// openReadPool opens the pool of ReadDSN. It is not migrated or bound: it
// must reach a copy of this node's database (a streaming replica), which
// the first read checks by the node recorded in it.
func (db *DB) openReadPool(ctx context.Context, dsn string) error {
	const op = "store.Open"
	if db.engine != Postgres {
		return jukinet.E(op, jukinet.KindInvalid, jukinet.Field("read_dsn"), "a read DSN needs PostgreSQL (a streaming replica of --dsn)")
	}
	read, err := sql.Open("pgx", dsn)
	if err != nil {
		return jukinet.E(op, jukinet.KindInvalid, jukinet.Field("read_dsn"), "not a PostgreSQL URL", err)
	}
	read.SetMaxOpenConns(16)
	read.SetMaxIdleConns(16)
	var node string
	// A standby that has not replayed the migrations yet answers "no such
	// table" for a moment: wait for it, briefly.
	for try := 0; ; try++ {
		err = read.QueryRowContext(ctx, `SELECT value FROM node_meta WHERE key = 'node'`).Scan(&node)
		if err == nil || try == 40 {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err != nil {
		read.Close()
		return jukinet.E(op, jukinet.KindUnavailable, jukinet.Field("read_dsn"), "cannot read the node of the read DSN's database", err)
	}
	if node != db.node {
		read.Close()
		return jukinet.E(op, jukinet.KindInvalid, jukinet.Field("read_dsn"), "the read DSN reaches node "+node+"'s database, not "+db.node+"'s")
	}
	db.read = read
	return nil
}

// ReadConn is a connection for a read that may lag the primary by the
// replication delay: on PostgreSQL on the read pool when ReadDSN is set,
// else on the database itself; on SQLite on the reader pool, read-only
// connections with a small page cache (readerCacheKiB) beside the writing
// ones. Nothing is written through it.
func (db *DB) ReadConn(ctx context.Context) (*sql.Conn, error) {
	if db.read != nil {
		return db.read.Conn(ctx)
	}
	return db.sql.Conn(ctx)
}

// Engine reports the engine.
func (db *DB) Engine() Engine { return db.engine }

// Node is the node ID this database belongs to.
func (db *DB) Node() string { return db.node }

// Now is the database's clock.
func (db *DB) Now() time.Time { return db.now() }

func (db *DB) migrate(ctx context.Context) error {
	const op = "store.migrate"
	if _, err := db.sql.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	dir := "migrations/" + string(db.engine)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, name := range names {
		body, err := migrationFS.ReadFile(dir + "/" + name)
		if err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		if err := db.applyMigration(ctx, name, string(body)); err != nil {
			return jukinet.E(op, jukinet.KindInternal, "migration "+name, err)
		}
	}
	return nil
}

func (db *DB) applyMigration(ctx context.Context, name, body string) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if db.engine == Postgres {
		// Serialize concurrent openers of one database.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(727361)`); err != nil {
			return err
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name = $1`, name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return err
	}
	if step := migrationSteps[name]; step != nil {
		if err := step(ctx, tx, db.engine); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)`, name, db.now().Unix()); err != nil {
		return err
	}
	return tx.Commit()
}

// bindNode settles which node the database belongs to: the node recorded in
// node_meta, else the node its operation log names (a database from before
// the node was recorded), else want (a new database), and records it. A
// want that names another node is refused, so that rows are never stored
// under the wrong node.
func (db *DB) bindNode(ctx context.Context, want string) error {
	const op = "store.Open"
	var have string
	err := db.sql.QueryRowContext(ctx, `SELECT value FROM node_meta WHERE key = 'node'`).Scan(&have)
	if errors.Is(err, sql.ErrNoRows) {
		var leaf []byte
		err = db.sql.QueryRowContext(ctx, `SELECT leaf FROM oplog WHERE run = 1 ORDER BY idx LIMIT 1`).Scan(&leaf)
		if err == nil {
			r, derr := DecodeLogRecord(leaf)
			if derr != nil {
				return jukinet.E(op, jukinet.KindInternal, "the operation log's first record", derr)
			}
			have = r.Node
		} else if !errors.Is(err, sql.ErrNoRows) {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		err = nil
		if have == "" {
			have = want
		}
		if have == "" {
			return jukinet.E(op, jukinet.KindInvalid, jukinet.Field("node"), "the node ID is required: a new database records none")
		}
		if _, err := db.sql.ExecContext(ctx, `INSERT INTO node_meta (key, value) VALUES ('node', $1) ON CONFLICT (key) DO NOTHING`, have); err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		err = db.sql.QueryRowContext(ctx, `SELECT value FROM node_meta WHERE key = 'node'`).Scan(&have)
	}
	if err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	if want != "" && want != have {
		return jukinet.Errorf(op, jukinet.KindInvalid, "node", "this database belongs to node %s, not %s", have, want)
	}
	db.node = have
	return nil
}

func (db *DB) loadSubjectKey(ctx context.Context) error {
	var v string
	err := db.sql.QueryRowContext(ctx, `SELECT value FROM node_meta WHERE key = 'subject_key'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return err
		}
		v = hex.EncodeToString(k)
		if _, err := db.sql.ExecContext(ctx, `INSERT INTO node_meta (key, value) VALUES ('subject_key', $1) ON CONFLICT (key) DO NOTHING`, v); err != nil {
			return err
		}
		// Another opener may have won the race: read back what is stored.
		err = db.sql.QueryRowContext(ctx, `SELECT value FROM node_meta WHERE key = 'subject_key'`).Scan(&v)
	}
	if err != nil {
		return jukinet.E("store.loadSubjectKey", jukinet.KindInternal, err)
	}
	db.subjectKey, err = hex.DecodeString(v)
	return err
}

// SubjectToken is the keyed, irreversible token that stands for a resident
// code in the operation log (G15 records on whom; the log never holds the code).
func (db *DB) SubjectToken(residentCode string) string {
	if residentCode == "" {
		return ""
	}
	// A keyed HMAC from the pool (Reset restores the keyed state): the write
	// path computes a token for every record.
	m, _ := db.subjectMAC.Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, db.subjectKey)
	} else {
		m.Reset()
	}
	m.Write([]byte(residentCode))
	var sum [sha256.Size]byte
	m.Sum(sum[:0])
	db.subjectMAC.Put(m)
	var out [24]byte
	hex.Encode(out[:], sum[:12])
	return string(out[:])
}

// OnQueue registers f, called after each commit that appended outbox rows
// with the destinations of those rows (each once), and returns the function
// that removes it. f runs on the committing goroutine: it must not block.
func (db *DB) OnQueue(f func(dests []string)) (remove func()) {
	db.queueMu.Lock()
	defer db.queueMu.Unlock()
	if db.onQueue == nil {
		db.onQueue = map[int]func([]string){}
	}
	db.queueID++
	id := db.queueID
	db.onQueue[id] = f
	return func() {
		db.queueMu.Lock()
		delete(db.onQueue, id)
		db.queueMu.Unlock()
	}
}

// queued tells the OnQueue functions where a commit's messages go.
func (db *DB) queued(dests []string) {
	db.queueMu.Lock()
	hooks := make([]func([]string), 0, len(db.onQueue))
	for _, f := range db.onQueue {
		hooks = append(hooks, f)
	}
	db.queueMu.Unlock()
	for _, f := range hooks {
		f(dests)
	}
}

// OnLog registers a function called after each commit with the log records it
// appended (the checkpointer uses it to count records). It must not block.
func (db *DB) OnLog(f func(ctx context.Context, recs []LogRecord)) {
	db.onLogMu.Lock()
	db.onLog = append(db.onLog, f)
	db.onLogMu.Unlock()
}

// Guard is a check the store runs after the policy table admits an actor
// and before the operation runs: a rule the table cannot express because it
// depends on records (who is designated for what on a day). A non-nil error
// refuses the operation; the refusal is logged as forbidden.
type Guard func(ctx context.Context, actor jukinet.Actor, op jukinet.Operation) error

// SetGuard installs g (replacing any earlier one) for every later Update.
func (db *DB) SetGuard(g Guard) { db.guard.Store(&g) }

// Meta reads a node_meta value ("" when absent).
func (db *DB) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := db.sql.QueryRowContext(ctx, `SELECT value FROM node_meta WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", jukinet.E("store.Meta", jukinet.KindInternal, err)
	}
	return v, nil
}

func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505") || strings.Contains(s, "duplicate key value")
}

// IsUniqueViolation reports whether err is a unique-constraint violation on either engine.
func IsUniqueViolation(err error) bool { return isUniqueViolation(err) }

func (db *DB) String() string { return fmt.Sprintf("%s database of node %s", db.engine, db.node) }

// Meta reads a node_meta value inside the transaction ("" when absent).
func (tx *Tx) Meta(key string) (string, error) {
	var v string
	err := tx.QueryRow(`SELECT value FROM node_meta WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetMeta sets a node_meta value inside the transaction.
func (tx *Tx) SetMeta(key, value string) error {
	_, err := tx.Exec(`INSERT INTO node_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// DeleteMeta removes a node_meta value inside the transaction.
func (tx *Tx) DeleteMeta(key string) error {
	_, err := tx.Exec(`DELETE FROM node_meta WHERE key = $1`, key)
	return err
}

// InitMeta sets a node_meta value unless one is set, and returns the value
// stored: another opener may have set it first. Node metadata is
// bookkeeping (see Bookkeeping): no business state, no personal data.
func (db *DB) InitMeta(ctx context.Context, key, value string) (string, error) {
	const op = "store.InitMeta"
	if _, err := db.sql.ExecContext(ctx, `INSERT INTO node_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, value); err != nil {
		return "", jukinet.E(op, jukinet.KindInternal, err)
	}
	return db.Meta(ctx, key)
}

// testHooks lets the tests fail a step of Update and count what the WAL
// checkpointer did (export_test.go implements it). Production never sets
// one: each call site is one atomic load and a nil check.
type testHooks interface {
	failStep(step string) error // Update's steps: "state", "outbox", "oplog", "commit"
	walCopiedAll()              // a background pass left the WAL wholly copied
	walWriterRun()              // a writer had to checkpoint itself
	walIdleTick()               // a tick found the WAL as a pass left it wholly copied: no pass
	logGroup(n int)             // a group of n log-only records committed in one transaction
	walPass()                   // a background pass ran a checkpoint
}

// activeHooks returns the hooks the tests set, or nil.
func (db *DB) activeHooks() testHooks {
	h, _ := db.hooks.Load().(testHooks)
	return h
}
