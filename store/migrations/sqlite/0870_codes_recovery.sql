-- National (node package): recovering the resident codes granted before a
-- restore from a backup. One row per municipality asked to report the codes
-- it holds (its unused pool and every code it has notified), filled in as
-- its report's parts arrive; the codes themselves go to flow_codes_granted.
CREATE TABLE flow_codes_recovery (
    run          TEXT NOT NULL,
    municipality TEXT NOT NULL,
    parts        INTEGER NOT NULL DEFAULT 0,
    received     INTEGER NOT NULL DEFAULT 0,
    codes        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run, municipality)
);
-- The parts received, so that a part delivered twice counts once.
CREATE TABLE flow_codes_report_parts (
    run          TEXT NOT NULL,
    municipality TEXT NOT NULL,
    part         INTEGER NOT NULL,
    PRIMARY KEY (run, municipality, part)
);
-- Pool requests that arrived while the recovery ran: granted when it ends.
CREATE TABLE flow_codes_deferred (
    municipality TEXT PRIMARY KEY,
    count        INTEGER NOT NULL,
    requested_at INTEGER NOT NULL
);
