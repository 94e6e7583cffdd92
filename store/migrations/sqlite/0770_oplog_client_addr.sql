-- The network address of the terminal a request came from, beside the
-- terminal its client certificate names (G2.5, G12): the leaf holds it too
-- (store.LogRecord.ClientAddr), so it is covered by the Merkle tree; this
-- column is for queries and the console. Empty for records of no request.
ALTER TABLE oplog ADD COLUMN client_addr TEXT NOT NULL DEFAULT '';
