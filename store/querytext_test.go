package store_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// QueryText gives each column as its text and NULL as nil, with the
// query's arguments bound, on both engines.
func TestQueryTextGivesColumnsAsText(t *testing.T) {
	storetest.Run(t, "national", func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		conn, err := db.ReadConn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		q := `SELECT 'a', NULL, 42, ? UNION ALL SELECT 'b', 'x', -7, ?`
		if db.Engine() == store.Postgres {
			q = `SELECT 'a', NULL, 42, $1::text UNION ALL SELECT 'b', 'x', -7, $2::text`
		}
		var got [][]string
		err = db.QueryText(ctx, conn, q, []any{"住基", "p2"}, func(cols [][]byte) error {
			row := make([]string, len(cols))
			for i, c := range cols {
				if c == nil {
					row[i] = "<nil>"
				} else {
					row[i] = string(c)
				}
			}
			got = append(got, row)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{{"a", "<nil>", "42", "住基"}, {"b", "x", "-7", "p2"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("QueryText = %q; want %q", got, want)
		}
	})
}
