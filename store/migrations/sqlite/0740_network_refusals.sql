-- Refusals at the network listener (a handshake, a request or an envelope
-- refused), aggregated per peer, reason and minute; each row is written with
-- one network.refused record of the operation log (network.RefusalLog).
CREATE TABLE network_refusals (
    minute   INTEGER NOT NULL, -- unix seconds of the minute's start
    peer     TEXT   NOT NULL, -- node ID, certificate subject and address, or address
    reason   TEXT   NOT NULL,
    count    INTEGER NOT NULL,
    first_at INTEGER NOT NULL, -- unix microseconds
    last_at  INTEGER NOT NULL,
    detail   TEXT   NOT NULL DEFAULT '', -- the first refusal's rule
    PRIMARY KEY (minute, peer, reason)
);
