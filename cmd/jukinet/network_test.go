package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDemoConverges(t *testing.T) {
	code, out, stderr := exec(t, "", "demo", "--data", t.TempDir(), "--residents", "50", "--exit")
	if code != 0 || !strings.Contains(out, "national server holds the identity information of 150 persons") {
		t.Fatalf("demo --residents 50 --exit: exit %d, out %q, err %q; want 150 persons at national", code, out, stderr)
	}
}

func TestBenchNetworkQuickJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the network")
	}
	code, out, stderr := exec(t, "", "bench", "network", "--quick", "--json")
	if code != 0 {
		t.Fatalf("bench network --quick --json: exit %d, err %q", code, stderr)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("output %q is not JSON: %v", out, err)
	}
	for _, k := range []string{"e2e_updates_per_s", "e2e_p99_ms", "baseline_writes_per_s", "ratio_to_baseline", "baseline_one_hop_writes_per_s", "batch_lookup_records_per_s"} {
		if v, ok := r[k].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v, want > 0 (output %q)", k, r[k], out)
		}
	}
}
