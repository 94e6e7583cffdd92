-- The per-person version counters are a key and a number: stored WITHOUT
-- ROWID, each row is one entry of one b-tree (its primary key) instead of
-- a table row plus an index entry, which halves what an import (one row of
-- each per resident) and every event writes to them.
ALTER TABLE person_versions RENAME TO person_versions_rowid;
CREATE TABLE person_versions (
    resident_code TEXT PRIMARY KEY,
    version       INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO person_versions (resident_code, version) SELECT resident_code, version FROM person_versions_rowid;
DROP TABLE person_versions_rowid;

ALTER TABLE identity_versions RENAME TO identity_versions_rowid;
CREATE TABLE identity_versions (
    resident_code TEXT PRIMARY KEY,
    version       INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO identity_versions (resident_code, version) SELECT resident_code, version FROM identity_versions_rowid;
DROP TABLE identity_versions_rowid;
