-- Single-use console tokens: an operator logged in at a terminal issues one
-- so that the command line acts as them; only its SHA-256 is kept, with
-- an HMAC under the node key over the row (a row written without the key
-- redeems nothing).
CREATE TABLE access_console_tokens (
    token_hash   BYTEA   PRIMARY KEY,
    collation_id TEXT    NOT NULL,
    operator_id  TEXT    NOT NULL,
    authority    TEXT    NOT NULL,
    terminal     TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    mac          BYTEA   NOT NULL,
    expires_at   BIGINT  NOT NULL
);
