package jukinet

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestHolidays checks whole years against the Cabinet Office's published
// tables (内閣府「国民の祝日について」), including the two years a special act
// moved three holidays and the substitute days they caused.
func TestHolidays(t *testing.T) {
	want := map[int][]string{
		2020: {"01-01", "01-13", "02-11", "02-23", "02-24", "03-20", "04-29", "05-03", "05-04", "05-05", "05-06", "07-23", "07-24", "08-10", "09-21", "09-22", "11-03", "11-23"},
		2021: {"01-01", "01-11", "02-11", "02-23", "03-20", "04-29", "05-03", "05-04", "05-05", "07-22", "07-23", "08-08", "08-09", "09-20", "09-23", "11-03", "11-23"},
		2024: {"01-01", "01-08", "02-11", "02-12", "02-23", "03-20", "04-29", "05-03", "05-04", "05-05", "05-06", "07-15", "08-11", "08-12", "09-16", "09-22", "09-23", "10-14", "11-03", "11-04", "11-23"},
		2025: {"01-01", "01-13", "02-11", "02-23", "02-24", "03-20", "04-29", "05-03", "05-04", "05-05", "05-06", "07-21", "08-11", "09-15", "09-23", "10-13", "11-03", "11-23", "11-24"},
		2026: {"01-01", "01-12", "02-11", "02-23", "03-20", "04-29", "05-03", "05-04", "05-05", "05-06", "07-20", "08-11", "09-21", "09-22", "09-23", "10-12", "11-03", "11-23"},
		2027: {"01-01", "01-11", "02-11", "02-23", "03-21", "03-22", "04-29", "05-03", "05-04", "05-05", "07-19", "08-11", "09-20", "09-23", "10-11", "11-03", "11-23"},
		2030: {"01-01", "01-14", "02-11", "02-23", "03-20", "04-29", "05-03", "05-04", "05-05", "05-06", "07-15", "08-11", "08-12", "09-16", "09-23", "10-14", "11-03", "11-04", "11-23"},
	}
	for y, days := range want {
		var got []string
		for d := (Date{y, 1, 1}); d.Year == y; d = d.AddDays(1) {
			if _, ok := d.Holiday(); ok {
				got = append(got, fmt.Sprintf("%02d-%02d", d.Month, d.Day))
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(days) {
			t.Errorf("holidays of %d:\n got %v\nwant %v", y, got, days)
		}
	}
	for _, tc := range []struct {
		d    Date
		want string
	}{
		{Date{2026, 9, 22}, citizensHoliday}, {Date{2027, 3, 22}, substituteHoliday}, {Date{2026, 5, 6}, substituteHoliday},
		{Date{2021, 8, 9}, substituteHoliday}, {Date{2021, 7, 22}, "海の日"}, {Date{2026, 7, 20}, "海の日"}, {Date{2026, 3, 20}, "春分の日"},
	} {
		if got, _ := tc.d.Holiday(); got != tc.want {
			t.Errorf("%v.Holiday() = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// TestHolidayTableIsWellFormed: each row names its day one way, cites the
// law's words, and each move names a row of the table.
func TestHolidayTableIsWellFormed(t *testing.T) {
	names := map[string]bool{}
	for _, r := range holidayRules {
		ways := 0
		for _, set := range []bool{r.Day > 0, r.Monday > 0, r.Equinox != noEquinox} {
			if set {
				ways++
			}
		}
		if ways != 1 || r.Month < 1 || r.Month > 12 || r.Name == "" || r.Law == "" || names[r.Name] {
			t.Errorf("holiday row %+v: want a unique name, a month, one of day/Monday/equinox and the law's words", r)
		}
		names[r.Name] = true
	}
	for _, mv := range holidayMoves {
		if !names[mv.Name] || !strings.HasSuffix(mv.Law, "号") {
			t.Errorf("holiday move %+v: want a holiday of the table and the act's number", mv)
		}
		if _, err := NewDate(mv.Year, mv.Month, mv.Day); err != nil {
			t.Errorf("holiday move %+v: %v", mv, err)
		}
	}
}

func TestGovernmentClosed(t *testing.T) {
	for _, tc := range []struct {
		d    Date
		want bool
	}{
		{Date{2026, 10, 9}, false}, {Date{2026, 10, 10}, true}, {Date{2026, 10, 11}, true}, {Date{2026, 10, 12}, true},
		{Date{2026, 12, 28}, false}, {Date{2026, 12, 29}, true}, {Date{2027, 1, 3}, true}, {Date{2027, 1, 4}, false},
	} {
		if got := tc.d.GovernmentClosed(); got != tc.want {
			t.Errorf("%v.GovernmentClosed() = %v, want %v", tc.d, got, tc.want)
		}
	}
	if wd := (Date{2026, 12, 6}).weekday(); wd != time.Sunday {
		t.Errorf("2026-12-06 is a %v, want Sunday", wd)
	}
}
