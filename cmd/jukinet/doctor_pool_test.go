package main

import (
	"context"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// doctor reports a PostgreSQL server whose shared_buffers are smaller than
// the identity store's hot set, naming the setting and the size it needs,
// and says nothing of it while the store fits (and on SQLite).
func TestDoctorSharedBuffers(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			cfg := storetest.Config(t, e, "national")
			where := []string{"doctor", "--db", cfg.Path}
			if e == store.Postgres {
				where = []string{"doctor", "--dsn", cfg.DSN}
			}
			db, err := store.Open(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, out, _ := exec(t, "", where...); strings.Contains(out, "shared_buffers") {
				t.Errorf("doctor on an empty store: output %q; want no finding on shared_buffers", out)
			}
			if e != store.Postgres {
				return
			}
			var shared int64
			err = db.Bookkeeping(store.Inspect).QueryRow(`SELECT setting::bigint * current_setting('block_size')::bigint FROM pg_settings WHERE name = 'shared_buffers'`).Scan(&shared)
			if err != nil {
				t.Fatal(err)
			}
			if shared > 256<<20 {
				t.Skipf("shared_buffers is %d bytes: a store larger than that is too much for a test to write", shared)
			}
			// Rows of ~1 KB, enough to outgrow shared_buffers (7 to a page).
			rows := shared/1000 + 20000
			ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("test"))
			err = db.Update(ctx, store.Op{Operation: jukinet.OpNetworkReceive}, func(tx *store.Tx) error {
				_, err := tx.Exec(`INSERT INTO flow_identity (municipality, resident_code, version, info, updated_at)
 SELECT '352063', lpad(i::text, 11, '0'), 1, repeat('x', 1000), i FROM generate_series(1, $1::bigint) i`, rows)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			var hot int64
			err = db.Bookkeeping(store.Inspect).QueryRow(`SELECT pg_total_relation_size('flow_identity') + pg_total_relation_size('flow_identity_holders')
 + pg_indexes_size('flow_identity_history')`).Scan(&hot)
			if err != nil {
				t.Fatal(err)
			}
			_, out, _ := exec(t, "", where...)
			want := "set shared_buffers to at least " + megabytes(hot)
			if !strings.Contains(out, "PostgreSQL shared_buffers is "+megabytes(shared)) || !strings.Contains(out, want) {
				t.Errorf("doctor with a %d-byte hot set and %d bytes of shared_buffers: output %q; want a finding naming shared_buffers and %q",
					hot, shared, out, want)
			}
		})
	}
}

func TestMegabytes(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{{128 << 20, "128MB"}, {128<<20 + 1, "129MB"}, {10<<30 - 1, "10240MB"}, {10 << 30, "10GB"}, {60<<30 + 5, "61GB"}} {
		if got := megabytes(c.n); got != c.want {
			t.Errorf("megabytes(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

// A pool of 2 GB or more that may run in 4 KiB pages is a finding naming
// huge_pages; a smaller pool, or one the server says runs in huge pages,
// or huge_pages = on (the server would not start without them), is not.
func TestHugePagesFinding(t *testing.T) {
	for _, c := range []struct {
		pool            int64
		setting, status string
		want            string // "" for no finding
	}{
		{1 << 30, "try", "", ""},
		{8 << 30, "try", "", "huge_pages is try and the server does not say"},
		{8 << 30, "off", "", "huge_pages is off"},
		{8 << 30, "on", "", ""},
		{8 << 30, "try", "on", ""},
		{8 << 30, "try", "off", "huge_pages_status = off"},
	} {
		got := hugePagesFinding(c.pool, c.setting, c.status)
		if c.want == "" && got != "" || c.want != "" && (!strings.Contains(got, c.want) || !strings.Contains(got, "set huge_pages = on")) {
			t.Errorf("hugePagesFinding(%d, %q, %q) = %q; want %q", c.pool, c.setting, c.status, got, c.want)
		}
	}
}
