-- CS 整合性確認 runs of a municipality's CS (node package): one row per
-- `jukinet network reconcile`, filled in as the prefecture's answers come
-- back. Counts only: no resident code is kept here.
CREATE TABLE reconcile_runs (
    id                TEXT PRIMARY KEY,
    peer              TEXT NOT NULL,
    started_at        BIGINT NOT NULL,
    persons           INTEGER NOT NULL,
    buckets           INTEGER NOT NULL,
    parts             INTEGER NOT NULL DEFAULT 0,
    parts_received    INTEGER NOT NULL DEFAULT 0,
    differing_buckets INTEGER NOT NULL DEFAULT 0,
    resent_persons    INTEGER NOT NULL DEFAULT 0,
    messages          INTEGER NOT NULL DEFAULT 0,
    peer_only         INTEGER NOT NULL DEFAULT 0,
    unresolved        INTEGER NOT NULL DEFAULT 0,
    done_at           BIGINT
);
