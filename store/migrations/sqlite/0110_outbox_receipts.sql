-- Receipts kept as evidence, once per batch (docs/performance.md):
-- the receiver's signed receipt list exactly as it
-- answered a batch of outbox rows first_seq..last_seq to dest. A delivered
-- row no longer stores its own receipt (rejected rows still do, in
-- outbox.receipt); network.StoredReceipt finds a message's receipt here.
CREATE TABLE outbox_receipts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    dest        TEXT    NOT NULL,
    first_seq   INTEGER NOT NULL,
    last_seq    INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    receipts    BLOB    NOT NULL
);
CREATE INDEX outbox_receipts_range ON outbox_receipts (dest, first_seq);
CREATE TRIGGER outbox_receipts_no_update BEFORE UPDATE ON outbox_receipts
BEGIN SELECT RAISE(ABORT, 'outbox_receipts is append-only'); END;
CREATE TRIGGER outbox_receipts_no_delete BEFORE DELETE ON outbox_receipts
BEGIN SELECT RAISE(ABORT, 'outbox_receipts is append-only'); END;
