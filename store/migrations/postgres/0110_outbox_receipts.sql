-- Receipts kept as evidence, once per batch (docs/performance.md):
-- the receiver's signed receipt list exactly as it
-- answered a batch of outbox rows first_seq..last_seq to dest. A delivered
-- row no longer stores its own receipt (rejected rows still do, in
-- outbox.receipt); network.StoredReceipt finds a message's receipt here.
CREATE TABLE outbox_receipts (
    id          BIGSERIAL PRIMARY KEY,
    dest        TEXT   NOT NULL,
    first_seq   BIGINT NOT NULL,
    last_seq    BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    receipts    BYTEA  NOT NULL
);
CREATE INDEX outbox_receipts_range ON outbox_receipts (dest, first_seq);
CREATE FUNCTION outbox_receipts_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'outbox_receipts is append-only'; END; $$;
CREATE TRIGGER outbox_receipts_no_change BEFORE UPDATE OR DELETE ON outbox_receipts
FOR EACH ROW EXECUTE FUNCTION outbox_receipts_append_only();
