package jukinet

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// maxFuncLines is the longest a non-test function may be, counted from its
// func line to its closing brace: a reader should be able to hold one
// function at a time. Longer work becomes a type with methods or named steps.
const maxFuncLines = 100

// TestNoLongFunctions fails, naming the file, the function and its length,
// for every function or method in a non-test .go file longer than
// maxFuncLines.
func TestNoLongFunctions(t *testing.T) {
	long, err := longFunctions(".", maxFuncLines)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range long {
		t.Errorf("%s: %s is %d lines (limit %d): split it into named steps or a type with methods", l.file, l.name, l.lines, maxFuncLines)
	}
}

type longFunc struct {
	file, name string
	lines      int
}

// longFunctions walks root and reports the functions of non-test Go files
// longer than limit lines, longest first.
func longFunctions(root string, limit int) ([]longFunc, error) {
	fset := token.NewFileSet()
	var long []longFunc
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			if n > limit {
				long = append(long, longFunc{file: filepath.ToSlash(path), name: funcName(fn), lines: n})
			}
		}
		return nil
	})
	sort.Slice(long, func(i, j int) bool { return long[i].lines > long[j].lines })
	return long, err
}

// funcName names fn as a reader finds it: Recv.Method or Func.
func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	typ := fn.Recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	if idx, ok := typ.(*ast.IndexExpr); ok {
		typ = idx.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name + "." + fn.Name.Name
	}
	return fn.Name.Name
}
