package jukinet

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestNewDate(t *testing.T) {
	tests := []struct {
		y, m, d int
		rule    string
	}{
		{2024, 2, 29, ""},
		{2023, 2, 29, "day 29 does not exist in 2023-02"},
		{1900, 2, 29, "day 29"},
		{2000, 2, 29, ""},
		{2024, 4, 31, "day 31"},
		{2024, 13, 1, "month"},
		{2024, 0, 1, "month"},
		{2024, 1, 0, "day 0"},
		{0, 1, 1, "year"},
		{10000, 1, 1, "year"},
	}
	for _, tt := range tests {
		got, err := NewDate(tt.y, time.Month(tt.m), tt.d)
		if tt.rule == "" {
			want := Date{tt.y, time.Month(tt.m), tt.d}
			if err != nil || got != want {
				t.Errorf("NewDate(%d,%d,%d) = %v, %v; want %v", tt.y, tt.m, tt.d, got, err, want)
			}
			continue
		}
		if ErrorKind(err) != KindInvalid || ErrorField(err) != "date" || !strings.Contains(err.Error(), tt.rule) {
			t.Errorf("NewDate(%d,%d,%d) error %v; want invalid date containing %q", tt.y, tt.m, tt.d, err, tt.rule)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // ISO; "" means an error containing rule
		rule string
	}{
		{"2024-04-01", "2024-04-01", ""},
		{" 2024-04-01 ", "2024-04-01", ""},
		{"2024/4/1", "2024-04-01", ""},
		{"2024/04/01", "2024-04-01", ""},
		{"２０２４／４／１", "2024-04-01", ""},
		{"令和6年4月1日", "2024-04-01", ""},
		{"令和６年４月１日", "2024-04-01", ""},
		{"令和元年5月1日", "2019-05-01", ""},
		{"令和1年5月1日", "2019-05-01", ""},
		{"平成元年1月8日", "1989-01-08", ""},
		{"平成31年4月30日", "2019-04-30", ""},
		{"昭和64年1月7日", "1989-01-07", ""},
		{"大正15年12月24日", "1926-12-24", ""},
		{"昭和元年12月25日", "1926-12-25", ""},
		{"明治45年7月29日", "1912-07-29", ""},
		{"大正元年7月30日", "1912-07-30", ""},
		{"明治元年10月23日", "1868-10-23", ""},
		{"R6.4.1", "2024-04-01", ""},
		{"r6.4.1", "2024-04-01", ""},
		{"R06.04.01", "2024-04-01", ""},
		{"R6/4/1", "2024-04-01", ""},
		{"H1.1.8", "1989-01-08", ""},
		{"S64.1.7", "1989-01-07", ""},
		{"T1.7.30", "1912-07-30", ""},
		{"M45.7.29", "1912-07-29", ""},
		{"H元.1.8", "1989-01-08", ""},
		{"", "", "required"},
		{"2024-4-1", "", "not a date"},
		{"24-04-01", "", "not a date"},
		{"2024-02-30", "", "day 30 does not exist"},
		{"2023/2/29", "", "day 29"},
		{"令和6年2月30日", "", "day 30"},
		{"平成元年1月7日", "", "平成 began on 1989-01-08"},
		{"H1.1.7", "", "平成 began"},
		{"昭和64年1月8日", "", "昭和 ended before 1989-01-08"},
		{"S65.1.1", "", "昭和 ended"},
		{"平成31年5月1日", "", "平成 ended"},
		{"令和元年4月30日", "", "令和 began"},
		{"明治元年1月1日", "", "明治 began"},
		{"令和0年5月1日", "", "era year"},
		{"令和6年4月1", "", "not a date"},
		{"令和6年4月日", "", "not a date"},
		{"令和年4月1日", "", "not a date"},
		{"X6.4.1", "", "not a date"},
		{"R6.4", "", "not a date"},
		{"R6.4.1.2", "", "not a date"},
		{"R12345.4.1", "", "not a date"},
		{"R123.4.1", "2141-04-01", ""},
		{"R6.-4.1", "", "not a date"},
		{"2024-04-01T00:00:00Z", "", "not a date"},
		{strings.Repeat("1", 100), "", "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDate("birth_date", tt.in)
			if tt.want != "" {
				if err != nil || got.String() != tt.want {
					t.Errorf("ParseDate(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseDate(%q) = %v, want error containing %q", tt.in, got, tt.rule)
			}
			if ErrorKind(err) != KindInvalid || ErrorField(err) != "birth_date" || !strings.Contains(err.Error(), tt.rule) {
				t.Errorf("ParseDate(%q) error %q; want invalid birth_date containing %q", tt.in, err, tt.rule)
			}
		})
	}
}

func TestWareki(t *testing.T) {
	tests := []struct {
		d    Date
		want string
	}{
		{Date{2024, 4, 1}, "令和6年4月1日"},
		{Date{2019, 5, 1}, "令和元年5月1日"},
		{Date{2019, 4, 30}, "平成31年4月30日"},
		{Date{1989, 1, 8}, "平成元年1月8日"},
		{Date{1989, 1, 7}, "昭和64年1月7日"},
		{Date{1926, 12, 25}, "昭和元年12月25日"},
		{Date{1926, 12, 24}, "大正15年12月24日"},
		{Date{1912, 7, 30}, "大正元年7月30日"},
		{Date{1912, 7, 29}, "明治45年7月29日"},
		{Date{1868, 10, 23}, "明治元年10月23日"},
		{Date{1868, 10, 22}, "1868-10-22"},
		{Date{}, ""},
	}
	for _, tt := range tests {
		if got := tt.d.Wareki(); got != tt.want {
			t.Errorf("%v.Wareki() = %q, want %q", tt.d, got, tt.want)
		}
		if tt.d.Year >= 1868 && tt.want != "" && !strings.HasPrefix(tt.want, "1868-") {
			back, err := ParseDate("d", tt.want)
			if err != nil || back != tt.d {
				t.Errorf("ParseDate(%q) = %v, %v; want %v", tt.want, back, err, tt.d)
			}
		}
	}
}

// TestWarekiRoundTrip walks every day from 1868-10-23 to 2100 through Wareki and ParseDate.
func TestWarekiRoundTrip(t *testing.T) {
	for d := (Date{1868, 10, 23}); d.Year < 2100; d = d.AddDays(1) {
		w := d.Wareki()
		back, err := ParseDate("d", w)
		if err != nil || back != d {
			t.Fatalf("ParseDate(%q) = %v, %v; want %v", w, back, err, d)
		}
	}
}

func TestDateOfAndTime(t *testing.T) {
	// 2024-03-31T15:00Z is midnight of 1 April in Japan.
	utc := time.Date(2024, 3, 31, 15, 0, 0, 0, time.UTC)
	if got, want := DateOf(utc), (Date{2024, 4, 1}); got != want {
		t.Errorf("DateOf(%v) = %v, want %v", utc, got, want)
	}
	if got, want := Today(utc.Add(-time.Nanosecond)), (Date{2024, 3, 31}); got != want {
		t.Errorf("Today(%v) = %v, want %v", utc.Add(-time.Nanosecond), got, want)
	}
	if got := (Date{2024, 4, 1}).Time(); !got.Equal(utc) || got.Location() != JST {
		t.Errorf("Date{2024,4,1}.Time() = %v, want %v in JST", got, utc)
	}
	if _, off := time.Date(2024, 7, 1, 0, 0, 0, 0, JST).Zone(); off != 9*3600 {
		t.Errorf("JST offset = %d, want 32400", off)
	}
}

func TestCompareAndAddDays(t *testing.T) {
	a, b := Date{2024, 2, 28}, Date{2024, 3, 1}
	if !a.Before(b) || a.After(b) || a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
		t.Errorf("ordering of %v and %v wrong", a, b)
	}
	if !(Date{2023, 12, 31}).Before(Date{2024, 1, 1}) || !(Date{2024, 1, 2}).After(Date{2024, 1, 1}) {
		t.Errorf("ordering across months/years wrong")
	}
	tests := []struct {
		d    Date
		n    int
		want Date
	}{
		{a, 1, Date{2024, 2, 29}},
		{a, 2, b},
		{b, -1, Date{2024, 2, 29}},
		{Date{2023, 12, 31}, 1, Date{2024, 1, 1}},
		{Date{2024, 1, 1}, 366, Date{2025, 1, 1}},
		{a, 0, a},
	}
	for _, tt := range tests {
		if got := tt.d.AddDays(tt.n); got != tt.want {
			t.Errorf("%v.AddDays(%d) = %v, want %v", tt.d, tt.n, got, tt.want)
		}
	}
}

