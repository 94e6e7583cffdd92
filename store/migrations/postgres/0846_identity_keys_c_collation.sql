-- The national store's keys — resident codes and municipality codes, digits
-- only — are compared byte by byte (COLLATE "C") instead of by the
-- database's collation: with a libc collation such as C.UTF-8 or ja_JP.UTF-8
-- every comparison of a B-tree descent calls strcoll, the largest part of
-- the server's CPU per looked-up record (docs/scale.md). Equality and the
-- order of digit strings are the same in both; the indexes are rebuilt by
-- the ALTER. The four tables change together: the lookups join them on
-- these columns, and two implicit collations could not be compared.
--
-- fillfactor: every identity report rewrites its person's current row
-- (version, info, updated_at; no indexed column), and the holder row moves
-- with a 転入. The free space left on each page lets PostgreSQL write the new
-- version beside the old one (a HOT update: no new index entry, no index
-- page dirtied). It applies to pages written from now on (the bulk load,
-- new rows); a VACUUM FULL or CLUSTER gives existing pages the space too.
ALTER TABLE flow_identity
    ALTER COLUMN resident_code TYPE TEXT COLLATE "C",
    ALTER COLUMN municipality TYPE TEXT COLLATE "C",
    SET (fillfactor = 85);
ALTER TABLE flow_identity_history
    ALTER COLUMN resident_code TYPE TEXT COLLATE "C",
    ALTER COLUMN municipality TYPE TEXT COLLATE "C";
ALTER TABLE flow_identity_holders
    ALTER COLUMN resident_code TYPE TEXT COLLATE "C",
    ALTER COLUMN municipality TYPE TEXT COLLATE "C",
    ALTER COLUMN released_to TYPE TEXT COLLATE "C",
    SET (fillfactor = 90);
ALTER TABLE flow_identity_held
    ALTER COLUMN resident_code TYPE TEXT COLLATE "C",
    ALTER COLUMN municipality TYPE TEXT COLLATE "C";
