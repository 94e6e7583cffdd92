-- Operation history (操作履歴) beyond the core table: stored subtree hashes,
-- signed checkpoints, the witness's state, monthly seals and the controlled
-- purge of months older than 7 years (G15, G11.2).
CREATE TABLE oplog_node (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    hash  BLOB    NOT NULL,
    PRIMARY KEY (level, idx)
);

-- state is 'pending' until the witness cosigned the note, then 'cosigned'.
CREATE TABLE oplog_checkpoint (
    size       INTEGER PRIMARY KEY,
    root       BLOB    NOT NULL,
    note       BLOB    NOT NULL,
    tree       BLOB    NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('pending', 'cosigned')),
    created_at INTEGER NOT NULL
);

-- The witness's last cosigned state per log (on the prefecture node).
CREATE TABLE witness_state (
    origin     TEXT PRIMARY KEY,
    size       INTEGER NOT NULL,
    root       BLOB    NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE oplog_seal (
    month           TEXT PRIMARY KEY,
    first_idx       INTEGER NOT NULL,
    count           INTEGER NOT NULL,
    root            BLOB    NOT NULL,
    checkpoint_size INTEGER NOT NULL,
    file_hash       BLOB    NOT NULL,
    created_at      INTEGER NOT NULL
);

-- A purge keeps the leaf hashes of the rows it deletes (32 bytes each, no
-- personal data) so proofs over the retained rows still work, and the tree
-- state at its boundary, from which verification starts.
CREATE TABLE oplog_purged_hash (
    idx       INTEGER PRIMARY KEY,
    leaf_hash BLOB    NOT NULL
);
CREATE TABLE oplog_purge (
    before_idx INTEGER PRIMARY KEY,
    tree       BLOB    NOT NULL,
    months     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

-- The guard is lifted only inside a purge's transaction, and only for rows
-- below the marker's bound; UPDATE stays forbidden.
CREATE TABLE oplog_purge_allowed (
    before_idx INTEGER NOT NULL
);

DROP TRIGGER oplog_no_delete;
CREATE TRIGGER oplog_no_delete BEFORE DELETE ON oplog
WHEN NOT EXISTS (SELECT 1 FROM oplog_purge_allowed WHERE OLD.idx < before_idx)
BEGIN SELECT RAISE(ABORT, 'oplog is append-only'); END;
