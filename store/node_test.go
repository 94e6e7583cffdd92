package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// A database records the node it belongs to: opened without a node ID it is
// that node, opened as another node it is refused (rows are never stored
// under the wrong node's code), and a new database needs the node ID.
func TestDatabaseKnowsItsNode(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			cfg := storetest.Config(t, e, "")
			if _, err := store.Open(ctx, cfg); !jukinet.IsKind(err, jukinet.KindInvalid) || jukinet.ErrorField(err) != "node" {
				t.Fatalf("new database without a node ID: %v, want KindInvalid on node", err)
			}
			cfg.Node = "352012"
			db, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			cfg.Node = ""
			db, err = store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if db.Node() != "352012" {
				t.Errorf("opened without a node ID: node %q, want 352012", db.Node())
			}
			db.Close()
			cfg.Node = "352063"
			if _, err := store.Open(ctx, cfg); !jukinet.IsKind(err, jukinet.KindInvalid) || jukinet.ErrorField(err) != "node" {
				t.Errorf("352012's database opened as 352063: %v, want KindInvalid on node", err)
			}
		})
	}
}

// A database from before the node was recorded takes the node its
// operation log names.
func TestDatabaseNodeFromItsLog(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := store.Open(ctx, store.Config{Path: path, Node: "402036"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(jukinet.WithActor(ctx, recorder), store.Op{Operation: jukinet.OpMoveWithin}, func(*store.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Bookkeeping(store.Inspect).Exec(`DELETE FROM node_meta WHERE key = 'node'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := store.Open(ctx, store.Config{Path: path, Node: "352063"}); !jukinet.IsKind(err, jukinet.KindInvalid) {
		t.Errorf("久留米市's old database opened as 防府市: %v, want KindInvalid", err)
	}
	db, err = store.Open(ctx, store.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Node() != "402036" {
		t.Errorf("node of the old database: %q, want 402036 from its log", db.Node())
	}
}
