package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// doctor reports a large table without planner statistics, on both engines,
// and none once --analyze has refreshed them.
func TestDoctorStaleStatistics(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			cfg := storetest.Config(t, e, "national")
			db, err := store.Open(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("test"))
			var rows []any
			for i := range 3000 {
				rows = append(rows, fmt.Sprintf("9%010d", i), "352063", "", int64(i))
			}
			err = db.Update(ctx, store.Op{Operation: jukinet.OpNetworkReceive}, func(tx *store.Tx) error {
				return tx.InsertRows(`INSERT INTO flow_identity_holders (resident_code, municipality, released_to, updated_at) VALUES `, 4, rows)
			})
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			where := []string{"--db", cfg.Path}
			if e == store.Postgres {
				where = []string{"--dsn", cfg.DSN}
			}
			code, out, _ := exec(t, "", append([]string{"doctor"}, where...)...)
			if code != 1 || !strings.Contains(out, "table flow_identity_holders:") || !strings.Contains(out, "statistics") {
				t.Errorf("doctor after 3000 rows without ANALYZE: exit %d, output %q; want a finding on flow_identity_holders' statistics", code, out)
			}
			_, out, _ = exec(t, "", append([]string{"doctor", "--analyze"}, where...)...)
			if strings.Contains(out, "statistics") {
				t.Errorf("doctor --analyze: output %q; want no finding on statistics", out)
			}
		})
	}
}
