package jukinet

import (
	"strconv"
	"strings"
	"time"
)

// JST is Japan Standard Time, a fixed +09:00 (Japan has no daylight saving).
// Civil dates in the register (生年月日, 異動年月日) are dates in JST.
var JST = time.FixedZone("JST", 9*60*60)

// Date is a civil date without a time of day (年月日). The zero value means
// "unset". Dates are compared and stored as the proleptic Gregorian calendar.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate returns the date y-m-d. Errors: KindInvalid, field "date", if the
// date does not exist or the year is outside 1–9999.
func NewDate(y int, m time.Month, d int) (Date, error) {
	if problem := dateProblem(y, int(m), d); problem != "" {
		return Date{}, E("jukinet.NewDate", KindInvalid, Field("date"), problem)
	}
	return Date{y, m, d}, nil
}

// dateProblem says why y-m-d is not a real date, or returns "".
func dateProblem(y, m, d int) string {
	switch {
	case y < 1 || y > 9999:
		return "year must be between 1 and 9999"
	case m < 1 || m > 12:
		return "month must be between 1 and 12"
	case d < 1 || d > daysIn(y, time.Month(m)):
		return "day " + strconv.Itoa(d) + " does not exist in " + strconv.Itoa(y) + "-" + twoDigits(m)
	}
	return ""
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// era is a Japanese era (元号) and the day it began.
type era struct {
	name   string // 令和
	letter byte   // R
	start  Date
}

// eras, oldest first. Meiji is taken to start on 1868-10-23 (the day of the
// proclamation, by the Gregorian calendar); earlier dates have no era here.
var eras = [...]era{
	{"明治", 'M', Date{1868, time.October, 23}},
	{"大正", 'T', Date{1912, time.July, 30}},
	{"昭和", 'S', Date{1926, time.December, 25}},
	{"平成", 'H', Date{1989, time.January, 8}},
	{"令和", 'R', Date{2019, time.May, 1}},
}

// eraOf returns the index of the era d falls in, or -1 before Meiji.
func eraOf(d Date) int {
	for i := len(eras) - 1; i >= 0; i-- {
		if !d.Before(eras[i].start) {
			return i
		}
	}
	return -1
}

// ParseDate parses a date as written on forms: ISO "2006-01-02", "2006/1/2",
// or 和暦 such as "令和6年4月1日", "平成元年1月8日", "R6.4.1", "H1.1.8",
// "S64.1.7" (full-width digits accepted). A 和暦 date must fall within its
// era: 平成元年1月7日 does not exist (it was 昭和64年1月7日). Errors:
// KindInvalid with the given field name, saying which rule was broken.
func ParseDate(field, s string) (Date, error) {
	d, problem := parseDate(s)
	if problem != "" {
		return Date{}, E("jukinet.ParseDate", KindInvalid, Field(field), problem)
	}
	return d, nil
}

const dateFormats = `want YYYY-MM-DD, YYYY/M/D or 和暦 like 令和6年4月1日 or R6.4.1`

func parseDate(s string) (Date, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}, "required"
	}
	if len(s) > 64 {
		return Date{}, "too long; " + dateFormats
	}
	s = foldDateText(s)

	eraIndex := -1
	for i, e := range eras {
		if strings.HasPrefix(s, e.name) {
			eraIndex, s = i, s[len(e.name):]
			break
		}
		if s[0] == e.letter || s[0] == e.letter+('a'-'A') {
			eraIndex, s = i, s[1:]
			break
		}
	}

	var parts [3]int
	var ok bool
	if eraIndex >= 0 {
		parts, ok = splitWareki(s)
	} else {
		parts, ok = splitGregorian(s)
	}
	if !ok {
		return Date{}, "not a date: " + dateFormats
	}
	y, m, d := parts[0], parts[1], parts[2]
	if eraIndex >= 0 {
		if y < 1 || y > 9999 {
			return Date{}, "era year must be 1 (元年) or more"
		}
		y += eras[eraIndex].start.Year - 1
	}
	if problem := dateProblem(y, m, d); problem != "" {
		return Date{}, problem
	}
	date := Date{y, time.Month(m), d}
	if eraIndex >= 0 {
		if date.Before(eras[eraIndex].start) {
			return Date{}, eras[eraIndex].name + " began on " + eras[eraIndex].start.String()
		}
		if eraIndex+1 < len(eras) && !date.Before(eras[eraIndex+1].start) {
			return Date{}, eras[eraIndex].name + " ended before " + eras[eraIndex+1].start.String()
		}
	}
	return date, ""
}

// foldDateText maps full-width digits and separators to ASCII.
func foldDateText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + r - '０'
		case r == '／':
			return '/'
		case r == '－':
			return '-'
		case r == '．':
			return '.'
		}
		return r
	}, s)
}

