package store

import (
	"sync"
	"sync/atomic"

	"github.com/jukinet/jukinet"
)

// hooks is the tests' testHooks: the step at which Update fails and the
// WAL checkpointer's counts.
type hooks struct {
	failAt                atomic.Value // of string
	copiedAll, writerRuns atomic.Int64
}

func (h *hooks) failStep(step string) error {
	if s, _ := h.failAt.Load().(string); s == step {
		return jukinet.E("store.Update", jukinet.KindInternal, "injected failure at "+step)
	}
	return nil
}

func (h *hooks) walCopiedAll() { h.copiedAll.Add(1) }
func (h *hooks) walWriterRun() { h.writerRuns.Add(1) }

var hooksMu sync.Mutex

// testHooksOf installs db's hooks on first use and returns them.
func testHooksOf(db *DB) *hooks {
	hooksMu.Lock()
	defer hooksMu.Unlock()
	if h, ok := db.hooks.Load().(testHooks); ok {
		return h.(*hooks)
	}
	h := &hooks{}
	db.hooks.Store(testHooks(h))
	return h
}

// FailAt makes Update fail at the named step: "state", "outbox", "oplog" or "commit".
func (db *DB) FailAt(step string) { testHooksOf(db).failAt.Store(step) }

// CountCheckpoints starts counting what the WAL checkpointer does, for
// WALCheckpoints.
func (db *DB) CountCheckpoints() { testHooksOf(db) }

// SetWALLimits sets the checkpointer's restart size (pages) and hard factor
// for databases opened afterwards; the returned function restores them.
func SetWALLimits(restartPages, hardFactor int64) (restore func()) {
	r, h := walRestartPages, walHardFactor
	walRestartPages, walHardFactor = restartPages, hardFactor
	return func() { walRestartPages, walHardFactor = r, h }
}

// WALHardBytes is the WAL file size above which a writer checkpoints itself.
func (db *DB) WALHardBytes() int64 { return db.ckpt.hard }

// WALCheckpoints reports the background passes that left the WAL wholly
// copied and the checkpoints writers ran themselves, since CountCheckpoints.
func (db *DB) WALCheckpoints() (copiedAll, writerRuns int64) {
	h := testHooksOf(db)
	return h.copiedAll.Load(), h.writerRuns.Load()
}

// EncodeRunFull encodes a run in layout 1 (every record's values in full),
// which readers still read.
func EncodeRunFull(recs []LogRecord) []byte { return encodeRun(recs, runLayoutFull) }
