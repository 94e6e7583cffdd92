package node_test

import (
	"strings"
	"testing"

	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/node"
)

// The demo scenario passes on the in-memory network, with and without the
// resident-code pool feeding the registers.
func TestDemoScenario(t *testing.T) {
	for _, pool := range []bool{false, true} {
		c := node.NewTestCluster(t, pool)
		lines := demo.RunScenario(t.Context(), c)
		if len(lines) != 10 {
			t.Fatalf("pool %v: %d lines, want 10: %v", pool, len(lines), lines)
		}
		for _, l := range lines {
			if !strings.HasPrefix(l, "PASS ") {
				t.Errorf("pool %v: %s", pool, l)
			}
		}
	}
}
