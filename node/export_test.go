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
	return queryPlan(t, db, lookupSQLite, `[12345678903000000]`)
}

// InsertIdentityRows writes flow_identity rows given as (municipality,
// resident code, version, info, updated_at) values, five per row, with
// their row_key on SQLite.
func InsertIdentityRows(tx *store.Tx, args []any) error {
	if tx.Engine() != store.SQLite {
		return tx.InsertRows(`INSERT INTO flow_identity (municipality, resident_code, version, info, updated_at) VALUES `, 5, args)
	}
	keyed := make([]any, 0, len(args)/5*6)
	for i := 0; i+5 <= len(args); i += 5 {
		k, err := identityRowKey(args[i+1].(string), args[i].(string))
		if err != nil {
			return err
		}
		keyed = append(append(keyed, k), args[i:i+5]...)
	}
	return tx.InsertRows(`INSERT INTO flow_identity (row_key, municipality, resident_code, version, info, updated_at) VALUES `, 6, keyed)
}
