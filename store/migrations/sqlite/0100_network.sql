-- Network plumbing: the receiving side of the transactional outbox.
-- inbox: one row per received message ID (deduplication, parked messages,
-- history of stale versions); inbox_versions: the last applied version per
-- per-person ordering key.
CREATE TABLE inbox (
    message_id   TEXT    PRIMARY KEY,
    kind         TEXT    NOT NULL,
    sender       TEXT    NOT NULL,
    ordering_key TEXT    NOT NULL DEFAULT '',
    version      INTEGER NOT NULL DEFAULT 0,
    state        TEXT    NOT NULL, -- applied | parked | history | rejected
    reason       TEXT    NOT NULL DEFAULT '',
    envelope     BLOB,             -- kept while parked, to apply it when the gap fills
    received_at  INTEGER NOT NULL,
    applied_at   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX inbox_parked ON inbox (ordering_key, version) WHERE state = 'parked';

CREATE TABLE inbox_versions (
    ordering_key TEXT    PRIMARY KEY,
    applied      INTEGER NOT NULL
);

-- Identity information (本人確認情報) held by prefecture and national servers
-- (法30条の6, 30条の7): the current state per person and every report.
CREATE TABLE identity_info (
    municipality  TEXT    NOT NULL,
    resident_code TEXT    NOT NULL,
    version       INTEGER NOT NULL,
    info          TEXT    NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (municipality, resident_code)
);
CREATE INDEX identity_info_code ON identity_info (resident_code);

CREATE TABLE identity_info_history (
    municipality  TEXT    NOT NULL,
    resident_code TEXT    NOT NULL,
    version       INTEGER NOT NULL,
    message_id    TEXT    NOT NULL,
    info          TEXT    NOT NULL,
    recorded_at   INTEGER NOT NULL,
    PRIMARY KEY (municipality, resident_code, version)
);
CREATE TRIGGER identity_info_history_no_update BEFORE UPDATE ON identity_info_history
BEGIN SELECT RAISE(ABORT, 'identity_info_history is append-only'); END;
CREATE TRIGGER identity_info_history_no_delete BEFORE DELETE ON identity_info_history
BEGIN SELECT RAISE(ABORT, 'identity_info_history is append-only'); END;
