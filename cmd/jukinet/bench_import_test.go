package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/jukinet/jukinet/store/storetest"
)

// bench import prints one JSON object per engine: engine, residents and a
// positive residents_per_s.
func TestBenchImport(t *testing.T) {
	engine, engines := "sqlite", []string{"sqlite"}
	if os.Getenv(storetest.EnvPostgres) != "" {
		engine, engines = "both", []string{"sqlite", "postgres"}
	}
	code, out, stderr := exec(t, "", "bench", "import", "--residents", "300", "--engine", engine, "--dir", t.TempDir(), "--json")
	if code != 0 {
		t.Fatalf("bench import: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(engines) {
		t.Fatalf("%d lines %q; want one per engine (%d)", len(lines), out, len(engines))
	}
	for i, l := range lines {
		var f map[string]any
		if err := json.Unmarshal([]byte(l), &f); err != nil {
			t.Fatalf("line %d %q: %v", i, l, err)
		}
		if len(f) != 3 || f["engine"] != engines[i] || f["residents"] != float64(300) {
			t.Errorf("line %d = %v; want engine %s, residents 300 and residents_per_s only", i, f, engines[i])
		}
		if r, _ := f["residents_per_s"].(float64); r <= 0 {
			t.Errorf("line %d residents_per_s = %v; want positive", i, f["residents_per_s"])
		}
	}
}
