// Package storetest opens fresh node databases for tests: always SQLite (a
// file in t.TempDir()), and PostgreSQL too when JUKINET_TEST_POSTGRES holds a
// connection string. Each PostgreSQL database lives in its own schema, dropped
// at the end, so tests run in parallel and leave nothing behind.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jukinet/jukinet/store"
)

// EnvPostgres names the variable that holds the PostgreSQL test DSN.
const EnvPostgres = "JUKINET_TEST_POSTGRES"

// Engines lists the engines available to tests.
func Engines() []store.Engine {
	if os.Getenv(EnvPostgres) != "" {
		return []store.Engine{store.SQLite, store.Postgres}
	}
	return []store.Engine{store.SQLite}
}

// Run runs f as a subtest per engine, each with a fresh database of node.
func Run(t *testing.T, node string, f func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, e := range Engines() {
		t.Run(string(e), func(t *testing.T) {
			f(t, Open(t, e, node))
		})
	}
}

// Options tune Open.
type Options struct {
	Now func() time.Time
}

// Open returns a fresh, migrated database on engine e, closed and removed
// when the test ends.
func Open(t testing.TB, e store.Engine, node string) *store.DB {
	t.Helper()
	return OpenWith(t, e, node, Options{})
}

// Config returns a config for a fresh database on engine e (the caller opens
// it), cleaned up when the test ends.
func Config(t testing.TB, e store.Engine, node string) store.Config {
	t.Helper()
	switch e {
	case store.SQLite:
		return store.Config{Path: filepath.Join(t.TempDir(), node+".db"), Node: node}
	case store.Postgres:
		base := os.Getenv(EnvPostgres)
		if base == "" {
			t.Skip(EnvPostgres + " is not set")
		}
		return store.Config{DSN: freshSchema(t, base), Node: node}
	}
	t.Fatalf("unknown engine %q", e)
	return store.Config{}
}

// OpenWith is Open with options.
func OpenWith(t testing.TB, e store.Engine, node string, o Options) *store.DB {
	t.Helper()
	cfg := Config(t, e, node)
	cfg.Now = o.Now
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open %s: %v", e, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func freshSchema(t testing.TB, base string) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		t.Fatalf("postgres: create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("postgres DSN: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
