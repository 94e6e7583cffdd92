-- SQLite stores the per-person version counters WITHOUT ROWID from here
-- on (one b-tree each instead of two). PostgreSQL's tables are heaps with
-- a primary-key index either way: nothing changes here.
SELECT 1;
