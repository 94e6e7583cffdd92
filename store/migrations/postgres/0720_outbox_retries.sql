-- A message the receiver failed to apply ("internal, retry later" in its
-- receipt) is retried alone: retries counts those failures (a bounded number,
-- then a dead letter), retry_at (unix µs) holds the message back until its
-- backoff ends while the rows after it are sent. Failed requests (the peer
-- unreachable) count in attempts, not here.
ALTER TABLE outbox ADD COLUMN retries BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN retry_at BIGINT NOT NULL DEFAULT 0;
