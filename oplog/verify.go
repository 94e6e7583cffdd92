package oplog

import (
	"context"
	"crypto/sha256"
	"fmt"
	"iter"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/jukinet/jukinet"
	"golang.org/x/mod/sumdb/note"
)

// Row is one stored operation-log row: its index, canonical bytes and the
// stored leaf hash.
type Row struct {
	Index    uint64
	Leaf     []byte
	LeafHash Hash
	// hashInput is 0x00 ‖ Leaf where a reader laid it out so (SQLLog's):
	// the leaf is then hashed without being copied first.
	hashInput []byte
	// What SQLLog's readers add so that verification binds every stored
	// value to its leaf: run > 0 marks the record at which a row starts
	// (1 a plain row, n a run row of n records) and cols holds that row's
	// other values (store.RowColumnsSQL); inRun marks a record held by a
	// run row, whose resident index entry is checked.
	cols  []byte
	run   int32
	inRun bool
}

// Reason says what a verification found wrong.
type Reason int

// Reasons, in no particular order.
const (
	ReasonNone               Reason = iota
	ReasonChangedLeaf               // the stored leaf hash is not the hash of the stored leaf
	ReasonMissingIndex              // an index is skipped (a deleted row)
	ReasonDuplicateIndex            // an index repeats (an inserted row)
	ReasonOutOfOrder                // an index goes backwards (reordered rows)
	ReasonRootMismatch              // the leaves do not rebuild a checkpoint's root
	ReasonBadSignature              // a checkpoint signature by a required key does not verify
	ReasonMissingCosignature        // a checkpoint lacks the witness's cosignature
	ReasonMissingSignature          // a checkpoint lacks the log's own signature
	ReasonBadCheckpoint             // a checkpoint is malformed, for another origin or out of order
	ReasonMissingRows               // a checkpoint covers rows that are gone (a truncated log)
	ReasonBadLeaf                   // the leaf's content disagrees with its row (Verifier.CheckLeaf)
	ReasonForgedValue               // a stored value that answers queries disagrees with the leaves it comes from (Failure.Table, Column)
)

var reasonNames = [...]string{
	ReasonNone:               "ok",
	ReasonChangedLeaf:        "changed leaf",
	ReasonMissingIndex:       "missing index",
	ReasonDuplicateIndex:     "duplicate index",
	ReasonOutOfOrder:         "out-of-order index",
	ReasonRootMismatch:       "checkpoint root mismatch",
	ReasonBadSignature:       "bad signature",
	ReasonMissingCosignature: "missing cosignature",
	ReasonMissingSignature:   "missing log signature",
	ReasonBadCheckpoint:      "bad checkpoint",
	ReasonMissingRows:        "missing rows",
	ReasonBadLeaf:            "leaf disagrees with its row",
	ReasonForgedValue:        "stored value disagrees with its leaf",
}

// reasonJapanese names each reason as the terminal shows it (the command
// line keeps String's English).
var reasonJapanese = [...]string{
	ReasonNone:               "異常なし",
	ReasonChangedLeaf:        "記録の内容が書き換えられています",
	ReasonMissingIndex:       "記録が欠けています（削除）",
	ReasonDuplicateIndex:     "記録番号が重複しています（挿入）",
	ReasonOutOfOrder:         "記録の順序が入れ替わっています",
	ReasonRootMismatch:       "チェックポイントの根ハッシュと一致しません",
	ReasonBadSignature:       "チェックポイントの署名が正しくありません",
	ReasonMissingCosignature: "チェックポイントに副署名がありません",
	ReasonMissingSignature:   "チェックポイントに署名がありません",
	ReasonBadCheckpoint:      "チェックポイントが不正です",
	ReasonMissingRows:        "チェックポイントの範囲の記録がありません（切り詰め）",
	ReasonBadLeaf:            "記録の内容が行の値と一致しません",
	ReasonForgedValue:        "検索に使う値が記録と一致しません",
}

// Japanese is the reason as the terminal shows it.
func (r Reason) Japanese() string {
	if int(r) < len(reasonJapanese) {
		return reasonJapanese[r]
	}
	return fmt.Sprintf("不明な理由（%d）", int(r))
}

func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", int(r))
}

