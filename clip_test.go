package jukinet

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"abc", 5, "abc"},
		{"abc", 3, "abc"},
		{"abcd", 3, "abc"},
		{"日本語", 9, "日本語"},
		{"日本語", 8, "日本"}, // not the first two bytes of 語
		{"日本語", 4, "日"},
		{"日本語", 2, ""},
		{"日本語", 0, ""},
		{"a日", -1, ""},
	} {
		if got := Clip(tc.in, tc.max); got != tc.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
	long := strings.Repeat("項目", 200) // 1,200 bytes
	if got := Clip(long, 500); len(got) > 500 || !utf8.ValidString(got) || len(got) < 498 {
		t.Errorf("Clip of a long Japanese text: %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
}

func FuzzClip(f *testing.F) {
	f.Add("refused 転入: field=name", 10)
	f.Add("日本語", 8)
	f.Fuzz(func(t *testing.T, s string, max int) {
		got := Clip(s, max)
		if len(got) > max && len(got) > 0 {
			t.Fatalf("Clip(%q, %d) is %d bytes", s, max, len(got))
		}
		if !strings.HasPrefix(s, got) {
			t.Fatalf("Clip(%q, %d) = %q is not a prefix", s, max, got)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("Clip(%q, %d) = %q is not valid UTF-8", s, max, got)
		}
		if len(s) <= max && got != s {
			t.Fatalf("Clip(%q, %d) = %q cut a text that fits", s, max, got)
		}
	})
}
