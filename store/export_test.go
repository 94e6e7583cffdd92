package store

import (
	"context"
	"encoding/binary"
	"sync"
	"sync/atomic"

	"github.com/jukinet/jukinet"
)

// hooks is the tests' testHooks: the step at which Update fails and the
// WAL checkpointer's counts.
type hooks struct {
	failAt                atomic.Value // of string
	copiedAll, writerRuns atomic.Int64
	idleTicks, passes     atomic.Int64
	groupsMu              sync.Mutex
	groups                []int
}

func (h *hooks) failStep(step string) error {
	if s, _ := h.failAt.Load().(string); s == step {
		return jukinet.E("store.Update", jukinet.KindInternal, "injected failure at "+step)
	}
	return nil
}

func (h *hooks) walCopiedAll() { h.copiedAll.Add(1) }
func (h *hooks) walWriterRun() { h.writerRuns.Add(1) }
func (h *hooks) walIdleTick()  { h.idleTicks.Add(1) }
func (h *hooks) walPass()      { h.passes.Add(1) }

// WALPasses is how many background checkpoint passes ran.
func (db *DB) WALPasses() int64 { return testHooksOf(db).passes.Load() }

func (h *hooks) logGroup(n int) {
	h.groupsMu.Lock()
	h.groups = append(h.groups, n)
	h.groupsMu.Unlock()
}

// LogGroups is the sizes of the groups of log-only records committed since
// the hooks were installed (CountCheckpoints, FailAt, LogGroups).
func (db *DB) LogGroups() []int {
	h := testHooksOf(db)
	h.groupsMu.Lock()
	defer h.groupsMu.Unlock()
	return append([]int(nil), h.groups...)
}

// WaitingLogOnly is how many log-only records wait for the writer.
func (db *DB) WaitingLogOnly() int { return int(db.waiting.Load()) }

// HoldWriter takes the lock that leads the log-only groups (SQLite: the
// writer lock) until release.
func (db *DB) HoldWriter() (release func()) {
	db.writer <- struct{}{}
	return func() { <-db.writer }
}

// WALIdleTicks is how many of the checkpointer's ticks found nothing to
// copy and ran no checkpoint.
func (db *DB) WALIdleTicks() int64 { return testHooksOf(db).idleTicks.Load() }

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
// the layout migration 0860 rewrites and readers refuse.
func EncodeRunFull(recs []LogRecord) []byte {
	r := &recs[0]
	b := []byte{runLayoutFull}
	b = binary.AppendUvarint(b, uint64(r.V))
	b = binary.AppendVarint(b, r.Time)
	for _, s := range [...]string{r.Node, r.CollationID, r.OperatorID, r.Authority, r.Terminal, r.Principal, r.Operation, r.PolicyVersion} {
		b = appendString(b, s)
	}
	for i := range recs {
		r := &recs[i]
		b = appendString(b, r.Subject)
		b = appendString(b, r.Purpose)
		b = appendString(b, r.Result)
		if r.NumberAccessed {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
		b = appendString(b, r.Detail)
	}
	return b
}

// SetLeafAsideGuard replaces the leaf column of the oplog row at idx, the
// append-only guard set aside for it in one transaction: a row as an older
// version wrote it, or a tampered one.
func (db *DB) SetLeafAsideGuard(ctx context.Context, idx uint64, leaf []byte) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := setAppendOnly(ctx, tx, db.engine, false); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE oplog SET leaf = $1 WHERE idx = $2`, leaf, int64(idx)); err != nil {
		return err
	}
	if err := setAppendOnly(ctx, tx, db.engine, true); err != nil {
		return err
	}
	return tx.Commit()
}

// Reapply applies the named migration again, as on a database that had
// not applied it.
func (db *DB) Reapply(ctx context.Context, name string) error {
	if _, err := db.sql.ExecContext(ctx, `DELETE FROM schema_migrations WHERE name = $1`, name); err != nil {
		return err
	}
	return db.migrate(ctx)
}

// HoldWriter takes db's in-process writer lock, as a write transaction
// does, and returns its release.
func HoldWriter(db *DB) func() { return db.lockWriter() }

// RefreshStatistics runs the scheduled statistics refresh once.
func RefreshStatistics(ctx context.Context, db *DB) error { return db.refreshStatistics(ctx) }

// The SQLite page caches (KiB) of the national server's writing connections
// and of the reader pool.
const (
	NationalCacheKiB = nationalCacheKiB
	ReaderCacheKiB   = readerCacheKiB
)

// NationalMmapBytes is how much of its file national maps by default.
const NationalMmapBytes = nationalMmapBytes

// LoadCacheKiB is the page cache of a load, for the tests.
const LoadCacheKiB = loadCacheKiB

// CopyMin is the fewest rows CopyRows sends by COPY.
const CopyMin = copyMin

// SQLiteDSN is the DSN of a writing connection to the SQLite file at path
// whose pages, if the file is new, are pageSize bytes.
func SQLiteDSN(path string, pageSize int) string { return sqliteDSN(path, 1024, pageSize) }

// SQLitePageSize is the page size of a new SQLite database.
const SQLitePageSize = sqlitePageSize