// Failure is the first thing found wrong. Index is the first index that can
// no longer be trusted: the row itself for row-level faults; for a
// checkpoint fault, the first index not already proven by an earlier good
// checkpoint (the tamper lies in [Index, CheckpointSize)).
type Failure struct {
	Index          uint64
	Reason         Reason
	CheckpointSize uint64 // the checkpoint concerned, if any
	// Table and Column name the stored value that disagrees with the
	// leaves (ReasonForgedValue): a column of an oplog row, of the resident
	// index, of a stored subtree hash, of the head or of a checkpoint row.
	Table, Column string
	Detail        string
}

func (f *Failure) Error() string {
	if f.Table != "" {
		return fmt.Sprintf("oplog: first bad index %d: %s: column %s.%s: %s", f.Index, f.Reason, f.Table, f.Column, f.Detail)
	}
	return fmt.Sprintf("oplog: first bad index %d: %s: %s", f.Index, f.Reason, f.Detail)
}

// Report is the outcome of Verify.
type Report struct {
	Rows        uint64 // rows read
	Checkpoints int    // checkpoints verified
	Verified    uint64 // size of the last good checkpoint: rows [0, Verified) are proven
	Root        Hash   // root over all rows read
	Failure     *Failure
}

// OK reports whether nothing was wrong.
func (r Report) OK() bool { return r.Failure == nil }

// Verifier recomputes a whole operation log (`jukinet oplog verify`, G15):
// every leaf hash, index contiguity from 0, the root at every checkpoint and
// the checkpoints' signatures and cosignatures.
type Verifier struct {
	Origin    string        // the log's origin; every checkpoint must name it
	Log       note.Verifier // the log's key: every checkpoint must carry its signature
	Witnesses []note.Verifier
	// Workers hashing leaves in parallel; 0 means GOMAXPROCS.
	Workers int
	// Start, when set, is the tree of the rows before the first row read
	// (a log whose oldest months were purged after sealing): rows must then
	// begin at Start.Size(), checkpoints below that size are only checked for
	// their signatures, and the first checkpoint at or above it proves Start
	// together with the rows read.
	Start *Tree
	// CheckLeaf, when set, checks each row's leaf content against its index
	// (the store's records carry their own index, so a shifted or swapped row
	// is named exactly instead of at the next checkpoint).
	CheckLeaf func(index uint64, leaf []byte) error
	// bind, set by SQLLog.Verify, checks the values stored beside the
	// leaves (binding.go).
	bind *binding
	// Progress, when set, is called after each batch of rows with the rows
	// checked so far (from one goroutine; for a progress bar).
	Progress func(rows uint64)
}

// RowBatch is a run of rows in index order that a source hands to
// VerifyBatches whole: the Verifier reads Rows (leaves included) in place,
// without copying, until it calls Release (once, from any goroutine; nil
// means nothing to release).
type RowBatch struct {
	Rows    []Row
	Release func()
}

const (
	verifyBatch   = 4096 // rows per batch when Verify groups single rows
	verifyBatches = 4    // batches in flight: bounds memory to a few batches
)

// inflight is a batch being hashed and checked.
type inflight struct {
	RowBatch
	got     []Hash
	cols    []int8   // store.CheckRowColumns of rows with run > 0
	subject []resKey // the resident index entry a record in a run must have
	pending atomic.Int32
	done    chan struct{}
}

type hashJob struct {
	b      *inflight
	lo, hi int
}

// Verify reads rows in index order and checkpoints in size order and
// returns the report. It uses constant memory. A tamper is reported in
// Report.Failure with a nil error; the error is for failures to read.
// A row's Leaf need only be valid until the next row: Verify copies leaves
// into batches of its own (VerifyBatches takes a source's batches as they
// are).
func (v *Verifier) Verify(ctx context.Context, rows iter.Seq2[Row, error], checkpoints iter.Seq2[[]byte, error]) (Report, error) {
	return v.VerifyBatches(ctx, copyBatches(rows), checkpoints)
}

// copyBatch is a batch of copied rows, leaves in one arena.
type copyBatch struct {
	rows  []Row
	arena []byte
}

