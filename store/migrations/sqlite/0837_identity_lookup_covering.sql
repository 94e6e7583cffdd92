-- PostgreSQL reads the batch lookup from a covering index from here on.
-- SQLite's flow_identity is one B-tree keyed by row_key (migration 0835)
-- whose rows are the records: nothing changes here.
SELECT 1;
