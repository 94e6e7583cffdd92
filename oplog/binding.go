package oplog

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"

	"github.com/jukinet/jukinet/store"
	"golang.org/x/mod/sumdb/note"
)

// binding checks, during SQLLog.Verify, every value stored beside the
// leaves against the leaves it comes from, so that no answer of a query, a
// report or a proof rests on a byte that verification does not check (G15;
// an insider with the database file who drops the triggers):
//
//   - each oplog row's other columns (store.CheckRowColumns), on the
//     hashing workers, in the same pass;
//   - oplog_resident: exactly one entry (store.SubjectKey(subject), idx) per
//     record inside a run that has a subject, and no other;
//   - oplog_node: each stored subtree hash is the one the leaves give;
//   - oplog_head: one row, size and time those of the last record;
//   - oplog_checkpoint: size, root, tree and state agree with the signed
//     note;
//   - oplog_purged_hash and oplog_purge: the purged leaf hashes rebuild
//     the tree each purge recorded, the last of which the first checkpoint
//     above it proves; oplog_purge_allowed is empty.
//
// oplog_checkpoint.created_at, oplog_purge's months and created_at and
// oplog_seal are not derived from the leaves (boundColumnsExempt in the
// tests lists them with the reason).
type binding struct {
	ctx context.Context
	log *SQLLog
	// oplog_head as read before the rows: the records below headSize were
	// committed before any row was read, so their resident entries are
	// all visible to the resident stream.
	headSize uint64
	headTime int64
	nodes    map[nodeKey]storedNode // oplog_node, as stored; checked ones are removed
	res      chan residentEntry     // oplog_resident below headSize, by idx
	resErr   error                  // set before res is closed
	next     residentEntry
	haveNext bool
	resDone  bool
	stop     context.CancelFunc
}

type nodeKey struct {
	level uint
	index uint64
}

type storedNode struct {
	hash Hash
	ok   bool // 32 bytes
}

type residentEntry struct {
	idx            uint64
	key            int64
	badIdx, badKey bool // not an integer (a blob on SQLite: a query's key no longer matches it)
}

// resKey is a run record's expected resident entry.
type resKey struct {
	key int64
	has bool
}

