package node

import (
	"os"
	"runtime/debug"
)

// GCPercent is the garbage collector's target a node process runs with
// unless GOGC is set: a node allocates briefly for every message, and its
// live heap is small (tens of MB), so collecting at 5× the live heap instead
// of 2× gives back ~10 % of the CPU of the network pipeline at the cost of a
// little memory (docs/performance.md, "Decisions kept").
const GCPercent = 400

// TuneGC sets the collector's target to GCPercent when the environment does
// not set GOGC; it returns the percentage in force. Processes that run nodes
// (jukinet serve, demo and bench) call it once at start.
func TuneGC() int {
	if os.Getenv("GOGC") != "" {
		old := debug.SetGCPercent(100)
		debug.SetGCPercent(old)
		return old
	}
	debug.SetGCPercent(GCPercent)
	return GCPercent
}
