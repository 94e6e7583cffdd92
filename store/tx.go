package store

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"github.com/transparency-dev/merkle/rfc6962"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jukinet/jukinet"
)

// Op describes the operation an Update performs, for its authorization and
// its operation-log record (G11.2, G15).
type Op struct {
	Operation jukinet.Operation
	// Subject is the resident code of the person the operation touches, if
	// any. The log keeps only its keyed token (DB.SubjectToken).
	Subject string
	// Purpose is the purpose or case number given for the operation; reading
	// a person's data requires one.
	Purpose string
	// Detail is a short note without personal data (counts, IDs of messages).
	Detail string
	// NumberAccessed records that a 個人番号 was shown or used.
	NumberAccessed bool

	result string // the record's result when not "ok" (RecordRefusal)
}

// Message is a row of the transactional outbox: a message to another node,
// written in the same transaction as the change that caused it.
type Message struct {
	ID          string // UUIDv7; assigned when empty
	Kind        string
	To          string
	OrderingKey string // per-person ordering key, "" for unordered kinds
	Version     uint64 // per-person version, 0 for unordered kinds
	Body        []byte
	// Envelope is a pre-built, already signed envelope (a relay keeps the
	// creating node's signature); nil when the sender builds one from Body.
	// When it is set, only the envelope is stored (Body is not needed).
	Envelope []byte
}

// LogRecord is one operation-log record. Its canonical bytes (Leaf) are a leaf
// of the node's Merkle tree (G15).
type LogRecord struct {
	V              int    `json:"v"`
	Index          uint64 `json:"idx"`
	Time           int64  `json:"time"` // unix microseconds
	Node           string `json:"node"`
	CollationID    string `json:"collation_id"`
	OperatorID     string `json:"operator_id"`
	Authority      string `json:"authority"`
	Terminal       string `json:"terminal"`
	Principal      string `json:"principal"`
	Operation      string `json:"operation"`
	Subject        string `json:"subject"`
	Purpose        string `json:"purpose"`
	Result         string `json:"result"`
	PolicyVersion  string `json:"policy_version"`
	NumberAccessed bool   `json:"number_accessed"`
	Detail         string `json:"detail"`
	// ClientAddr is the network address of the terminal the request came
	// from (jukinet.WithClientAddr), absent from records of no request.
	ClientAddr string `json:"client_addr,omitempty"`
	// Hash is LeafHash(Leaf()) as appended (set by the appending transaction
	// for the OnLog hooks; not part of the record).
	Hash []byte `json:"-"`
	// person marks a record written by Tx.Person (not part of the record):
	// an operator's person records are stored as a run.
	person bool
}

// Leaf returns the record's canonical bytes: JSON with a fixed field order,
// byte for byte what encoding/json.Marshal gives (FuzzLeaf checks it),
// written directly because it is built for every record of the write path.
func (r LogRecord) Leaf() []byte {
	b := make([]byte, 0, 320+len(r.Detail)+len(r.Purpose))
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, int64(r.V), 10)
	b = append(b, `,"idx":`...)
	b = strconv.AppendUint(b, r.Index, 10)
	b = append(b, `,"time":`...)
	b = strconv.AppendInt(b, r.Time, 10)
	for _, f := range [...]struct{ name, value string }{
		{`,"node":`, r.Node}, {`,"collation_id":`, r.CollationID}, {`,"operator_id":`, r.OperatorID},
		{`,"authority":`, r.Authority}, {`,"terminal":`, r.Terminal}, {`,"principal":`, r.Principal},
		{`,"operation":`, r.Operation}, {`,"subject":`, r.Subject}, {`,"purpose":`, r.Purpose},
		{`,"result":`, r.Result}, {`,"policy_version":`, r.PolicyVersion},
	} {
		b = append(b, f.name...)
		b = appendJSONString(b, f.value)
	}
	b = append(b, `,"number_accessed":`...)
	b = strconv.AppendBool(b, r.NumberAccessed)
	b = append(b, `,"detail":`...)
	b = appendJSONString(b, r.Detail)
	if r.ClientAddr != "" {
		b = append(b, `,"client_addr":`...)
		b = appendJSONString(b, r.ClientAddr)
	}
	return append(b, '}')
}