// newBinding reads what the pass compares with: the stored subtree hashes,
// then the head (so every node read lies below it), and starts streaming
// the resident index.
func (l *SQLLog) newBinding(ctx context.Context) (*binding, error) {
	b := &binding{log: l, nodes: map[nodeKey]storedNode{}}
	rows, err := l.db.Bookkeeping(store.LogRead).QueryContext(ctx, `SELECT level, idx, hash FROM oplog_node`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var lv, iv any
		var h []byte
		if err := rows.Scan(&lv, &iv, &h); err != nil {
			rows.Close()
			return nil, err
		}
		level, ok1 := lv.(int64)
		idx, ok2 := iv.(int64)
		if !ok1 {
			level = -1 // not an integer (a blob on SQLite): no subtree has it
		}
		if !ok2 {
			idx = -1
		}
		n := storedNode{ok: len(h) == 32}
		copy(n.hash[:], h)
		// A negative level or index is kept as a huge one: no subtree has it.
		b.nodes[nodeKey{uint(level), uint64(idx)}] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var size int64
	if err := l.db.Bookkeeping(store.LogRead).QueryRowContext(ctx, `SELECT size, time FROM oplog_head WHERE id = 1`).Scan(&size, &b.headTime); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	b.headSize = uint64(max(size, 0))
	ctx, b.stop = context.WithCancel(ctx)
	b.ctx = ctx
	b.res = make(chan residentEntry, 4096)
	go func() {
		defer close(b.res)
		// The primary key is (subject_key, idx): this sorts, once.
		rows, err := l.db.Bookkeeping(store.LogRead).QueryContext(ctx, `SELECT idx, subject_key FROM oplog_resident WHERE idx < $1 ORDER BY idx, subject_key`, int64(b.headSize))
		if err != nil {
			b.resErr = err
			return
		}
		defer rows.Close()
		for rows.Next() {
			var iv, kv any
			if err := rows.Scan(&iv, &kv); err != nil {
				b.resErr = err
				return
			}
			idx, ok1 := iv.(int64)
			key, ok2 := kv.(int64)
			select {
			case b.res <- residentEntry{uint64(idx), key, !ok1, !ok2}:
			case <-ctx.Done():
				return
			}
		}
		b.resErr = rows.Err()
	}()
	return b, nil
}

// close stops the resident stream.
func (b *binding) close() {
	b.stop()
	for range b.res {
	}
}

// checkRows runs on the hashing workers: each row start's columns against
// its leaf, and each run record's resident key from its subject.
func (b *binding) checkRows(rows []Row, cols []int8, subj []resKey, buf *[]byte) {
	for i := range rows {
		r := &rows[i]
		cols[i] = store.ColumnsAgree
		if r.run > 0 {
			cols[i] = int8(store.CheckRowColumns(r.Leaf, int(r.run), r.cols, buf))
		}
		subj[i] = resKey{}
		if r.inRun {
			if s, ok := store.LeafSubject(r.Leaf); ok && s != "" {
				subj[i] = resKey{store.SubjectKey(s), true}
			}
		}
	}
}

// peek returns the next resident entry without taking it.
func (b *binding) peek() (residentEntry, bool) {
	if !b.haveNext && !b.resDone {
		if e, ok := <-b.res; ok {
			b.next, b.haveNext = e, true
		} else {
			b.resDone = true
		}
	}
	return b.next, b.haveNext
}

func (c *checker) failValue(index uint64, table, column, format string, args ...any) {
	c.failure = &Failure{Index: index, Reason: ReasonForgedValue, Table: table, Column: column, Detail: fmt.Sprintf(format, args...)}
}

// bindRow checks the record at c.rows (its leaf and hash already checked)
// against the values stored beside it.
func (c *checker) bindRow(r *Row, col int8, want resKey) {
	b, idx := c.v.bind, c.rows
	if r.run > 0 && col != store.ColumnsAgree {
		bad := int(col)
		if bad == store.ColumnsUnsplit {
			// A value holding the separator, or not text: column by column.
			vals := make([]any, len(store.RowColumns))
			ptrs := make([]any, len(vals))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := b.log.db.Bookkeeping(store.LogRead).QueryRowContext(b.ctx, store.RowValuesSQL, int64(idx)).Scan(ptrs...); err != nil {
				c.err = err
				return
			}
			bad = store.CheckRowValues(r.Leaf, int(r.run), vals)
		}
		if bad >= 0 {
			what := "the record's"
			if r.run > 1 {
				what = fmt.Sprintf("what the run row of %d records must hold", r.run)
			}
			c.failValue(idx, "oplog", store.RowColumns[bad], "the row at index %d stores a %s that is not %s (leaf)", idx, store.RowColumns[bad], what)
			return
		}
	}
	if idx < b.headSize {
		// Entries are in idx order: one below this record, or one that is
		// not a pair of integers, belongs to no record.
		if e, ok := b.peek(); ok && (e.idx < idx || e.badIdx || e.badKey) {
			col := "idx"
			if e.badKey && !e.badIdx && e.idx < idx {
				col = "subject_key"
			}
			c.failValue(min(e.idx, idx), "oplog_resident", col, "an entry names record %d, which is not a record of a run with that resident", e.idx)
			return
		}
		if want.has {
			e, ok := b.peek()
			if !ok || e.idx != idx {
				c.failValue(idx, "oplog_resident", "idx", "record %d has a resident but no resident index entry", idx)
				return
			}
			if e.key != want.key {
				c.failValue(idx, "oplog_resident", "subject_key", "the entry of record %d has key %d, its resident's is %d", idx, e.key, want.key)
				return
			}
			b.haveNext = false
		}
		if idx+1 == b.headSize {
			if t, ok := store.LeafTime(r.Leaf); !ok || t != b.headTime {
				c.failValue(idx, "oplog_head", "time", "the head's time %d is not that of the last record %d", b.headTime, idx)
			}
		}
	}
}

// bindNode checks a subtree hash the pass completed against the stored one.
func (c *checker) bindNode(n Node) {
	b := c.v.bind
	k := nodeKey{n.Level, n.Index}
	s, ok := b.nodes[k]
	if !ok {
		return // not stored (yet): a proof reads the leaves instead
	}
	delete(b.nodes, k)
	if (!s.ok || s.hash != n.Hash) && c.nodeFault == nil {
		// Reported once a checkpoint proved the leaves (settle), or at the
		// end: until then the leaves, not the stored hash, may be forged.
		c.nodeFault = &Failure{Index: n.Index << n.Level, Reason: ReasonForgedValue, Table: "oplog_node", Column: "hash",
			Detail: fmt.Sprintf("the stored hash of level %d, index %d (records [%d, %d)) is not the one the leaves give",
				n.Level, n.Index, n.Index<<n.Level, (n.Index+1)<<n.Level)}
		c.nodeEnd = (n.Index + 1) << n.Level
	}
}

// bindFinish checks, after every row passed, what is left: resident
// entries nothing claimed, the head, the purged hashes and purges (and the
// stored subtree hashes below the purge boundary), stored subtree hashes
// no subtree gave, the purge marker, and the checkpoint rows.
func (c *checker) bindFinish() {
	b := c.v.bind
	if c.nodeFault != nil {
		c.failure = c.nodeFault
		return
	}
	if e, ok := b.peek(); ok {
		c.failValue(e.idx, "oplog_resident", "idx", "an entry names record %d, which is not a record of a run with that resident", e.idx)
		return
	}
	if b.resErr != nil {
		c.err = b.resErr
		return
	}
	if b.headSize > c.rows {
		c.failValue(c.rows, "oplog_head", "size", "the head counts %d records, the rows end at %d", b.headSize, c.rows)
		return
	}
	if c.head(); c.failure != nil || c.err != nil {
		return
	}
	if c.purged(); c.failure != nil || c.err != nil {
		return
	}
	if len(b.nodes) > 0 {
		// Name the one that starts first.
		var first nodeKey
		at := uint64(math.MaxUint64)
		for k := range b.nodes {
			if s := k.index << min(k.level, 63); s <= at {
				first, at = k, s
			}
		}
		col := "idx"
		if first.level == 0 || first.level%TileHeight != 0 || first.level >= 64 {
			col = "level"
		}
		c.failValue(at, "oplog_node", col, "a stored hash of level %d, index %d is of no complete subtree of the log", int64(first.level), int64(first.index))
		return
	}
	var markers int
	if err := b.log.db.Bookkeeping(store.LogRead).QueryRowContext(b.ctx, `SELECT COUNT(*) FROM oplog_purge_allowed`).Scan(&markers); err != nil {
		c.err = err
		return
	}
	if markers != 0 {
		c.failValue(0, "oplog_purge_allowed", "before_idx", "%d purge markers outside a purge: the append-only trigger lets rows below them be deleted", markers)
		return
	}
	c.checkpointRows()
}

// purged rebuilds the tree of the purged rows from oplog_purged_hash:
// at each purge's bound it must be the tree that purge recorded, the last
// of them the verified start; the subtree hashes below the bound are
// checked on the way.
func (c *checker) purged() {
	purges, ok := c.purges()
	if !ok {
		return
	}
	if len(purges) == 0 {
		if n := c.count(`SELECT COUNT(*) FROM oplog_purged_hash`); n != 0 && c.err == nil {
			c.failValue(0, "oplog_purged_hash", "idx", "%d purged hashes but no purge", n)
		}
		return
	}
	last := purges[len(purges)-1]
	if last.before != c.startSize {
		c.failValue(last.before, "oplog_purge", "before_idx", "the last purge's bound %d is not the size %d of its tree", last.before, c.startSize)
		return
	}
	roots, ok := c.purgedRoots(purges)
	if !ok {
		return
	}
	if roots[len(roots)-1] != c.v.Start.Root() {
		c.failValue(0, "oplog_purged_hash", "leaf_hash", "the purged hashes of [0, %d) do not rebuild the tree the verified start holds", c.startSize)
		return
	}
	for i, pg := range purges {
		t := &Tree{}
		if err := t.UnmarshalBinary(pg.tree); err != nil || t.Size() != pg.before || t.Root() != roots[i] {
			c.failValue(pg.before, "oplog_purge", "tree", "the purge at %d recorded a tree the purged hashes do not rebuild", pg.before)
			return
		}
	}
	if c.nodeFault != nil {
		c.failure = c.nodeFault
	}
}

// purgeRow is a row of oplog_purge: the bound and the tree recorded there.
type purgeRow struct {
	before uint64
	tree   []byte
}

// purges reads oplog_purge in bound order; ok is false after a failure or
// an error (set on c).
func (c *checker) purges() (purges []purgeRow, ok bool) {
	b := c.v.bind
	rows, err := b.log.db.Bookkeeping(store.LogRead).QueryContext(b.ctx, `SELECT before_idx, tree FROM oplog_purge ORDER BY before_idx`)
	if err != nil {
		c.err = err
		return nil, false
	}
	defer rows.Close()
	for rows.Next() {
		var p purgeRow
		var bv any
		if err := rows.Scan(&bv, &p.tree); err != nil {
			c.err = err
			return nil, false
		}
		before, ok := bv.(int64)
		if !ok || before < 0 {
			c.failValue(0, "oplog_purge", "before_idx", "a purge bound %v", bv)
			return nil, false
		}
		p.before = uint64(before)
		purges = append(purges, p)
	}
	if c.err = rows.Err(); c.err != nil {
		return nil, false
	}
	return purges, true
}

// purgedRoots rebuilds the tree of the purged hashes, one per index from 0,
// checking the stored subtree hashes on the way, and returns its root at
// each purge's bound; the last bound's tree is the start that the first
// checkpoint above it proved. ok is false after a failure or an error.
func (c *checker) purgedRoots(purges []purgeRow) (roots []Hash, ok bool) {
	b := c.v.bind
	st := newStackTree(nil)
	visit := func(n Node) { c.bindNode(n) }
	hashes, err := b.log.db.Bookkeeping(store.LogRead).QueryContext(b.ctx, `SELECT idx, leaf_hash FROM oplog_purged_hash ORDER BY idx`)
	if err != nil {
		c.err = err
		return nil, false
	}
	defer hashes.Close()
	roots = make([]Hash, len(purges))
	p := 0
	reach := func() {
		for p < len(purges) && purges[p].before == st.Size() {
			roots[p] = st.Root()
			p++
		}
	}
	for hashes.Next() {
		var iv any
		var h []byte
		if err := hashes.Scan(&iv, &h); err != nil {
			c.err = err
			return nil, false
		}
		idx, ok := iv.(int64)
		if !ok {
			idx = -1
		}
		reach()
		if idx < 0 || uint64(idx) != st.Size() || st.Size() >= c.startSize {
			c.failValue(st.Size(), "oplog_purged_hash", "idx", "purged hash at index %d, want %d (one per purged record, below %d)", idx, st.Size(), c.startSize)
			return nil, false
		}
		if len(h) != 32 {
			c.failValue(st.Size(), "oplog_purged_hash", "leaf_hash", "purged hash %d is %d bytes", idx, len(h))
			return nil, false
		}
		st.appendNodes(Hash(h), visit)
	}
	if c.err = hashes.Err(); c.err != nil {
		return nil, false
	}
	reach()
	if p != len(purges) {
		c.failValue(purges[p].before, "oplog_purge", "before_idx", "a purge bound %d that the purged hashes do not reach", purges[p].before)
		return nil, false
	}
	return roots, true
}

// head checks oplog_head as it is after the rows were read: one row, id 1,
// integers, counting at least the records read.
func (c *checker) head() {
	b := c.v.bind
	rows, err := b.log.db.Bookkeeping(store.LogRead).QueryContext(b.ctx, `SELECT id, size, time FROM oplog_head`)
	if err != nil {
		c.err = err
		return
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id, size, tm any
		if err := rows.Scan(&id, &size, &tm); err != nil {
			c.err = err
			return
		}
		n++
		if v, ok := id.(int64); !ok || v != 1 {
			c.failValue(c.rows, "oplog_head", "id", "a head row with id %v", id)
			return
		}
		if v, ok := size.(int64); !ok || v < 0 || uint64(v) < c.rows {
			c.failValue(c.rows, "oplog_head", "size", "the head counts %v records, the rows end at %d", size, c.rows)
			return
		}
		if _, ok := tm.(int64); !ok {
			c.failValue(c.rows, "oplog_head", "time", "the head's time %v is not an integer", tm)
			return
		}
	}
	if c.err = rows.Err(); c.err == nil && n != 1 {
		c.failValue(c.rows, "oplog_head", "id", "%d head rows, want 1", n)
	}
}

func (c *checker) count(q string) int64 {
	var n int64
	if err := c.v.bind.log.db.Bookkeeping(store.LogRead).QueryRowContext(c.v.bind.ctx, q).Scan(&n); err != nil {
		c.err = err
	}
	return n
}

// checkpointRows checks every oplog_checkpoint row against its signed note
// (cosigned ones were verified in the pass): size and root are the note's,
// tree is the tree of that size and root, state says whether the witness
// cosigned it — a cosigned checkpoint marked pending would be left out of
// verification and of proofs.
func (c *checker) checkpointRows() {
	b := c.v.bind
	rows, err := b.log.db.Bookkeeping(store.LogRead).QueryContext(b.ctx, `SELECT size, root, note, tree, state FROM oplog_checkpoint ORDER BY size`)
	if err != nil {
		c.err = err
		return
	}
	defer rows.Close()
	for rows.Next() {
		var sizeV, stateV any
		var root, noteBytes, tree []byte
		if err := rows.Scan(&sizeV, &root, &noteBytes, &tree, &stateV); err != nil {
			c.err = err
			return
		}
		size, ok := sizeV.(int64)
		if !ok {
			size = -1 // not an integer: no note's size
		}
		state, ok := stateV.(string)
		if !ok {
			state = "" // not text: neither state
		}
		at := uint64(max(size, 0))
		cp, _, problem, err := openCheckpoint(noteBytes, []note.Verifier{c.v.Log})
		if problem != sigOK {
			c.failValue(at, "oplog_checkpoint", "note", "the checkpoint row of size %d: %v", size, err)
			return
		}
		t := &Tree{}
		switch {
		case cp.Origin != c.v.Origin:
			c.failValue(at, "oplog_checkpoint", "note", "the checkpoint row of size %d is for origin %q", size, cp.Origin)
		case size < 0 || cp.Size != uint64(size):
			c.failValue(at, "oplog_checkpoint", "size", "the checkpoint row of size %d holds a note of size %d", size, cp.Size)
		case !bytes.Equal(root, cp.Root[:]):
			c.failValue(at, "oplog_checkpoint", "root", "the checkpoint row of size %d stores another root than its note's", size)
		case t.UnmarshalBinary(tree) != nil || t.Size() != cp.Size || t.Root() != cp.Root:
			c.failValue(at, "oplog_checkpoint", "tree", "the checkpoint row of size %d stores a tree that is not of its note's size and root", size)
		case state != "pending" && state != "cosigned":
			c.failValue(at, "oplog_checkpoint", "state", "the checkpoint row of size %d has state %q", size, state)
		case len(c.v.Witnesses) > 0:
			_, _, p, _ := openCheckpoint(noteBytes, append([]note.Verifier{c.v.Log}, c.v.Witnesses...))
			if (p == sigOK) != (state == "cosigned") {
				c.failValue(at, "oplog_checkpoint", "state", "the checkpoint row of size %d is %s, but its note is %scosigned", size, state, map[bool]string{true: "", false: "not "}[p == sigOK])
			}
		}
		if c.failure != nil {
			return
		}
	}
	c.err = rows.Err()
}
