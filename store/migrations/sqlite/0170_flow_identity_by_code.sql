-- flow_identity keyed by (resident_code, municipality) instead of
-- (municipality, resident_code) plus a second index on resident_code: the
-- lookups by resident code use the key itself, and every received identity
-- report updates one random index instead of two (docs/performance.md).
-- SQLite cannot change a primary key in place: copy the table.
CREATE TABLE flow_identity_by_code (
    municipality  TEXT NOT NULL,
    resident_code TEXT NOT NULL,
    version       INTEGER NOT NULL,
    info          TEXT NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (resident_code, municipality)
);
INSERT INTO flow_identity_by_code (municipality, resident_code, version, info, updated_at)
    SELECT municipality, resident_code, version, info, updated_at FROM flow_identity ORDER BY resident_code, municipality;
DROP TABLE flow_identity;
ALTER TABLE flow_identity_by_code RENAME TO flow_identity;
