package jukinet

import (
	"go/ast"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// tableOwners is the one map of which package owns which table: the owner
// holds all SQL that touches the table, and every other package calls the
// owner's Go API (docs/design.md §2 and §8). A table is matched
// by its exact name, else by the longest prefix ending in "_".
var tableOwners = map[string]string{
	"access_":                  "access",     // operators, sessions, terminals, console tokens (G13)
	"flow_":                    "node",       // the inter-node flows' state
	"reconcile_runs":           "node",       // CS 整合性確認 runs (counts only)
	"identity_info":            "node",       // national's 本人確認情報 (住基法30条の7)
	"identity_info_history":    "node",       //
	"gov_":                     "governance", // the security organization's records (G6–G20)
	"households":               "register",
	"residents":                "register",
	"person_versions":          "register",
	"identity_history":         "register",
	"identity_versions":        "register",
	"number_requests":          "register",
	"support_measures":         "register",
	"inbox":                    "network",
	"inbox_versions":           "network",
	"inbox_versions_clustered": "network", // renamed to inbox_versions by its migration
	"outbox":                   "network",
	"outbox_receipts":          "network",
	"network_refusals":         "network",
	"oplog":                    "oplog",
	"oplog_":                   "oplog",
	"witness_state":            "oplog",
	"node_meta":                "store",
	"schema_migrations":        "store",
}

// tableSharers are the packages besides the owner that may name a table in
// SQL, each with the reason: the one transaction of store.Update writes the
// outbox and appends the operation log, so store writes those rows; oplog
// reads them.
var tableSharers = map[string]map[string]string{
	"oplog": {"store": "Update appends the records in the business transaction; Open reads the first record's node",
		"store/storetest": "test support, imported only by tests: reads every record to check what a test logged"},
	"oplog_head": {"store": "Update advances the head in the business transaction"},
	"outbox":     {"store": "Update writes the queued messages in the business transaction (transactional outbox)"},
}

// tableSQLPending lists the non-owner SQL not yet moved to its owner's API:
// package → tables. An entry that is no longer needed fails the test, so the
// list only shrinks; it is empty now, and stays for the test of that rule.
var tableSQLPending = map[string][]string{}

// ownerOf is the package that owns table, or "".
func ownerOf(table string) string {
	if o, ok := tableOwners[table]; ok {
		return o
	}
	best, owner := "", ""
	for k, o := range tableOwners {
		if strings.HasSuffix(k, "_") && strings.HasPrefix(table, k) && len(k) > len(best) {
			best, owner = k, o
		}
	}
	return owner
}

var (
	createTable = regexp.MustCompile(`(?i)CREATE\s+(?:VIRTUAL\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([a-z_0-9]+)`)
	// sqlStart is a literal that is SQL text, or a piece of it.
	sqlWord = regexp.MustCompile(`\b(SELECT|INSERT|UPDATE|DELETE|FROM|JOIN|CREATE|ALTER|DROP)\b`)
	// tableRef is a table in a position SQL names tables in.
	tableRef = regexp.MustCompile(`\b(?:FROM|JOIN|INTO|UPDATE|TABLE|EXISTS|ON)\s+([a-z_][a-z_0-9]*)`)
	sqlStart = regexp.MustCompile(`^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|CREATE)\s`)
)

// migrationTables reads the tables the migrations create.
func migrationTables(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("store/migrations/*/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations found (%v)", err)
	}
	tables := map[string]bool{"schema_migrations": true} // created by store.Open itself
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range createTable.FindAllStringSubmatch(string(b), -1) {
			tables[strings.ToLower(m[1])] = true
		}
	}
	return tables
}

// sqlTables maps each non-test package directory to the tables its string
// literals name in SQL, and lists the SQL literals of web/ and cmd/.
func sqlTables(t *testing.T, tables map[string]bool) (map[string]map[string]string, []string) {
	t.Helper()
	uses := map[string]map[string]string{}
	var thin []string
	eachSource(t, func(path string, fset *token.FileSet, f *ast.File) {
		pkg := filepath.ToSlash(filepath.Dir(path))
		top := strings.SplitN(pkg, "/", 2)[0]
		ast.Inspect(f, func(n ast.Node) bool {
			l, ok := n.(*ast.BasicLit)
			if !ok || l.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(l.Value)
			if err != nil || !sqlWord.MatchString(s) {
				return true
			}
			if (top == "web" || top == "cmd") && sqlStart.MatchString(s) {
				thin = append(thin, fset.Position(l.Pos()).String())
			}
			for _, m := range tableRef.FindAllStringSubmatch(s, -1) {
				if !tables[m[1]] {
					continue
				}
				if uses[pkg] == nil {
					uses[pkg] = map[string]string{}
				}
				if _, ok := uses[pkg][m[1]]; !ok {
					uses[pkg][m[1]] = fset.Position(l.Pos()).String()
				}
			}
			return true
		})
	})
	return uses, thin
}

// TestOneOwnerPerTable: every table the migrations create has an owner in
// tableOwners, and no package's non-test code names another package's
// table in SQL (web/ and cmd/ hold no SQL at all): a table's rules live in
// one place. Tests may use SQL on any table to build and inspect fixtures.
func TestOneOwnerPerTable(t *testing.T) {
	tables := migrationTables(t)
	for table := range tables {
		if ownerOf(table) == "" {
			t.Errorf("table %s has no owner: add it to tableOwners", table)
		}
	}
	uses, thin := sqlTables(t, tables)
	for _, at := range thin {
		t.Errorf("%s: SQL in web/ or cmd/: call the owning package's Go API", at)
	}
	if len(uses) < 5 {
		t.Fatalf("found SQL in %d packages, want the many there are: is the scan broken?", len(uses))
	}
	pending := map[string]bool{}
	for pkg, ts := range tableSQLPending {
		for _, table := range ts {
			pending[pkg+" "+table] = true
		}
	}
	var pkgs []string
	for pkg := range uses {
		pkgs = append(pkgs, pkg)
	}
	sort.Strings(pkgs)
	for _, pkg := range pkgs {
		for table, at := range uses[pkg] {
			owner := ownerOf(table)
			if owner == pkg || tableSharers[table][pkg] != "" {
				continue
			}
			if pending[pkg+" "+table] {
				delete(pending, pkg+" "+table)
				continue
			}
			t.Errorf("%s: package %s names table %s in SQL, which %s owns: call %s's Go API", at, pkg, table, owner, owner)
		}
	}
	for k := range pending {
		t.Errorf("tableSQLPending lists %q, which no longer names the table: remove the entry", k)
	}
}
