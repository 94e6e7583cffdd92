package bench

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/pglocal"
)

// The own server's pool is the hot set of the largest size and a quarter
// more, in whole 128 MB, never below 128 MB nor above a third of the memory.
func TestOwnSharedBuffersMB(t *testing.T) {
	const gib = int64(1) << 30
	for _, c := range []struct {
		persons int
		mem     int64
		want    int
		capped  bool
	}{
		{1000, 24 * gib, 128, false},
		{1_000_000, 24 * gib, 896, false},       // 660 B × 1.25 = 787 MiB, rounded up
		{10_000_000, 24 * gib, 7936, false},     // 7,868 MiB, under a third of 24 GiB
		{10_000_000, 12 * gib, 4096, true},      // a third of 12 GiB
		{125_000_000, 256 * gib, 87381, true},   // a third of 256 GiB
		{1_000_000, 256 * (1 << 20), 128, true}, // a tiny machine: 128 MB at least
	} {
		got, capped := ownSharedBuffersMB(c.persons, c.mem)
		want := c.want
		if got != want || capped != c.capped {
			t.Errorf("ownSharedBuffersMB(%d, %d MiB) = %d, %v; want %d, %v", c.persons, c.mem>>20, got, capped, want, c.capped)
		}
	}
}

// ownServerOrSkip starts an own server with the national settings and a
// small pool, or skips when the machine has no PostgreSQL binaries.
func ownServerOrSkip(t *testing.T, ctx context.Context, parent string) *ownServer {
	t.Helper()
	if _, err := pglocal.BinDir(); err != nil {
		t.Skip(err)
	}
	srv, err := startOwnServer(ctx, parent, ownServerSettings(256, 4<<30))
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// The own server runs with the settings it was given, its own database
// with pg_prewarm, and stop ends its processes and deletes the cluster.
func TestOwnServerStartsWithSettingsAndStopRemovesIt(t *testing.T) {
	ctx := context.Background()
	parent := reachableDir(t)
	srv := ownServerOrSkip(t, ctx, parent)
	stopped := false
	defer func() {
		if !stopped {
			srv.stop()
		}
	}()
	db, err := sql.Open("pgx", srv.DSN())
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"shared_buffers": "256MB", "autovacuum": "on", "wal_compression": "lz4",
		"checkpoint_timeout": "15min", "max_wal_size": "8GB", "listen_addresses": "127.0.0.1"} {
		var got string
		if err := db.QueryRowContext(ctx, `SELECT current_setting($1)`, name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s = %q; want %q", name, got, want)
		}
	}
	var ext int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_extension WHERE extname = 'pg_prewarm'`).Scan(&ext); err != nil || ext != 1 {
		t.Errorf("pg_prewarm installed: %d, %v; want 1", ext, err)
	}
	db.Close()
	// Other users of the machine reach the port too: no password, no way in.
	for _, dsn := range []string{strings.Replace(srv.DSN(), ":"+srv.password+"@", "@", 1), strings.Replace(srv.DSN(), srv.password, "wrong", 1)} {
		if dsn == srv.DSN() {
			t.Fatalf("the DSN %q holds no password to take out", dsn)
		}
		other, _ := sql.Open("pgx", dsn)
		if err := other.PingContext(ctx); err == nil || !strings.Contains(err.Error(), "password") {
			t.Errorf("a connection without the run's password: %v; want a password authentication failure", err)
		}
		other.Close()
	}
	prewarmReadsTheHotSet(t, ctx, srv.DSN())
	pid := srv.cmd.Process.Pid
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	stopped = true
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("the server's postmaster %d still runs after stop", pid)
	}
	if left, _ := filepath.Glob(filepath.Join(parent, "jukinet-pg-*")); len(left) > 0 {
		t.Errorf("stop left %v", left)
	}
}

// A run interrupted while it loads (the context canceled, as an interrupt
// at the terminal does) stops and deletes its own server.
func TestScaleInterruptedStopsTheOwnServer(t *testing.T) {
	if _, err := pglocal.BinDir(); err != nil {
		t.Skip(err)
	}
	parent := reachableDir(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &cancelOn{word: "loading", cancel: cancel}
	_, _, err := Scale(ctx, ScaleOptions{Engines: []string{"postgres"}, Sizes: []int{20000}, Dir: parent, Quick: true,
		Server: "own", Progress: w})
	if err == nil {
		t.Fatal("Scale canceled while loading returned no error")
	}
	if !w.seen() {
		t.Fatalf("Scale never reported loading: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(parent, "jukinet-pg-*")); len(left) > 0 {
		t.Errorf("an interrupted run left its server's cluster %v", left)
	}
}

// reachableDir is a temporary directory the postgres user can enter (a
// root test runs the server as that user; t.TempDir's parent is private).
func reachableDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "jukinet-own-server-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// cancelOn cancels when a progress line holds word.
type cancelOn struct {
	mu     sync.Mutex
	word   string
	cancel func()
	hit    bool
}

func (c *cancelOn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if strings.Contains(string(p), c.word) {
		c.hit = true
		c.cancel()
	}
	return len(p), nil
}

func (c *cancelOn) seen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hit
}

// prewarmReadsTheHotSet loads a national store on the server of dsn and
// checks node.PrewarmIdentityHotSet reads at least the pages of its hot set.
func prewarmReadsTheHotSet(t *testing.T, ctx context.Context, dsn string) {
	db, err := store.Open(ctx, store.Config{DSN: dsn, Node: network.NationalID})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	gen, err := newScalePeople(3000)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	actx := jukinet.WithActor(ctx, jukinet.SystemActor("bench"))
	if _, err := node.LoadIdentities(actx, db, func() (jukinet.IdentityInfo, bool) {
		if i == gen.n {
			return jukinet.IdentityInfo{}, false
		}
		i++
		return gen.person(i-1, 1), true
	}); err != nil {
		t.Fatal(err)
	}
	_, hot, err := node.IdentityHotSet(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	pages, err := node.PrewarmIdentityHotSet(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	// The hot set counts TOAST too, which is not read: at most its share.
	if pages*8192 < hot*9/10 || pages*8192 > hot {
		t.Errorf("prewarm read %d pages (%d B); want the hot set, %d B", pages, pages*8192, hot)
	}
}
