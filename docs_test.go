package jukinet

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The repository stands alone: no code, doc or compliance evidence points at
// a file outside it, and history (issues, sessions, rounds) lives in git, not
// in comments or docs.
func TestDocsStandAlone(t *testing.T) {
	forbidden := []*regexp.Regexp{
		regexp.MustCompile(`(?i)\bissue ?#?[0-9]+`),
		regexp.MustCompile(`(?i)\bsessions? [0-9]+`),
		regexp.MustCompile(`(?i)\bround [0-9]+`),
		regexp.MustCompile(`\.\./shared|\bDESIGN\.md|\bDOMAIN\.md|\bREQUIREMENTS\.md|\bSTYLE\.md`),
	}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".md", ".toml", ".yaml", ".sql", ".service", ".tmpl", ".html":
		default:
			return nil
		}
		if path == "docs_test.go" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			for _, re := range forbidden {
				if m := re.FindString(line); m != "" {
					t.Errorf("%s:%d: %q points outside the repository or at history: %s", path, i+1, m, strings.TrimSpace(line))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