// splitGregorian reads YYYY-MM-DD (strict ISO) or YYYY/M/D.
func splitGregorian(s string) ([3]int, bool) {
	if len(s) == 10 && s[4] == '-' && s[7] == '-' {
		y, ok1 := number(s[0:4], 4, 4)
		m, ok2 := number(s[5:7], 2, 2)
		d, ok3 := number(s[8:10], 2, 2)
		return [3]int{y, m, d}, ok1 && ok2 && ok3
	}
	f := strings.Split(s, "/")
	if len(f) != 3 {
		return [3]int{}, false
	}
	y, ok1 := number(f[0], 4, 4)
	m, ok2 := number(f[1], 1, 2)
	d, ok3 := number(f[2], 1, 2)
	return [3]int{y, m, d}, ok1 && ok2 && ok3
}

// splitWareki reads what follows the era: "6年4月1日", "元年5月1日", or
// "6.4.1" with '.', '/' or '-' as separator.
func splitWareki(s string) ([3]int, bool) {
	var f []string
	if strings.HasSuffix(s, "日") {
		s = strings.TrimSuffix(s, "日")
		y, rest, ok1 := strings.Cut(s, "年")
		m, d, ok2 := strings.Cut(rest, "月")
		if !ok1 || !ok2 {
			return [3]int{}, false
		}
		f = []string{y, m, d}
	} else {
		for _, sep := range []string{".", "/", "-"} {
			if strings.Contains(s, sep) {
				f = strings.Split(s, sep)
				break
			}
		}
		if len(f) != 3 {
			return [3]int{}, false
		}
	}
	y, ok := 1, f[0] == "元"
	if !ok {
		y, ok = number(f[0], 1, 4)
	}
	m, ok2 := number(f[1], 1, 2)
	d, ok3 := number(f[2], 1, 2)
	return [3]int{y, m, d}, ok && ok2 && ok3
}

// number parses minLen–maxLen ASCII digits.
func number(s string, minLen, maxLen int) (int, bool) {
	if len(s) < minLen || len(s) > maxLen || !allASCIIDigits(s) {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// DateOf returns the civil date of t in JST.
func DateOf(t time.Time) Date {
	y, m, d := t.In(JST).Date()
	return Date{y, m, d}
}

// Today returns the date of now in JST; the same as DateOf, for readability at
// call sites that take the current time as a parameter.
func Today(now time.Time) Date { return DateOf(now) }

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d == Date{} }

// String returns the ISO form "2024-04-01", or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	b := make([]byte, 0, 10)
	b = appendPadded(b, d.Year, 4)
	b = append(b, '-')
	b = appendPadded(b, int(d.Month), 2)
	b = append(b, '-')
	b = appendPadded(b, d.Day, 2)
	return string(b)
}

func appendPadded(b []byte, n, width int) []byte {
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	s := strconv.Itoa(n)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// Wareki returns the date in the Japanese calendar, "令和6年4月1日", with 元年
// for the first year of an era. Dates before Meiji are given in ISO form; the
// zero Date gives "".
func (d Date) Wareki() string {
	if d.IsZero() {
		return ""
	}
	i := eraOf(d)
	if i < 0 {
		return d.String()
	}
	year := "元"
	if y := d.Year - eras[i].start.Year + 1; y > 1 {
		year = strconv.Itoa(y)
	}
	return eras[i].name + year + "年" + strconv.Itoa(int(d.Month)) + "月" + strconv.Itoa(d.Day) + "日"
}

// Compare returns -1, 0 or +1 as d is before, equal to or after o.
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return cmpInt(d.Year, o.Year)
	case d.Month != o.Month:
		return cmpInt(int(d.Month), int(o.Month))
	}
	return cmpInt(d.Day, o.Day)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Before reports whether d is before o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is after o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// AddDays returns the date n days after d (before, if n is negative).
func (d Date) AddDays(n int) Date {
	y, m, day := time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC).Date()
	return Date{y, m, day}
}

// Time returns midnight at the start of d in JST.
func (d Date) Time() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, JST)
}

// AgeOn returns the age in completed years on the date on of a person born on
// d; 0 if on is before d. The age goes up on the birthday (for 2月29日
// births, on 3月1日 in common years), which matches 年齢計算ニ関スル法律 for any
// day as a whole: the legal age is reached at the end of the previous day.
func (d Date) AgeOn(on Date) int {
	if on.Before(d) {
		return 0
	}
	age := on.Year - d.Year
	if on.Month < d.Month || (on.Month == d.Month && on.Day < d.Day) {
		age--
	}
	return age
}

// MarshalText encodes d as ISO "2006-01-02"; the zero Date as "".
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText decodes ISO "2006-01-02"; "" gives the zero Date. Errors:
// KindInvalid, field "date".
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	s := string(b)
	parts, ok := [3]int{}, len(s) == 10 && s[4] == '-' && s[7] == '-'
	if ok {
		parts, ok = splitGregorian(s)
	}
	if !ok {
		return E("jukinet.Date.UnmarshalText", KindInvalid, Field("date"), "want ISO YYYY-MM-DD")
	}
	if problem := dateProblem(parts[0], parts[1], parts[2]); problem != "" {
		return E("jukinet.Date.UnmarshalText", KindInvalid, Field("date"), problem)
	}
	*d = Date{parts[0], time.Month(parts[1]), parts[2]}
	return nil
}

// problem says why d is not a real date, or returns ""; used by Validate methods.
func (d Date) problem() string {
	return dateProblem(d.Year, int(d.Month), d.Day)
}
