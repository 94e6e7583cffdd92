package demo

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/oplog"
	"golang.org/x/mod/sumdb/note"
)

// TestCheckpointsCosignedOverNetwork runs the demo network briefly: every
// node's checkpoints get cosigned by its witness over mutual TLS, and each
// log verifies with the keys of the network description.
func TestCheckpointsCosignedOverNetwork(t *testing.T) {
	ctx := context.Background()
	n, err := StartNetwork(ctx, NetworkConfig{Dir: t.TempDir(), Residents: 20, Seed: 1, Logf: t.Logf,
		CheckpointEvery: 50, CheckpointInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := n.WaitNational(wctx, 60, 50*time.Millisecond); err != nil {
		t.Fatalf("national: %v", err)
	}
	for _, s := range n.Specs {
		t.Run(s.ID, func(t *testing.T) {
			l := oplog.NewSQLLog(n.DBs[s.ID])
			for {
				c, ok, err := l.LatestCheckpoint(ctx, true)
				if err != nil {
					t.Fatal(err)
				}
				if ok && c.Size > 0 {
					break
				}
				select {
				case <-wctx.Done():
					t.Fatalf("node %s: no cosigned checkpoint within the time limit", s.ID)
				case <-time.After(50 * time.Millisecond):
				}
			}
			logKey, witKey, err := node.LogVerifiers(n.Description, node.DefaultLogDomain, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			r, err := l.Verify(ctx, oplog.Verifier{Origin: oplog.Origin(node.DefaultLogDomain, s.ID), Log: logKey, Witnesses: []note.Verifier{witKey}})
			if err != nil || r.Failure != nil {
				t.Fatalf("Verify(%s) = %+v, %v; want no failure", s.ID, r.Failure, err)
			}
			if r.Checkpoints == 0 || r.Verified == 0 {
				t.Errorf("Verify(%s): %d checkpoints, %d rows proven; want some", s.ID, r.Checkpoints, r.Verified)
			}
		})
	}
	// An idle network stops checkpointing: the witness flow's own records
	// are quiet (node.QuietRecord), or each round would call for the next.
	sizes := func() map[string]uint64 {
		m := map[string]uint64{}
		for _, s := range n.Specs {
			c, _, err := oplog.NewSQLLog(n.DBs[s.ID]).LatestCheckpoint(ctx, false)
			if err != nil {
				t.Fatal(err)
			}
			m[s.ID] = c.Size
		}
		return m
	}
	if err := n.WaitIdle(wctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // let the last rounds finish
	before := sizes()
	time.Sleep(time.Second) // ten checkpoint intervals
	if after := sizes(); !maps.Equal(before, after) {
		t.Errorf("checkpoint sizes of an idle network changed from %v to %v; want no new checkpoints", before, after)
	}
}
