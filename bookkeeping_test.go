package jukinet

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The rule TestBookkeepingPurposeTables checks, statically: a function (with
// the function literals inside it) that calls Bookkeeping(store.P) may name
// in SQL only tables of P's list in store/ways.go (bookkeepingPurposes; a
// name ending in "*" is a prefix). The SQL of a function is its string
// literals and the package-level string constants and variables it names;
// a function with several purposes may name the tables of any of them, so
// it is kept small (or split) to stay checkable. SQL run in Update or View
// inside such a function is held to the same list: keep those in functions
// of their own. A handle passed on is followed by package: when a function
// passes a Bookkeeping handle (or a handle or method value taken from it)
// as an argument, every function of its package that takes a database
// handle — a parameter of type *sql.DB, *sql.Conn, *sql.Tx, store.Reader or of a type the
// package declares over database/sql (an interface, a function type), or a
// receiver whose struct holds one — is held to the tables of all purposes
// the package passes on. Tests may inspect any table.

// bookkeepingPending are the packages whose handles passed on still reach
// tables outside their purpose, each with the reason; an entry no longer
// needed fails the test, so the list only shrinks.
var bookkeepingPending = map[string]string{}

// purposeTables reads bookkeepingPurposes from store/ways.go: purpose
// variable name → table names and prefixes, and the purposes that may
// only count.
func purposeTables(t *testing.T) (map[string][]string, map[string]bool) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "store/ways.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out, counts := map[string][]string{}, map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "bookkeepingPurposes" || len(vs.Values) != 1 {
			return true
		}
		lit, ok := vs.Values[0].(*ast.CompositeLit)
		if !ok {
			t.Fatal("store/ways.go: bookkeepingPurposes is not a map literal")
		}
		for _, e := range lit.Elts {
			kv := e.(*ast.KeyValueExpr)
			key := kv.Key.(*ast.Ident).Name
			out[key] = []string{}
			for _, fe := range kv.Value.(*ast.CompositeLit).Elts {
				fkv, ok := fe.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				if fkv.Key.(*ast.Ident).Name == "countsOnly" {
					counts[key] = fkv.Value.(*ast.Ident).Name == "true"
				}
				if fkv.Key.(*ast.Ident).Name != "tables" {
					continue
				}
				for _, te := range fkv.Value.(*ast.CompositeLit).Elts {
					s, err := strconv.Unquote(te.(*ast.BasicLit).Value)
					if err != nil {
						t.Fatal(err)
					}
					out[key] = append(out[key], s)
				}
			}
		}
		return false
	})
	if len(out) == 0 {
		t.Fatal("store/ways.go: no bookkeepingPurposes found")
	}
	return out, counts
}

// selectKeyword finds each SELECT of a piece of SQL.
var selectKeyword = regexp.MustCompile(`(?i)\bSELECT\s+`)

// onlyCounts reports whether every SELECT of q selects only COUNT(*) or
// parenthesised subqueries (themselves SELECTs of q, checked in turn).
func onlyCounts(q string) bool {
	for _, loc := range selectKeyword.FindAllStringIndex(q, -1) {
		depth, start := 0, loc[1]
		var items []string
	scan:
		for i := start; i < len(q); i++ {
			switch {
			case q[i] == '(':
				depth++
			case q[i] == ')':
				if depth == 0 {
					items = append(items, q[start:i])
					break scan
				}
				depth--
			case q[i] == ',' && depth == 0:
				items = append(items, q[start:i])
				start = i + 1
			case depth == 0 && (i == len(q)-1 || len(q) >= i+5 && strings.EqualFold(q[i:i+5], " FROM")):
				items = append(items, q[start:min(i+1, len(q))])
				break scan
			}
		}
		for _, it := range items {
			it = strings.TrimSpace(it)
			if !strings.EqualFold(it, "COUNT(*)") && !strings.HasPrefix(it, "(") {
				return false
			}
		}
	}
	return true
}

// tableAllowed reports whether table matches one of patterns.
func tableAllowed(table string, patterns []string) bool {
	for _, p := range patterns {
		if p == table || strings.HasSuffix(p, "*") && strings.HasPrefix(table, strings.TrimSuffix(p, "*")) {
			return true
		}
	}
	return false
}

