package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/jukinet/jukinet/access"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/pki"
)

// dirList collects repeated directory flags.
type dirList []string

func (d *dirList) String() string     { return fmt.Sprint(*d) }
func (d *dirList) Set(v string) error { *d = append(*d, v); return nil }

// runDoctor implements `jukinet doctor` (G12.1, G12.2): it checks the
// permissions of the database file, the key directory and the archive
// directories, and the recorded OS password policy, prints every finding and
// exits 1 when there is any, and the planner statistics of the tables. It
// changes nothing (a missing SQLite file is reported, not created) unless
// --analyze asks it to refresh the statistics.
func runDoctor(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fset := newFlags("doctor", stderr)
	var db dbFlags
	var archives dirList
	db.register(fset, "352063")
	keys := fset.String("keys", "", "the node's key directory (PKI and biometric keys)")
	fset.Var(&archives, "archive", "an archive directory (repeatable)")
	analyze := fset.Bool("analyze", false, "refresh the planner statistics of every table first (the one change doctor makes)")
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	if (db.path == "") == (db.dsn == "") {
		return usageErr("give exactly one of --db PATH or --dsn URL")
	}
	findings := doctorFiles(db.path, *keys, archives)
	dbOK := db.dsn != ""
	if db.path != "" {
		if _, err := os.Stat(db.path); err == nil {
			dbOK = true
		}
	}
	if dbOK {
		findings = append(findings, doctorPasswordPolicy(ctx, &db)...)
		findings = append(findings, doctorStatistics(ctx, &db, *analyze)...)
		findings = append(findings, doctorBufferPool(ctx, &db)...)
	}
	for _, f := range findings {
		fmt.Fprintln(stdout, "finding:", f)
	}
	if len(findings) > 0 {
		return &exitError{code: 1, err: fmt.Errorf("doctor: %d finding(s)", len(findings))}
	}
	fmt.Fprintln(stdout, "doctor: no findings")
	return nil
}

// doctorFiles checks file modes: the database (and its WAL files) must be
// 0600, keys as pki.CheckPermissions says, archives closed to group and
// others (they hold personal data and the operation log).
func doctorFiles(dbPath, keys string, archives []string) []string {
	var out []string
	if dbPath != "" {
		for i, p := range []string{dbPath, dbPath + "-wal", dbPath + "-shm"} {
			info, err := os.Stat(p)
			if errors.Is(err, fs.ErrNotExist) {
				if i == 0 {
					out = append(out, p+": database file does not exist")
				}
				continue
			}
			if err != nil {
				out = append(out, p+": cannot inspect: "+err.Error())
				continue
			}
			if info.Mode().Perm()&0o077 != 0 {
				out = append(out, fmt.Sprintf("%s (%v): database file is accessible by group or others; chmod 600", p, info.Mode().Perm()))
			}
		}
	}
	if keys != "" {
		for _, f := range pki.CheckPermissions(keys) {
			out = append(out, f.String())
		}
	}
	for _, dir := range archives {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				out = append(out, path+": cannot inspect: "+err.Error())
				return nil
			}
			info, err := d.Info()
			if err != nil {
				out = append(out, path+": cannot inspect: "+err.Error())
				return nil
			}
			if info.Mode().Perm()&0o077 != 0 {
				kind := "archive file"
				if d.IsDir() {
					kind = "archive directory"
				}
				out = append(out, fmt.Sprintf("%s (%v): %s is accessible by group or others; chmod %s", path, info.Mode().Perm(), kind, map[bool]string{true: "700", false: "600"}[d.IsDir()]))
			}
			return nil
		})
		if err != nil {
			out = append(out, dir+": cannot inspect: "+err.Error())
		}
	}
	return out
}

func doctorPasswordPolicy(ctx context.Context, db *dbFlags) []string {
	d, err := db.open(ctx)
	if err != nil {
		return []string{"database: " + err.Error()}
	}
	defer d.Close()
	p, ok, err := access.GetPasswordPolicy(ctx, d)
	if err != nil {
		return []string{"OS password policy: " + err.Error()}
	}
	if !ok {
		return []string{"no OS password policy is recorded (G12.2): jukinet access password-policy set …"}
	}
	return p.Deviations()
}

