package node_test

import (
	"strings"
	"testing"

	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/node"
)

// The demo scenario passes on the in-memory network, the resident-code pool
// feeding the registers.
func TestDemoScenario(t *testing.T) {
	c := node.NewTestCluster(t)
	lines := demo.RunScenario(t.Context(), c)
	if len(lines) != 11 {
		t.Fatalf("%d lines, want 11: %v", len(lines), lines)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "PASS ") {
			t.Errorf("%s", l)
		}
	}
}
