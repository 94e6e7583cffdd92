-- Every history table that evidence rests on is append-only, like oplog
-- and identity_info_history: the database itself refuses UPDATE and DELETE
-- (G15; an insider who drops these triggers is the threat the operation
-- log's Merkle tree answers). A history keeps each version once; the
-- current rows (flow_identity, …) are the ones that move.
CREATE TRIGGER identity_history_no_update BEFORE UPDATE ON identity_history
BEGIN SELECT RAISE(ABORT, 'identity_history is append-only'); END;
CREATE TRIGGER identity_history_no_delete BEFORE DELETE ON identity_history
BEGIN SELECT RAISE(ABORT, 'identity_history is append-only'); END;

CREATE TRIGGER flow_identity_history_no_update BEFORE UPDATE ON flow_identity_history
BEGIN SELECT RAISE(ABORT, 'flow_identity_history is append-only'); END;
CREATE TRIGGER flow_identity_history_no_delete BEFORE DELETE ON flow_identity_history
BEGIN SELECT RAISE(ABORT, 'flow_identity_history is append-only'); END;

CREATE TRIGGER flow_annexid_history_no_update BEFORE UPDATE ON flow_annexid_history
BEGIN SELECT RAISE(ABORT, 'flow_annexid_history is append-only'); END;
CREATE TRIGGER flow_annexid_history_no_delete BEFORE DELETE ON flow_annexid_history
BEGIN SELECT RAISE(ABORT, 'flow_annexid_history is append-only'); END;

CREATE TRIGGER access_history_no_update BEFORE UPDATE ON access_history
BEGIN SELECT RAISE(ABORT, 'access_history is append-only'); END;
CREATE TRIGGER access_history_no_delete BEFORE DELETE ON access_history
BEGIN SELECT RAISE(ABORT, 'access_history is append-only'); END;