// doctorStatistics reports tables whose planner statistics are missing or
// stale (the lookups of the national server are planned from them), after
// refreshing them if analyze.
func doctorStatistics(ctx context.Context, db *dbFlags, analyze bool) []string {
	d, err := db.open(ctx)
	if err != nil {
		return []string{"database: " + err.Error()}
	}
	defer d.Close()
	if analyze {
		if err := d.Analyze(ctx); err != nil {
			return []string{"planner statistics: " + err.Error()}
		}
	}
	out, err := d.StaleStatistics(ctx)
	if err != nil {
		return []string{"planner statistics: " + err.Error()}
	}
	return out
}

// doctorBufferPool reports a PostgreSQL server whose shared_buffers are
// smaller than the identity store's hot set (a prefecture or national
// server; a municipality's is empty): its lookups then copy nearly every
// page they read from the OS cache (docs/scale.md); and a large pool that
// may run without huge pages.
func doctorBufferPool(ctx context.Context, db *dbFlags) []string {
	d, err := db.open(ctx)
	if err != nil {
		return []string{"database: " + err.Error()}
	}
	defer d.Close()
	have, hot, err := node.IdentityHotSet(ctx, d)
	if err != nil {
		return []string{"buffer pool: " + err.Error()}
	}
	setting, status, err := d.HugePages(ctx)
	if err != nil {
		return []string{"buffer pool: " + err.Error()}
	}
	var findings []string
	if f := hugePagesFinding(have, setting, status); f != "" {
		findings = append(findings, f)
	}
	if have == 0 || have >= hot {
		return findings
	}
	return append(findings, fmt.Sprintf("PostgreSQL shared_buffers is %s, smaller than the identity store's hot set "+
		"(flow_identity and flow_identity_holders with their indexes, flow_identity_history's indexes: %s): "+
		"nearly every person looked up costs a copy of a page from the OS cache; set shared_buffers to at least %s "+
		"(postgresql.conf, then restart; docs/scale.md)", megabytes(have), megabytes(hot), megabytes(hot)))
}

// hugePagesPool is the shared_buffers from which a server needs huge
// pages: each backend maps the pool in 4 KiB pages otherwise, and faults
// in a page-table entry for every pool page it touches first — at 10 M
// persons on an 8 GB pool the server's CPU per looked-up person was 16×
// that with huge pages (docs/scale.md).
const hugePagesPool = 2 << 30

// hugePagesFinding reports a pool of hugePagesPool or more that may run in
// 4 KiB pages: the server says it does (status "off"), or cannot say
// (before PostgreSQL 17) and huge_pages is not "on", which would refuse to
// start without them.
func hugePagesFinding(sharedBuffers int64, setting, status string) string {
	if sharedBuffers < hugePagesPool || status == "on" || status == "" && setting == "on" {
		return ""
	}
	why := "the server runs it in 4 KiB pages (huge_pages_status = off)"
	if status == "" {
		why = "huge_pages is " + setting + " and the server does not say whether it got them"
	}
	return fmt.Sprintf("PostgreSQL shared_buffers is %s and %s: every backend faults in each pool page it touches; "+
		"reserve huge pages (vm.nr_hugepages) and set huge_pages = on (postgresql.conf, then restart; docs/scale.md)",
		megabytes(sharedBuffers), why)
}

// megabytes writes n bytes as postgresql.conf counts them (1 MB = 2^20
// bytes, 1 GB = 2^30), rounded up: in MB under 10 GB, else in GB.
func megabytes(n int64) string {
	if n >= 10<<30 {
		return fmt.Sprintf("%dGB", (n+1<<30-1)>>30)
	}
	return fmt.Sprintf("%dMB", (n+1<<20-1)>>20)
}
