-- SQLite stores flow_identity_holders WITHOUT ROWID from here on (one
-- b-tree instead of two). PostgreSQL's table is a heap with its
-- primary-key index either way: nothing changes here.
SELECT 1;
