package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jukinet/jukinet/network/loopback"
	"github.com/jukinet/jukinet/store/pglocal"
)

// ownServer is a private PostgreSQL cluster that bench scale starts with
// the settings docs/scale.md ("What a national deployment needs") gives a
// national server, in a directory of its own on a free loopback port, and
// removes when done: the figures of a server configured for the store, not
// of whatever server --dsn names.
type ownServer struct {
	dir      string // removed by stop
	port     int
	password string // the postgres user's, drawn for the run
	cmd      *exec.Cmd
	exited   chan struct{}
	settings []string // name=value, as given to postgres
}

// hotSetPerPerson is the identity store's hot set per person on PostgreSQL
// (node.IdentityHotSet at 1 M persons; docs/scale.md).
const hotSetPerPerson = 660

// ownPoolShare is the share of the machine's memory the own server's
// shared_buffers may take at most: the client, the OS cache of the rest of
// the store and the other processes keep the remainder.
const ownPoolShare = 3 // a third

// ownSharedBuffersMB sizes shared_buffers for a store of persons on a
// machine of memBytes: the hot set and a quarter more, in whole 128 MB,
// at least 128 MB and at most ownPoolShare of the memory (capped tells).
func ownSharedBuffersMB(persons int, memBytes int64) (mb int, capped bool) {
	want := int64(persons) * hotSetPerPerson * 5 / 4 >> 20
	want = max(128, (want+127)/128*128)
	limit := memBytes / ownPoolShare >> 20
	if want > limit {
		return int(max(128, limit)), true
	}
	return int(want), false
}

// ownServerSettings are the national deployment's settings (docs/scale.md)
// for a pool of sharedMB on a machine of memBytes.
func ownServerSettings(sharedMB int, memBytes int64) []string {
	return []string{
		"shared_buffers=" + strconv.Itoa(sharedMB) + "MB",
		// What the OS cache keeps besides the pool.
		"effective_cache_size=" + strconv.FormatInt(max(int64(sharedMB), memBytes>>20-int64(sharedMB))/2, 10) + "MB",
		"huge_pages=try", // on where the machine has them reserved
		"autovacuum=on",
		// A random update's first change of a page after a checkpoint
		// writes the whole page: lz4 spends 0.6–0.7× pglz's server CPU per
		// update at 10 M persons (docs/scale.md, run N).
		"wal_compression=lz4",
		"checkpoint_timeout=15min",
		"max_wal_size=8GB", // checkpoints by time, not by size
		"min_wal_size=1GB",
		"synchronous_commit=on",
	}
}

// memTotal returns the machine's memory (/proc/meminfo).
func memTotal() (int64, error) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no MemTotal in /proc/meminfo")
}

// startOwnServer creates a cluster under parent (a temporary directory when
// empty) and starts it with settings. PostgreSQL refuses to run as root, so
// a root process runs it as the postgres user. The server is stopped if
// this process dies (the parent-death signal), and by stop.
func startOwnServer(ctx context.Context, parent string, settings []string) (*ownServer, error) {
	bin, err := pglocal.BinDir()
	if err != nil {
		return nil, fmt.Errorf("--server own: %w", err)
	}
	dir, err := os.MkdirTemp(parent, "jukinet-pg-")
	if err != nil {
		return nil, err
	}
	s := &ownServer{dir: dir, settings: settings}
	cred, err := s.owner()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := s.initdb(ctx, bin, cred); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if s.port, err = loopback.FreePort(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	args := []string{"-D", data, "-p", strconv.Itoa(s.port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + dir}
	for _, kv := range settings {
		args = append(args, "-c", kv)
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logf.Close()
	s.cmd = exec.Command(filepath.Join(bin, "postgres"), args...)
	s.cmd.Dir, s.cmd.Stdout, s.cmd.Stderr = dir, logf, logf
	// Its own process group (an interrupt at the terminal reaches this
	// process, which stops the server in order), and a fast shutdown if
	// this process dies without stopping it.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGINT}
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.exited = make(chan struct{})
	go func() { s.cmd.Wait(); close(s.exited) }()
	if err := s.waitReady(ctx, 2*time.Minute); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// initdb creates the cluster. Its postgres user has a password drawn for
// the run and every connection must give it (scram-sha-256): the server
// listens on loopback of a machine others may share.
func (s *ownServer) initdb(ctx context.Context, bin string, cred *syscall.Credential) error {
	pw := make([]byte, 24)
	if _, err := rand.Read(pw); err != nil {
		return err
	}
	s.password = hex.EncodeToString(pw)
	pwfile := filepath.Join(s.dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(s.password+"\n"), 0o600); err != nil {
		return err
	}
	defer os.Remove(pwfile)
	if cred != nil {
		if err := os.Chown(pwfile, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
	}
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", filepath.Join(s.dir, "data"), "-U", "postgres",
		"--auth=scram-sha-256", "--pwfile="+pwfile, "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
	initdb.Dir, initdb.SysProcAttr = s.dir, &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb in %s (as the postgres user when root; every directory above it must let that user in): %w\n%s", s.dir, err, tail(out))
	}
	return nil
}

// owner returns the credential the cluster runs as (nil: this process's
// own) and gives it the directory.
func (s *ownServer) owner() (*syscall.Credential, error) {
	if !pglocal.AsRoot() {
		return nil, nil
	}
	uid, gid, err := pglocal.PostgresUser()
	if err != nil {
		return nil, fmt.Errorf("--server own: %w", err)
	}
	if err := os.Chown(s.dir, uid, gid); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// waitReady waits until the server accepts connections, then creates the
// database the benchmark uses and the pg_prewarm extension in it.
func (s *ownServer) waitReady(ctx context.Context, limit time.Duration) error {
	admin, err := sql.Open("pgx", s.dsn("postgres"))
	if err != nil {
		return err
	}
	defer admin.Close()
	for deadline := time.Now().Add(limit); ; {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = admin.PingContext(pctx)
		cancel()
		if err == nil {
			break
		}
		select {
		case <-s.exited:
			return fmt.Errorf("the own PostgreSQL server exited at start:\n%s", s.logTail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the own PostgreSQL server did not accept connections within %s: %w\n%s", limit, err, s.logTail())
		}
	}
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE bench`); err != nil {
		return err
	}
	db, err := sql.Open("pgx", s.DSN())
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `CREATE EXTENSION pg_prewarm`)
	return err
}

func (s *ownServer) dsn(database string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword("postgres", s.password), Host: "127.0.0.1:" + strconv.Itoa(s.port),
		Path: "/" + database, RawQuery: "sslmode=disable"}
	return u.String()
}

// DSN is the benchmark's database on the server.
func (s *ownServer) DSN() string { return s.dsn("bench") }

// stop shuts the server down (fast: open sessions are ended) and deletes
// the cluster.
func (s *ownServer) stop() error {
	var err error
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.exited:
		case <-time.After(time.Minute):
			// Immediate shutdown of the whole group: postmaster and backends.
			syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.exited
			err = errors.New("the own PostgreSQL server did not stop within a minute and was killed")
		}
	}
	return errors.Join(err, os.RemoveAll(s.dir))
}

func (s *ownServer) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
	return tail(b)
}

// tail is the last lines of a command's output, for an error message.
func tail(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
