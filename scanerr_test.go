package jukinet

import (
	"go/ast"
	"go/token"
	"testing"
)

// TestNoIgnoredScanError: no Go file, test or not, drops the error of a
// Scan (as a statement, or assigned to _): a test that counts rows after a
// failed Scan reads a zero and may pass for the wrong reason.
func TestNoIgnoredScanError(t *testing.T) {
	isScan := func(e ast.Expr) bool {
		c, ok := e.(*ast.CallExpr)
		if !ok {
			return false
		}
		s, ok := c.Fun.(*ast.SelectorExpr)
		return ok && s.Sel.Name == "Scan"
	}
	eachGoFile(t, true, func(_ string, fset *token.FileSet, f *ast.File) {
		ast.Inspect(f, func(n ast.Node) bool {
			switch s := n.(type) {
			case *ast.ExprStmt:
				if isScan(s.X) {
					t.Errorf("%s: the error of Scan is dropped", fset.Position(s.Pos()))
				}
			case *ast.AssignStmt:
				if len(s.Rhs) == 1 && isScan(s.Rhs[0]) && len(s.Lhs) == 1 {
					if id, ok := s.Lhs[0].(*ast.Ident); ok && id.Name == "_" {
						t.Errorf("%s: the error of Scan is assigned to _", fset.Position(s.Pos()))
					}
				}
			}
			return true
		})
	})
}