// packageStrings maps each package directory to its package-level string
// constants and variables whose value is a literal or a sum of literals.
func packageStrings(t *testing.T) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	eachSource(t, func(path string, _ *token.FileSet, f *ast.File) {
		dir := filepath.Dir(path)
		if out[dir] == nil {
			out[dir] = map[string]string{}
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, s := range gd.Specs {
				vs, ok := s.(*ast.ValueSpec)
				if !ok {
					continue
				}
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if v, ok := literalSum(vs.Values[i]); ok {
							out[dir][name.Name] = v
						}
					}
				}
			}
		}
	})
	return out
}

// literalSum is the value of a string literal or a + of literals.
func literalSum(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		a, ok1 := literalSum(e.X)
		b, ok2 := literalSum(e.Y)
		return a + b, ok1 && ok2
	case *ast.ParenExpr:
		return literalSum(e.X)
	}
	return "", false
}

// bookkeepingPurpose is P of a call Bookkeeping(store.P) (Bookkeeping(P)
// inside package store), "?" for a call whose purpose is not named so, or
// "" when n is no Bookkeeping call.
func bookkeepingPurpose(n ast.Node, inStore bool) string {
	c, ok := n.(*ast.CallExpr)
	if !ok {
		return ""
	}
	s, ok := c.Fun.(*ast.SelectorExpr)
	if !ok || s.Sel.Name != "Bookkeeping" || len(c.Args) != 1 {
		return ""
	}
	if p := selName(c.Args[0], "store"); p != "" {
		return p
	}
	if id, ok := c.Args[0].(*ast.Ident); ok && inStore {
		return id.Name
	}
	return "?"
}

// funcSQLTables is the tables named in SQL by fn's literals and the
// package strings it names, each with where.
func funcSQLTables(fset *token.FileSet, fn *ast.FuncDecl, strs map[string]string, tables map[string]bool) (named map[string]string, notCounts []string) {
	named = map[string]string{}
	add := func(s string, pos token.Pos) {
		if !sqlWord.MatchString(s) {
			return
		}
		if !onlyCounts(s) {
			notCounts = append(notCounts, fset.Position(pos).String())
		}
		for _, m := range tableRef.FindAllStringSubmatch(s, -1) {
			if _, seen := named[m[1]]; tables[m[1]] && !seen {
				named[m[1]] = fset.Position(pos).String()
			}
		}
	}
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr: // a field or method is no package string
			if _, ok := n.X.(*ast.Ident); ok {
				return false
			}
		case *ast.BasicLit:
			if v, ok := literalSum(n); ok {
				add(v, n.Pos())
			}
		case *ast.Ident:
			// Declared at package level: in another file (no object) or outside fn.
			if v, ok := strs[n.Name]; ok && (n.Obj == nil || n.Obj.Pos() < fn.Pos() || n.Obj.Pos() > fn.End()) {
				add(v, n.Pos())
			}
		}
		return true
	})
	return named, notCounts
}

// TestBookkeepingPurposeTables: every Bookkeeping call names a declared
// purpose, every purpose declares its tables, and the SQL beside a
// Bookkeeping(store.P) call names only P's tables (the rule above), so a
// purpose is a boundary and not only a label (docs/design.md §8).
func TestBookkeepingPurposeTables(t *testing.T) {
	allowed, countsOnly := purposeTables(t)
	tables := migrationTables(t)
	for p, ts := range allowed {
		if len(ts) == 0 {
			t.Errorf("store/ways.go: purpose %s lists no tables", p)
		}
		for _, pat := range ts {
			found := false
			for table := range tables {
				if tableAllowed(table, []string{pat}) {
					found = true
				}
			}
			if !found {
				t.Errorf("store/ways.go: purpose %s lists %q, which names no table of the migrations", p, pat)
			}
		}
	}
	strs := packageStrings(t)
	r := purposeRules{allowed: allowed, countsOnly: countsOnly, tables: tables}
	calls, funcs := 0, 0
	byDir := map[string][]*ast.File{}
	var fset *token.FileSet
	eachSource(t, func(path string, fs *token.FileSet, f *ast.File) {
		dir := filepath.Dir(path)
		fset = fs
		byDir[dir] = append(byDir[dir], f)
		c, n := r.check(fs, f, dir == "store", strs[dir], func(msg string) { t.Error(msg) })
		calls, funcs = calls+c, funcs+n
	})
	held := 0
	for dir, files := range byDir {
		breaches := 0
		held += r.checkPassedOn(fset, files, dir == "store", strs[dir], func(msg string) {
			breaches++
			if bookkeepingPending[filepath.ToSlash(dir)] == "" {
				t.Error(msg)
			}
		})
		if breaches == 0 && bookkeepingPending[filepath.ToSlash(dir)] != "" {
			t.Errorf("bookkeepingPending lists %s, whose handles passed on keep to their purposes now: remove the entry", dir)
		}
	}
	t.Logf("%d Bookkeeping calls in %d functions; %d functions given a handle", calls, funcs, held)
	if calls < 50 || funcs < 40 {
		t.Errorf("found %d Bookkeeping calls in %d functions, want the many there are: is the scan broken?", calls, funcs)
	}
}

