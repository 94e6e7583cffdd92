-- Prefecture and national: the municipality that holds each person (keeps
-- the 住民票, 法30条の6), so that a person's identity reports are taken only
-- from it. Responsibility moves with the 転入 and its 転出確定 (施行令13条3項):
-- the holder's 転出確定 names the destination (released_to) and the
-- destination's report then takes the person.
CREATE TABLE flow_identity_holders (
    resident_code TEXT PRIMARY KEY,
    municipality  TEXT NOT NULL,
    released_to   TEXT NOT NULL DEFAULT '',
    updated_at    INTEGER NOT NULL
);
-- Reports of a municipality that does not hold the person yet (its 転入 is
-- on the way before the holder's 転出確定): kept here, applied in version
-- order when responsibility moves to it.
CREATE TABLE flow_identity_held (
    resident_code TEXT NOT NULL,
    municipality  TEXT NOT NULL,
    version       INTEGER NOT NULL,
    info          TEXT NOT NULL,
    received_at   INTEGER NOT NULL,
    PRIMARY KEY (resident_code, municipality, version)
);
-- The holder of every person already stored: the municipality whose report
-- was current (the most recently updated).
INSERT INTO flow_identity_holders (resident_code, municipality, released_to, updated_at)
SELECT f.resident_code, f.municipality, '', f.updated_at FROM flow_identity f
WHERE NOT EXISTS (SELECT 1 FROM flow_identity g WHERE g.resident_code = f.resident_code
    AND (g.updated_at > f.updated_at OR (g.updated_at = f.updated_at
        AND (g.version > f.version OR (g.version = f.version AND g.municipality > f.municipality)))));
