package store

// FailAt makes Update fail at the named step: "state", "outbox", "oplog" or "commit".
func (db *DB) FailAt(step string) { db.failAt = step }
