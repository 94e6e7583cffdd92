package jukinet

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Name is a person's 氏名 as registered, with its reading and the optional
// 旧氏 (former surname) and 通称 (alias). Every part is stored verbatim: never
// NFC/NFKC-normalize it, because normalization changes compatibility
// ideographs (U+FA19 神 → U+795E) and drops nothing a resident would accept.
// Ideographic variation sequences are kept. Search uses derived keys instead.
type Name struct {
	Kanji             string `json:"kanji"`                         // 氏名 as registered
	Kana              string `json:"kana"`                          // reading (katakana or hiragana)
	FormerSurname     string `json:"former_surname,omitempty"`      // 旧氏
	FormerSurnameKana string `json:"former_surname_kana,omitempty"` // reading of 旧氏
	Alias             string `json:"alias,omitempty"`               // 通称
	AliasKana         string `json:"alias_kana,omitempty"`          // reading of 通称
}

// maxNameRunes bounds every part of a name; variation selectors count as runes.
const maxNameRunes = 100

// Validate checks every part of n; see ValidateAs. Fields are "name.kanji",
// "name.kana", "name.former_surname", …
func (n Name) Validate() error { return n.ValidateAs("name") }

// ValidateAs checks n, naming fields under prefix (e.g. "householder_name.kanji").
// Rules: kanji and kana are required; every part present is valid UTF-8, has no
// control or bidirectional-override characters and at most 100 runes; readings
// hold only kana (hiragana, katakana, half-width katakana, ー, ・) and spaces;
// a reading of the former surname or alias needs the part it reads.
// Errors: KindInvalid, every part in error (FieldErrors when more than one).
func (n Name) ValidateAs(prefix string) error {
	const op = "jukinet.Name.Validate"
	parts := []struct {
		field, value, reads string
		required, kana      bool
	}{
		{"kanji", n.Kanji, "", true, false},
		{"kana", n.Kana, "", true, true},
		{"former_surname", n.FormerSurname, "", false, false},
		{"former_surname_kana", n.FormerSurnameKana, n.FormerSurname, false, true},
		{"alias", n.Alias, "", false, false},
		{"alias_kana", n.AliasKana, n.Alias, false, true},
	}
	var fe FieldErrors // every part in error, at once
	for _, p := range parts {
		problem := ""
		switch {
		case strings.TrimSpace(p.value) == "":
			if p.required {
				problem = "required"
			} else if p.value != "" {
				problem = "must not be only white space"
			}
		case p.kana && !p.required && strings.TrimSpace(p.reads) == "":
			problem = "a reading needs the part it reads"
		default:
			problem = nameTextProblem(p.value, p.kana)
		}
		if problem != "" {
			fe.Add(E(op, KindInvalid, Field(prefix+"."+p.field), problem))
		}
	}
	return fe.Err()
}

// nameTextProblem says which rule s breaks, or returns "".
func nameTextProblem(s string, kanaOnly bool) string {
	if !utf8.ValidString(s) {
		return "not valid UTF-8"
	}
	if utf8.RuneCountInString(s) > maxNameRunes {
		return "longer than 100 characters"
	}
	for _, r := range s {
		if isForbiddenTextRune(r) {
			return "contains a control character"
		}
		if kanaOnly && !isKanaRune(r) {
			return "reading may contain only kana, ー, ・ and spaces, not " + quoteRune(r)
		}
	}
	return ""
}

// isForbiddenTextRune: C0/C1 controls and the invisible characters that can
// make a stored text display differently from what it holds. Private-use
// characters stay allowed: municipalities map 外字 there.
func isForbiddenTextRune(r rune) bool {
	switch {
	case unicode.Is(unicode.Cc, r):
		return true
	case r == '\u200E' || r == '\u200F', // LRM, RLM
		r >= '\u202A' && r <= '\u202E', // bidi embeddings and overrides
		r >= '\u2066' && r <= '\u2069', // bidi isolates
		r == '\u2028' || r == '\u2029', // line and paragraph separators
		r == '\uFEFF':                  // BOM
		return true
	}
	return false
}

// isKanaRune: the characters allowed in a reading.
func isKanaRune(r rune) bool {
	switch {
	case r >= '\u3041' && r <= '\u3096', // hiragana
		r >= '\u3099' && r <= '\u309E', // (semi-)voiced marks, ゝゞ
		r >= '\u30A1' && r <= '\u30FE', // katakana incl. ・ ー ヽヾ
		r >= '\u31F0' && r <= '\u31FF', // small katakana (Ainu)
		r >= '\uFF65' && r <= '\uFF9F', // half-width katakana incl. ･ ｰ ﾞ ﾟ
		r == ' ', r == '\u3000':
		return true
	}
	return false
}

func quoteRune(r rune) string {
	if unicode.IsPrint(r) {
		return fmt.Sprintf("%q", r)
	}
	return fmt.Sprintf("%U", r)
}

// SearchKey derives the key names are searched by (never stored in place of
// the name): width-folded (half-width katakana → full-width, full-width ASCII →
// ASCII), hiragana → katakana, kana + separate (semi-)voiced mark composed,
// all white space removed, ASCII upper-cased. Ideographs are left alone.
// SearchKey(SearchKey(s)) == SearchKey(s).
func SearchKey(s string) string {
	folded := width.Fold.String(s)
	runes := make([]rune, 0, len(folded))
	for _, r := range folded {
		switch {
		case unicode.IsSpace(r):
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		case r >= '\u3041' && r <= '\u3096', r == '\u309D' || r == '\u309E':
			r += 0x60 // hiragana → katakana (ゝゞ → ヽヾ)
		}
		if n := len(runes); n > 0 && isSoundMark(r) {
			if c, ok := composeKana(runes[n-1], r); ok {
				runes[n-1] = c
				continue
			}
		}
		runes = append(runes, r)
	}
	return string(runes)
}

func isSoundMark(r rune) bool { return r >= '\u3099' && r <= '\u309C' }

// composeKana joins a katakana and a (semi-)voiced mark, カ+゛ → ガ, when
// Unicode has the composed character (the same result as NFC on the pair,
// which TestComposeKanaMatchesNFC checks).
func composeKana(base, mark rune) (rune, bool) {
	voiced := mark == '\u3099' || mark == '\u309B'
	switch {
	case voiced && base >= 'カ' && base <= 'ト':
		// カ…ト alternate with their voiced forms, except ッ (small tsu) before ツ.
		if (base <= 'チ' && (base-'カ')%2 == 0) || (base >= 'ツ' && (base-'ツ')%2 == 0) {
			return base + 1, true
		}
	case base >= 'ハ' && base <= 'ホ' && (base-'ハ')%3 == 0:
		if voiced {
			return base + 1, true
		}
		return base + 2, true // mark is semi-voiced
	case voiced && base == 'ウ':
		return 'ヴ', true
	case voiced && base >= 'ワ' && base <= 'ヲ':
		return base + ('ヷ' - 'ワ'), true
	case voiced && base == 'ヽ':
		return 'ヾ', true
	}
	return 0, false
}

// KanaKey is the search key of the reading.
func (n Name) KanaKey() string { return SearchKey(n.Kana) }

// KanjiKey is the search key of the registered name.
func (n Name) KanjiKey() string { return SearchKey(n.Kanji) }
