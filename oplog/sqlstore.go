package oplog

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"strconv"
	"sync"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// SQLLog is a node's operation log in its own database (tables oplog,
// oplog_node, oplog_checkpoint, oplog_purge…). It implements HashSource and
// NodeSource and streams rows and checkpoints to the Verifier. It only reads
// integrity data and log rows; writes go through Checkpointer, Purge and
// RecordSeal.
type SQLLog struct {
	db    *store.DB
	chunk uint64 // Rows' chunk of indices per read (tests make it small)
}

// NewSQLLog returns the operation log of db.
func NewSQLLog(db *store.DB) *SQLLog { return &SQLLog{db: db, chunk: rowsChunk} }

// DB is the database the log lives in.
func (l *SQLLog) DB() *store.DB { return l.db }

// Size is the number of records appended so far (oplog_head).
func (l *SQLLog) Size(ctx context.Context) (uint64, error) {
	var n int64
	if err := l.db.Bookkeeping(store.LogRead).QueryRowContext(ctx, `SELECT size FROM oplog_head WHERE id = 1`).Scan(&n); err != nil {
		return 0, jukinet.E("oplog.SQLLog.Size", jukinet.KindInternal, err)
	}
	return uint64(n), nil
}

func toHash(b []byte) (Hash, error) {
	if len(b) != 32 {
		return Hash{}, fmt.Errorf("stored hash is %d bytes, want 32", len(b))
	}
	return Hash(b), nil
}

// LeafHashes returns the stored leaf hashes of [from, to): from the oplog
// table, or for purged rows from oplog_purged_hash.
func (l *SQLLog) LeafHashes(ctx context.Context, from, to uint64) ([]Hash, error) {
	const op = "oplog.SQLLog.LeafHashes"
	if from > to {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "range", "from %d is above to %d", from, to)
	}
	out := make([]Hash, 0, to-from)
	for k, q := range []string{
		`SELECT idx, 1, leaf_hash FROM oplog_purged_hash WHERE idx >= $1 AND idx < $2 ORDER BY idx`,
		// From the row holding the first index wanted (it may be inside a run).
		`SELECT idx, run, leaf_hash FROM oplog WHERE idx >= ` + rowHolding + ` AND idx < $2 ORDER BY idx`,
	} {
		rows, err := l.db.Bookkeeping(store.LogRead).QueryContext(ctx, q, int64(from+uint64(len(out))), int64(to))
		if err != nil {
			return nil, jukinet.E(op, jukinet.KindInternal, err)
		}
		for rows.Next() {
			var idx, run int64
			var b sql.RawBytes
			if err := rows.Scan(&idx, &run, &b); err != nil {
				rows.Close()
				return nil, jukinet.E(op, jukinet.KindInternal, err)
			}
			if run <= 1 { // a plain row
				if uint64(idx) < from+uint64(len(out)) {
					continue
				}
				if uint64(idx) != from+uint64(len(out)) {
					rows.Close()
					return nil, jukinet.Errorf(op, jukinet.KindNotFound, "index", "leaf %d is missing", from+uint64(len(out)))
				}
				h, err := toHash(b)
				if err != nil {
					rows.Close()
					return nil, jukinet.E(op, jukinet.KindInternal, fmt.Errorf("index %d: %w", idx, err))
				}
				out = append(out, h)
				continue
			}
			var bad error
			store.RunRecords(uint64(idx), nil, b, int(run), func(i int, _, hash []byte) bool {
				at := uint64(idx) + uint64(i)
				if at < from+uint64(len(out)) {
					return true // before the range: the head of a run
				}
				if at >= to {
					return false
				}
				if at != from+uint64(len(out)) {
					bad = jukinet.Errorf(op, jukinet.KindNotFound, "index", "leaf %d is missing", from+uint64(len(out)))
					return false
				}
				h, err := toHash(hash)
				if err != nil {
					bad = jukinet.E(op, jukinet.KindInternal, fmt.Errorf("index %d: %w", at, err))
					return false
				}
				out = append(out, h)
				return true
			})
			if bad != nil {
				rows.Close()
				return nil, bad
			}
		}
		if err := rows.Err(); err != nil {
			return nil, jukinet.E(op, jukinet.KindInternal, err)
		}
		rows.Close()
		if k == 0 && uint64(len(out)) == to-from {
			break
		}
	}
	if uint64(len(out)) != to-from {
		return nil, jukinet.Errorf(op, jukinet.KindNotFound, "index", "leaf %d is missing", from+uint64(len(out)))
	}
	return out, nil
}

// rowHolding is the start of the row holding index $1 (a run may hold it),
// or $1 when no row starts at or below it.
const rowHolding = `COALESCE((SELECT MAX(idx) FROM oplog WHERE idx <= $1), $1)`

