-- Core tables of every node: metadata, the transactional outbox and the
-- append-only operation log (docs/design.md §1.1, G15).
CREATE TABLE node_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    NOT NULL UNIQUE,
    kind            TEXT    NOT NULL,
    dest            TEXT    NOT NULL,
    ordering_key    TEXT    NOT NULL DEFAULT '',
    version         INTEGER NOT NULL DEFAULT 0,
    body            BLOB    NOT NULL,
    envelope        BLOB,
    created_at      INTEGER NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    done_at         INTEGER NOT NULL DEFAULT 0,
    receipt         BLOB
);
CREATE INDEX outbox_pending ON outbox (dest, seq) WHERE state = 'pending';

CREATE TABLE oplog_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    size INTEGER NOT NULL
);
INSERT INTO oplog_head (id, size) VALUES (1, 0);

CREATE TABLE oplog (
    idx            INTEGER PRIMARY KEY,
    time           INTEGER NOT NULL,
    collation_id   TEXT    NOT NULL,
    operator_id    TEXT    NOT NULL,
    authority      TEXT    NOT NULL,
    terminal       TEXT    NOT NULL,
    principal      TEXT    NOT NULL,
    operation      TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    purpose        TEXT    NOT NULL,
    result         TEXT    NOT NULL,
    policy_version TEXT    NOT NULL,
    leaf           BLOB    NOT NULL,
    leaf_hash      BLOB    NOT NULL
);
CREATE INDEX oplog_subject   ON oplog (subject, time) WHERE subject <> '';
CREATE INDEX oplog_operator  ON oplog (collation_id, time);
CREATE INDEX oplog_operation ON oplog (operation, time);
CREATE INDEX oplog_terminal  ON oplog (terminal, time);
CREATE INDEX oplog_time      ON oplog (time);

-- The operation log is append-only: the database itself refuses changes
-- (the Merkle tree of issue G15 detects them anyway).
CREATE TRIGGER oplog_no_update BEFORE UPDATE ON oplog
BEGIN SELECT RAISE(ABORT, 'oplog is append-only'); END;
CREATE TRIGGER oplog_no_delete BEFORE DELETE ON oplog
BEGIN SELECT RAISE(ABORT, 'oplog is append-only'); END;
