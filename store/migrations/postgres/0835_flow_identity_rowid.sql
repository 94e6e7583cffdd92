-- SQLite keys flow_identity by a rowid that encodes (resident_code,
-- municipality) from here on. PostgreSQL's table is a heap with its
-- primary-key index either way: nothing changes here.
SELECT 1;
