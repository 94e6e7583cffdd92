package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/store"
)

// TestBackupWhileWriting backs up 防府市's database while the demo network
// runs (checkpoints cosigned by 山口県 over mutual TLS) and a writer appends
// records, then verifies the copy with `oplog verify` and the network's
// keys: the copy is one consistent snapshot.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	n, err := demo.StartNetwork(ctx, demo.NetworkConfig{Dir: dir, Residents: 10, Seed: 5,
		CheckpointEvery: 20, CheckpointInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	db := n.DBs["352063"]
	l := oplog.NewSQLLog(db)
	waitFor(t, "a cosigned checkpoint of 352063", 20*time.Second, func() bool {
		c, ok, err := l.LatestCheckpoint(ctx, true)
		return err == nil && ok && c.Size > 10
	})
	wctx, stop := context.WithCancel(jukinet.WithActor(ctx, jukinet.SystemActor("access")))
	var wg sync.WaitGroup
	var writes atomic.Int64
	var werr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for wctx.Err() == nil {
			err := db.Update(wctx, store.Op{Operation: jukinet.OpAccessLoginFailure, Detail: fmt.Sprintf("write %d during the backup", writes.Load())}, func(*store.Tx) error { return nil })
			if err != nil && wctx.Err() == nil {
				werr = err
				return
			}
			writes.Add(1)
		}
	}()
	time.Sleep(100 * time.Millisecond) // writes under way
	before := writes.Load()
	out := filepath.Join(dir, "copy.db")
	code, stdout, stderr := exec(t, "", "backup", "--db", filepath.Join(dir, "352063.db"), "--out", out)
	during := writes.Load() - before
	time.Sleep(100 * time.Millisecond)
	stop()
	wg.Wait()
	if werr != nil {
		t.Fatalf("writer: %v", werr)
	}
	if code != 0 || !strings.HasPrefix(stdout, "backed up") {
		t.Fatalf("backup: exit %d, %q %q", code, stdout, stderr)
	}
	if during == 0 {
		t.Errorf("no write completed while the backup ran (%d in all); the test did not overlap them", writes.Load())
	}
	t.Logf("%d writes, %d of them while the backup ran", writes.Load(), during)
	code, stdout, stderr = exec(t, "", "oplog", "verify", "--db", out, "--node", "352063", "--network", filepath.Join(dir, "network.toml"))
	if code != 0 || !strings.HasPrefix(stdout, "ok") {
		t.Fatalf("oplog verify of the copy: exit %d, %q %q", code, stdout, stderr)
	}
	t.Log(strings.TrimSpace(stdout))
	if code, _, _ := exec(t, "", "backup", "--db", filepath.Join(dir, "352063.db"), "--out", out); code == 0 {
		t.Error("a second backup over the copy succeeded")
	}
}

// backup --mark-restored records on a database restored by other means
// that it is a restored backup (store.BackupTakenKey), for the node's start.
func TestBackupMarkRestored(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "352063.db")
	db, err := store.Open(ctx, store.Config{Path: path, Node: "352063"})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, stdout, stderr := exec(t, "", "backup", "--mark-restored", "--db", path)
	if code != 0 || !strings.HasPrefix(stdout, "marked as restored") {
		t.Fatalf("backup --mark-restored: exit %d, %q %q", code, stdout, stderr)
	}
	db, err = store.Open(ctx, store.Config{Path: path, Node: "352063"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.Meta(ctx, store.BackupTakenKey); err != nil || !strings.HasPrefix(v, "unknown (marked restored at ") {
		t.Errorf("%s = %q, %v; want the mark", store.BackupTakenKey, v, err)
	}
	if code, _, _ := exec(t, "", "backup", "--mark-restored"); code != 2 {
		t.Errorf("--mark-restored without a database: exit %d, want 2", code)
	}
}
