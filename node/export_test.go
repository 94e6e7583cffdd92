package node

import (
	"context"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store/storetest"
)

// TestCluster exposes the in-memory test network to the external scenario test.
type TestCluster struct{ n *testNet }

// NewTestCluster builds the in-memory network on the first engine.
func NewTestCluster(t *testing.T, pool bool) *TestCluster {
	return &TestCluster{newTestNet(t, storetest.Engines()[0], func(c *MunicipalityConfig) { c.CodePool = pool })}
}

func (c *TestCluster) Municipality(id jukinet.LGCode) *Municipality { return c.n.muni[id] }
func (c *TestCluster) Prefecture(id jukinet.LGCode) *Prefecture     { return c.n.pref[id] }
func (c *TestCluster) National() *National                          { return c.n.national }
func (c *TestCluster) WaitIdle(ctx context.Context) error {
	c.n.run()
	c.n.noRejections()
	return nil
}
