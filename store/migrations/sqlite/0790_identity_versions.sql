-- The version counter of identity-information notices (本人確認情報通知) per
-- person, apart from the register record's version: a notice is sent only
-- when 本人確認情報 changes (法30条の6), so the two counters part. Receivers
-- order and detect gaps by this one. It starts where the record counter stood.
CREATE TABLE identity_versions (
    resident_code TEXT PRIMARY KEY,
    version       INTEGER NOT NULL
);
INSERT INTO identity_versions (resident_code, version) SELECT resident_code, version FROM person_versions;
