package node

import (
	"context"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// PrewarmIdentityHotSet does nothing on SQLite and, on a PostgreSQL
// database without pg_prewarm, says the extension is missing rather than
// failing with the server's error (the positive path: bench's own-server
// tests, whose cluster installs it).
func TestPrewarmIdentityHotSetWithoutTheExtension(t *testing.T) {
	storetest.Run(t, network.NationalID, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var installed int
		if db.Engine() == store.Postgres {
			if err := db.Bookkeeping(store.Inspect).QueryRowContext(ctx, `SELECT count(*) FROM pg_extension WHERE extname = 'pg_prewarm'`).Scan(&installed); err != nil {
				t.Fatal(err)
			}
			if installed > 0 {
				t.Skip("the test server has pg_prewarm installed")
			}
		}
		pages, err := PrewarmIdentityHotSet(ctx, db)
		if db.Engine() == store.SQLite {
			if pages != 0 || err != nil {
				t.Fatalf("SQLite: %d pages, %v; want 0, nil", pages, err)
			}
			return
		}
		if jukinet.ErrorKind(err) != jukinet.KindUnavailable {
			t.Fatalf("PostgreSQL without pg_prewarm: %d pages, %v; want KindUnavailable", pages, err)
		}
	})
}