// NodeHashes returns stored subtree hashes (oplog_node) at level for
// indices [from, to).
func (l *SQLLog) NodeHashes(ctx context.Context, level uint, from, to uint64) ([]Hash, error) {
	const op = "oplog.SQLLog.NodeHashes"
	rows, err := l.db.Bookkeeping(store.LogRead).QueryContext(ctx, `SELECT idx, hash FROM oplog_node WHERE level = $1 AND idx >= $2 AND idx < $3 ORDER BY idx`, int64(level), int64(from), int64(to))
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	defer rows.Close()
	out := make([]Hash, 0, to-from)
	for rows.Next() {
		var idx int64
		var b sql.RawBytes
		if err := rows.Scan(&idx, &b); err != nil {
			return nil, jukinet.E(op, jukinet.KindInternal, err)
		}
		if uint64(idx) != from+uint64(len(out)) {
			break
		}
		h, err := toHash(b)
		if err != nil {
			return nil, jukinet.E(op, jukinet.KindInternal, err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	if uint64(len(out)) != to-from {
		return nil, jukinet.Errorf(op, jukinet.KindNotFound, "node", "node (%d, %d) is not stored", level, from+uint64(len(out)))
	}
	return out, nil
}

// Rows streams the rows with index ≥ from in index order, as stored (a
// tampered table is streamed as it is, for the Verifier to judge). The
// yielded Leaf is only valid until the next iteration. Rows reads with
// rowBatches.
func (l *SQLLog) Rows(ctx context.Context, from uint64) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		for b, err := range l.rowBatches(ctx, from) {
			if err != nil {
				yield(Row{}, err)
				return
			}
			for i := range b.Rows {
				if !yield(b.Rows[i], nil) {
					b.Release()
					return
				}
			}
			b.Release()
		}
	}
}

// rowBatches streams the rows with index ≥ from in index order, as stored,
// in batches whose rows (leaves included) stay valid until the consumer
// releases them. The consumer must release every batch it is given, also
// the one at which it stops.
//
// Reading rows out of the database costs more than hashing them, so two
// readers on separate connections (WAL lets readers run side by side) read
// alternate chunks of rowsChunk indices, [from, from+rowsChunk),
// [from+rowsChunk, from+2·rowsChunk)…, handed on in order. The first chunk
// that is not full (the end, or a gap left by a deleted row) ends the
// parallel part and one query streams everything from its end on: the
// ranges are disjoint and cover every index ≥ from, so the stream is exactly
// that of one ordered query, whatever was done to the table. Memory stays at
// a few chunks.
func (l *SQLLog) rowBatches(ctx context.Context, from uint64) iter.Seq2[RowBatch, error] {
	return func(yield func(RowBatch, error) bool) {
		next := from
		if l.chunk > 0 {
			var ok bool
			if next, ok = l.parallelRows(ctx, from, yield); !ok {
				return
			}
		}
		l.serialRows(ctx, next, yield)
	}
}

// rowsChunk is the index range one reader reads at a time (~3.5 MB of rows).
const rowsChunk = 8192

// rowChunksHeld is how many chunks the consumer may hold at once (the
// Verifier's batches in flight) without stalling the readers.
const rowChunksHeld = verifyBatches + 2

// rowChunk is one reader's chunk: rows with leaves in one arena.
type rowChunk struct {
	lo, hi uint64 // the index range read
	rows   []Row
	arena  []byte
	err    error
	gap    bool // a record out of sequence: not full
	sep    bool // chunkQuery puts 0x1f after the hash (SQLite)
}

// full reports whether every index of the range was there (the parallel
// part goes on only then).
func (c *rowChunk) full() bool { return c.err == nil && !c.gap && uint64(len(c.rows)) == c.hi-c.lo }

// parallelRows yields the full chunks from from on and the first chunk
// that is not full; it returns where the rest starts and false when the
// stream is over (stopped, or an error).
func (l *SQLLog) parallelRows(ctx context.Context, from uint64, yield func(RowBatch, error) bool) (uint64, bool) {
	const readers = 2
	stop := make(chan struct{})
	// Each reader fills one and has one waiting to be taken; the consumer
	// holds the rest. Releases never block: there is room for all.
	const chunks = 2*readers + rowChunksHeld
	free := make(chan *rowChunk, chunks)
	for range chunks {
		free <- &rowChunk{}
	}
	var out [readers]chan *rowChunk
	var wg sync.WaitGroup
	for k := range readers {
		out[k] = make(chan *rowChunk, 1)
		wg.Go(func() {
			defer close(out[k])
			conn, err := l.db.Bookkeeping(store.LogRead).Conn(ctx)
			if err != nil {
				select {
				case out[k] <- &rowChunk{err: err}:
				case <-stop:
				}
				return
			}
			defer conn.Close()
			if l.db.Engine() == store.SQLite {
				// Map the file instead of a read() per page; set back before
				// the connection returns to the pool.
				if _, err := conn.ExecContext(ctx, `PRAGMA mmap_size = 4294967296`); err == nil {
					defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA mmap_size = 0`)
				}
			}
			for c := uint64(k); ; c += readers {
				lo := from + c*l.chunk
				if c > math.MaxInt64/l.chunk || lo < from || lo+l.chunk < lo || lo+l.chunk > math.MaxInt64 {
					return // beyond any index: the serial part takes over
				}
				var ch *rowChunk
				select {
				case ch = <-free:
				case <-stop:
					return
				}
				l.readChunk(ctx, conn, ch, lo, lo+l.chunk)
				full := ch.full() // ch belongs to the consumer once sent
				select {
				case out[k] <- ch:
				case <-stop:
					return
				}
				if !full {
					return
				}
			}
		})
	}
	defer wg.Wait()
	defer close(stop)
	next := from
	for c := 0; ; c++ {
		ch, ok := <-out[c%readers]
		if !ok {
			return next, true
		}
		if ch.err != nil {
			yield(RowBatch{}, ch.err)
			return 0, false
		}
		if !ch.full() {
			// Its rows' indices are not known (readChunk): the serial
			// query reads them, from the start of this chunk.
			next = ch.lo
			free <- ch
			return next, true
		}
		// ch belongs to the consumer until released.
		next = ch.hi
		if !yield(RowBatch{Rows: ch.rows, Release: func() { free <- ch }}, nil) {
			return 0, false
		}
	}
}

// chunkQuery reads a chunk's rows as one value each (and a NULL), because
// the driver's cost is per column and per value (a copy, an allocation, a
// lock, a type probe), and a plain row as cheaply as before runs existed:
// its stored leaf hash, its leaf, 0x1f and its other values
// (store.RowColumnsSQL) that verification binds to the leaf (a canonical
// leaf holds no 0x1f: JSON escapes it). A stored hash of another length
// than 32 (which can never match) is given as 32 zero bytes, except in a
// run row, given as runMagic, its index and run length as 16 hex digits
// each, its hashes (zeros if not 32 bytes a record) and its leaf column,
// with its other values as the second value (NULL for a plain row). A
// plain row's index is not read: it is the next position (see readChunk).
// $1 is where the chunk starts reading (the run holding its first index,
// if one does: chunkStart), $2 its end.
var chunkQuery = map[store.Engine]string{
	store.SQLite: `SELECT CAST((CASE WHEN length(CAST(leaf_hash AS BLOB)) = 32 THEN ` + store.RowColumnsAfterSQL(store.SQLite, `CAST(leaf_hash AS BLOB), COALESCE(CAST(leaf AS BLOB), x'')`) +
		` WHEN run > 1 THEN x'` + runMagicHex + `' || CAST(printf('%016x%016x', idx, run) AS BLOB)` +
		` || (CASE WHEN length(CAST(leaf_hash AS BLOB)) = 32 * run THEN CAST(leaf_hash AS BLOB) ELSE zeroblob(32 * run) END) || COALESCE(CAST(leaf AS BLOB), x'')` +
		` ELSE ` + store.RowColumnsAfterSQL(store.SQLite, `zeroblob(32), COALESCE(CAST(leaf AS BLOB), x'')`) + ` END) AS BLOB),` +
		` CASE WHEN length(CAST(leaf_hash AS BLOB)) <> 32 AND run > 1 THEN CAST(` + store.RowColumnsSQL(store.SQLite) + ` AS BLOB) END` +
		` FROM oplog WHERE idx >= $1 AND idx < $2 ORDER BY idx`,
	store.Postgres: `SELECT (CASE WHEN length(leaf_hash) = 32 THEN leaf_hash || COALESCE(leaf, ''::bytea) || '\x1f'::bytea || convert_to(` + store.RowColumnsSQL(store.Postgres) + `, 'UTF8')` +
		` WHEN run > 1 THEN '\x` + runMagicHex + `'::bytea || convert_to(lpad(to_hex(idx), 16, '0') || lpad(to_hex(run::bigint), 16, '0'), 'UTF8')` +
		` || (CASE WHEN length(leaf_hash) = 32 * run THEN leaf_hash ELSE decode(repeat('00', 32 * run), 'hex') END) || COALESCE(leaf, ''::bytea)` +
		` ELSE decode(repeat('00', 32), 'hex') || COALESCE(leaf, ''::bytea) || '\x1f'::bytea || convert_to(` + store.RowColumnsSQL(store.Postgres) + `, 'UTF8') END),` +
		` CASE WHEN length(leaf_hash) <> 32 AND run > 1 THEN convert_to(` + store.RowColumnsSQL(store.Postgres) + `, 'UTF8') END` +
		` FROM oplog WHERE idx >= $1 AND idx < $2 ORDER BY idx`,
}

// runMagic starts a run row's value in chunkQuery: 32 bytes that a plain
// row's stored hash could only equal if forged, and then the row is read
// as a run, fails to parse or to fit, and the serial query reads it.
const runMagicHex = "6a756b696e65742072756e20726f77206d61726b6572202d2d2d2d2d2d2d2d2d"

var runMagic, _ = hex.DecodeString(runMagicHex)

// chunkStart is where a chunk from lo reads: the start of the run holding
// lo, if a run holds it, else lo.
func chunkStart(ctx context.Context, conn *sql.Conn, lo uint64) (int64, error) {
	var idx, run int64
	err := conn.QueryRowContext(ctx, `SELECT idx, run FROM oplog WHERE idx <= $1 ORDER BY idx DESC LIMIT 1`, int64(lo)).Scan(&idx, &run)
	if errors.Is(err, sql.ErrNoRows) {
		return int64(lo), nil
	}
	if err != nil {
		return 0, err
	}
	if idx < int64(lo) && run > 1 && idx+run > int64(lo) {
		return idx, nil
	}
	return int64(lo), nil
}

// readChunk reads the records of [lo, hi) into ch, reusing its buffers. The
// chunk is full when they are exactly lo, lo+1, …, hi−1. A plain row's
// index is taken to be the next position: a run's is read and must be the
// next position too, so when the rows give hi−lo records, the plain rows
// between two runs are as many as the indices there, and being distinct
// integers they are exactly those. A chunk that is not full (the end of
// the log, or a gap) is read again by the serial query, which reads every
// row's index.
func (l *SQLLog) readChunk(ctx context.Context, conn *sql.Conn, ch *rowChunk, lo, hi uint64) {
	ch.lo, ch.hi, ch.rows, ch.arena, ch.err, ch.gap = lo, hi, ch.rows[:0], ch.arena[:0], nil, false
	ch.sep = l.db.Engine() == store.SQLite
	start, err := chunkStart(ctx, conn, lo)
	if err != nil {
		ch.err = err
		return
	}
	if l.db.Engine() == store.SQLite {
		// The driver directly: database/sql's per-row lock, conversion and
		// copy cost ~5 % of verification (one value per row, no Scan).
		err := conn.Raw(func(dc any) error {
			q, ok := dc.(driver.QueryerContext)
			if !ok {
				return errNoRawQuery
			}
			rows, err := q.QueryContext(ctx, chunkQuery[store.SQLite], []driver.NamedValue{{Ordinal: 1, Value: start}, {Ordinal: 2, Value: int64(hi)}})
			if err != nil {
				return err
			}
			defer rows.Close()
			dest := make([]driver.Value, 2)
			for {
				if err := rows.Next(dest); err == io.EOF {
					return nil
				} else if err != nil {
					return err
				}
				v, _ := dest[0].([]byte) // NULL cannot be (see chunkQuery): read as a gap
				cols, _ := dest[1].([]byte)
				if !ch.take(lo, v, cols) {
					return nil
				}
			}
		})
		if !errors.Is(err, errNoRawQuery) {
			if err != nil {
				ch.err = err
			} else if !ch.gap {
				ch.fixLeaves()
			}
			return
		}
	}
	rows, err := conn.QueryContext(ctx, chunkQuery[l.db.Engine()], start, int64(hi))
	if err != nil {
		ch.err = err
		return
	}
	defer rows.Close()
	for rows.Next() {
		var v, cols sql.RawBytes
		if err := rows.Scan(&v, &cols); err != nil {
			ch.err = err
			return
		}
		if !ch.take(lo, v, cols) {
			return
		}
	}
	if err := rows.Err(); err != nil {
		ch.err = err
		return
	}
	ch.fixLeaves()
}

var errNoRawQuery = errors.New("driver connection cannot query")

// take adds the records of one value of chunkQuery to the chunk starting
// at lo, cols its row's other values; false means a gap (the chunk is not
// full: stop reading it).
func (ch *rowChunk) take(lo uint64, v, cols []byte) bool {
	if len(v) < 32 { // cannot be (see chunkQuery)
		ch.gap = true
		return false
	}
	if !bytes.Equal(v[:32], runMagic) {
		// hash ‖ 0x1f ‖ leaf ‖ 0x1f ‖ the other values on SQLite (one
		// concat_ws), hash ‖ leaf ‖ 0x1f ‖ … on PostgreSQL: a canonical leaf
		// holds no 0x1f, a forged one split here no longer hashes to its hash.
		leaf, cols := v[32:], []byte(nil)
		if ch.sep && len(leaf) > 0 && leaf[0] == 0x1f {
			leaf = leaf[1:]
		}
		if i := bytes.IndexByte(leaf, 0x1f); i >= 0 {
			leaf, cols = leaf[:i], leaf[i+1:]
		}
		ch.addRow(int64(lo)+int64(len(ch.rows)), 1, leaf, v[:32], cols)
	} else {
		var idx, run uint64
		var err1, err2 error = errBadChunkRun, errBadChunkRun
		if len(v) >= 64 {
			idx, err1 = strconv.ParseUint(string(v[32:48]), 16, 64)
			run, err2 = strconv.ParseUint(string(v[48:64]), 16, 64)
		}
		if err1 != nil || err2 != nil || run < 2 || run > math.MaxInt32 || uint64(len(v)-64) < 32*run {
			ch.gap = true // a forged hash or a damaged run: the serial query reads it
			return false
		}
		ch.addRow(int64(idx), int64(run), v[64+32*run:], v[64:64+32*run], cols)
	}
	return !ch.gap
}

var errBadChunkRun = errors.New("not a run row")

// addRow adds the records of one row (a run or a plain row) that lie in
// [ch.lo, ch.hi), noting a gap when they do not follow on; cols, the
// row's other values, go with its first record.
func (ch *rowChunk) addRow(idx, run int64, leaves, hashes, cols []byte) {
	if run == 1 {
		if idx >= int64(ch.lo) { // the row holding lo may be a plain row below it (a gap)
			ch.addRecord(idx, leaves, hashes, cols, 1, false)
		}
		return
	}
	store.RunRecords(uint64(idx), leaves, hashes, int(run), func(i int, leaf, hash []byte) bool {
		at := idx + int64(i)
		if at < int64(ch.lo) {
			return true
		}
		if at >= int64(ch.hi) {
			return false
		}
		if i == 0 {
			ch.addRecord(at, leaf, hash, cols, int32(run), true)
		} else {
			ch.addRecord(at, leaf, hash, nil, 0, true)
		}
		return !ch.gap
	})
}

// addRecord adds one record of the chunk.
func (ch *rowChunk) addRecord(idx int64, leaf, hash, cols []byte, run int32, inRun bool) {
	if idx != int64(ch.lo)+int64(len(ch.rows)) {
		ch.gap = true
		return
	}
	ch.add(idx, leaf, hash, cols, run, inRun)
}

// add appends a record, its leaf (and its row's other values, when run > 0
// marks the row's first record) copied into the arena (fixLeaves points
// the rows at it once the arena stops moving).
func (ch *rowChunk) add(idx int64, leaf, leafHash, cols []byte, run int32, inRun bool) {
	r := Row{Index: uint64(idx), run: run, inRun: inRun}
	// A stored hash of the wrong length can never match: leave it zero.
	if len(leafHash) == 32 {
		r.LeafHash = Hash(leafHash)
	}
	// Leaf holds its length for now.
	r.Leaf = leaf[:0:len(leaf)]
	// 0x00 ‖ leaf: the RFC 6962 leaf hash input, hashed where it lies.
	ch.arena = append(ch.arena, rfc6962.RFC6962LeafHashPrefix)
	ch.arena = append(ch.arena, leaf...)
	if run > 0 {
		r.cols = cols[:0:len(cols)] // its length, for now
		ch.arena = append(ch.arena, cols...)
	}
	ch.rows = append(ch.rows, r)
}

// fixLeaves points each row's Leaf (and its hash input, and its row's
// other values) into the arena.
func (ch *rowChunk) fixLeaves() {
	at := 0
	for i := range ch.rows {
		r := &ch.rows[i]
		n := cap(r.Leaf)
		r.hashInput = ch.arena[at : at+1+n : at+1+n]
		r.Leaf = ch.arena[at+1 : at+1+n : at+1+n]
		at += 1 + n
		if r.run > 0 {
			k := cap(r.cols)
			r.cols = ch.arena[at : at+k : at+k]
			at += k
		}
	}
}

// serialRows yields the rows with index ≥ from with one query, in batches
// of up to rowsChunk rows.
func (l *SQLLog) serialRows(ctx context.Context, from uint64, yield func(RowBatch, error) bool) {
	if from > math.MaxInt64 {
		return
	}
	rows, err := l.db.Bookkeeping(store.LogRead).QueryContext(ctx, `SELECT idx, run, leaf, leaf_hash, `+store.RowColumnsSQL(l.db.Engine())+` FROM oplog WHERE idx >= `+rowHolding+` ORDER BY idx`, int64(from))
	if err != nil {
		yield(RowBatch{}, err)
		return
	}
	defer rows.Close()
	free := make(chan *rowChunk, rowChunksHeld+1)
	for range rowChunksHeld + 1 {
		free <- &rowChunk{}
	}
	ch := <-free
	ch.rows, ch.arena = ch.rows[:0], ch.arena[:0]
	send := func() bool {
		ch.fixLeaves()
		c := ch
		if !yield(RowBatch{Rows: ch.rows, Release: func() { free <- c }}, nil) {
			return false
		}
		ch = <-free
		ch.rows, ch.arena = ch.rows[:0], ch.arena[:0]
		return true
	}
	for rows.Next() {
		var idx, run int64
		var leaf, lh, cols sql.RawBytes
		if err := rows.Scan(&idx, &run, &leaf, &lh, &cols); err != nil {
			yield(RowBatch{}, err)
			return
		}
		if run <= 1 {
			if idx >= int64(from) { // the row holding from may be below it (a gap)
				ch.add(idx, leaf, lh, cols, 1, false)
			}
		} else {
			// A run's records one by one, as stored (a damaged run gives
			// empty leaves and no hashes from where it breaks).
			stop := false
			store.RunRecords(uint64(idx), leaf, lh, int(run), func(i int, leaf, hash []byte) bool {
				if at := idx + int64(i); at == idx && at >= int64(from) {
					ch.add(at, leaf, hash, cols, int32(min(run, math.MaxInt32)), true)
				} else if at >= int64(from) {
					ch.add(at, leaf, hash, nil, 0, true)
				}
				if uint64(len(ch.rows)) >= rowsChunk && !send() {
					stop = true
					return false
				}
				return true
			})
			if stop {
				return
			}
		}
		if uint64(len(ch.rows)) >= rowsChunk && !send() {
			return
		}
	}
	if err := rows.Err(); err != nil {
		yield(RowBatch{}, err)
		return
	}
	if len(ch.rows) > 0 {
		send()
	}
}

// StoredCheckpoint is a row of oplog_checkpoint.
type StoredCheckpoint struct {
	Size      uint64
	Root      Hash
	Note      []byte // signed; cosigned when Cosigned
	Tree      []byte // Tree.MarshalBinary at Size
	Cosigned  bool
	CreatedAt int64 // unix µs
}

// Checkpoints streams the cosigned checkpoints of size ≥ minSize in size
// order (pending ones are left out: see PendingCheckpoints).
func (l *SQLLog) Checkpoints(ctx context.Context, minSize uint64) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		rows, err := l.db.Bookkeeping(store.LogRead).QueryContext(ctx, `SELECT note FROM oplog_checkpoint WHERE state = 'cosigned' AND size >= $1 ORDER BY size`, int64(minSize))
		if err != nil {
			yield(nil, err)
			return
		}
		defer rows.Close()
		for rows.Next() {
			var n []byte
			if err := rows.Scan(&n); err != nil {
				yield(nil, err)
				return
			}
			if !yield(n, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(nil, err)
		}
	}
}

// PendingCheckpoints counts checkpoints signed but not yet cosigned.
func (l *SQLLog) PendingCheckpoints(ctx context.Context) (int, error) {
	var n int
	if err := l.db.Bookkeeping(store.LogRead).QueryRowContext(ctx, `SELECT COUNT(*) FROM oplog_checkpoint WHERE state = 'pending'`).Scan(&n); err != nil {
		return 0, jukinet.E("oplog.SQLLog.PendingCheckpoints", jukinet.KindInternal, err)
	}
	return n, nil
}

// LatestCheckpoint returns the largest stored checkpoint (only cosigned ones
// when cosignedOnly); ok is false when there is none.
func (l *SQLLog) LatestCheckpoint(ctx context.Context, cosignedOnly bool) (c StoredCheckpoint, ok bool, err error) {
	q := `SELECT size, root, note, tree, state, created_at FROM oplog_checkpoint ORDER BY size DESC LIMIT 1`
	if cosignedOnly {
		q = `SELECT size, root, note, tree, state, created_at FROM oplog_checkpoint WHERE state = 'cosigned' ORDER BY size DESC LIMIT 1`
	}
	var size int64
	var root []byte
	var state string
	err = l.db.Bookkeeping(store.LogRead).QueryRowContext(ctx, q).Scan(&size, &root, &c.Note, &c.Tree, &state, &c.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, jukinet.E("oplog.SQLLog.LatestCheckpoint", jukinet.KindInternal, err)
	}
	c.Size, c.Cosigned = uint64(size), state == "cosigned"
	if c.Root, err = toHash(root); err != nil {
		return c, false, jukinet.E("oplog.SQLLog.LatestCheckpoint", jukinet.KindInternal, err)
	}
	return c, true, nil
}

// PurgeStart is the tree of the purged rows [0, first retained index) as
// recorded by the last purge, or nil when nothing was ever purged.
// Verification starts from it (Verifier.Start): the first cosigned
// checkpoint above it proves it, since its root covers those hashes.
func (l *SQLLog) PurgeStart(ctx context.Context) (*Tree, error) {
	const op = "oplog.SQLLog.PurgeStart"
	var state []byte
	err := l.db.Bookkeeping(store.LogRead).QueryRowContext(ctx, `SELECT tree FROM oplog_purge ORDER BY before_idx DESC LIMIT 1`).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	t := &Tree{}
	if err := t.UnmarshalBinary(state); err != nil {
		return nil, jukinet.E(op, err)
	}
	return t, nil
}

// Verify runs v over the whole stored log: rows from the first retained
// index, cosigned checkpoints from there on. It also sets v.CheckLeaf to
// check that each record's own "idx" is its row's index, and v.Start to the
// purge boundary, and binds every value stored beside the leaves to them
// (binding.go): a forged one fails with ReasonForgedValue naming its table
// and column.
func (l *SQLLog) Verify(ctx context.Context, v Verifier) (Report, error) {
	start, err := l.PurgeStart(ctx)
	if jukinet.ErrorKind(err) == jukinet.KindInvalid {
		// A stored tree that does not even parse: a forged value, not a
		// failure to read.
		return Report{Failure: &Failure{Reason: ReasonForgedValue, Table: "oplog_purge", Column: "tree", Detail: err.Error()}}, nil
	}
	if err != nil {
		return Report{}, err
	}
	v.Start = start
	if v.CheckLeaf == nil {
		v.CheckLeaf = CheckRecordIndex
	}
	from := uint64(0)
	if start != nil {
		from = start.Size()
	}
	// The checkpoints are read first, not beside the rows: the readers, the
	// resident index stream and the binding's own queries use the pool's
	// other connections (store: 4 on SQLite).
	var notes [][]byte
	for n, err := range l.Checkpoints(ctx, from) {
		if err != nil {
			return Report{}, jukinet.E("oplog.SQLLog.Verify", jukinet.KindInternal, err)
		}
		notes = append(notes, n)
	}
	if v.bind, err = l.newBinding(ctx); err != nil {
		return Report{}, jukinet.E("oplog.SQLLog.Verify", jukinet.KindInternal, err)
	}
	defer v.bind.close()
	return v.VerifyBatches(ctx, l.rowBatches(ctx, from), func(yield func([]byte, error) bool) {
		for _, n := range notes {
			if !yield(n, nil) {
				return
			}
		}
	})
}

// recordPrefix is how every store.LogRecord leaf begins.
var recordPrefix = []byte(`{"v":1,"idx":`)

// CheckRecordIndex checks that a store.LogRecord leaf carries index as its
// own "idx" (a cheap prefix parse without allocations: verify runs at a
// million rows a second). The number must be canonical: decimal digits, no
// leading zero, within uint64.
func CheckRecordIndex(index uint64, leaf []byte) error {
	if !bytes.HasPrefix(leaf, recordPrefix) {
		return errors.New("the leaf is not a version-1 operation record")
	}
	rest := leaf[len(recordPrefix):]
	end := bytes.IndexByte(rest, ',')
	if end <= 0 || (rest[0] == '0' && end > 1) {
		return errors.New("the leaf's index is malformed")
	}
	var got uint64
	for _, d := range rest[:end] {
		if d < '0' || d > '9' || got > (math.MaxUint64-uint64(d-'0'))/10 {
			return errors.New("the leaf's index is malformed")
		}
		got = got*10 + uint64(d-'0')
	}
	if got != index {
		return fmt.Errorf("the record says index %d (rows were inserted, deleted or reordered)", got)
	}
	return nil
}

// SQLWitnessStore keeps a witness's state per origin in table witness_state
// of the prefecture node's database. Compare-and-swap is a conditional
// UPDATE (or an INSERT that must not conflict).
type SQLWitnessStore struct {
	db *store.DB
}

// NewSQLWitnessStore returns the witness state store of db.
func NewSQLWitnessStore(db *store.DB) *SQLWitnessStore { return &SQLWitnessStore{db: db} }

// WitnessState implements WitnessStore.
func (s *SQLWitnessStore) WitnessState(ctx context.Context, origin string) (WitnessState, bool, error) {
	var size int64
	var root []byte
	err := s.db.Bookkeeping(store.Witness).QueryRowContext(ctx, `SELECT size, root FROM witness_state WHERE origin = $1`, origin).Scan(&size, &root)
	if errors.Is(err, sql.ErrNoRows) {
		return WitnessState{}, false, nil
	}
	if err != nil {
		return WitnessState{}, false, jukinet.E("oplog.SQLWitnessStore", jukinet.KindInternal, err)
	}
	h, err := toHash(root)
	if err != nil {
		return WitnessState{}, false, jukinet.E("oplog.SQLWitnessStore", jukinet.KindInternal, err)
	}
	return WitnessState{Size: uint64(size), Root: h}, true, nil
}

// SetWitnessState implements WitnessStore.
func (s *SQLWitnessStore) SetWitnessState(ctx context.Context, origin string, old *WitnessState, next WitnessState) error {
	const op = "oplog.SQLWitnessStore.SetWitnessState"
	now := s.db.Now().UnixMicro()
	var res sql.Result
	var err error
	if old == nil {
		res, err = s.db.Bookkeeping(store.Witness).ExecContext(ctx, `INSERT INTO witness_state (origin, size, root, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (origin) DO NOTHING`,
			origin, int64(next.Size), next.Root[:], now)
	} else {
		res, err = s.db.Bookkeeping(store.Witness).ExecContext(ctx, `UPDATE witness_state SET size = $1, root = $2, updated_at = $3 WHERE origin = $4 AND size = $5 AND root = $6`,
			int64(next.Size), next.Root[:], now, origin, int64(old.Size), old.Root[:])
	}
	if err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return jukinet.Errorf(op, jukinet.KindConflict, "origin", "witness state of %s changed meanwhile", origin)
	}
	return nil
}

// NewSQLWitness returns the prefecture's witness keeping its state in db
// (G15): it signs with signer and serves the given logs (origin → the log's
// verifier).
func NewSQLWitness(db *store.DB, signer note.Signer, logs map[string]note.Verifier) (*Witness, error) {
	return NewWitness(signer, NewSQLWitnessStore(db), logs)
}

// Prove returns the offline-checkable proof of record index against the
// latest cosigned checkpoint (`jukinet oplog prove`). Errors: KindNotFound
// when no cosigned checkpoint covers the index yet or its row was purged.
func Prove(ctx context.Context, l *SQLLog, index uint64) (Proof, error) {
	const op = "oplog.Prove"
	cp, ok, err := l.LatestCheckpoint(ctx, true)
	if err != nil {
		return Proof{}, err
	}
	if !ok || index >= cp.Size {
		return Proof{}, jukinet.Errorf(op, jukinet.KindNotFound, "index", "no cosigned checkpoint covers index %d yet", index)
	}
	leaf, err := l.Leaf(ctx, index)
	if err != nil {
		return Proof{}, jukinet.E(op, err)
	}
	hashes, err := InclusionProof(ctx, l, index, cp.Size)
	if err != nil {
		return Proof{}, jukinet.E(op, err)
	}
	return Proof{Index: index, Size: cp.Size, Leaf: leaf, Hashes: hashes, Checkpoint: cp.Note}, nil
}

// Leaf returns the stored canonical bytes of record index, from its own row
// or from the run holding it. Errors: KindNotFound when no row holds it
// (purged: its month's seal has it), KindInternal for a damaged run.
func (l *SQLLog) Leaf(ctx context.Context, index uint64) ([]byte, error) {
	const op = "oplog.SQLLog.Leaf"
	if index > math.MaxInt64 {
		return nil, jukinet.Errorf(op, jukinet.KindNotFound, "index", "record %d is not in the database", index)
	}
	var idx, run int64
	var leaves []byte
	err := l.db.Bookkeeping(store.LogRead).QueryRowContext(ctx, `SELECT idx, run, leaf FROM oplog WHERE idx <= $1 ORDER BY idx DESC LIMIT 1`, int64(index)).Scan(&idx, &run, &leaves)
	if err == nil && uint64(idx)+uint64(max(run, 1)) <= index {
		err = sql.ErrNoRows // the row below ends before index
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, jukinet.Errorf(op, jukinet.KindNotFound, "index", "record %d is not in the database (purged: use its month's seal)", index)
	}
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	if run <= 1 {
		return leaves, nil
	}
	leaf, err := store.RunLeafAt(uint64(idx), leaves, int(run), int(index-uint64(idx)))
	if err != nil {
		return nil, jukinet.Errorf(op, jukinet.KindInternal, "index", "the run at %d holding record %d is damaged: %v", idx, index, err)
	}
	return leaf, nil
}
