package bench

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/jukinet/jukinet/node"
)

// The benchmarks run with the collector target of a node process (jukinet
// serve, demo and bench call node.TuneGC), so they measure the same thing.
// A test that runs Country starts this test binary again as its shard
// processes (CountryShardEnv set): they run the shard, not the tests.
func TestMain(m *testing.M) {
	node.TuneGC()
	if spec := os.Getenv(CountryShardEnv); spec != "" {
		if err := CountryShard(context.Background(), spec, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "country shard:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
