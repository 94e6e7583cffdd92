package jukinet

import (
	"strings"
	"testing"
)

func TestCSVCell(t *testing.T) {
	for _, tc := range []struct{ in, cell string }{
		{`=HYPERLINK("http://x","y")`, `'=HYPERLINK("http://x","y")`},
		{"+1", "'+1"}, {"-1", "'-1"}, {"@SUM(A1)", "'@SUM(A1)"}, {"\tx", "'\tx"}, {"\rx", "'\rx"},
		{"'=x", "''=x"}, {"''+", "'''+"},
		{"山田 花子", "山田 花子"}, {"'quoted", "'quoted"}, {"", ""}, {"a=b", "a=b"}, {"'", "'"},
	} {
		if got := CSVCell(tc.in); got != tc.cell {
			t.Errorf("CSVCell(%q) = %q, want %q", tc.in, got, tc.cell)
		}
		if got := CSVValue(CSVCell(tc.in)); got != tc.in {
			t.Errorf("CSVValue(CSVCell(%q)) = %q, want it back", tc.in, got)
		}
	}
}

func FuzzCSVCell(f *testing.F) {
	for _, s := range []string{"=1", "'=1", "x", "", "'", "''-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := CSVCell(s)
		if CSVValue(c) != s {
			t.Fatalf("round trip of %q gives %q", s, CSVValue(c))
		}
		if c != "" && strings.IndexByte("=+-@\t\r", c[0]) >= 0 {
			t.Fatalf("cell %q of %q begins with a formula character", c, s)
		}
	})
}