// copyBatches groups rows into batches of verifyBatch, copying their leaves.
func copyBatches(rows iter.Seq2[Row, error]) iter.Seq2[RowBatch, error] {
	return func(yield func(RowBatch, error) bool) {
		// One more than the Verifier keeps in flight, so reading goes on
		// while it works.
		free := make(chan *copyBatch, verifyBatches+3)
		for range verifyBatches + 3 {
			free <- &copyBatch{}
		}
		b := <-free
		b.rows, b.arena = b.rows[:0], b.arena[:0]
		send := func() bool {
			// Leaves point into the arena; a grown arena moved them, so fix up.
			at := 0
			for i := range b.rows {
				n := len(b.rows[i].Leaf)
				b.rows[i].Leaf = b.arena[at : at+n : at+n]
				at += n
			}
			cb := b
			if !yield(RowBatch{Rows: b.rows, Release: func() { free <- cb }}, nil) {
				return false
			}
			b = <-free
			b.rows, b.arena = b.rows[:0], b.arena[:0]
			return true
		}
		for row, err := range rows {
			if err != nil {
				yield(RowBatch{}, err)
				return
			}
			start := len(b.arena)
			b.arena = append(b.arena, row.Leaf...)
			row.Leaf = b.arena[start:len(b.arena):len(b.arena)]
			row.cols, row.run, row.inRun = nil, 0, false // not copied: not checked
			b.rows = append(b.rows, row)
			if len(b.rows) == verifyBatch && !send() {
				return
			}
		}
		if len(b.rows) > 0 {
			send()
		}
	}
}

// VerifyBatches is Verify over a source that yields rows in batches it owns
// (SQLLog's readers), so leaves are not copied again: hashing, index checks,
// CheckLeaf and the tree read them in place.
func (v *Verifier) VerifyBatches(ctx context.Context, batches iter.Seq2[RowBatch, error], checkpoints iter.Seq2[[]byte, error]) (Report, error) {
	const op = "oplog.Verifier.Verify"
	if v.Log == nil || !validName(v.Origin) {
		return Report{}, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("verifier"), "origin and log verifier are required")
	}
	workers := v.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}

	// In flight: verifyBatches queued for the checker, one being checked,
	// one being dispatched.
	free := make(chan *inflight, verifyBatches+2)
	for range verifyBatches + 2 {
		free <- &inflight{}
	}
	jobs := make(chan hashJob, (verifyBatches+2)*workers)
	ordered := make(chan *inflight, verifyBatches)
	var stop atomic.Bool

	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { v.hashWorker(jobs) })
	}

	c := &checker{v: v}
	var readErr error // set by this goroutine before close(ordered)
	checkerDone := make(chan struct{})
	go func() {
		defer close(checkerDone)
		c.run(checkpoints, ordered, free, &stop, &readErr)
	}()

	for batch, err := range batches {
		if err != nil {
			readErr = err
			break
		}
		if stop.Load() || len(batch.Rows) == 0 {
			if batch.Release != nil {
				batch.Release()
			}
			if stop.Load() {
				break
			}
			continue
		}
		b := <-free
		v.dispatch(b, batch, workers, jobs)
		ordered <- b
	}
	close(ordered)
	<-checkerDone
	close(jobs)
	wg.Wait()

	if readErr != nil {
		return c.report(), jukinet.E(op, jukinet.KindInternal, "cannot read rows", readErr)
	}
	if c.err != nil {
		return c.report(), jukinet.E(op, jukinet.KindInternal, "cannot read checkpoints", c.err)
	}
	return c.report(), nil
}

// hashWorker hashes the leaves of the jobs it is given and, when values
// stored beside the leaves are bound, checks them too; the last job of a
// batch closes its done channel.
func (v *Verifier) hashWorker(jobs <-chan hashJob) {
	var buf []byte
	for j := range jobs {
		rows, got := j.b.Rows[j.lo:j.hi], j.b.got[j.lo:j.hi]
		for i := range rows {
			if in := rows[i].hashInput; in != nil {
				got[i] = sha256.Sum256(in)
			} else {
				got[i] = LeafHash(rows[i].Leaf)
			}
		}
		if v.bind != nil {
			// The values stored beside the leaves, on the workers too.
			v.bind.checkRows(rows, j.b.cols[j.lo:j.hi], j.b.subject[j.lo:j.hi], &buf)
		}
		if j.b.pending.Add(-1) == 0 {
			close(j.b.done)
		}
	}
}

