-- flow_identity as a rowid table whose rowid (row_key) encodes the key: the
-- 住民票コード (11 digits) then the municipality code (6 digits) as one
-- integer. A lookup by resident code is one range of one b-tree, and an
-- update writes one random page instead of two: the table's and the
-- autoindex's of (resident_code, municipality), which goes. Every stored
-- code was validated on receipt (all digits, of its length), so the key is
-- unique per (resident_code, municipality). SQLite cannot change a primary
-- key in place: copy the table (docs/scale.md).
CREATE TABLE flow_identity_by_key (
    row_key       INTEGER PRIMARY KEY,
    municipality  TEXT NOT NULL,
    resident_code TEXT NOT NULL,
    version       INTEGER NOT NULL,
    info          TEXT NOT NULL,
    updated_at    INTEGER NOT NULL
);
INSERT INTO flow_identity_by_key (row_key, municipality, resident_code, version, info, updated_at)
    SELECT CAST(resident_code AS INTEGER)*1000000 + CAST(municipality AS INTEGER), municipality, resident_code, version, info, updated_at
    FROM flow_identity ORDER BY resident_code, municipality;
DROP TABLE flow_identity;
ALTER TABLE flow_identity_by_key RENAME TO flow_identity;
