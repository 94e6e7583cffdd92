package jukinet_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// personalNames are the names of values that hold a 住民票コード or a
// 個人番号 in this code base.
var personalNames = map[string]bool{"code": true, "codes": true, "ResidentCode": true, "IndividualNumber": true,
	"residentCode": true, "number": true, "Number": true}

// messageFuncs are the calls whose arguments end up in an error message,
// a signed receipt's detail or a log line.
var messageFuncs = map[string]bool{"Errorf": true, "E": true, "Logf": true, "Printf": true, "Println": true, "Sprintf": false}

// Threat model: an error message or a log line never carries a 住民票コード
// or a 個人番号 (they travel into signed receipts, server logs and the
// screens of other operators). The scan reads every non-test Go file and
// refuses a call of Errorf, E, Logf, Printf or Println that is given a
// value named like one (code, ResidentCode, IndividualNumber, number).
// The web layer masks digit runs in paths as well (web.routeOf).
func TestNoPersonalCodeInMessages(t *testing.T) {
	fset := token.NewFileSet()
	var found []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			name := ""
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			case *ast.Ident:
				name = fn.Name
			}
			if !messageFuncs[name] {
				return true
			}
			for _, a := range call.Args {
				if personal(a) {
					found = append(found, fset.Position(a.Pos()).String())
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Errorf("%s: a 住民票コード or 個人番号 in a message or log line", f)
	}
}

// personal reports whether an argument is a value named like a code or a
// number (possibly converted: string(code)).
func personal(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.Ident:
		return personalNames[x.Name]
	case *ast.SelectorExpr:
		return personalNames[x.Sel.Name]
	case *ast.CallExpr:
		if len(x.Args) == 1 {
			if id, ok := x.Fun.(*ast.Ident); ok && id.Name == "string" {
				return personal(x.Args[0])
			}
		}
	}
	return false
}
