-- Refusals at the network listener (a handshake, a request or an envelope
-- refused), aggregated per peer, reason and minute; each row is written with
-- one network.refused record of the operation log (network.RefusalLog).
CREATE TABLE network_refusals (
    minute   BIGINT NOT NULL, -- unix seconds of the minute's start
    peer     TEXT   NOT NULL, -- node ID, certificate subject and address, or address
    reason   TEXT   NOT NULL,
    count    BIGINT NOT NULL,
    first_at BIGINT NOT NULL, -- unix microseconds
    last_at  BIGINT NOT NULL,
    detail   TEXT   NOT NULL DEFAULT '', -- the first refusal's rule
    PRIMARY KEY (minute, peer, reason)
);
