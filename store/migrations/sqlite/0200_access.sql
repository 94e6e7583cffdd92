-- Access control (G11–G14, docs/design.md §6): operators and their 照合ID, the
-- protected 照合情報, 操作者ID, terminals, sessions, the 管理簿 history, the
-- watch list and the OS password policy record.
CREATE TABLE access_operators (
    collation_id TEXT    PRIMARY KEY,
    name         TEXT    NOT NULL,
    department   TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    failures     INTEGER NOT NULL DEFAULT 0,
    locked_at    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE access_templates (
    collation_id TEXT    PRIMARY KEY REFERENCES access_operators (collation_id),
    key_version  INTEGER NOT NULL,
    template     BLOB    NOT NULL,
    enrolled_at  INTEGER NOT NULL
);

CREATE TABLE access_operator_ids (
    operator_id      TEXT    PRIMARY KEY,
    collation_id     TEXT    NOT NULL REFERENCES access_operators (collation_id),
    authority        TEXT    NOT NULL,
    scope            TEXT    NOT NULL,
    valid_from       INTEGER NOT NULL,
    valid_until      INTEGER NOT NULL,
    security_manager TEXT    NOT NULL,
    decision_ref     TEXT    NOT NULL,
    assigned_at      INTEGER NOT NULL,
    assigned_by      TEXT    NOT NULL,
    withdrawn_at     INTEGER NOT NULL DEFAULT 0,
    withdrawn_by     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX access_operator_ids_collation ON access_operator_ids (collation_id);

CREATE TABLE access_history (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    time     INTEGER NOT NULL,
    register TEXT    NOT NULL,
    id       TEXT    NOT NULL,
    event    TEXT    NOT NULL,
    detail   TEXT    NOT NULL,
    actor    TEXT    NOT NULL
);
CREATE INDEX access_history_id ON access_history (register, id, seq);

CREATE TABLE access_terminals (
    terminal_id   TEXT    PRIMARY KEY,
    name          TEXT    NOT NULL,
    location      TEXT    NOT NULL,
    active        INTEGER NOT NULL,
    registered_at INTEGER NOT NULL
);

CREATE TABLE access_sessions (
    token_hash   BLOB    PRIMARY KEY,
    collation_id TEXT    NOT NULL,
    operator_id  TEXT    NOT NULL,
    authority    TEXT    NOT NULL,
    terminal     TEXT    NOT NULL,
    pending      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL
);
CREATE INDEX access_sessions_collation ON access_sessions (collation_id);

CREATE TABLE access_watch (
    subject    TEXT    PRIMARY KEY,
    reason     TEXT    NOT NULL,
    added_at   INTEGER NOT NULL,
    added_by   TEXT    NOT NULL
);

CREATE TABLE access_password_policy (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    min_length        INTEGER NOT NULL,
    char_classes      INTEGER NOT NULL,
    rotation_days     INTEGER NOT NULL,
    lockout_threshold INTEGER NOT NULL,
    set_at            INTEGER NOT NULL,
    set_by            TEXT    NOT NULL
);
