-- The ops metrics read each peer's dead letters at scrape time: a partial
-- index holds only rejected outbox rows (rare), so the count does not scan
-- the outbox and costs nothing on the delivery path.
CREATE INDEX outbox_rejected ON outbox (dest) WHERE state = 'rejected';