// purposeRules are the purposes' tables and the migrations' tables.
type purposeRules struct {
	allowed    map[string][]string
	countsOnly map[string]bool
	tables     map[string]bool
}

// check holds the functions of f that call Bookkeeping to their purposes'
// tables, reporting each breach; strs are the package's strings. It
// returns the Bookkeeping calls and the functions with any.
func (r purposeRules) check(fset *token.FileSet, f *ast.File, inStore bool, strs map[string]string, report func(string)) (calls, funcs int) {
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		purposes := map[string]bool{}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			switch p := bookkeepingPurpose(n, inStore); p {
			case "":
			case "?":
				report(fmt.Sprintf("%s: Bookkeeping's purpose must be named as store.P where the call is", fset.Position(n.Pos())))
			default:
				calls++
				if _, ok := r.allowed[p]; !ok {
					report(fmt.Sprintf("%s: Bookkeeping(store.%s): no such purpose in bookkeepingPurposes", fset.Position(n.Pos()), p))
				}
				purposes[p] = true
			}
			return true
		})
		if len(purposes) == 0 {
			continue
		}
		funcs++
		var ps, union []string
		counting := false
		for p := range purposes {
			ps = append(ps, p)
			union = append(union, r.allowed[p]...)
			counting = counting || r.countsOnly[p]
		}
		sort.Strings(ps)
		named, notCounts := funcSQLTables(fset, fn, strs, r.tables)
		for _, at := range notCounts {
			if counting {
				report(fmt.Sprintf("%s: %s selects more than COUNT(*) under Bookkeeping(%s), which may only count", at, fn.Name.Name, strings.Join(ps, ", ")))
			}
		}
		for table, at := range named {
			if !tableAllowed(table, union) {
				report(fmt.Sprintf("%s: %s names table %s under Bookkeeping(%s), whose tables do not include it: use its own purpose (store/ways.go) or Update/View", at, fn.Name.Name, table, strings.Join(ps, ", ")))
			}
		}
	}
	return calls, funcs
}

