package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/jukinet/jukinet/store/storetest"
)

// bench import prints one JSON object per engine: engine, residents, a
// positive residents_per_s and CPU seconds per 1,000 residents (on
// PostgreSQL including the server's, which runs on the test machine).
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
		if f["engine"] != engines[i] || f["residents"] != float64(300) {
			t.Errorf("line %d = %v; want engine %s and residents 300", i, f, engines[i])
		}
		for _, k := range []string{"residents_per_s", "cpu_s_per_1000"} {
			if r, _ := f[k].(float64); r <= 0 {
				t.Errorf("line %d %s = %v; want positive", i, k, f[k])
			}
		}
		server, hasServer := f["server_cpu_s_per_1000"].(float64)
		if engines[i] == "sqlite" && hasServer || hasServer && server > f["cpu_s_per_1000"].(float64) {
			t.Errorf("line %d server CPU %v of a total %v; want none on SQLite, a part of the total on PostgreSQL", i, f["server_cpu_s_per_1000"], f["cpu_s_per_1000"])
		}
	}
}
