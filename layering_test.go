package jukinet

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// demoImporters are the packages besides demo/ and cmd/ allowed to import
// demo/, each for a reason: none is part of a deployed node's code paths.
var demoImporters = map[string]string{
	"bench": "the load generator behind `jukinet bench`, which measures the demo network",
}

// TestProductionDoesNotImportDemo keeps the demo out of the product: no
// package outside demo/ and cmd/ (the wiring, as `jukinet demo` and `serve`
// need both) imports demo/ in its non-test files, so a deployed node runs
// no demo code path (synthetic operators, the 仮想リーダー, the demo
// cities) unless node.toml says demo = true. Tests may import it.
func TestProductionDoesNotImportDemo(t *testing.T) {
	const demoPkg = "github.com/jukinet/jukinet/demo"
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		if d.IsDir() {
			if p := filepath.ToSlash(path); p == "demo" || p == "cmd" || strings.HasPrefix(p, ".") && p != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if p != demoPkg && !strings.HasPrefix(p, demoPkg+"/") {
				continue
			}
			if _, ok := demoImporters[strings.SplitN(dir, "/", 2)[0]]; ok {
				continue
			}
			t.Errorf("%s imports %s: production packages must not depend on the demo (move the code to demo/ or cmd/)", path, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("checked %d files, want the 100 or more there are: is the walk broken?", checked)
	}
}

// The compliance report (package compliance) reads each owner's evidence
// through its Go API, so it sits above the owners and below the wiring:
// complianceBelow are the packages it may read from, which must never
// import it (access imports governance and oplog imports access, so the
// report could live in none of them); complianceAbove are the packages that
// show it, which compliance must not import.
var (
	complianceBelow = []string{".", "access", "biometric", "card", "governance", "network", "oplog", "pki", "register", "store"}
	complianceAbove = []string{"node", "web", "cmd", "demo", "bench", "ops"}
)

// TestComplianceSitsBetweenTheOwnersAndTheWiring checks both directions in
// the non-test files.
func TestComplianceSitsBetweenTheOwnersAndTheWiring(t *testing.T) {
	const mod = "github.com/jukinet/jukinet/"
	in := func(dir string, list []string) bool {
		top := strings.SplitN(dir, "/", 2)[0]
		for _, p := range list {
			if top == p || p == "." && dir == "." {
				return true
			}
		}
		return false
	}
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && path != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			rel, ok := strings.CutPrefix(p, mod)
			if !ok {
				continue
			}
			checked++
			if (rel == "compliance" || strings.HasPrefix(rel, "compliance/")) && in(dir, complianceBelow) {
				t.Errorf("%s imports %s: the owners the compliance report reads must not depend on it", path, p)
			}
			if dir == "compliance" && in(rel, complianceAbove) {
				t.Errorf("%s imports %s: the compliance report sits below the packages that show it", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("checked %d imports of the module, want the hundreds there are: is the walk broken?", checked)
	}
}
