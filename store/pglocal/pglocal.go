// Package pglocal finds and prepares what a PostgreSQL cluster of the
// process's own needs on this machine: the installed server binaries and the
// user it runs as (PostgreSQL refuses to run as root). The benchmark's own
// server and the tests' Patroni cluster use it; their ports come from
// network/loopback.
package pglocal

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
)

// BinDir returns the newest installed PostgreSQL's binary directory
// (Debian: /usr/lib/postgresql/N/bin).
func BinDir() (string, error) {
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(found) == 0 {
		return "", errors.New("no PostgreSQL server binaries are installed (/usr/lib/postgresql/N/bin; Debian package postgresql)")
	}
	// The newest by major version, not by the glob's text order (9 > 15).
	best, bestV := "", -1
	for _, p := range found {
		v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(p))))
		if v > bestV {
			best, bestV = p, v
		}
	}
	return filepath.Dir(best), nil
}

// AsRoot tells whether the cluster must run as another user.
func AsRoot() bool { return os.Geteuid() == 0 }

// PostgresUser returns the postgres user's uid and gid, which a root
// process runs the cluster as.
func PostgresUser() (uid, gid int, err error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return 0, 0, fmt.Errorf("running PostgreSQL as root needs the postgres user: %w", err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid, nil
}
