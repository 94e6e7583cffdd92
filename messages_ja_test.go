package jukinet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// ruleCall finds the rule messages in the sources: Errorf(op, Kind, field,
// "format"…), E(op, Kind, Field(…), "message") and the node's invalid(op,
// field, "format"…).
var ruleCall = regexp.MustCompile(`(?:Errorf\([^,()]+,\s*(?:jukinet\.)?(Kind\w+),\s*[^,]+,\s*|E\([^,()]+,\s*(?:jukinet\.)?(Kind\w+),\s*(?:jukinet\.)?Field\([^)]*\),\s*|\binvalid\(op,\s*[^,]+,\s*)("(?:[^"\\]|\\.)*"|` + "`[^`]*`" + `)`)

var verb = regexp.MustCompile(`%[-+# 0]*\d*(?:\.\d+)?[sdqvx]`)

// sampleOf fills a format's verbs with values of the kind they print.
func sampleOf(format string) string {
	return verb.ReplaceAllStringFunc(format, func(v string) string {
		switch v[len(v)-1] {
		case 'd':
			return "3"
		case 'q':
			return `"x-1"`
		}
		return "X-1"
	})
}

// knownRules collects the rule messages of the packages whose errors reach
// users: the root types, register, access, governance and the node's flows.
func knownRules(t *testing.T) map[string]Kind {
	t.Helper()
	var files []string
	for _, glob := range []string{"*.go", "register/*.go", "access/*.go", "governance/*.go", "node/flow_*.go"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	kinds := map[string]Kind{"KindInvalid": KindInvalid, "KindNotFound": KindNotFound, "KindConflict": KindConflict,
		"KindUnauthorized": KindUnauthorized, "KindForbidden": KindForbidden, "KindInternal": KindInternal,
		"KindUnavailable": KindUnavailable, "KindTooLarge": KindTooLarge, "KindRateLimited": KindRateLimited,
		"KindLocked": KindLocked, "KindExpired": KindExpired}
	out := map[string]Kind{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "messages_ja.go" {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ruleCall.FindAllStringSubmatch(string(src), -1) {
			kind := KindInvalid
			if k, ok := kinds[m[1]+m[2]]; ok {
				kind = k
			}
			lit := m[3]
			format, err := strconv.Unquote(lit)
			if err != nil {
				t.Fatalf("%s: unquote %s: %v", f, lit, err)
			}
			if strings.Trim(verb.ReplaceAllString(format, ""), " :") == "" {
				continue // the message is all arguments: nothing to translate
			}
			out[sampleOf(format)] = kind
		}
	}
	if len(out) < 200 {
		t.Fatalf("found %d rule messages in the sources, want the 200 or more there are: is the pattern broken?", len(out))
	}
	return out
}

// TestEveryRuleHasJapanese walks the known rule messages: each has a
// Japanese translation (not the generic fallback) that names no English rule.
func TestEveryRuleHasJapanese(t *testing.T) {
	for msg, kind := range knownRules(t) {
		if kind == KindInternal {
			continue // never shown: the generic sentence stands
		}
		err := E("test.op", kind, Field("field"), msg)
		got, ok := japaneseMessage(err)
		if !ok {
			t.Errorf("%s %q: no Japanese translation (got fallback %q)", kind, msg, got)
			continue
		}
		if strings.Contains(got, msg) && !isJapaneseText(msg) {
			t.Errorf("%s %q: got %q, which repeats the English rule", kind, msg, got)
		}
	}
}

func TestJapaneseMessage(t *testing.T) {
	inner := Errorf("register.Death", KindInvalid, "date", "%s is in the future", "2099-01-01")
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"required", E("register.MoveOut", KindInvalid, Field("planned_date"), "required"), "入力してください。"},
		{"wrapped rule", E("web.event", inner), "未来の日付は入力できません。"},
		{"groups", Errorf("x", KindInvalid, "date", "day 31 does not exist in 2025-02"), "2025年02月に31日はありません。"},
		{"pin", Errorf("x", KindUnauthorized, "pin", "wrong PIN (2 of 3 tries left on the card)"), "暗証番号が一致しません（あと2回でロックされます）。"},
		{"line prefix", Errorf("x", KindInvalid, "", "line 4: %s", "longer than 200 characters"), "4行目: 200文字以内で入力してください。"},
		{"already Japanese", E("web.form", KindInvalid, Field("sex"), "選択してください。"), "選択してください。"},
		{"unknown rule", E("x", KindConflict, "the moon is full"), "現在の状態では、この処理はできません。（the moon is full）"},
		{"internal hides detail", E("x", KindInternal, "disk /dev/sda1 failed"), kindJapanese[KindInternal]},
		{"plain error", errors.New("boom"), kindJapanese[KindInternal]},
		{"kind only", E("x", KindLocked), "ロックされています。"},
		{"parse date", func() error { _, err := ParseDate("birth_date", "令和0年1月1日"); return err }(), "和暦の年は元年（1年）以上で入力してください。"},
		{"resident code", func() error { _, err := ParseResidentCode("1234567890"); return err }(), "11桁で入力してください（10桁入力されています）。"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := JapaneseMessage(tc.err); got != tc.want {
				t.Errorf("JapaneseMessage(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

func FuzzJapaneseMessage(f *testing.F) {
	f.Add(uint8(KindInvalid), "birth_date", "day 31 does not exist in 2025-02")
	f.Add(uint8(KindConflict), "", "line 1: line 2: line 3: line 4: required")
	f.Add(uint8(200), "x", "\xff\xfe")
	f.Add(uint8(KindUnauthorized), "pin", "wrong PIN (9999999999999999999 of 3 tries left)")
	f.Fuzz(func(t *testing.T, kind uint8, field, msg string) {
		err := fmt.Errorf("wrapped: %w", E("fuzz", Kind(kind), Field(field), msg))
		got := JapaneseMessage(err)
		if got == "" {
			t.Errorf("JapaneseMessage(kind %d, %q, %q) is empty", kind, field, msg)
		}
		if k := Kind(kind); (k == KindOther || k == KindInternal || int(k) >= len(kindNames)) && got != kindJapanese[KindInternal] {
			t.Errorf("JapaneseMessage(kind %d, %q) = %q, want only the generic sentence (no internal detail)", kind, msg, got)
		}
	})
}

// TestEveryKindHasJapanese: each error kind has a Japanese page title and
// sentence, and neither is an HTTP status text.
func TestEveryKindHasJapanese(t *testing.T) {
	for k := range kindNames {
		kind := Kind(k)
		title, msg := KindTitle(kind), JapaneseMessage(E("x", kind))
		if _, ok := kindTitle[kind]; !ok || !isJapaneseText(title) {
			t.Errorf("%s: title %q, want a Japanese title in the table", kind, title)
		}
		if !isJapaneseText(strings.TrimSuffix(msg, "。")) && !strings.ContainsRune(msg, '。') {
			t.Errorf("%s: message %q, want Japanese", kind, msg)
		}
		if got := JapaneseTitle(E("x", kind)); got != title {
			t.Errorf("%s: JapaneseTitle %q, want %q", kind, got, title)
		}
	}
	if JapaneseTitle(nil) != "" {
		t.Errorf("JapaneseTitle(nil) is not empty")
	}
}

func TestJapaneseReasonText(t *testing.T) {
	for in, want := range map[string]string{
		"":                                    "",
		"refused":                             "受信側の記録により拒否",
		"malformed: cannot build an envelope": "形式の誤り（送信するメッセージの封筒を作れません。）",
		"refused: no resident with this resident code":                              "受信側の記録により拒否（この住民票コードの住民はいません。）",
		"refused: register.Get: resident_code: no resident with this resident code": "受信側の記録により拒否（この住民票コードの住民はいません。）",
		"connection refused by peer":                                                "connection refused by peer",
	} {
		if got := JapaneseReasonText(in); got != want {
			t.Errorf("JapaneseReasonText(%q) = %q, want %q", in, got, want)
		}
	}
}
