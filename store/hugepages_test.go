package store_test

import (
	"context"
	"testing"

	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// HugePages gives the server's huge_pages setting as SHOW gives it, and a
// status only where the server reports one; SQLite has neither.
func TestHugePages(t *testing.T) {
	storetest.Run(t, "national", func(t *testing.T, db *store.DB) {
		setting, status, err := db.HugePages(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if db.Engine() != store.Postgres {
			if setting != "" || status != "" {
				t.Errorf("SQLite: HugePages = %q, %q; want empty", setting, status)
			}
			return
		}
		var want, version string
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT current_setting('huge_pages'), current_setting('server_version_num')`).Scan(&want, &version); err != nil {
			t.Fatal(err)
		}
		if setting != want {
			t.Errorf("HugePages setting = %q; SHOW huge_pages says %q", setting, want)
		}
		if version < "170000" && status != "" || version >= "170000" && status != "on" && status != "off" {
			t.Errorf("PostgreSQL %s: HugePages status = %q", version, status)
		}
	})
}
