package store

// FailAt makes Update fail at the named step: "state", "outbox", "oplog" or "commit".
func (db *DB) FailAt(step string) { db.failAt = step }

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
// copied and the checkpoints writers ran themselves.
func (db *DB) WALCheckpoints() (copiedAll, writerRuns int64) {
	return db.ckpt.copiedAll.Load(), db.ckpt.writerRuns.Load()
}

// EncodeRunFull encodes a run in layout 1 (every record's values in full),
// which readers still read.
func EncodeRunFull(recs []LogRecord) []byte { return encodeRun(recs, runLayoutFull) }
