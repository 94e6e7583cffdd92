package jukinet

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// eachSource parses every non-test Go file of the module and calls fn with
// its slash path and syntax tree.
func eachSource(t *testing.T, fn func(path string, fset *token.FileSet, f *ast.File)) {
	t.Helper()
	eachGoFile(t, false, fn)
}

// eachGoFile parses every Go file of the module — test files too when
// tests is set — skipping hidden, testdata and vendor directories, and calls
// fn with its slash path and syntax tree. The source checks of the root
// package all walk the tree this one way.
func eachGoFile(t *testing.T, tests bool, fn func(path string, fset *token.FileSet, f *ast.File)) {
	t.Helper()
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || (!tests && strings.HasSuffix(path, "_test.go")) {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		fn(filepath.ToSlash(path), fset, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// selName is the selected name of pkg.Name, or "" when e is not one.
func selName(e ast.Expr, pkg string) string {
	s, ok := e.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	if id, ok := s.X.(*ast.Ident); ok && id.Name == pkg {
		return s.Sel.Name
	}
	return ""
}

// isKind reports whether e names an error kind (KindX or jukinet.KindX).
func isKind(e ast.Expr) bool {
	if id, ok := e.(*ast.Ident); ok {
		return strings.HasPrefix(id.Name, "Kind")
	}
	return strings.HasPrefix(selName(e, "jukinet"), "Kind")
}

// TestOneKindStatusTable: every kind has an HTTP status in the one table
// (Kind.HTTPStatus), and no other code maps kinds to statuses, by a switch
// or a map, so the web pages, the JSON API and the agency API answer a
// refusal of one kind with one status.
func TestOneKindStatusTable(t *testing.T) {
	for k := range kindNames {
		if _, ok := httpStatus[Kind(k)]; !ok {
			t.Errorf("kind %s has no HTTP status in the table", Kind(k))
		}
	}
	if got := KindInvalid.HTTPStatus(); got != http.StatusBadRequest {
		t.Errorf("KindInvalid → %d, want 400", got)
	}
	if got := Kind(200).HTTPStatus(); got != http.StatusInternalServerError {
		t.Errorf("an unknown kind → %d, want 500", got)
	}
	eachSource(t, func(path string, fset *token.FileSet, f *ast.File) {
		if path == "errors.go" {
			return
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CaseClause:
				kinds := false
				for _, e := range n.List {
					kinds = kinds || isKind(e)
				}
				if kinds && mentionsStatus(n) {
					t.Errorf("%s: a switch maps error kinds to HTTP statuses; use Kind.HTTPStatus", fset.Position(n.Pos()))
				}
			case *ast.KeyValueExpr:
				if isKind(n.Key) && strings.HasPrefix(selName(n.Value, "http"), "Status") {
					t.Errorf("%s: a table maps error kinds to HTTP statuses; use Kind.HTTPStatus", fset.Position(n.Pos()))
				}
			}
			return true
		})
	})
}

func mentionsStatus(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if e, ok := n.(ast.Expr); ok && strings.HasPrefix(selName(e, "http"), "Status") {
			found = true
		}
		return !found
	})
	return found
}

// TestOneJST: Japan's time zone is defined once, as JST in date.go; no
// other code makes a zone of its own.
func TestOneJST(t *testing.T) {
	eachSource(t, func(path string, fset *token.FileSet, f *ast.File) {
		ast.Inspect(f, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if name := selName(c.Fun, "time"); (name == "FixedZone" || name == "LoadLocation") && path != "date.go" {
				t.Errorf("%s: time.%s; use jukinet.JST", fset.Position(c.Pos()), name)
			}
			return true
		})
	})
}