// dispatch takes batch into b and splits it into jobs for the workers.
func (v *Verifier) dispatch(b *inflight, batch RowBatch, workers int, jobs chan<- hashJob) {
	b.RowBatch = batch
	n := len(batch.Rows)
	if cap(b.got) < n {
		b.got = make([]Hash, n)
	}
	b.got = b.got[:n]
	if v.bind != nil {
		if cap(b.cols) < n {
			b.cols, b.subject = make([]int8, n), make([]resKey, n)
		}
		b.cols, b.subject = b.cols[:n], b.subject[:n]
	}
	chunks := min(workers, (n+255)/256)
	b.done = make(chan struct{})
	b.pending.Store(int32(chunks))
	for k := range chunks {
		jobs <- hashJob{b: b, lo: n * k / chunks, hi: n * (k + 1) / chunks}
	}
}

// run checks the batches in order as their hashes are ready, against the
// checkpoints, and hands each batch back to free. It sets stop at the
// first failure so that no more batches are read; readErr is read only
// after ordered is closed.
func (c *checker) run(checkpoints iter.Seq2[[]byte, error], ordered <-chan *inflight, free chan<- *inflight, stop *atomic.Bool, readErr *error) {
	next, stopCheckpoints := iter.Pull2(checkpoints)
	defer stopCheckpoints()
	c.nextCheckpoint = next
	c.start()
	var checked uint64
	for b := range ordered {
		<-b.done
		if c.failure == nil && c.err == nil {
			c.process(b)
			if c.failure != nil || c.err != nil {
				stop.Store(true)
			}
			if checked += uint64(len(b.Rows)); c.v.Progress != nil {
				c.v.Progress(checked)
			}
		}
		release(b)
		free <- b
	}
	if *readErr == nil && c.failure == nil && c.err == nil {
		c.finish()
	}
	if *readErr == nil && c.failure == nil && c.err == nil && c.v.bind != nil {
		c.bindFinish()
	}
}

// release hands b's rows back to their source.
func release(b *inflight) {
	if b.Release != nil {
		b.Release()
	}
	b.RowBatch = RowBatch{}
}

// checker is the sequential half of Verify; it runs in one goroutine.
type checker struct {
	v              *Verifier
	nextCheckpoint func() ([]byte, error, bool)
	tree           stackTree
	rows           uint64
	verified       uint64 // size of the last good checkpoint
	verifiedRoot   Hash
	checkpoints    int
	pending        []byte // the next checkpoint note not yet reached
	pendingSize    uint64
	pendingRoot    Hash
	havePending    bool
	startSize      uint64   // Verifier.Start's size
	nodeFault      *Failure // a stored subtree hash that disagrees (binding.go)
	nodeEnd        uint64   // the end of its subtree
	failure        *Failure
	err            error
}

func (c *checker) fail(index uint64, reason Reason, size uint64, format string, args ...any) {
	c.failure = &Failure{Index: index, Reason: reason, CheckpointSize: size, Detail: fmt.Sprintf(format, args...)}
}

func (c *checker) report() Report {
	return Report{Rows: c.rows, Checkpoints: c.checkpoints, Verified: c.verified, Root: c.tree.Root(), Failure: c.failure}
}

// start checks checkpoints of size 0 before any row.
func (c *checker) start() {
	if c.v.Start != nil {
		c.tree = newStackTree(c.v.Start)
		c.rows = c.tree.Size()
		c.verified, c.verifiedRoot = c.rows, c.tree.Root()
		c.startSize = c.rows
	}
	c.pull()
	c.settle()
}

