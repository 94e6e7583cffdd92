package storetest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jukinet/jukinet/network/loopback"
	"github.com/jukinet/jukinet/store/pglocal"
)

// PatroniEnv turns the replicated-PostgreSQL tests on: when it is set, the
// test starts its own etcd and a two-member Patroni cluster (Debian packages
// etcd-server and patroni) on loopback ports, in a directory of its own, and
// fails if it cannot.
const PatroniEnv = "JUKINET_TEST_PATRONI"

// Patroni is a running etcd + two-member Patroni cluster with synchronous
// replication (a commit is on the standby before it is acknowledged, so a
// failover loses nothing that was acknowledged).
type Patroni struct {
	t       testing.TB
	dir     string
	members [2]patroniMember
	etcd    *exec.Cmd
}

type patroniMember struct {
	name     string
	pgPort   int
	restPort int
	dataDir  string
	cmd      *exec.Cmd
	killed   bool
}

// StartPatroni starts the cluster or skips the test when PatroniEnv is not
// set. It is stopped and removed when the test ends.
func StartPatroni(t testing.TB) *Patroni {
	t.Helper()
	if os.Getenv(PatroniEnv) == "" {
		t.Skip(PatroniEnv + " is not set: the replicated-PostgreSQL test needs etcd and Patroni")
	}
	bin := postgresBin(t)
	for _, c := range []string{"etcd", "patroni"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Fatalf("%s is set but %s is not installed (Debian packages etcd-server, patroni): %v", PatroniEnv, c, err)
		}
	}
	dir, err := os.MkdirTemp("", "jukinet-patroni-")
	if err != nil {
		t.Fatal(err)
	}
	p := &Patroni{t: t, dir: dir}
	t.Cleanup(p.stop)
	etcdClient, etcdPeer := freePort(t), freePort(t)
	for i := range p.members {
		p.members[i] = patroniMember{name: fmt.Sprintf("pg%d", i+1), pgPort: freePort(t), restPort: freePort(t),
			dataDir: filepath.Join(dir, fmt.Sprintf("data%d", i+1))}
		p.writeConfig(i, bin, etcdClient)
	}
	p.chownToPostgres()
	p.etcd = p.start("etcd.log", "etcd", "--name", "e1", "--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdClient),
		"--advertise-client-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdClient),
		"--listen-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdPeer),
		"--initial-advertise-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", etcdPeer),
		"--initial-cluster", fmt.Sprintf("e1=http://127.0.0.1:%d", etcdPeer))
	p.waitHTTP(fmt.Sprintf("http://127.0.0.1:%d/health", etcdClient), 30*time.Second)
	p.members[0].cmd = p.start("pg1.log", "patroni", filepath.Join(dir, "pg1.yml"))
	p.waitHTTP(fmt.Sprintf("http://127.0.0.1:%d/primary", p.members[0].restPort), 90*time.Second)
	p.members[1].cmd = p.start("pg2.log", "patroni", filepath.Join(dir, "pg2.yml"))
	p.waitHTTP(fmt.Sprintf("http://127.0.0.1:%d/replica", p.members[1].restPort), 120*time.Second)
	p.createDatabase()
	return p
}

func postgresBin(t testing.TB) string {
	bin, err := pglocal.BinDir()
	if err != nil {
		t.Fatalf("%s is set: %v", PatroniEnv, err)
	}
	return bin
}

func freePort(t testing.TB) int {
	port, err := loopback.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// writeConfig writes member i's patroni.yml: trust on loopback (like the
// machine's own PostgreSQL in the tests), synchronous mode, a short TTL so a
// failover takes seconds.
func (p *Patroni) writeConfig(i int, bin string, etcdPort int) {
	m := p.members[i]
	cfg := fmt.Sprintf(`scope: jukinet-test
name: %s
restapi:
  listen: 127.0.0.1:%d
  connect_address: 127.0.0.1:%d
etcd3:
  hosts: 127.0.0.1:%d
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    synchronous_mode: true
    maximum_lag_on_failover: 1048576
    postgresql:
      use_pg_rewind: false
      parameters:
        wal_level: replica
        hot_standby: "on"
        max_wal_senders: 5
        max_replication_slots: 5
        max_connections: 100
  initdb:
  - encoding: UTF8
  - locale: C.UTF-8
  pg_hba:
  - host replication replicator 127.0.0.1/32 trust
  - host all all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:%d
  connect_address: 127.0.0.1:%d
  data_dir: %s
  bin_dir: %s
  pgpass: %s
  authentication:
    replication:
      username: replicator
      password: replicator
    superuser:
      username: postgres
      password: postgres
  parameters:
    unix_socket_directories: %s
`, m.name, m.restPort, m.restPort, etcdPort, m.pgPort, m.pgPort, m.dataDir, bin,
		filepath.Join(p.dir, m.name+".pgpass"), p.dir)
	if err := os.WriteFile(filepath.Join(p.dir, m.name+".yml"), []byte(cfg), 0o600); err != nil {
		p.t.Fatal(err)
	}
}

func (p *Patroni) chownToPostgres() {
	if !pglocal.AsRoot() {
		return
	}
	uid, gid, err := pglocal.PostgresUser()
	if err != nil {
		p.t.Fatal(err)
	}
	err = filepath.Walk(p.dir, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(path, uid, gid)
	})
	if err != nil {
		p.t.Fatal(err)
	}
}

