package main

import (
	"os"
	"reflect"
	"sort"
	"testing"

	"github.com/jukinet/jukinet/store/storetest"
)

// bench scale at a tiny size prints {"sizes":[…]}: one entry per engine and
// size, each with exactly the documented keys, every figure positive.
func TestBenchScale(t *testing.T) {
	engine, engines := "sqlite", []string{"sqlite"}
	if os.Getenv(storetest.EnvPostgres) != "" {
		engine, engines = "both", []string{"sqlite", "postgres"}
	}
	r := benchJSON(t, "scale", "--quick", "--sizes", "300,600", "--engine", engine, "--dir", t.TempDir())
	if len(r) != 1 {
		t.Fatalf("keys %v; want only sizes", reflect.ValueOf(r).MapKeys())
	}
	sizes, _ := r["sizes"].([]any)
	if len(sizes) != 2*len(engines) {
		t.Fatalf("%d sizes; want %d", len(sizes), 2*len(engines))
	}
	want := []string{"batch_clients", "batch_cpu_us_per_record", "batch_lookup_records_per_s", "bytes_per_person", "engine", "load_per_s", "lookup_p50_ms", "lookup_p99_ms", "persons", "updates_applied_per_s"}
	for i, s := range sizes {
		m := s.(map[string]any)
		var keys []string
		for k, v := range m {
			keys = append(keys, k)
			if f, ok := v.(float64); k != "engine" && (!ok || f <= 0) {
				t.Errorf("sizes[%d].%s = %v; want a positive number", i, k, v)
			}
		}
		sort.Strings(keys)
		if !reflect.DeepEqual(keys, want) {
			t.Errorf("sizes[%d] keys %v; want %v", i, keys, want)
		}
		if m["engine"] != engines[i/2] || m["persons"] != float64([]int{300, 600}[i%2]) {
			t.Errorf("sizes[%d] = %s at %v; want %s at %d", i, m["engine"], m["persons"], engines[i/2], []int{300, 600}[i%2])
		}
	}
}
