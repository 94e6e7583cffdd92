package oplog

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"golang.org/x/mod/sumdb/note"
)

// Cosigner is a witness as the checkpointer sees it: *Witness in process,
// or the network flow (node.LogWitness: checkpoint.cosign.request/response)
// towards the node's witness. An asynchronous Cosigner returns an error
// wrapping ErrCosignPending after sending the request; the answer is stored
// later by StoreCosigned.
type Cosigner interface {
	Cosign(ctx context.Context, checkpoint []byte, consistencyProof [][]byte) ([]byte, error)
}

// ErrCosignPending is wrapped by an asynchronous Cosigner's error: the
// request is on its way, the checkpoint stays pending, and the checkpointer
// does not ask for the next one until this one is cosigned.
var ErrCosignPending = errors.New("cosignature requested")

// CheckpointerConfig configures a Checkpointer.
type CheckpointerConfig struct {
	Origin  string      // the log's origin, Origin(domain, node)
	Signer  note.Signer // the node's Ed25519 key
	Witness Cosigner    // required
	// EveryRecords makes a checkpoint once that many records were appended
	// since the last one (default 10,000).
	EveryRecords uint64
	// Interval makes a checkpoint of whatever is new at least this often
	// (default 10 s).
	Interval time.Duration
	// Quiet reports records that by themselves do not call for a new
	// checkpoint: those the checkpoint flow itself appends (the cosign
	// request, its delivery and answer). Without it an idle node would
	// checkpoint forever, each round's records calling for the next round.
	// They are still covered by the next checkpoint. nil: none is quiet.
	Quiet func(store.LogRecord) bool
	// Logger gets a line per signed checkpoint; default discards.
	Logger *slog.Logger
}

// Checkpointer turns the appended log into signed, cosigned checkpoints off
// the hot path (G15): the operation's transaction only appends its row; the
// checkpointer later reads the new leaf hashes, extends its in-memory Tree,
// and stores the subtree hashes (oplog_node), the signed checkpoint and the
// tree state in its own transaction, then has the witness cosign it.
//
// A checkpoint is stored 'pending' first and becomes 'cosigned' when the
// witness signed it: the tree must advance even while the prefecture is
// unreachable, and verify reports pending ones instead of failing on them.
// These writes bypass store.DB.Update on purpose: they are derived integrity
// data without personal data, and logging them would append a record per
// checkpoint, so an idle log would never be idle.
type Checkpointer struct {
	log   *SQLLog
	cfg   CheckpointerConfig
	mu    sync.Mutex // serialises Checkpoint
	tree  *Tree      // state at the last stored checkpoint; nil until loaded
	added atomic.Uint64
	dirty atomic.Bool // a record that is not Quiet was appended since the last checkpoint
	kick  chan struct{}
	// fed are the leaf hashes the appending transactions handed over after
	// their commit (store.DB.OnLog), by index. A checkpoint covers them as
	// they were appended and reads back from the database only what it was
	// not handed (records of before a restart, refusals, an overflow): a row
	// changed in the database before the checkpoint is then caught by verify
	// instead of being signed, and the hashes are not read twice.
	// They are kept as the runs of consecutive indices each transaction
	// handed over, by first index (a map entry per record cost about a
	// microsecond per network update).
	fedMu  sync.Mutex
	fed    map[uint64][]Hash
	fedLen int
	// detached: no checkpoint will come to take the hashes (Detach).
	detached bool
}

// maxFed bounds the hashes kept for the next checkpoint (~5 MB).
const maxFed = 1 << 16

// NewCheckpointer returns a checkpointer of l's log. It registers a
// store.DB.OnLog hook that counts appended records.
func NewCheckpointer(l *SQLLog, cfg CheckpointerConfig) (*Checkpointer, error) {
	const op = "oplog.NewCheckpointer"
	if !validName(cfg.Origin) {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "origin", "origin %q is not valid", cfg.Origin)
	}
	if cfg.Signer == nil || cfg.Witness == nil {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("signer"), "a signer and a witness are required")
	}
	if cfg.EveryRecords == 0 {
		cfg.EveryRecords = 10000
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 10 * time.Second
	}
	c := &Checkpointer{log: l, cfg: cfg, kick: make(chan struct{}, 1)}
	c.dirty.Store(true) // records appended before a restart
	l.db.OnLog(func(_ context.Context, recs []store.LogRecord) {
		c.feed(recs)
		n := uint64(0)
		for _, r := range recs {
			if cfg.Quiet == nil || !cfg.Quiet(r) {
				n++
			}
		}
		if n == 0 {
			return
		}
		c.dirty.Store(true)
		if c.added.Add(n) >= c.cfg.EveryRecords {
			select {
			case c.kick <- struct{}{}:
			default:
			}
		}
	})
	return c, nil
}