// jsonPlain marks the bytes appendJSONString copies as they are: ASCII
// other than controls, '"', '\\' and the HTML-unsafe '<', '>', '&'.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendJSONString appends s as encoding/json writes a string (HTML-safe
// escapes, invalid UTF-8 as U+FFFD, U+2028 and U+2029 escaped).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Bytes written as they are, in a tight loop: most of every leaf.
		for i < len(s) && jsonPlain[s[i]] {
			i++
		}
		if i == len(s) {
			break
		}
		if c := s[i]; c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// DecodeLogRecord parses a leaf back into a record, refusing unknown fields.
func DecodeLogRecord(leaf []byte) (LogRecord, error) {
	var r LogRecord
	dec := json.NewDecoder(strings.NewReader(string(leaf)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, jukinet.E("store.DecodeLogRecord", jukinet.KindInvalid, jukinet.Field("leaf"), err)
	}
	if r.V != 1 {
		return r, jukinet.Errorf("store.DecodeLogRecord", jukinet.KindInvalid, "leaf", "unknown record version %d", r.V)
	}
	return r, nil
}

// LeafHash is the RFC 6962 leaf hash of a log record's canonical bytes,
// SHA-256(0x00 ‖ leaf): the one implementation, which the log's writer
// (here) and its readers and verifiers (package oplog) share. It equals
// rfc6962.DefaultHasher.HashLeaf(leaf) without its allocations.
func LeafHash(leaf []byte) [32]byte {
	// Hash in one call when the leaf is small enough for a stack buffer.
	if len(leaf) < 512 {
		var buf [512]byte
		buf[0] = rfc6962.RFC6962LeafHashPrefix
		n := copy(buf[1:], leaf)
		return sha256.Sum256(buf[:1+n])
	}
	h := sha256.New()
	h.Write([]byte{rfc6962.RFC6962LeafHashPrefix})
	h.Write(leaf)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Tx is the transaction of one Update. Domain code changes state through it,
// queues messages with Send and adds log records with Log; Update appends
// both at commit.
type Tx struct {
	ctx   context.Context
	tx    *sql.Tx
	conn  *sql.Conn // PostgreSQL: the connection holding tx, for CopyRows; nil on SQLite
	own   *sql.Conn // ViewIfIdle's connection, on which Yield begins tx again; nil elsewhere
	db    *DB
	actor jukinet.Actor
	op    Op
	now   int64
	msgs  []Message
	logs  []LogRecord
	stmts map[string]*sql.Stmt // prepared bulk statements, closed with the transaction
	// note is what a step said about itself for the record its caller writes
	// (Note/TakeNote); an unclaimed note goes into the main record.
	noteSubject, noteDetail string
	// deferred rows not yet written (Defer), and the error of writing them.
	deferred []*deferredRows
	flushErr error
	// dropped is the indexes DropIndexes took away, still to recreate.
	dropped []Index
	// queuedTo is the destinations of the messages written, each once
	// (queuedSeen holds them too once they are many): the senders to wake.
	queuedTo   []string
	queuedSeen map[string]bool
	// private: the transaction holds locks that a statement prepared on
	// another connection would wait for (DropIndexes on PostgreSQL), so it
	// prepares its statements on its own connection.
	private bool
	// cacheSize is the connection's page cache to restore (PRAGMA
	// cache_size) when a bulk load raised it; 0 when not raised.
	cacheSize int
	// copyTypes is the type OIDs of the columns CopyRows wrote, per table
	// and column list (PostgreSQL), asked for once per transaction.
	copyTypes map[string][]uint32
}

// Context is the context of the transaction.
func (tx *Tx) Context() context.Context { return tx.ctx }

// Engine reports the engine, for the rare statement that differs.
func (tx *Tx) Engine() Engine { return tx.db.engine }

// Actor is who performs the operation.
func (tx *Tx) Actor() jukinet.Actor { return tx.actor }

// Node is the node ID.
func (tx *Tx) Node() string { return tx.db.node }

// NowMicro is the transaction's time in unix microseconds.
func (tx *Tx) NowMicro() int64 { return tx.now }

// Exec runs a statement in the transaction.
func (tx *Tx) Exec(query string, args ...any) (sql.Result, error) {
	if err := tx.flush(); err != nil {
		return nil, err
	}
	if st := tx.stmt(query); st != nil {
		return st.ExecContext(tx.ctx, args...)
	}
	return tx.tx.ExecContext(tx.ctx, query, args...)
}

// ExecUncached runs a statement without the statement cache: for generated
// statements whose text varies (their length), which would fill the cache
// and push out the hot statements of the write path.
func (tx *Tx) ExecUncached(query string, args ...any) (sql.Result, error) {
	if err := tx.flush(); err != nil {
		return nil, err
	}
	return tx.tx.ExecContext(tx.ctx, query, args...)
}

// stmt returns the statement for query, prepared once per database (and
// per pooled connection by database/sql) and bound to this transaction, or
// nil when it cannot be prepared here (the caller then runs it directly).
// Parsing costs more than running the small statements of the write path.
func (tx *Tx) stmt(query string) *sql.Stmt {
	if st, ok := tx.stmts[query]; ok {
		return st
	}
	if tx.private {
		return nil
	}
	st := tx.db.prepared(tx.ctx, query)
	if st == nil {
		return nil
	}
	bound := tx.tx.StmtContext(tx.ctx, st)
	if tx.stmts == nil {
		tx.stmts = map[string]*sql.Stmt{}
	}
	tx.stmts[query] = bound
	return bound
}

// Query runs a query in the transaction.
func (tx *Tx) Query(query string, args ...any) (*sql.Rows, error) {
	if err := tx.flush(); err != nil {
		return nil, err
	}
	if st := tx.stmt(query); st != nil {
		return st.QueryContext(tx.ctx, args...)
	}
	return tx.tx.QueryContext(tx.ctx, query, args...)
}

// QueryRow runs a one-row query in the transaction. (If writing the
// deferred rows before it fails, the transaction cannot commit.)
func (tx *Tx) QueryRow(query string, args ...any) *sql.Row {
	tx.flush()
	if st := tx.stmt(query); st != nil {
		return st.QueryRowContext(tx.ctx, args...)
	}
	return tx.tx.QueryRowContext(tx.ctx, query, args...)
}

// PeekRow is QueryRow without first writing the rows deferred so far
// (Defer): for a read that does not need them — of a table no pending
// Deferred writes, or whose caller accounts for its own deferred rows — so
// that a handler's deferred rows stay one statement per batch.
func (tx *Tx) PeekRow(query string, args ...any) *sql.Row {
	if st := tx.stmt(query); st != nil {
		return st.QueryRowContext(tx.ctx, args...)
	}
	return tx.tx.QueryRowContext(tx.ctx, query, args...)
}

// Send queues a message for the outbox; it is written at commit.
func (tx *Tx) Send(m Message) {
	tx.msgs = append(tx.msgs, m)
}

// SetSubject names the person the operation touched when it is only known
// inside the transaction (a birth creates the resident code).
func (tx *Tx) SetSubject(residentCode string) { tx.op.Subject = residentCode }

// Note says whom the current step touched and what it did, for the record
// the framework running the step writes — the inbox's one record per
// received message — so a handler does not add a second record of its own.
// A note nobody takes goes into the Update's main record.
func (tx *Tx) Note(subject, detail string) { tx.noteSubject, tx.noteDetail = subject, detail }

// TakeNote returns the current note and clears it.
func (tx *Tx) TakeNote() (subject, detail string) {
	subject, detail = tx.noteSubject, tx.noteDetail
	tx.noteSubject, tx.noteDetail = "", ""
	return subject, detail
}

// SetDetail replaces the main record's detail.
func (tx *Tx) SetDetail(detail string) { tx.op.Detail = detail }

// ExpectLogs says that about n further records are coming (a batch's
// messages), so that they are kept without growing the list step by step.
func (tx *Tx) ExpectLogs(n int) { tx.logs = slices.Grow(tx.logs, n) }

// Log adds a further log record (e.g. one per message of a received batch),
// by the same actor, at the same time. Subject is a resident code.
func (tx *Tx) Log(op jukinet.Operation, subject, result, detail string) {
	tx.logs = append(tx.logs, tx.db.record(tx.ctx, tx.actor, Op{Operation: op, Subject: subject, Detail: detail}, result, tx.now))
}

// ResultShown is the result of a record that a person was shown: one
// record per person a screen, a search result, an export or an agency
// answer showed (G11.2).
const ResultShown = "shown"

// ResultRefused is the result of a record of a refusal the caller decided
// (RecordRefusal): an auditor filtering the log by result finds it beside
// the "forbidden" records of refused authorizations.
const ResultRefused = "refused"

// ResultNotFound is the result of a person record for a code asked for
// that matched nobody (an agency's request).
const ResultNotFound = "not_found"

// Shown records that the operation showed the person with resident code
// code to its actor, with the operation's purpose; detail says which
// items (no personal data). A request that shows many persons writes one
// record each: they follow the main record as one run (logrun.go), so a
// 50-person search costs one row, not 50. numberShown marks that the
// person's 個人番号 was shown.
func (tx *Tx) Shown(code, detail string, numberShown bool) {
	tx.Person(code, ResultShown, detail, numberShown)
}

// Person records one person a request asked about, under the operation
// and purpose of the Update, with its own result: "shown", or e.g.
// "not_found" for an agency's code that matched nobody (the misuse
// analysis counts both).
func (tx *Tx) Person(code, result, detail string, numberShown bool) {
	r := tx.db.record(tx.ctx, tx.actor, Op{Operation: tx.op.Operation, Subject: code, Purpose: tx.op.Purpose,
		Detail: detail, NumberAccessed: numberShown}, result, tx.now)
	r.person = true
	tx.logs = append(tx.logs, r)
}

func (db *DB) record(ctx context.Context, a jukinet.Actor, op Op, result string, now int64) LogRecord {
	return LogRecord{
		V: 1, Time: now, Node: db.node,
		CollationID: a.CollationID, OperatorID: a.OperatorID, Authority: string(a.Authority),
		Terminal: a.Terminal, Principal: a.System,
		Operation: string(op.Operation), Subject: db.SubjectToken(op.Subject), Purpose: op.Purpose,
		Result: result, PolicyVersion: jukinet.PolicyVersion(), NumberAccessed: op.NumberAccessed,
		Detail: op.Detail, ClientAddr: jukinet.ClientAddrFrom(ctx),
	}
}

// Update is the one write path (docs/design.md §1.1). It checks that the actor in
// ctx may perform op (deny by default), then in ONE transaction runs fn, writes
// the messages fn queued to the outbox and appends the operation-log records.
// If any step fails nothing is written. A refused authorization is itself
// logged. Errors: KindUnauthorized (no actor), KindForbidden, whatever fn
// returns, KindInternal.
func (db *DB) Update(ctx context.Context, op Op, fn func(tx *Tx) error) error {
	actor, err := db.authorize(ctx, op)
	if err != nil {
		return err
	}
	recs, sent, err := db.update(ctx, actor, op, fn, db.lockWriter())
	if err != nil {
		return err
	}
	db.afterUpdate(ctx, recs, sent)
	return nil
}

// authorize checks that the actor in ctx may perform op, as Update does,
// and records a refusal.
func (db *DB) authorize(ctx context.Context, op Op) (jukinet.Actor, error) {
	actor, ok := jukinet.ActorFrom(ctx)
	if !ok {
		db.logRefusal(ctx, jukinet.Actor{}, op, "unauthorized")
		return actor, jukinet.E(string(op.Operation), jukinet.KindUnauthorized, "no authenticated operator")
	}
	if err := jukinet.Authorize(op.Operation, actor); err != nil {
		db.logRefusal(ctx, actor, op, "forbidden")
		return actor, jukinet.E(string(op.Operation), err)
	}
	if g := db.guard.Load(); g != nil && *g != nil {
		if err := (*g)(ctx, actor, op.Operation); err != nil {
			db.logRefusal(ctx, actor, op, "forbidden")
			return actor, jukinet.E(string(op.Operation), jukinet.KindForbidden, err)
		}
	}
	if op.Operation == jukinet.OpResidentRead && strings.TrimSpace(op.Purpose) == "" {
		return actor, jukinet.E(string(op.Operation), jukinet.KindInvalid, jukinet.Field("purpose"), "reading a person's data requires a purpose or case number")
	}
	return actor, nil
}

// afterUpdate tells the senders where the messages the transaction queued
// go, and runs the log hooks.
func (db *DB) afterUpdate(ctx context.Context, recs []LogRecord, dests []string) {
	if len(dests) > 0 {
		db.queued(dests)
	}
	db.onLogMu.Lock()
	hooks := db.onLog
	db.onLogMu.Unlock()
	for _, h := range hooks {
		h(ctx, recs)
	}
}

// update runs one write transaction; unlock releases the writer lock
// taken for it.
// It returns the log records and the destinations of the messages it
// queued.
func (db *DB) update(ctx context.Context, actor jukinet.Actor, op Op, fn func(tx *Tx) error, unlock func()) ([]LogRecord, []string, error) {
	return db.updateOn(ctx, actor, op, fn, unlock, false)
}

// updateOn is update; yield: the transaction runs on a connection of its
// own, and Tx.Yield may commit the waiting log-only records between its
// reads (ViewIfIdle).
func (db *DB) updateOn(ctx context.Context, actor jukinet.Actor, op Op, fn func(tx *Tx) error, unlock func(), yield bool) ([]LogRecord, []string, error) {
	defer unlock()
	var sqlTx *sql.Tx
	var conn, own *sql.Conn
	var err error
	if yield {
		if own, err = db.sql.Conn(ctx); err == nil {
			defer own.Close() // after the rollback below (deferred calls run last first)
			sqlTx, err = own.BeginTx(ctx, nil)
		}
	} else {
		sqlTx, conn, err = db.begin(ctx)
	}
	if err != nil {
		return nil, nil, jukinet.E(string(op.Operation), jukinet.KindUnavailable, err)
	}
	if conn != nil {
		defer conn.Close() // after the rollback below (deferred calls run last first)
	}
	tx := &Tx{ctx: ctx, tx: sqlTx, conn: conn, own: own, db: db, actor: actor, op: op, now: db.now().UnixMicro()}
	defer func() { tx.tx.Rollback() }() // the transaction Yield left open last
	defer tx.restoreCache()             // before the rollback, on the same connection
	if err := fn(tx); err != nil {
		return nil, nil, err
	}
	if err := tx.flush(); err != nil {
		return nil, nil, jukinet.E(string(op.Operation), jukinet.KindInternal, "deferred rows", err)
	}
	if err := db.fail("state"); err != nil {
		return nil, nil, err
	}
	if err := tx.WriteOutbox(); err != nil {
		return nil, nil, jukinet.E(string(op.Operation), jukinet.KindInternal, "outbox", err)
	}
	if err := tx.RebuildIndexes(); err != nil {
		return nil, nil, jukinet.E(string(op.Operation), jukinet.KindInternal, "indexes", err)
	}
	if err := db.fail("outbox"); err != nil {
		return nil, nil, err
	}
	if subject, note := tx.TakeNote(); subject != "" || note != "" {
		if tx.op.Subject == "" {
			tx.op.Subject = subject
		}
		if note != "" {
			tx.op.Detail = strings.TrimSpace(tx.op.Detail + " " + note)
		}
	}
	result := "ok"
	if tx.op.result != "" {
		result = tx.op.result
	}
	recs := append([]LogRecord{db.record(ctx, actor, tx.op, result, tx.now)}, tx.logs...)
	if err := appendLog(tx, recs); err != nil {
		return nil, nil, jukinet.E(string(op.Operation), jukinet.KindInternal, "oplog", err)
	}
	if err := db.fail("oplog"); err != nil {
		return nil, nil, err
	}
	if err := db.fail("commit"); err != nil {
		return nil, nil, err
	}
	if err := tx.tx.Commit(); err != nil {
		return nil, nil, jukinet.E(string(op.Operation), jukinet.KindInternal, "commit", err)
	}
	return recs, tx.queuedTo, nil
}

// fail is where a test may fail Update at a step (testHooks).
func (db *DB) fail(step string) error {
	if h := db.activeHooks(); h != nil {
		return h.failStep(step)
	}
	return nil
}

// logRefusal records a refused operation in its own transaction: refusals are
// evidence too (docs/design.md §1.3). A failure to log is not hidden from the
// caller's error, but the refusal stands either way.
func (db *DB) logRefusal(ctx context.Context, actor jukinet.Actor, op Op, result string) {
	defer db.lockWriter()()
	sqlTx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return
	}
	defer sqlTx.Rollback()
	tx := &Tx{ctx: ctx, tx: sqlTx, db: db}
	if appendLog(tx, []LogRecord{db.record(ctx, actor, op, result, db.now().UnixMicro())}) == nil {
		sqlTx.Commit()
	}
}

func (tx *Tx) writeOutbox() error {
	args := make([]any, 0, len(tx.msgs)*8)
	for i := range tx.msgs {
		m := &tx.msgs[i]
		if m.ID == "" {
			id, err := uuid.NewV7()
			if err != nil {
				return err
			}
			m.ID = id.String()
		}
		var env any
		body := m.Body
		if m.Envelope != nil {
			env = m.Envelope
			// The sender sends the envelope, not the body: keep the bytes
			// once (a relay's body is the envelope itself).
			body = []byte{}
		}
		args = append(args, m.ID, m.Kind, m.To, m.OrderingKey, int64(m.Version), body, env, tx.now)
	}
	if len(tx.msgs) >= copyMin {
		// A bulk operation's notices (an import's, one per resident): COPY
		// on PostgreSQL; on SQLite the kind, destination, time… they share
		// are bound once per statement.
		return tx.CopyRows("outbox", outboxColumns, args)
	}
	return tx.InsertRows(`INSERT INTO outbox (id, kind, dest, ordering_key, version, body, envelope, created_at) VALUES `, 8, args)
}

var outboxColumns = []string{"id", "kind", "dest", "ordering_key", "version", "body", "envelope", "created_at"}

// appendLog assigns the next contiguous indices (the head row serializes
// concurrent writers on PostgreSQL, so indices follow commit order without
// holes) and times that never decrease along them, and inserts the records.
func appendLog(tx *Tx, recs []LogRecord) error {
	var size, now int64
	for _, r := range recs {
		now = max(now, r.Time)
	}
	// The head also keeps the newest record's time: records never go back in
	// time along idx, so a time range is an idx range (migration 0500, no
	// time index).
	q := `UPDATE oplog_head SET size = size + $1, time = MAX(time, $2) WHERE id = 1 RETURNING size, time`
	if tx.db.engine == Postgres {
		q = `UPDATE oplog_head SET size = size + $1, time = GREATEST(time, $2) WHERE id = 1 RETURNING size, time`
	}
	if err := tx.QueryRow(q, len(recs), now).Scan(&size, &now); err != nil {
		return err
	}
	first := uint64(size) - uint64(len(recs))
	for i := range recs {
		r := &recs[i]
		r.Index = first + uint64(i)
		r.Time = max(r.Time, now)
	}
	// A system principal's per-message records and the persons a request
	// showed go into runs (see logrun.go); the transaction's main record
	// and an operator's other records stay rows of their own.
	runs := runsOf(recs, first)
	plain := len(recs)
	for _, n := range runs {
		plain -= n
	}
	args := make([]any, 0, plain*15)
	var runArgs []any
	var residents []residentKey
	for i := 0; i < len(recs); {
		if n := runs[i]; n > 0 {
			runArgs, residents = appendRun(runArgs, residents, recs[i:i+n])
			i += n
			continue
		}
		r := &recs[i]
		leaf := r.Leaf()
		h := LeafHash(leaf)
		r.Hash = h[:]
		args = append(args, int64(r.Index), r.Time, r.CollationID, r.OperatorID, r.Authority, r.Terminal, r.Principal,
			r.Operation, r.Subject, r.Purpose, r.Result, r.PolicyVersion, leaf, r.Hash, r.ClientAddr)
		i++
	}
	if len(args) > 0 {
		// One transaction's records share time, actor and policy version.
		if err := tx.InsertRowsSharing("oplog", oplogColumns, oplogShared, args, ""); err != nil {
			return err
		}
	}
	if len(runArgs) > 0 {
		if err := tx.InsertRowsSharing("oplog", runColumns, runShared, runArgs, ""); err != nil {
			return err
		}
	}
	if len(residents) > 0 {
		// In key order: each insert lands beside the previous one in the
		// index instead of on a random page.
		slices.SortFunc(residents, func(a, b residentKey) int { return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.idx, b.idx)) })
		args := make([]any, 0, 2*len(residents))
		for _, r := range residents {
			args = append(args, r.key, r.idx)
		}
		return tx.InsertRowsSharing("oplog_resident", []string{"subject_key", "idx"}, []int{}, args, "")
	}
	return nil
}

