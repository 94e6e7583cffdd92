-- Operation history (操作履歴) beyond the core table: stored subtree hashes,
-- signed checkpoints, the witness's state, monthly seals and the controlled
-- purge of months older than 7 years (G15, G11.2).
CREATE TABLE oplog_node (
    level BIGINT NOT NULL,
    idx   BIGINT NOT NULL,
    hash  BYTEA  NOT NULL,
    PRIMARY KEY (level, idx)
);

-- state is 'pending' until the witness cosigned the note, then 'cosigned'.
CREATE TABLE oplog_checkpoint (
    size       BIGINT PRIMARY KEY,
    root       BYTEA  NOT NULL,
    note       BYTEA  NOT NULL,
    tree       BYTEA  NOT NULL,
    state      TEXT   NOT NULL CHECK (state IN ('pending', 'cosigned')),
    created_at BIGINT NOT NULL
);

-- The witness's last cosigned state per log (on the prefecture node).
CREATE TABLE witness_state (
    origin     TEXT PRIMARY KEY,
    size       BIGINT NOT NULL,
    root       BYTEA  NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE oplog_seal (
    month           TEXT PRIMARY KEY,
    first_idx       BIGINT NOT NULL,
    count           BIGINT NOT NULL,
    root            BYTEA  NOT NULL,
    checkpoint_size BIGINT NOT NULL,
    file_hash       BYTEA  NOT NULL,
    created_at      BIGINT NOT NULL
);

-- A purge keeps the leaf hashes of the rows it deletes (32 bytes each, no
-- personal data) so proofs over the retained rows still work, and the tree
-- state at its boundary, from which verification starts.
CREATE TABLE oplog_purged_hash (
    idx       BIGINT PRIMARY KEY,
    leaf_hash BYTEA  NOT NULL
);
CREATE TABLE oplog_purge (
    before_idx BIGINT PRIMARY KEY,
    tree       BYTEA  NOT NULL,
    months     TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);

-- The guard is lifted only inside a purge's transaction, and only for rows
-- below the marker's bound; UPDATE stays forbidden.
CREATE TABLE oplog_purge_allowed (
    before_idx BIGINT NOT NULL
);

CREATE OR REPLACE FUNCTION oplog_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM oplog_purge_allowed WHERE OLD.idx < before_idx) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'oplog is append-only';
END; $$;
