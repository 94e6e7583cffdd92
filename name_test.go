package jukinet

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func validName() Name {
	return Name{Kanji: "山口 太郎", Kana: "ヤマグチ タロウ"}
}

func TestNameValidate(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Name)
		field string // "" = valid
		rule  string
	}{
		{"plain", func(n *Name) {}, "", ""},
		{"hiragana reading", func(n *Name) { n.Kana = "やまぐち　たろう" }, "", ""},
		{"half-width reading", func(n *Name) { n.Kana = "ﾔﾏｸﾞﾁ ﾀﾛｳ" }, "", ""},
		{"long vowel and dot", func(n *Name) { n.Kanji = "ジョン・スミス"; n.Kana = "ジョン・スミス ー" }, "", ""},
		{"compatibility ideograph", func(n *Name) { n.Kanji = "\uFA19田 一郎" }, "", ""},
		{"variation sequence", func(n *Name) { n.Kanji = "葛\U000E0100城 花子" }, "", ""},
		{"private use 外字", func(n *Name) { n.Kanji = "\uE000田 花子" }, "", ""},
		{"former surname and alias", func(n *Name) {
			n.FormerSurname, n.FormerSurnameKana, n.Alias, n.AliasKana = "佐藤", "サトウ", "Smith John", "スミス ジョン"
		}, "", ""},
		{"former surname without reading", func(n *Name) { n.FormerSurname = "佐藤" }, "", ""},
		{"100 runes", func(n *Name) { n.Kanji = strings.Repeat("山", 100) }, "", ""},
		{"kanji missing", func(n *Name) { n.Kanji = "" }, "name.kanji", "required"},
		{"kanji blank", func(n *Name) { n.Kanji = " \u3000" }, "name.kanji", "required"},
		{"kana missing", func(n *Name) { n.Kana = "" }, "name.kana", "required"},
		{"101 runes", func(n *Name) { n.Kanji = strings.Repeat("山", 101) }, "name.kanji", "longer than 100"},
		{"bad utf-8", func(n *Name) { n.Kanji = "山\xff" }, "name.kanji", "UTF-8"},
		{"newline", func(n *Name) { n.Kanji = "山口\n太郎" }, "name.kanji", "control"},
		{"NUL", func(n *Name) { n.Kanji = "山口\x00" }, "name.kanji", "control"},
		{"C1 control", func(n *Name) { n.Kanji = "山口\u0085" }, "name.kanji", "control"},
		{"bidi override", func(n *Name) { n.Kanji = "山口\u202E太郎" }, "name.kanji", "control"},
		{"kanji in reading", func(n *Name) { n.Kana = "ヤマ口" }, "name.kana", `not '口'`},
		{"latin in reading", func(n *Name) { n.Kana = "Yamaguchi" }, "name.kana", "only kana"},
		{"tab in reading", func(n *Name) { n.Kana = "ヤマ\tグチ" }, "name.kana", "control"},
		{"former surname reading alone", func(n *Name) { n.FormerSurnameKana = "サトウ" }, "name.former_surname_kana", "needs the part"},
		{"alias reading alone", func(n *Name) { n.AliasKana = "スミス" }, "name.alias_kana", "needs the part"},
		{"alias blank", func(n *Name) { n.Alias = "  " }, "name.alias", "white space"},
		{"alias control", func(n *Name) { n.Alias = "a\x1bb" }, "name.alias", "control"},
		{"former surname too long", func(n *Name) { n.FormerSurname = strings.Repeat("佐", 101) }, "name.former_surname", "longer"},
		{"alias reading not kana", func(n *Name) { n.Alias, n.AliasKana = "Smith", "Smith" }, "name.alias_kana", "only kana"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := validName()
			tt.edit(&n)
			err := n.Validate()
			if tt.field == "" {
				if err != nil {
					t.Errorf("Validate(%+v) = %v, want nil", n, err)
				}
				return
			}
			if ErrorKind(err) != KindInvalid || ErrorField(err) != tt.field || !strings.Contains(err.Error(), tt.rule) {
				t.Errorf("Validate(%+v) = %v; want invalid %s containing %q", n, err, tt.field, tt.rule)
			}
		})
	}
	n := validName()
	n.Kana = ""
	if err := n.ValidateAs("householder_name"); ErrorField(err) != "householder_name.kana" {
		t.Errorf("ValidateAs(householder_name) field %q, want householder_name.kana", ErrorField(err))
	}
}

// TestNameStoredVerbatim guards the rule that names are never normalized.
func TestNameStoredVerbatim(t *testing.T) {
	n := Name{Kanji: "\uFA19田 葛\U000E0100", Kana: "ｶﾐﾀ"}
	b, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	var back Name
	if err := json.Unmarshal(b, &back); err != nil || back != n {
		t.Fatalf("JSON round trip = %+v, %v; want %+v", back, err, n)
	}
	if err := n.Validate(); err != nil {
		t.Fatalf("Validate = %v", err)
	}
	if n.Kanji != "\uFA19田 葛\U000E0100" || n.Kana != "ｶﾐﾀ" {
		t.Errorf("name changed: %+q", n)
	}
	if k := n.KanjiKey(); !strings.ContainsRune(k, '\uFA19') || !strings.ContainsRune(k, '\U000E0100') {
		t.Errorf("KanjiKey %+q lost the compatibility ideograph or the variation selector", k)
	}
}

func TestSearchKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ヤマグチ タロウ", "ヤマグチタロウ"},
		{"やまぐち　たろう", "ヤマグチタロウ"},
		{"ﾔﾏｸﾞﾁ ﾀﾛｳ", "ヤマグチタロウ"},
		{"ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ", "パピプペポ"},
		{"ｳﾞｧｲｵﾘﾝ", "ヴァイオリン"},
		{"か\u3099", "ガ"},
		{"か゛", "ガ"},
		{"は゜", "パ"},
		{"ゝゞ", "ヽヾ"},
		{"ｰ･", "ー・"},
		{"Smith ｊｏｈｎ", "SMITHJOHN"},
		{"ＡＢＣ１２３", "ABC123"},
		{"山口\t太郎\n", "山口太郎"},
		{"\uFA19", "\uFA19"},
		{"ア\u3099", "ア\u3099"}, // no composed form: kept
		{"\u3099カ", "\u3099カ"}, // a mark with nothing before it: kept
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := SearchKey(tt.in); got != tt.want {
				t.Errorf("SearchKey(%+q) = %+q, want %+q", tt.in, got, tt.want)
			}
		})
	}
	n := Name{Kanji: "ｙａｍａ 口", Kana: "やまぐち"}
	if n.KanaKey() != "ヤマグチ" || n.KanjiKey() != "YAMA口" {
		t.Errorf("keys of %+v = %q, %q; want ヤマグチ, YAMA口", n, n.KanaKey(), n.KanjiKey())
	}
}

func BenchmarkSearchKey(b *testing.B) {
	for b.Loop() {
		SearchKey("ﾔﾏｸﾞﾁ ﾀﾛｳ")
	}
}

func FuzzNameValidate(f *testing.F) {
	f.Add("山口 太郎", "ヤマグチ タロウ", "", "", "", "")
	f.Add("\uFA19田", "ｶﾐﾀ", "佐藤", "サトウ", "Smith", "スミス")
	f.Add("a\x00", "\xff", " ", "ア", "", "イ")
	f.Fuzz(func(t *testing.T, kanji, kana, former, formerKana, alias, aliasKana string) {
		n := Name{kanji, kana, former, formerKana, alias, aliasKana}
		before := n
		err := n.Validate()
		if n != before {
			t.Fatalf("Validate changed the name")
		}
		if err != nil {
			if ErrorKind(err) != KindInvalid || !strings.HasPrefix(ErrorField(err), "name.") {
				t.Fatalf("Validate(%+q) err %v: want invalid name.*", n, err)
			}
			return
		}
		if !utf8.ValidString(kanji) || !utf8.ValidString(kana) || kanji == "" || kana == "" {
			t.Fatalf("Validate(%+q) accepted a missing or invalid part", n)
		}
		if err := n.Validate(); err != nil {
			t.Fatalf("Validate not deterministic: %v", err)
		}
	})
}

func FuzzSearchKey(f *testing.F) {
	for _, s := range []string{"ﾔﾏｸﾞﾁ ﾀﾛｳ", "か゛ﾞ", "ＡＢＣ abc", "\uFA19\U000E0100", "\xff\u3099"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := SearchKey(s)
		if again := SearchKey(k); again != k {
			t.Fatalf("SearchKey not idempotent: SearchKey(%+q) = %+q, SearchKey of that = %+q", s, k, again)
		}
		if !utf8.ValidString(k) {
			t.Fatalf("SearchKey(%+q) = %+q, not valid UTF-8", s, k)
		}
		if strings.ContainsAny(k, " \t\n\u3000abcxyz") {
			t.Fatalf("SearchKey(%+q) = %+q, contains white space or lower-case ASCII", s, k)
		}
	})
}

func TestComposeKanaMatchesNFC(t *testing.T) {
	for base := rune(0x30A1); base <= 0x30FE; base++ {
		for _, mark := range []rune{'\u3099', '\u309A', '\u309B', '\u309C'} {
			combining := mark
			if mark == '\u309B' {
				combining = '\u3099'
			} else if mark == '\u309C' {
				combining = '\u309A'
			}
			nfc := []rune(norm.NFC.String(string([]rune{base, combining})))
			got, ok := composeKana(base, mark)
			if wantOK := len(nfc) == 1; ok != wantOK || (ok && got != nfc[0]) {
				t.Errorf("composeKana(%U, %U) = %U, %v; NFC gives %U", base, mark, got, ok, nfc)
			}
		}
	}
}
