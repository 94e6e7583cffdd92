package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// A read DSN must reach a copy of the node's own PostgreSQL database: on
// SQLite it is refused, and one that reaches another node's database is
// refused by the node recorded in it. Both name the field read_dsn.
func TestReadDSNReachesTheNodesOwnDatabase(t *testing.T) {
	ctx := context.Background()
	_, err := store.Open(ctx, store.Config{Path: filepath.Join(t.TempDir(), "n.db"), ReadDSN: "postgres://x@127.0.0.1/none", Node: "352063"})
	if !jukinet.IsKind(err, jukinet.KindInvalid) || jukinet.ErrorField(err) != "read_dsn" {
		t.Errorf("SQLite with a read DSN: %v, want invalid read_dsn", err)
	}
	for _, e := range storetest.Engines() {
		if e != store.Postgres {
			continue
		}
		own := storetest.Config(t, e, "352063")
		other := storetest.Config(t, e, "352012") // another node's database
		cfg := own
		cfg.ReadDSN = own.DSN
		same, err := store.Open(ctx, cfg)
		if err != nil {
			t.Fatalf("a read DSN on the node's own database: %v", err)
		}
		conn, err := same.ReadConn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conn.Close()
		same.Close()
		cfg.ReadDSN = other.DSN
		otherDB, err := store.Open(ctx, other)
		if err != nil {
			t.Fatal(err)
		}
		otherDB.Close()
		_, err = store.Open(ctx, cfg)
		if !jukinet.IsKind(err, jukinet.KindInvalid) || jukinet.ErrorField(err) != "read_dsn" {
			t.Errorf("a read DSN reaching 352012's database: %v, want invalid read_dsn", err)
		}
	}
}