// pull reads the next checkpoint and checks its signatures and order.
func (c *checker) pull() {
	c.havePending = false
	for {
		if c.failure != nil || c.err != nil {
			return
		}
		noteBytes, err, ok := c.nextCheckpoint()
		if !ok {
			return
		}
		if err != nil {
			c.err = err
			return
		}
		verifiers := append([]note.Verifier{c.v.Log}, c.v.Witnesses...)
		cp, _, problem, err := openCheckpoint(noteBytes, verifiers)
		if problem != sigOK {
			reason := ReasonBadCheckpoint
			switch problem {
			case sigInvalid:
				reason = ReasonBadSignature
			case sigMissing:
				reason = ReasonMissingCosignature
				if _, _, p, _ := openCheckpoint(noteBytes, verifiers[:1]); p != sigOK {
					reason = ReasonMissingSignature
				}
			}
			c.fail(c.verified, reason, c.verified, "checkpoint %d (after size %d): %v", c.checkpoints+1, c.verified, err)
			return
		}
		if cp.Origin == c.v.Origin && cp.Size < c.startSize {
			// Before a purge boundary: signed, but its rows are archived.
			continue
		}
		switch {
		case cp.Origin != c.v.Origin:
			c.fail(c.verified, ReasonBadCheckpoint, cp.Size, "checkpoint for origin %q, want %q", cp.Origin, c.v.Origin)
		case cp.Size < c.verified:
			c.fail(c.verified, ReasonBadCheckpoint, cp.Size, "checkpoint size %d goes back from %d", cp.Size, c.verified)
		case cp.Size == c.verified && (c.checkpoints > 0 || c.startSize > 0) && cp.Root != c.verifiedRoot:
			c.fail(c.verified, ReasonRootMismatch, cp.Size, "two checkpoints of size %d with different roots", cp.Size)
		}
		if c.failure != nil {
			return
		}
		c.pending, c.pendingSize, c.havePending = noteBytes, cp.Size, true
		c.pendingRoot = cp.Root
		return
	}
}

// settle checks every pending checkpoint whose size the tree has reached.
func (c *checker) settle() {
	for c.havePending && c.failure == nil && c.pendingSize == c.tree.Size() {
		if root := c.tree.Root(); root != c.pendingRoot {
			c.fail(c.verified, ReasonRootMismatch, c.pendingSize,
				"rows [%d, %d) do not rebuild the root of checkpoint size %d", c.verified, c.pendingSize, c.pendingSize)
			return
		}
		c.verified, c.verifiedRoot = c.pendingSize, c.pendingRoot
		c.checkpoints++
		if c.nodeFault != nil && c.nodeEnd <= c.verified {
			c.failure = c.nodeFault // the leaves are proven: the stored hash is forged
			return
		}
		c.pull()
	}
}

func (c *checker) process(b *inflight) {
	rows, got := b.Rows, b.got
	for i := range rows {
		r := &rows[i]
		want := c.rows
		switch {
		case r.Index == want:
		case r.Index > want:
			c.fail(want, ReasonMissingIndex, 0, "index %d is missing (next row has index %d)", want, r.Index)
			return
		case r.Index+1 == want:
			c.fail(want, ReasonDuplicateIndex, 0, "index %d appears twice", r.Index)
			return
		default:
			c.fail(want, ReasonOutOfOrder, 0, "index %d comes after %d", r.Index, want-1)
			return
		}
		if got[i] != r.LeafHash {
			c.fail(want, ReasonChangedLeaf, 0, "the leaf bytes of index %d do not hash to its stored leaf hash", want)
			return
		}
		if c.v.CheckLeaf != nil {
			if err := c.v.CheckLeaf(want, r.Leaf); err != nil {
				c.fail(want, ReasonBadLeaf, 0, "index %d: %v", want, err)
				return
			}
		}
		if c.v.bind != nil {
			if c.bindRow(r, b.cols[i], b.subject[i]); c.failure != nil || c.err != nil {
				return
			}
			c.tree.appendNodes(got[i], c.bindNode)
			if c.failure != nil {
				return
			}
		} else {
			c.tree.Append(got[i])
		}
		c.rows++
		if c.havePending && c.pendingSize == c.rows {
			c.settle()
			if c.failure != nil || c.err != nil {
				return
			}
		}
	}
}

// finish checks that no checkpoint lies beyond the last row.
func (c *checker) finish() {
	if c.havePending && c.pendingSize > c.rows {
		c.fail(c.rows, ReasonMissingRows, c.pendingSize, "checkpoint size %d but only %d rows", c.pendingSize, c.rows)
	}
}
