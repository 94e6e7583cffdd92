package bench

import (
	"os"
	"testing"

	"github.com/jukinet/jukinet/node"
)

// The benchmarks run with the collector target of a node process (jukinet
// serve, demo and bench call node.TuneGC), so they measure the same thing.
func TestMain(m *testing.M) {
	node.TuneGC()
	os.Exit(m.Run())
}
