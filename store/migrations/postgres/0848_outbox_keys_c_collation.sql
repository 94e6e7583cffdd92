-- The outbox's message IDs (UUIDs) and destinations (node names) are
-- compared byte by byte (COLLATE "C"), as the register's keys are since
-- 0847: a first load writes one notice per resident and builds the outbox's
-- indexes on these columns again by sorting every row, which under the
-- database's libc collation called strcoll for each comparison. An ID is hex
-- digits and hyphens at fixed places, a node name a local-government code
-- or "national" (digits before lower-case letters in both): equality
-- and order are the same in both collations. Only the indexes are rebuilt.
ALTER TABLE outbox
    ALTER COLUMN id TYPE TEXT COLLATE "C",
    ALTER COLUMN dest TYPE TEXT COLLATE "C";
