-- Fewer index inserts per operation-log record (logging ≤ 10 % of
-- the pipeline's CPU). Every message is a record, and the bulk are system
-- records from the network (principal set, no operator, no terminal).
--
-- * oplog_time goes: idx is time-ordered (oplog_head.time below makes the
--   record time monotone in idx), so a time range is an idx range found by
--   binary search on the primary key (oplog.firstIndexAt).
-- * oplog_operator and oplog_terminal only hold operator records: system
--   records have an empty 照合ID and terminal, which nobody searches for.
-- * oplog_subject (resident) and oplog_operation stay as they were.
--
-- The time of the newest record: appends take max(transaction time, this),
-- so record times never decrease along idx even when a transaction that
-- began earlier commits later (PostgreSQL) or the clock steps back.
ALTER TABLE oplog_head ADD COLUMN time INTEGER NOT NULL DEFAULT 0;
UPDATE oplog_head SET time = COALESCE((SELECT MAX(time) FROM oplog), 0) WHERE id = 1;

DROP INDEX oplog_time;
DROP INDEX oplog_operator;
DROP INDEX oplog_terminal;
CREATE INDEX oplog_operator ON oplog (collation_id, time) WHERE collation_id <> '';
CREATE INDEX oplog_terminal ON oplog (terminal, time) WHERE terminal <> '';