func TestAgeOn(t *testing.T) {
	tests := []struct {
		birth, on Date
		want      int
	}{
		{Date{2000, 4, 1}, Date{2024, 3, 31}, 23},
		{Date{2000, 4, 1}, Date{2024, 4, 1}, 24},
		{Date{2000, 4, 1}, Date{2000, 4, 1}, 0},
		{Date{2000, 4, 1}, Date{1999, 4, 1}, 0},
		{Date{2004, 2, 29}, Date{2023, 2, 28}, 18},
		{Date{2004, 2, 29}, Date{2023, 3, 1}, 19},
		{Date{2004, 2, 29}, Date{2024, 2, 29}, 20},
		{Date{2000, 12, 31}, Date{2001, 1, 1}, 0},
	}
	for _, tt := range tests {
		if got := tt.birth.AgeOn(tt.on); got != tt.want {
			t.Errorf("%v.AgeOn(%v) = %d, want %d", tt.birth, tt.on, got, tt.want)
		}
	}
}

func TestDateText(t *testing.T) {
	type wrap struct {
		D Date `json:"d"`
	}
	b, err := json.Marshal(wrap{Date{2024, 4, 1}})
	if err != nil || string(b) != `{"d":"2024-04-01"}` {
		t.Errorf("json.Marshal = %s, %v; want {\"d\":\"2024-04-01\"}", b, err)
	}
	b, _ = json.Marshal(wrap{})
	if string(b) != `{"d":""}` {
		t.Errorf("json.Marshal(zero) = %s, want {\"d\":\"\"}", b)
	}
	var w wrap
	if err := json.Unmarshal([]byte(`{"d":"0987-06-05"}`), &w); err != nil || w.D != (Date{987, 6, 5}) {
		t.Errorf("Unmarshal 0987-06-05 = %v, %v", w.D, err)
	}
	w = wrap{Date{1, 1, 1}}
	if err := json.Unmarshal([]byte(`{"d":""}`), &w); err != nil || !w.D.IsZero() {
		t.Errorf("Unmarshal \"\" = %v, %v; want zero", w.D, err)
	}
	for _, bad := range []string{"2024/4/1", "2024-02-30", "令和6年4月1日", "2024-04-01 ", "0000-01-01", "2024-4-01x"} {
		var d Date
		if err := d.UnmarshalText([]byte(bad)); ErrorKind(err) != KindInvalid || ErrorField(err) != "date" {
			t.Errorf("UnmarshalText(%q) err %v; want invalid date", bad, err)
		}
	}
}

