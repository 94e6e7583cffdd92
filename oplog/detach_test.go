package oplog_test

import (
	"testing"

	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// TestDetachedCheckpointerKeepsNoHashes: a checkpointer that runs keeps the
// hashes of committed records until its next checkpoint; once detached (a
// node that makes no checkpoints) it keeps none, however many records are
// committed, and a checkpoint made afterwards still covers every record,
// read from the database, and verifies.
func TestDetachedCheckpointerKeepsNoHashes(t *testing.T) {
	storetest.Run(t, node, func(t *testing.T, db *store.DB) {
		f := attach(t, db, nil)
		f.appendRecords(t, operator, 300, "case 1")
		if n := oplog.FedLen(f.cp); n != 300 {
			t.Fatalf("attached: %d hashes kept, want 300", n)
		}
		f.cp.Detach()
		if n := oplog.FedLen(f.cp); n != 0 {
			t.Fatalf("detached: %d hashes still kept", n)
		}
		for i := 0; i < 5; i++ {
			f.appendRecords(t, operator, 200, "case 2")
		}
		if n := oplog.FedLen(f.cp); n != 0 {
			t.Fatalf("detached: %d hashes kept after 1,000 records", n)
		}
		if c := f.checkpoint(t); c.Size != 1300 || !c.Cosigned {
			t.Fatalf("checkpoint after detaching: size %d cosigned %v, want 1300 true", c.Size, c.Cosigned)
		}
		if r := f.verify(t); !r.OK() {
			t.Fatalf("verify after a detached checkpointer's checkpoint: %+v", r)
		}
	})
}
