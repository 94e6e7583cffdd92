package governance_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docs/traceability.md names files, directories and tests of this
// repository; every one of them must exist, so the table cannot point at a
// design file that is not here or a test that was renamed.
func TestTraceabilityNamesWhatExists(t *testing.T) {
	root := ".."
	doc, err := os.ReadFile(filepath.Join(root, "docs", "traceability.md"))
	if err != nil {
		t.Fatal(err)
	}
	testName := regexp.MustCompile(`^([a-z0-9_/]+)\.((?:Test|Fuzz|Benchmark)\w+)$`)
	pathLike := regexp.MustCompile(`^[A-Za-z0-9_.\-/]+$`)
	testFuncs := map[string]string{} // dir → its test files' text
	checked := 0
	for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(string(doc), -1) {
		tok := m[1]
		if g := testName.FindStringSubmatch(tok); g != nil {
			dir := filepath.Join(root, filepath.FromSlash(g[1]))
			src, ok := testFuncs[dir]
			if !ok {
				files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
				var b strings.Builder
				for _, f := range files {
					data, err := os.ReadFile(f)
					if err != nil {
						t.Fatal(err)
					}
					b.Write(data)
				}
				src = b.String()
				testFuncs[dir] = src
			}
			if !regexp.MustCompile(`(?m)^func ` + g[2] + `\(`).MatchString(src) {
				t.Errorf("docs/traceability.md names %s, but %s has no func %s", tok, g[1], g[2])
			}
			checked++
			continue
		}
		if !pathLike.MatchString(tok) || !(strings.Contains(tok, "/") || regexp.MustCompile(`\.(go|md|sql|html|yaml)$`).MatchString(tok)) {
			continue // a table, a column, a command or a Go name
		}
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(tok))); err != nil {
			t.Errorf("docs/traceability.md names %s, which is not in the repository", tok)
		}
		checked++
	}
	if checked < 50 {
		t.Errorf("only %d paths and tests found in docs/traceability.md; the pattern no longer matches the table", checked)
	}
}
