package main

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/jukinet/jukinet/store/storetest"
)

// bench scale at a tiny size prints {"sizes":[…]}: one entry per engine and
// size, each with exactly the documented keys, every figure positive (on
// PostgreSQL also the HOT share, and the server's CPU when it runs here).
func TestBenchScale(t *testing.T) {
	engine, engines := "sqlite", []string{"sqlite"}
	if os.Getenv(storetest.EnvPostgres) != "" {
		engine, engines = "both", []string{"sqlite", "postgres"}
	}
	profiles := t.TempDir()
	r := benchJSON(t, "scale", "--quick", "--sizes", "300,600", "--engine", engine, "--dir", t.TempDir(), "--cpuprofile", profiles)
	// A CPU profile of each size's batch lookups and of each measured
	// round of updates.
	for _, e := range engines {
		for _, n := range []string{"300", "600"} {
			for _, phase := range []string{"batches", "updates1", "updates2", "updates3"} {
				if fi, err := os.Stat(filepath.Join(profiles, e+"-"+n+"-"+phase+".cpu")); err != nil || fi.Size() == 0 {
					t.Errorf("profile of %s %s %s: %v; want a file with the profile", e, n, phase, err)
				}
			}
		}
	}
	// With PostgreSQL the run says which server it measured and how that
	// server is configured.
	wantTop := 1
	if engine == "both" {
		wantTop = 4
		settings, _ := r["server_settings"].(map[string]any)
		if r["server"] != "dsn" || r["server_shared_buffers_mb"] == nil || r["server_shared_buffers_mb"].(float64) <= 0 || settings["shared_buffers"] == nil {
			t.Errorf("server %v, server_shared_buffers_mb %v, server_settings %v; want dsn, a positive size, the settings",
				r["server"], r["server_shared_buffers_mb"], settings)
		}
	}
	if len(r) != wantTop {
		t.Fatalf("keys %v; want %d (sizes, and the server's on PostgreSQL)", reflect.ValueOf(r).MapKeys(), wantTop)
	}
	sizes, _ := r["sizes"].([]any)
	if len(sizes) != 2*len(engines) {
		t.Fatalf("%d sizes; want %d", len(sizes), 2*len(engines))
	}
	want := []string{"batch_clients", "batch_cpu_us_per_record", "batch_lookup_records_per_s", "bytes_per_person", "engine", "load_per_s", "lookup_p50_ms", "lookup_p99_ms", "persons", "update_checkpoint_s", "update_cpu_us", "update_rounds_per_s", "updates_applied_per_s"}
	// Figures only PostgreSQL gives: the server's CPU (when the server runs
	// here), the HOT share and the WAL per update (its bytes, and its
	// full-page images: every round of updates starts from a checkpoint,
	// so the pages it changes are written whole).
	postgresOnly := map[string]bool{"batch_server_cpu_us_per_record": true, "update_server_cpu_us": true,
		"hot_update_share": true, "update_wal_bytes": true, "update_wal_fpi": true}
	for i, s := range sizes {
		m := s.(map[string]any)
		if m["engine"] == "postgres" {
			for _, k := range []string{"hot_update_share", "update_wal_bytes", "update_wal_fpi"} {
				if _, ok := m[k]; !ok {
					t.Errorf("sizes[%d] has no %s", i, k)
				}
			}
		}
		var keys []string
		for k, v := range m {
			if m["engine"] != "postgres" || !postgresOnly[k] {
				keys = append(keys, k)
			}
			if k == "update_rounds_per_s" {
				checkRounds(t, i, v, m["updates_applied_per_s"])
			} else if f, ok := v.(float64); k != "engine" && (!ok || f <= 0) {
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

// checkRounds checks sizes[i]'s update rounds: three positive rates whose
// middle one is the updates applied per second.
func checkRounds(t *testing.T, i int, rounds, applied any) {
	t.Helper()
	list, _ := rounds.([]any)
	var rates []float64
	for _, r := range list {
		if f, ok := r.(float64); ok && f > 0 {
			rates = append(rates, f)
		}
	}
	if len(list) != 3 || len(rates) != 3 {
		t.Errorf("sizes[%d].update_rounds_per_s = %v; want three positive rates", i, rounds)
		return
	}
	sort.Float64s(rates)
	if applied != rates[1] {
		t.Errorf("sizes[%d].updates_applied_per_s = %v; want the middle round's %v", i, applied, rates[1])
	}
}
