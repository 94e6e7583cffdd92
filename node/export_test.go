package node

import (
	"context"
	"github.com/jukinet/jukinet/store"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store/storetest"
)

// TestCluster exposes the in-memory test network to the external scenario test.
type TestCluster struct{ n *testNet }

// NewTestCluster builds the in-memory network on the first engine, with
// every municipality's code pool filled.
func NewTestCluster(t *testing.T) *TestCluster {
	n := newTestNet(t, storetest.Engines()[0], nil)
	n.fillPools()
	return &TestCluster{n}
}

func (c *TestCluster) Municipality(id jukinet.LGCode) *Municipality { return c.n.muni[id] }
func (c *TestCluster) Prefecture(id jukinet.LGCode) *Prefecture     { return c.n.pref[id] }
func (c *TestCluster) National() *National                          { return c.n.national }
func (c *TestCluster) WaitIdle(ctx context.Context) error {
	c.n.run()
	c.n.noRejections()
	return nil
}

// LookupPlan returns the steps of the SQLite plan of the batch lookup.
func LookupPlan(t *testing.T, db *store.DB) []string {
	t.Helper()
	rows, err := db.Bookkeeping(store.Inspect).QueryContext(context.Background(), `EXPLAIN QUERY PLAN `+lookupSQLite, `["12345678903"]`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}