// Run makes checkpoints every EveryRecords records or Interval until ctx
// ends. Failures (an unreachable witness) are retried at the next tick;
// Run returns only ctx's error.
func (c *Checkpointer) Run(ctx context.Context, onError func(error)) error {
	t := time.NewTicker(c.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case <-c.kick:
		}
		var err error
		if c.dirty.Load() {
			_, err = c.Checkpoint(ctx)
		} else {
			err = c.CosignPending(ctx) // only retry what is still pending
		}
		if err != nil && onError != nil && ctx.Err() == nil {
			onError(err)
		}
	}
}

// hashChunk bounds the leaf hashes held at once while catching up.
const hashChunk = 1 << 16

// load restores the tree from the largest stored checkpoint (restart-safe).
func (c *Checkpointer) load(ctx context.Context) error {
	if c.tree != nil {
		return nil
	}
	last, ok, err := c.log.LatestCheckpoint(ctx, false)
	if err != nil {
		return err
	}
	t := &Tree{}
	if ok {
		if err := t.UnmarshalBinary(last.Tree); err != nil {
			return jukinet.E("oplog.Checkpointer", err)
		}
		if t.Size() != last.Size || t.Root() != last.Root {
			return jukinet.Errorf("oplog.Checkpointer", jukinet.KindInternal, "tree", "stored tree state does not match checkpoint %d", last.Size)
		}
	}
	c.tree = t
	return nil
}

// Checkpoint makes a checkpoint of every record appended so far (if any is
// new) and has every pending checkpoint cosigned. It returns the largest
// stored checkpoint.
func (c *Checkpointer) Checkpoint(ctx context.Context) (StoredCheckpoint, error) {
	const op = "oplog.Checkpointer.Checkpoint"
	c.mu.Lock()
	defer c.mu.Unlock()
	c.added.Store(0)
	c.dirty.Store(false)
	if err := c.load(ctx); err != nil {
		return StoredCheckpoint{}, err
	}
	size, err := c.log.Size(ctx)
	if err != nil {
		return StoredCheckpoint{}, err
	}
	if size > c.tree.Size() {
		next := c.tree.Clone()
		var nodes []Node
		for at := next.Size(); at < size; {
			if fed := c.takeFed(at, size); len(fed) > 0 {
				nodes = next.AppendNodes(nodes, fed...)
				at += uint64(len(fed))
				continue
			}
			to := min(size, at+hashChunk)
			if n := c.fedFrom(at, to); n > at {
				to = n // read up to where the handed-over hashes start again
			}
			hashes, err := c.log.LeafHashes(ctx, at, to)
			if err != nil {
				return StoredCheckpoint{}, jukinet.E(op, err)
			}
			nodes = next.AppendNodes(nodes, hashes...)
			at = to
		}
		c.dropFed(size)
		if err := c.store(ctx, next, nodes); err != nil {
			return StoredCheckpoint{}, err
		}
		c.tree = next
		if c.cfg.Logger != nil {
			c.cfg.Logger.Info("checkpoint signed", "origin", c.cfg.Origin, "size", next.Size())
		}
	}
	if err := c.cosignPending(ctx); err != nil {
		return StoredCheckpoint{}, err
	}
	last, _, err := c.log.LatestCheckpoint(ctx, false)
	return last, err
}

// store writes the nodes and the signed, pending checkpoint in one
// transaction of its own.
func (c *Checkpointer) store(ctx context.Context, t *Tree, nodes []Node) error {
	const op = "oplog.Checkpointer.store"
	root := t.Root()
	signed, err := SignCheckpoint(c.cfg.Origin, t.Size(), root, c.cfg.Signer)
	if err != nil {
		return jukinet.E(op, err)
	}
	state, _ := t.MarshalBinary()
	tx, err := c.log.db.Bookkeeping(store.Checkpoints).BeginTx(ctx, nil)
	if err != nil {
		return jukinet.E(op, jukinet.KindUnavailable, err)
	}
	defer tx.Rollback()
	if len(nodes) > 0 {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO oplog_node (level, idx, hash) VALUES ($1, $2, $3) ON CONFLICT (level, idx) DO NOTHING`)
		if err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		for _, n := range nodes {
			if _, err := stmt.ExecContext(ctx, int64(n.Level), int64(n.Index), n.Hash[:]); err != nil {
				stmt.Close()
				return jukinet.E(op, jukinet.KindInternal, err)
			}
		}
		stmt.Close()
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO oplog_checkpoint (size, root, note, tree, state, created_at) VALUES ($1, $2, $3, $4, 'pending', $5)`,
		int64(t.Size()), root[:], signed, state, c.log.db.Now().UnixMicro()); err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	if err := tx.Commit(); err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	return nil
}

// CosignPending has the witness cosign the pending checkpoints, without
// making a new one.
func (c *Checkpointer) CosignPending(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cosignPending(ctx)
}

