package node

import (
	"context"

	"github.com/jukinet/jukinet/store"
)

// IdentityHotSet returns, on PostgreSQL, the server's shared_buffers and the
// identity store's hot set: what a lookup or an update of a random person
// reads — flow_identity and flow_identity_holders with their indexes, and
// the indexes of flow_identity_history (its rows are appended, and read
// only by reconciliation). A prefecture or national server whose hot set
// does not fit in shared_buffers copies a page from the OS cache for
// nearly every person it looks up (docs/scale.md). Both are 0 on SQLite.
// Errors: those of store.DB.BufferPool.
func IdentityHotSet(ctx context.Context, db *store.DB) (sharedBuffers, hot int64, err error) {
	return db.BufferPool(ctx, []string{"flow_identity", "flow_identity_holders"}, []string{"flow_identity_history"})
}

// PrewarmIdentityHotSet reads the hot set IdentityHotSet counts into
// shared_buffers (store.DB.Prewarm) and returns the pages read.
func PrewarmIdentityHotSet(ctx context.Context, db *store.DB) (int64, error) {
	return db.Prewarm(ctx, []string{"flow_identity", "flow_identity_holders"}, []string{"flow_identity_history"})
}
