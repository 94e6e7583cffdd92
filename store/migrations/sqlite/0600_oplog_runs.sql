-- Record runs (logging ≤ 10 % of the network pipeline). The
-- per-message records a system principal appends in one transaction (every
-- message sent or received is a record: 2,000 per batch) are stored as one
-- row per run of consecutive records of one operation: idx is the run's
-- first index, run its length, leaf the records' canonical bytes each after
-- its length (uvarint), leaf_hash their leaf hashes one after the other.
-- Every record stays its own Merkle leaf with its own index; only the row
-- holding it changes. A plain row has run = 1.
ALTER TABLE oplog ADD COLUMN run INTEGER NOT NULL DEFAULT 1;

-- The residents of the records inside runs (a run row's subject is empty):
-- the resident index for them, one row per record with a subject, keyed by
-- the first 64 bits of the subject token (store.SubjectKey): an entry a
-- third the size of one keyed by the token's text, and every page of a
-- random-key index that a batch touches is written again (the WAL, then
-- the checkpoint). A query confirms the subject in the record itself.
CREATE TABLE oplog_resident (
    subject_key INTEGER NOT NULL,
    idx         INTEGER NOT NULL,
    PRIMARY KEY (subject_key, idx)
) WITHOUT ROWID;

CREATE TRIGGER oplog_resident_no_update BEFORE UPDATE ON oplog_resident
BEGIN SELECT RAISE(ABORT, 'oplog is append-only'); END;
CREATE TRIGGER oplog_resident_no_delete BEFORE DELETE ON oplog_resident
WHEN NOT EXISTS (SELECT 1 FROM oplog_purge_allowed WHERE OLD.idx < before_idx)
BEGIN SELECT RAISE(ABORT, 'oplog is append-only'); END;