// runsOf marks where runs start: runs[i] is the length of the run starting
// at record i, 0 elsewhere. Runs are the records after the first (the
// transaction's main record) of a system principal's transaction, and an
// operator's person records (Tx.Person: one per person a request showed),
// cut where a value they share changes (sameShared) and at multiples of
// RunAlign.
func runsOf(recs []LogRecord, first uint64) []int {
	runs := make([]int, len(recs))
	if len(recs) < 1+minRun {
		return runs
	}
	system := recs[0].CollationID == "" && recs[0].Terminal == "" && recs[0].Principal != ""
	for i := 1; i < len(recs); {
		if !system && !recs[i].person {
			i++
			continue
		}
		j := i + 1
		for j < len(recs) && sameShared(&recs[j], &recs[i]) && (system || recs[j].person) && (first+uint64(j))%RunAlign != 0 {
			j++
		}
		if j-i >= minRun {
			runs[i] = j - i
		}
		i = j
	}
	return runs
}

// appendRun appends the row of one run and its residents' index rows. The
// leaves are built in one buffer from the parts the records share (a run is
// thousands of records, inside the writer's critical section).
func appendRun(args []any, residents []residentKey, run []LogRecord) ([]any, []residentKey) {
	hashCol := make([]byte, 32*len(run))
	var buf []byte
	rl := newRunLeaf(&run[0])
	for i := range run {
		r := &run[i]
		buf = rl.append(buf[:0], r)
		sum := LeafHash(buf)
		r.Hash = hashCol[32*i : 32*i+32 : 32*i+32]
		copy(r.Hash, sum[:])
		if r.Subject != "" {
			residents = append(residents, residentKey{SubjectKey(r.Subject), int64(r.Index)})
		}
	}
	r := &run[0]
	// The operator columns repeat the run's shared values for the indexes
	// oplog_operator and oplog_terminal (a query by operator finds the
	// persons an operator was shown); subject, purpose and result are each
	// record's own, in the leaf.
	return append(args, int64(r.Index), r.Time, r.Principal, r.Operation, r.PolicyVersion, EncodeRun(run), hashCol, int64(len(run)),
		r.CollationID, r.OperatorID, r.Authority, r.Terminal, "", "", "", r.ClientAddr), residents
}

