package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// A backup copies every committed record into a new 0600 file, refuses to
// overwrite, and is refused on PostgreSQL (whose own tools back it up);
// Size grows as records are written (SQLite; on PostgreSQL it is the shared
// database's size).
func TestBackupAndSize(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		ctx := jukinet.WithActor(context.Background(), recorder)
		before, err := db.Size(ctx)
		if err != nil || before <= 0 {
			t.Fatalf("Size = %d, %v; want > 0", before, err)
		}
		for i := 0; i < 200; i++ {
			if err := db.Update(ctx, store.Op{Operation: jukinet.OpMoveWithin, Detail: "backup test padding padding padding padding"}, func(*store.Tx) error { return nil }); err != nil {
				t.Fatal(err)
			}
		}
		// On PostgreSQL the size is the whole database's, shared with the
		// other tests' schemas (created and dropped in parallel): only its
		// presence is checked there.
		if after, err := db.Size(ctx); err != nil || after <= 0 || db.Engine() == store.SQLite && after <= before {
			t.Errorf("Size after 200 records = %d, %v; want > %d", after, err, before)
		}
		out := filepath.Join(t.TempDir(), "copy.db")
		err = db.Backup(ctx, out)
		if db.Engine() == store.Postgres {
			if !jukinet.IsKind(err, jukinet.KindInvalid) {
				t.Errorf("Backup on PostgreSQL: %v, want KindInvalid", err)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("Backup on PostgreSQL created the output file")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(out)
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("copy: %v, mode %v; want 0600", err, info.Mode().Perm())
		}
		cp, err := store.Open(ctx, store.Config{Path: out, Node: "352063"})
		if err != nil {
			t.Fatal(err)
		}
		defer cp.Close()
		var want, got int
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM oplog`).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if err := cp.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM oplog`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want || got < 200 {
			t.Errorf("copy holds %d log rows, the database %d (want equal, ≥ 200)", got, want)
		}
		// The copy says it is a backup, and when it was taken; the live
		// database does not.
		if v, err := cp.Meta(ctx, store.BackupTakenKey); err != nil || v == "" {
			t.Errorf("copy's %s = %q, %v; want the time of the backup", store.BackupTakenKey, v, err)
		} else if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
			t.Errorf("copy's %s = %q: %v", store.BackupTakenKey, v, err)
		}
		if v, err := db.Meta(ctx, store.BackupTakenKey); err != nil || v != "" {
			t.Errorf("live database's %s = %q, %v; want none", store.BackupTakenKey, v, err)
		}
		if err := db.Backup(ctx, out); !jukinet.IsKind(err, jukinet.KindConflict) {
			t.Errorf("Backup over an existing file: %v, want KindConflict", err)
		}
	})
}

// MarkRestored sets the backup marker on either engine (a PostgreSQL node
// restored with pg_restore), which the live database otherwise never has.
func TestMarkRestored(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if v, err := db.Meta(ctx, store.BackupTakenKey); err != nil || v != "" {
			t.Fatalf("fresh database's %s = %q, %v; want none", store.BackupTakenKey, v, err)
		}
		if err := db.MarkRestored(ctx); err != nil {
			t.Fatal(err)
		}
		if v, err := db.Meta(ctx, store.BackupTakenKey); err != nil || !strings.HasPrefix(v, "unknown (marked restored at ") {
			t.Errorf("%s after MarkRestored = %q, %v", store.BackupTakenKey, v, err)
		}
	})
}
