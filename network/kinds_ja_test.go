package network

import (
	"regexp"
	"testing"
)

// TestEveryKindHasAJapaneseName: every message kind has a distinct
// Japanese name, KindJapanese finds it by code, and an unknown code shows
// as itself.
func TestEveryKindHasAJapaneseName(t *testing.T) {
	japanese := regexp.MustCompile(`[\p{Hiragana}\p{Katakana}\p{Han}]`)
	seen := map[string]Kind{}
	for k, code := range kindNames {
		ja, ok := kindJapanese[k]
		if !ok || !japanese.MatchString(ja) {
			t.Errorf("kind %s has no Japanese name", code)
		}
		if other, dup := seen[ja]; dup {
			t.Errorf("%s and %s share the name %s", code, other, ja)
		}
		seen[ja] = k
		if KindJapanese(code) != ja {
			t.Errorf("KindJapanese(%q) = %q, want %q", code, KindJapanese(code), ja)
		}
	}
	if len(kindJapanese) != len(kindNames) {
		t.Errorf("%d Japanese names for %d kinds", len(kindJapanese), len(kindNames))
	}
	if got := KindJapanese("no.such.kind"); got != "no.such.kind" {
		t.Errorf("an unknown kind shows %q", got)
	}
}
