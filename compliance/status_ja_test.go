package compliance

import (
	"strings"
	"testing"
	"unicode"

	"github.com/jukinet/jukinet"
)

// TestEveryStatusHasJapanese: each status of the compliance report has a
// Japanese name for the screen (jukinet.CodeJapanese).
func TestEveryStatusHasJapanese(t *testing.T) {
	for _, s := range []Status{StatusMet, StatusEvidenceMissing, StatusOverdue, StatusNotChecked} {
		if _, ok := jukinet.CodeJapanese(jukinet.CodesCompliance, string(s)); !ok {
			t.Errorf("status %q: no Japanese name", s)
		}
	}
}

// TestEveryRequirementHasJapaneseTitle: the compliance screen heads every
// requirement of the guideline in Japanese.
func TestEveryRequirementHasJapaneseTitle(t *testing.T) {
	for _, id := range GuidelineIDs() {
		if got := jukinet.ComplianceTitle(id, "?"); got == "?" {
			t.Errorf("requirement %s: no Japanese title", id)
		}
	}
}

// japanese reports whether s has Japanese text (kana or kanji) and no run
// of three English words: a table name, an ID or a code may stand in it, a
// sentence may not.
func japanese(s string) bool {
	hasJa := false
	for _, r := range s {
		if unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han) {
			hasJa = true
			break
		}
	}
	words := 0
	// Tokens are what lies between spaces, Japanese text and brackets: an
	// ID with digits and hyphens is one token, not words.
	for _, w := range strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r > unicode.MaxASCII || strings.ContainsRune("(),;:", r)
	}) {
		if isEnglishWord(w) {
			words++
			if words >= 3 {
				return false
			}
		} else {
			words = 0
		}
	}
	return hasJa
}

// isEnglishWord: lower-case ASCII letters only (table names hold "_" or
// ".", commands and codes are single words).
func isEnglishWord(w string) bool {
	for _, r := range w {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return len(w) > 1
}

// TestRulesAreJapanese: every rule, the condition that makes an ID met, is
// a Japanese sentence, as the municipal security manager reads it.
func TestRulesAreJapanese(t *testing.T) {
	for _, g := range guidelines {
		if !japanese(g.rule) {
			t.Errorf("%s: rule %q is not Japanese", g.id, g.rule)
		}
	}
	if japanese("a signed receipt from a peer node kept (outbox_receipts)") {
		t.Error("the check takes an English rule for Japanese")
	}
}
