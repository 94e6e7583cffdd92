package oplog

import (
	"regexp"
	"testing"
)

// TestEveryReasonHasAJapaneseName: each verification reason has a distinct
// Japanese name for the terminal, and an unknown one says so in Japanese.
func TestEveryReasonHasAJapaneseName(t *testing.T) {
	japanese := regexp.MustCompile(`[\p{Hiragana}\p{Katakana}\p{Han}]`)
	if len(reasonJapanese) != len(reasonNames) {
		t.Fatalf("%d Japanese names for %d reasons", len(reasonJapanese), len(reasonNames))
	}
	seen := map[string]bool{}
	for r := range reasonNames {
		ja := Reason(r).Japanese()
		if !japanese.MatchString(ja) || seen[ja] {
			t.Errorf("reason %s: Japanese name %q missing or repeated", Reason(r), ja)
		}
		seen[ja] = true
	}
	if ja := Reason(len(reasonNames)).Japanese(); !japanese.MatchString(ja) {
		t.Errorf("an unknown reason shows %q", ja)
	}
}