var (
	oplogColumns = []string{"idx", "time", "collation_id", "operator_id", "authority", "terminal", "principal",
		"operation", "subject", "purpose", "result", "policy_version", "leaf", "leaf_hash", "client_addr"}
	oplogShared = []int{1, 2, 3, 4, 5, 6, 11, 14}
	// A run row's operator columns and client address are the run's;
	// subject, purpose and result are empty.
	runColumns = []string{"idx", "time", "principal", "operation", "policy_version", "leaf", "leaf_hash", "run",
		"collation_id", "operator_id", "authority", "terminal", "subject", "purpose", "result", "client_addr"}
	runShared = []int{1, 2, 4, 8, 9, 10, 11, 12, 13, 14, 15}
)

// Mark is a point inside a transaction that can be rolled back to: an SQL
// savepoint together with the messages and log records queued so far, so a
// rolled-back step leaves neither rows nor queued messages nor log records
// behind (the inbox rejects one envelope of a batch this way).
type Mark struct {
	tx         *Tx
	name       string
	msgs, logs int
	subject    string
	detail     string
	note       [2]string
}

// Savepoint sets a Mark named name (an SQL identifier chosen by the caller).
func (tx *Tx) Savepoint(name string) (Mark, error) {
	// Rows deferred before the mark are written before it, so a rollback
	// to it drops only later ones.
	if err := tx.flush(); err != nil {
		return Mark{}, err
	}
	if _, err := tx.tx.ExecContext(tx.ctx, `SAVEPOINT `+name); err != nil {
		return Mark{}, err
	}
	return Mark{tx: tx, name: name, msgs: len(tx.msgs), logs: len(tx.logs), subject: tx.op.Subject, detail: tx.op.Detail,
		note: [2]string{tx.noteSubject, tx.noteDetail}}, nil
}

// Rollback undoes everything since the mark and releases it.
func (m Mark) Rollback() error {
	if _, err := m.tx.tx.ExecContext(m.tx.ctx, `ROLLBACK TO SAVEPOINT `+m.name); err != nil {
		return err
	}
	m.tx.msgs = m.tx.msgs[:m.msgs]
	m.tx.logs = m.tx.logs[:m.logs]
	m.tx.deferred = nil // all deferred after the mark (Savepoint wrote the earlier ones)
	m.tx.op.Subject, m.tx.op.Detail = m.subject, m.detail
	m.tx.noteSubject, m.tx.noteDetail = m.note[0], m.note[1]
	return m.Release()
}

// Release keeps everything since the mark.
func (m Mark) Release() error {
	_, err := m.tx.tx.ExecContext(m.tx.ctx, `RELEASE SAVEPOINT `+m.name)
	return err
}

// residentKey is a row of oplog_resident.
type residentKey struct{ key, idx int64 }