// TestBookkeepingCheckCatchesBreaches: the check reports a table outside the
// purpose (named in a literal, in a package constant, in a closure), a
// purpose that may only count selecting a column, a purpose not named as
// store.P, and passes SQL within the purpose's tables.
func TestBookkeepingCheckCatchesBreaches(t *testing.T) {
	r := purposeRules{
		allowed:    map[string][]string{"Delivery": {"outbox", "inbox*"}, "Counts": {"residents"}},
		countsOnly: map[string]bool{"Counts": true},
		tables:     map[string]bool{"outbox": true, "inbox": true, "inbox_versions": true, "residents": true, "gov_roles": true},
	}
	src := `package p
const rolesSQL = "SELECT id FROM gov_roles"
func fine(db *store.DB) { db.Bookkeeping(store.Delivery).Query("SELECT a FROM outbox JOIN inbox_versions ON x = y") }
func literal(db *store.DB) { db.Bookkeeping(store.Delivery).Query("SELECT name FROM residents") }
func constant(db *store.DB) { db.Bookkeeping(store.Delivery).Query(rolesSQL) }
func closure(db *store.DB) { q := db.Bookkeeping(store.Delivery); f := func() { q.Exec("DELETE FROM gov_roles") }; f() }
func counted(db *store.DB) { db.Bookkeeping(store.Counts).QueryRow("SELECT (SELECT COUNT(*) FROM residents), (SELECT name FROM residents)") }
func countsFine(db *store.DB) { db.Bookkeeping(store.Counts).QueryRow("SELECT COUNT(*) FROM residents") }
func unnamed(db *store.DB, p store.Purpose) { db.Bookkeeping(p) }
func unknown(db *store.DB) { db.Bookkeeping(store.Nothing) }
func noPurpose(tx *store.Tx) { tx.Query("SELECT name FROM residents") }
`
	// Handles passed on: the package passes Delivery on, so a function given
	// a handle (a *sql.Conn, a package type over database/sql, a receiver
	// holding one) may name only Delivery's tables.
	passing := `package p
type rowQuery func(string, ...any) *sql.Row
type reader struct{ q rowQuery }
func pass(db *store.DB) { conn, _ := db.Bookkeeping(store.Delivery).Conn(ctx); viaConn(conn); viaFunc(db.Bookkeeping(store.Delivery).QueryRow) }
func viaConn(c *sql.Conn) { c.Query("SELECT a FROM inbox_versions") }
func viaFunc(q rowQuery) { q("SELECT name FROM residents") }
func (r reader) viaField() { r.q("DELETE FROM gov_roles") }
func notGiven(tx *store.Tx) { tx.Query("SELECT name FROM residents") }
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	calls, funcs := r.check(fset, f, false, map[string]string{"rolesSQL": "SELECT id FROM gov_roles"}, func(msg string) { got = append(got, msg) })
	if calls != 7 || funcs != 7 { // unnamed names no purpose
		t.Errorf("found %d calls in %d functions, want 7 in 7", calls, funcs)
	}
	for _, want := range []string{"literal names table residents", "constant names table gov_roles", "closure names table gov_roles",
		"counted selects more than COUNT(*)", "purpose must be named", "store.Nothing): no such purpose"} {
		found := false
		for _, g := range got {
			found = found || strings.Contains(g, want)
		}
		if !found {
			t.Errorf("no report %q in %q", want, got)
		}
	}
	for _, g := range got {
		if strings.Contains(g, "fine") || strings.Contains(g, "countsFine") || strings.Contains(g, "noPurpose") {
			t.Errorf("reported SQL within its purpose: %s", g)
		}
	}
	if len(got) != 6 {
		t.Errorf("%d reports, want 6: %q", len(got), got)
	}
	pf, err := parser.ParseFile(fset, "q.go", passing, 0)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	held := r.checkPassedOn(fset, []*ast.File{pf}, false, nil, func(msg string) { got = append(got, msg) })
	if held != 3 {
		t.Errorf("%d functions given a handle, want viaConn, viaFunc and viaField", held)
	}
	if len(got) != 2 || !strings.Contains(strings.Join(got, "\n"), "viaFunc names table residents") || !strings.Contains(strings.Join(got, "\n"), "viaField names table gov_roles") {
		t.Errorf("reports %q, want viaFunc's residents and viaField's gov_roles", got)
	}
}

// isSQLHandleExpr reports whether type expression e mentions database/sql
// (sql.DB, *sql.Conn, func(…) *sql.Row, an interface over them).
func isSQLHandleExpr(e ast.Node) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if s, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := s.X.(*ast.Ident); ok && id.Name == "sql" && (s.Sel.Name == "DB" || s.Sel.Name == "Conn" || s.Sel.Name == "Tx" || s.Sel.Name == "Row" || s.Sel.Name == "Rows") {
				found = true
			}
			// store.Reader: the handle an owner's status or evidence function takes.
			if id, ok := s.X.(*ast.Ident); ok && id.Name == "store" && s.Sel.Name == "Reader" {
				found = true
			}
		}
		return !found
	})
	return found
}

// handleTypes are the names of the types files declare over database/sql.
func handleTypes(files []*ast.File) map[string]bool {
	out := map[string]bool{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			if ts, ok := n.(*ast.TypeSpec); ok && isSQLHandleExpr(ts.Type) {
				out[ts.Name.Name] = true
			}
			return true
		})
	}
	// A struct that holds one of them is a handle too.
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			ast.Inspect(ts.Type, func(m ast.Node) bool {
				if id, ok := m.(*ast.Ident); ok && out[id.Name] {
					out[ts.Name.Name] = true
				}
				return true
			})
			return true
		})
	}
	return out
}

// takesHandle reports whether fn has a parameter or receiver of a handle
// type (database/sql's or one of types).
func takesHandle(fn *ast.FuncDecl, types map[string]bool) bool {
	fields := fn.Type.Params.List
	if fn.Recv != nil {
		fields = append(fields[:len(fields):len(fields)], fn.Recv.List...)
	}
	for _, fl := range fields {
		if isSQLHandleExpr(fl.Type) {
			return true
		}
		t := fl.Type
		if st, ok := t.(*ast.StarExpr); ok {
			t = st.X
		}
		if id, ok := t.(*ast.Ident); ok && types[id.Name] {
			return true
		}
	}
	return false
}

// passedOn is the purposes whose Bookkeeping handles fn passes as an
// argument: the call itself, a method value or handle taken from it, or a
// variable assigned from one.
func passedOn(fn *ast.FuncDecl, inStore bool) map[string]bool {
	vars := map[string]string{} // variable → purpose of the handle it holds
	purposeIn := func(e ast.Node) string {
		p := ""
		ast.Inspect(e, func(n ast.Node) bool {
			if q := bookkeepingPurpose(n, inStore); q != "" && q != "?" {
				p = q
			}
			if id, ok := n.(*ast.Ident); ok && vars[id.Name] != "" && p == "" {
				p = vars[id.Name]
			}
			return p == ""
		})
		return p
	}
	out := map[string]bool{}
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for i, r := range n.Rhs {
				if p := purposeIn(r); p != "" && i < len(n.Lhs) {
					for _, l := range n.Lhs { // conn, err := db.Bookkeeping(P).Conn(ctx)
						if id, ok := l.(*ast.Ident); ok && id.Name != "err" && id.Name != "_" {
							vars[id.Name] = p
						}
					}
				}
			}
		case *ast.CallExpr:
			for _, a := range n.Args {
				switch a := a.(type) {
				case *ast.CallExpr:
					if p := bookkeepingPurpose(a, inStore); p != "" && p != "?" {
						out[p] = true
					}
				case *ast.Ident:
					if p := vars[a.Name]; p != "" {
						out[p] = true
					}
				case *ast.SelectorExpr: // a method value: db.Bookkeeping(P).QueryRowContext
					if p := purposeIn(a.X); p != "" {
						out[p] = true
					}
				case *ast.CompositeLit: // a struct holding the handle
					if p := purposeIn(a); p != "" {
						out[p] = true
					}
				case *ast.UnaryExpr:
					if p := purposeIn(a); p != "" {
						out[p] = true
					}
				}
			}
		}
		return true
	})
	return out
}

// checkPassedOn holds the functions of a package's files that take a
// database handle to the tables of the purposes the package passes on.
func (r purposeRules) checkPassedOn(fset *token.FileSet, files []*ast.File, inStore bool, strs map[string]string, report func(string)) (held int) {
	passed := map[string]bool{}
	for _, f := range files {
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Body != nil {
				for p := range passedOn(fn, inStore) {
					passed[p] = true
				}
			}
		}
	}
	if len(passed) == 0 {
		return 0
	}
	var ps, union []string
	for p := range passed {
		ps = append(ps, p)
		union = append(union, r.allowed[p]...)
	}
	sort.Strings(ps)
	types := handleTypes(files)
	for _, f := range files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil || !takesHandle(fn, types) {
				continue
			}
			held++
			named, _ := funcSQLTables(fset, fn, strs, r.tables)
			for table, at := range named {
				if !tableAllowed(table, union) {
					report(fmt.Sprintf("%s: %s names table %s on a handle its package passes on under Bookkeeping(%s), whose tables do not include it", at, fn.Name.Name, table, strings.Join(ps, ", ")))
				}
			}
		}
	}
	return held
}
