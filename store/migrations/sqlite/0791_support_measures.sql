-- 支援措置 (住民票の写し等の交付制限): per person, the measure given to a victim
-- of DV, stalking or child abuse, with its period and requester; at most one
-- open (lifted_at = 0) per person. A measure that came with a 転出 names the
-- municipality it came from.
CREATE TABLE support_measures (
    id            TEXT PRIMARY KEY,
    resident_code TEXT NOT NULL,
    kind          TEXT NOT NULL,
    requester     TEXT NOT NULL,
    start_date    TEXT NOT NULL,
    end_date      TEXT NOT NULL,
    from_lg       TEXT NOT NULL DEFAULT '',
    set_at        INTEGER NOT NULL,
    lifted_at     INTEGER NOT NULL DEFAULT 0,
    lift_reason   TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX support_measures_open ON support_measures (resident_code) WHERE lifted_at = 0;
