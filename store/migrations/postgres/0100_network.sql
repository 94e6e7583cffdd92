-- Network plumbing: the receiving side of the transactional outbox.
-- inbox: one row per received message ID (deduplication, parked messages,
-- history of stale versions); inbox_versions: the last applied version per
-- per-person ordering key.
CREATE TABLE inbox (
    message_id   TEXT    PRIMARY KEY,
    kind         TEXT    NOT NULL,
    sender       TEXT    NOT NULL,
    ordering_key TEXT    NOT NULL DEFAULT '',
    version      BIGINT NOT NULL DEFAULT 0,
    state        TEXT    NOT NULL, -- applied | parked | history | rejected
    reason       TEXT    NOT NULL DEFAULT '',
    envelope     BYTEA,             -- kept while parked, to apply it when the gap fills
    received_at  BIGINT NOT NULL,
    applied_at   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX inbox_parked ON inbox (ordering_key, version) WHERE state = 'parked';

CREATE TABLE inbox_versions (
    ordering_key TEXT    PRIMARY KEY,
    applied      BIGINT NOT NULL
);

-- Identity information (本人確認情報) held by prefecture and national servers
-- (法30条の6, 30条の7): the current state per person and every report.
CREATE TABLE identity_info (
    municipality  TEXT    NOT NULL,
    resident_code TEXT    NOT NULL,
    version       BIGINT NOT NULL,
    info          TEXT    NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (municipality, resident_code)
);
CREATE INDEX identity_info_code ON identity_info (resident_code);

CREATE TABLE identity_info_history (
    municipality  TEXT    NOT NULL,
    resident_code TEXT    NOT NULL,
    version       BIGINT NOT NULL,
    message_id    TEXT    NOT NULL,
    info          TEXT    NOT NULL,
    recorded_at   BIGINT NOT NULL,
    PRIMARY KEY (municipality, resident_code, version)
);
CREATE FUNCTION identity_info_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'identity_info_history is append-only'; END; $$;
CREATE TRIGGER identity_info_history_no_change BEFORE UPDATE OR DELETE ON identity_info_history
FOR EACH ROW EXECUTE FUNCTION identity_info_history_append_only();
