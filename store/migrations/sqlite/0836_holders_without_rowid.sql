-- flow_identity_holders is a small row per person keyed by resident code:
-- stored WITHOUT ROWID, each row is one entry of one b-tree (its primary
-- key) instead of a table row plus an autoindex entry, so the holder read
-- and written for every received report is one random page, not two.
ALTER TABLE flow_identity_holders RENAME TO flow_identity_holders_rowid;
CREATE TABLE flow_identity_holders (
    resident_code TEXT PRIMARY KEY,
    municipality  TEXT NOT NULL,
    released_to   TEXT NOT NULL DEFAULT '',
    updated_at    INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO flow_identity_holders (resident_code, municipality, released_to, updated_at)
    SELECT resident_code, municipality, released_to, updated_at FROM flow_identity_holders_rowid ORDER BY resident_code;
DROP TABLE flow_identity_holders_rowid;
