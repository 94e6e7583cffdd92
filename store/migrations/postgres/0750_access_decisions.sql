-- G13.3: the セキュリティ責任者's recorded decisions that an operator may hold
-- a type of 操作者ID, or that a lost or injured finger may be enrolled anew.
-- Access control spends each decision once (used_by, used_at).
CREATE TABLE gov_access_decisions (
    id           TEXT    PRIMARY KEY,
    kind         TEXT    NOT NULL,
    collation_id TEXT    NOT NULL,
    authority    TEXT    NOT NULL DEFAULT '',
    reason       TEXT    NOT NULL,
    decided_by   TEXT    NOT NULL,
    decided_on   TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    used_by      TEXT    NOT NULL DEFAULT '',
    used_at      BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX gov_access_decisions_subject ON gov_access_decisions (collation_id);

