-- One layout of record runs: every run row still in layout 1 (each
-- record's values in full) is rewritten into the current layout by the Go
-- step of this migration (store.rewriteFullRuns), in this migration's
-- transaction. Canonical bytes and leaf hashes are unchanged, so the tree
-- is too; a row whose records do not match its stored leaf hashes is left
-- for verify to name.
SELECT 1;