// start runs a command of the cluster in its own process group, its output
// in the cluster directory.
func (p *Patroni) start(logName, name string, args ...string) *exec.Cmd {
	if pglocal.AsRoot() {
		args = append([]string{"-u", "postgres", "--", name}, args...)
		name = "runuser"
	}
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := os.Create(filepath.Join(p.dir, logName))
	if err != nil {
		p.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	go func() { cmd.Wait(); out.Close() }()
	return cmd
}

func (p *Patroni) waitHTTP(url string, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	p.t.Fatalf("%s did not answer 200 within %s; logs in %s:\n%s", url, limit, p.dir, p.logs())
}

func (p *Patroni) logs() string {
	var b strings.Builder
	for _, f := range []string{"etcd.log", "pg1.log", "pg2.log"} {
		data, _ := os.ReadFile(filepath.Join(p.dir, f))
		if len(data) > 2000 {
			data = data[len(data)-2000:]
		}
		fmt.Fprintf(&b, "--- %s\n%s\n", f, data)
	}
	return b.String()
}

// createDatabase creates the node's database "jukinet" on the primary.
func (p *Patroni) createDatabase() {
	db, err := sql.Open("pgx", p.dsn("postgres", "read-write"))
	if err != nil {
		p.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE DATABASE jukinet`); err != nil {
		p.t.Fatal(err)
	}
}

func (p *Patroni) dsn(database, attrs string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d,127.0.0.1:%d/%s?sslmode=disable&target_session_attrs=%s&connect_timeout=2",
		p.members[0].pgPort, p.members[1].pgPort, database, attrs)
}

// DSN reaches whichever member is the primary (target_session_attrs=read-write).
func (p *Patroni) DSN() string { return p.dsn("jukinet", "read-write") }

// ReadDSN prefers a standby and falls back to the primary.
func (p *Patroni) ReadDSN() string { return p.dsn("jukinet", "prefer-standby") }

// Primary is the index of the member Patroni reports as the leader, or -1.
func (p *Patroni) Primary() int {
	for i, m := range p.members {
		if m.killed {
			continue
		}
		res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/patroni", m.restPort))
		if err != nil {
			continue
		}
		var st struct {
			Role string `json:"role"`
		}
		err = json.NewDecoder(res.Body).Decode(&st)
		res.Body.Close()
		if err == nil && (st.Role == "master" || st.Role == "primary") {
			return i
		}
	}
	return -1
}

// KillPrimary kills the primary's Patroni and PostgreSQL with SIGKILL, as a
// machine that loses power would, and returns its index.
func (p *Patroni) KillPrimary() int {
	i := p.Primary()
	if i < 0 {
		p.t.Fatal("no primary to kill")
	}
	m := &p.members[i]
	pid := postmasterPID(m.dataDir)
	syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
	if pid > 0 {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	m.killed = true
	return i
}

// WaitPrimary waits until a member other than the killed one leads.
func (p *Patroni) WaitPrimary(ctx context.Context, limit time.Duration) int {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if i := p.Primary(); i >= 0 {
			return i
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.t.Fatalf("no new primary within %s:\n%s", limit, p.logs())
	return -1
}

func postmasterPID(dataDir string) int {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	return pid
}

func (p *Patroni) stop() {
	for _, m := range p.members {
		if m.cmd != nil && m.cmd.Process != nil {
			pid := postmasterPID(m.dataDir)
			syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
			if pid > 0 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	if p.etcd != nil && p.etcd.Process != nil {
		syscall.Kill(-p.etcd.Process.Pid, syscall.SIGKILL)
	}
	time.Sleep(200 * time.Millisecond)
	os.RemoveAll(p.dir)
}
