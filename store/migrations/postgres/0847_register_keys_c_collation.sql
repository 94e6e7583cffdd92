-- The register's key columns — resident codes, individual numbers, record
-- and household IDs (UUIDs), birth dates (YYYY-MM-DD) — are compared byte
-- by byte (COLLATE "C") instead of by the database's collation, as the
-- national store's are since 0846: with a libc collation such as C.UTF-8 or
-- ja_JP.UTF-8 every comparison calls strcoll and PostgreSQL sorts without
-- abbreviated keys, and a first load (decision 0008) builds ten indexes on
-- these columns by sorting every row (docs/scale.md). These values are
-- ASCII digits, hex letters and hyphens at fixed places: equality and order
-- are the same in both collations. The name and address search keys keep
-- the database's collation (a search lists its results in their order).
-- The five tables change together: the register joins them on these
-- columns, and two implicit collations could not be compared. Only the
-- indexes are rebuilt (the type stays TEXT).
ALTER TABLE residents
    ALTER COLUMN record_id TYPE TEXT COLLATE "C",
    ALTER COLUMN resident_code TYPE TEXT COLLATE "C",
    ALTER COLUMN individual_number TYPE TEXT COLLATE "C",
    ALTER COLUMN household_id TYPE TEXT COLLATE "C",
    ALTER COLUMN birth_date TYPE TEXT COLLATE "C";
ALTER TABLE households
    ALTER COLUMN id TYPE TEXT COLLATE "C",
    ALTER COLUMN head_code TYPE TEXT COLLATE "C";
ALTER TABLE person_versions
    ALTER COLUMN resident_code TYPE TEXT COLLATE "C";
ALTER TABLE identity_versions
    ALTER COLUMN resident_code TYPE TEXT COLLATE "C";
ALTER TABLE identity_history
    ALTER COLUMN resident_code TYPE TEXT COLLATE "C";
