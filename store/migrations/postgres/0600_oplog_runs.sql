-- Record runs: see the SQLite migration of the same number.
ALTER TABLE oplog ADD COLUMN run INTEGER NOT NULL DEFAULT 1;

CREATE TABLE oplog_resident (
    subject_key BIGINT NOT NULL,
    idx         BIGINT NOT NULL,
    PRIMARY KEY (subject_key, idx)
);
CREATE TRIGGER oplog_resident_append_only BEFORE UPDATE OR DELETE ON oplog_resident
FOR EACH ROW EXECUTE FUNCTION oplog_append_only();
