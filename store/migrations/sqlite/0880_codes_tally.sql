-- National (node package): how many grants of resident codes it has made to
-- each municipality. Every grant carries the count after it, and a CS keeps
-- the last one it received: a CS that holds fewer was restored from a
-- backup, a CS that holds more has outlived the national server's backup.
CREATE TABLE flow_codes_grant_counts (
    municipality TEXT PRIMARY KEY,
    grants       INTEGER NOT NULL
);
-- The check a national server makes as it starts: one row per municipality
-- asked for its count, answered or not; no code is granted before every
-- municipality has answered.
CREATE TABLE flow_codes_tally (
    run          TEXT NOT NULL,
    municipality TEXT NOT NULL,
    answered     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run, municipality)
);