func BenchmarkParseDateWareki(b *testing.B) {
	for b.Loop() {
		_, _ = ParseDate("d", "令和6年4月1日")
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024-04-01", "2024/4/1", "令和6年4月1日", "平成元年1月8日", "R6.4.1", "S64.1.7", "H1.1.7", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate("f", s)
		if err != nil {
			if ErrorKind(err) != KindInvalid || ErrorField(err) != "f" {
				t.Fatalf("ParseDate(%q) err %v: want invalid, field f", s, err)
			}
			return
		}
		if d.problem() != "" {
			t.Fatalf("ParseDate(%q) = %v, not a real date: %s", s, d, d.problem())
		}
		iso := d.String()
		if back, err := ParseDate("f", iso); err != nil || back != d {
			t.Fatalf("ParseDate(%q) = %v, %v; want %v", iso, back, err, d)
		}
		var u Date
		if err := u.UnmarshalText([]byte(iso)); err != nil || u != d {
			t.Fatalf("UnmarshalText(%q) = %v, %v; want %v", iso, u, err, d)
		}
		if w := d.Wareki(); !strings.Contains(w, "-") {
			if back, err := ParseDate("f", w); err != nil || back != d {
				t.Fatalf("ParseDate(Wareki %q) = %v, %v; want %v", w, back, err, d)
			}
		}
	})
}
