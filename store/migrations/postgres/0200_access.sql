-- Access control (G11–G14, docs/design.md §6): operators and their 照合ID, the
-- protected 照合情報, 操作者ID, terminals, sessions, the 管理簿 history, the
-- watch list and the OS password policy record.
CREATE TABLE access_operators (
    collation_id TEXT    PRIMARY KEY,
    name         TEXT    NOT NULL,
    department   TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    failures     BIGINT  NOT NULL DEFAULT 0,
    locked_at    BIGINT  NOT NULL DEFAULT 0
);

CREATE TABLE access_templates (
    collation_id TEXT    PRIMARY KEY REFERENCES access_operators (collation_id),
    key_version  BIGINT  NOT NULL,
    template     BYTEA    NOT NULL,
    enrolled_at  BIGINT  NOT NULL
);

CREATE TABLE access_operator_ids (
    operator_id      TEXT    PRIMARY KEY,
    collation_id     TEXT    NOT NULL REFERENCES access_operators (collation_id),
    authority        TEXT    NOT NULL,
    scope            TEXT    NOT NULL,
    valid_from       BIGINT  NOT NULL,
    valid_until      BIGINT  NOT NULL,
    security_manager TEXT    NOT NULL,
    decision_ref     TEXT    NOT NULL,
    assigned_at      BIGINT  NOT NULL,
    assigned_by      TEXT    NOT NULL,
    withdrawn_at     BIGINT  NOT NULL DEFAULT 0,
    withdrawn_by     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX access_operator_ids_collation ON access_operator_ids (collation_id);

CREATE TABLE access_history (
    seq      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time     BIGINT  NOT NULL,
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
    active        BIGINT  NOT NULL,
    registered_at BIGINT  NOT NULL
);

CREATE TABLE access_sessions (
    token_hash   BYTEA    PRIMARY KEY,
    collation_id TEXT    NOT NULL,
    operator_id  TEXT    NOT NULL,
    authority    TEXT    NOT NULL,
    terminal     TEXT    NOT NULL,
    pending      BIGINT  NOT NULL,
    created_at   BIGINT  NOT NULL,
    last_seen    BIGINT  NOT NULL
);
CREATE INDEX access_sessions_collation ON access_sessions (collation_id);

CREATE TABLE access_watch (
    subject    TEXT    PRIMARY KEY,
    reason     TEXT    NOT NULL,
    added_at   BIGINT  NOT NULL,
    added_by   TEXT    NOT NULL
);

CREATE TABLE access_password_policy (
    id                BIGINT PRIMARY KEY CHECK (id = 1),
    min_length        BIGINT  NOT NULL,
    char_classes      BIGINT  NOT NULL,
    rotation_days     BIGINT  NOT NULL,
    lockout_threshold BIGINT  NOT NULL,
    set_at            BIGINT  NOT NULL,
    set_by            TEXT    NOT NULL
);
