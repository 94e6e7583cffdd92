package node

import (
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	t.Setenv("GOGC", "")
	if got := TuneGC(); got != GCPercent || debug.SetGCPercent(100) != GCPercent {
		t.Errorf("without GOGC: TuneGC = %d; want the collector at %d", got, GCPercent)
	}
	t.Setenv("GOGC", "150")
	debug.SetGCPercent(150) // as the runtime read it at start
	if got := TuneGC(); got != 150 || debug.SetGCPercent(100) != 150 {
		t.Errorf("with GOGC=150: TuneGC = %d; want the environment's 150 kept", got)
	}
}
