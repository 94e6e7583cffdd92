-- Every history table that evidence rests on is append-only, like oplog
-- and identity_info_history: the database itself refuses UPDATE and DELETE
-- (G15; an insider who drops these triggers is the threat the operation
-- log's Merkle tree answers). A history keeps each version once; the
-- current rows (flow_identity, …) are the ones that move.
CREATE FUNCTION history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END; $$;

CREATE TRIGGER identity_history_no_change BEFORE UPDATE OR DELETE ON identity_history
FOR EACH ROW EXECUTE FUNCTION history_append_only();
CREATE TRIGGER flow_identity_history_no_change BEFORE UPDATE OR DELETE ON flow_identity_history
FOR EACH ROW EXECUTE FUNCTION history_append_only();
CREATE TRIGGER flow_annexid_history_no_change BEFORE UPDATE OR DELETE ON flow_annexid_history
FOR EACH ROW EXECUTE FUNCTION history_append_only();
CREATE TRIGGER access_history_no_change BEFORE UPDATE OR DELETE ON access_history
FOR EACH ROW EXECUTE FUNCTION history_append_only();
