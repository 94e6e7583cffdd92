-- Core tables of every node: metadata, the transactional outbox and the
-- append-only operation log (docs/design.md §1.1, G15).
CREATE TABLE node_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE outbox (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              TEXT    NOT NULL UNIQUE,
    kind            TEXT    NOT NULL,
    dest            TEXT    NOT NULL,
    ordering_key    TEXT    NOT NULL DEFAULT '',
    version         BIGINT NOT NULL DEFAULT 0,
    body            BYTEA    NOT NULL,
    envelope        BYTEA,
    created_at      BIGINT NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending',
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    done_at         BIGINT NOT NULL DEFAULT 0,
    receipt         BYTEA
);
CREATE INDEX outbox_pending ON outbox (dest, seq) WHERE state = 'pending';

CREATE TABLE oplog_head (
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    size BIGINT NOT NULL
);
INSERT INTO oplog_head (id, size) VALUES (1, 0);

CREATE TABLE oplog (
    idx            BIGINT PRIMARY KEY,
    time           BIGINT NOT NULL,
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
    leaf           BYTEA    NOT NULL,
    leaf_hash      BYTEA    NOT NULL
);
CREATE INDEX oplog_subject   ON oplog (subject, time) WHERE subject <> '';
CREATE INDEX oplog_operator  ON oplog (collation_id, time);
CREATE INDEX oplog_operation ON oplog (operation, time);
CREATE INDEX oplog_terminal  ON oplog (terminal, time);
CREATE INDEX oplog_time      ON oplog (time);

-- The operation log is append-only: the database itself refuses changes
-- (the Merkle tree of issue G15 detects them anyway).
CREATE FUNCTION oplog_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'oplog is append-only'; END; $$;
CREATE TRIGGER oplog_no_update BEFORE UPDATE OR DELETE ON oplog
FOR EACH ROW EXECUTE FUNCTION oplog_append_only();