// cosignPending has the witness cosign each pending checkpoint in size
// order, each with the consistency proof from the last cosigned one. An
// asynchronous witness (ErrCosignPending) ends the round: the next pending
// one needs this one's cosignature as its starting point.
func (c *Checkpointer) cosignPending(ctx context.Context) error {
	const op = "oplog.Checkpointer.cosign"
	for {
		var size int64
		var signed []byte
		err := c.log.db.Bookkeeping(store.Checkpoints).QueryRowContext(ctx, `SELECT size, note FROM oplog_checkpoint WHERE state = 'pending' ORDER BY size LIMIT 1`).Scan(&size, &signed)
		if err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		last, ok, err := c.log.LatestCheckpoint(ctx, true)
		if err != nil {
			return err
		}
		var proof [][]byte
		if ok && last.Size < uint64(size) {
			if proof, err = ConsistencyProof(ctx, c.log, last.Size, uint64(size)); err != nil {
				return jukinet.E(op, err)
			}
		}
		cosigned, err := c.cfg.Witness.Cosign(ctx, signed, proof)
		if errors.Is(err, ErrCosignPending) {
			return nil
		}
		if err != nil {
			return jukinet.E(op, "the witness did not cosign", err)
		}
		if _, err := c.log.db.Bookkeeping(store.Checkpoints).ExecContext(ctx, `UPDATE oplog_checkpoint SET note = $1, state = 'cosigned' WHERE size = $2 AND state = 'pending'`, cosigned, size); err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		if c.cfg.Logger != nil {
			c.cfg.Logger.Info("checkpoint cosigned", "origin", c.cfg.Origin, "size", size)
		}
	}
}

// Detach stops keeping the hashes of committed records for the next
// checkpoint and drops those kept, for a node whose checkpointer does not
// run (jukinet bench country): nothing would take them, and each node
// would hold up to maxFed of them (≈ 2–5 MB). A checkpoint made later reads
// its records from the database, as after a restart.
func (c *Checkpointer) Detach() {
	c.fedMu.Lock()
	defer c.fedMu.Unlock()
	c.detached, c.fed, c.fedLen = true, nil, 0
}

// feed keeps the hashes of committed records for the next checkpoint.
func (c *Checkpointer) feed(recs []store.LogRecord) {
	if len(recs) == 0 {
		return
	}
	c.fedMu.Lock()
	defer c.fedMu.Unlock()
	if c.detached {
		return
	}
	if c.fed == nil {
		c.fed = map[uint64][]Hash{}
	}
	first := recs[0].Index
	hs := make([]Hash, 0, len(recs))
	for _, r := range recs {
		if len(r.Hash) != len(Hash{}) || r.Index != first+uint64(len(hs)) || c.fedLen+len(hs) >= maxFed {
			break // the checkpoint reads the rest from the database
		}
		hs = append(hs, Hash(r.Hash))
	}
	if len(hs) > 0 {
		if old, ok := c.fed[first]; ok {
			c.fedLen -= len(old)
		}
		c.fed[first] = hs
		c.fedLen += len(hs)
	}
}

// fedAt returns the first index and hashes of the handed-over run holding
// index at, if any.
func (c *Checkpointer) fedAt(at uint64) (uint64, []Hash, bool) {
	if hs, ok := c.fed[at]; ok {
		return at, hs, true
	}
	for first, hs := range c.fed {
		if first < at && at < first+uint64(len(hs)) {
			return first, hs, true
		}
	}
	return 0, nil, false
}

// takeFed removes and returns the handed-over hashes of at, at+1, … below
// size, as long as they are contiguous.
func (c *Checkpointer) takeFed(at, size uint64) []Hash {
	c.fedMu.Lock()
	defer c.fedMu.Unlock()
	var out []Hash
	for at < size {
		first, hs, ok := c.fedAt(at)
		if !ok {
			break
		}
		delete(c.fed, first)
		c.fedLen -= len(hs)
		if first < at { // keep what lies below at
			c.fed[first] = hs[:at-first]
			c.fedLen += int(at - first)
			hs = hs[at-first:]
		}
		n := min(uint64(len(hs)), size-at)
		out = append(out, hs[:n]...)
		if n < uint64(len(hs)) {
			c.fed[at+n] = hs[n:]
			c.fedLen += len(hs) - int(n)
		}
		at += n
	}
	return out
}

// fedFrom returns the first index in [at, to) with a handed-over hash, or to.
func (c *Checkpointer) fedFrom(at, to uint64) uint64 {
	c.fedMu.Lock()
	defer c.fedMu.Unlock()
	first := to
	for start, hs := range c.fed {
		if start+uint64(len(hs)) > at {
			first = min(first, max(start, at))
		}
	}
	return first
}

// dropFed forgets hashes below size (covered, or read from the database).
func (c *Checkpointer) dropFed(size uint64) {
	c.fedMu.Lock()
	defer c.fedMu.Unlock()
	for start, hs := range c.fed {
		switch end := start + uint64(len(hs)); {
		case end <= size:
			delete(c.fed, start)
			c.fedLen -= len(hs)
		case start < size:
			delete(c.fed, start)
			c.fed[size] = hs[size-start:]
			c.fedLen -= int(size - start)
		}
	}
}
