package jukinet

import (
	"math"
	"time"
)

// The holiday calendar (国民の祝日) as data: one row per holiday of 国民の祝日に
// 関する法律 (昭和23年法律第178号) 2条 as in force since 2020, with the words of
// the law, then the years a special act moved a holiday, then the two days
// the law derives from the others (3条2項 振替休日, 3条3項 国民の休日). To audit
// it, read the rows against the law; to extend it (an amendment, a new
// special year), add a row. The tests check whole years against the Cabinet
// Office's published tables.

// holidayRule is one 国民の祝日: on a fixed day of its month, on the n-th
// Monday of its month (ハッピーマンデー), or on an equinox day.
type holidayRule struct {
	Name    string
	Month   time.Month
	Day     int     // a fixed day of the month; 0 when Monday or Equinox sets it
	Monday  int     // the n-th Monday of the month; 0 when not a Monday holiday
	Equinox equinox // the vernal or autumnal equinox day (春分日, 秋分日)
	Law     string  // the day as the law names it
}

type equinox uint8

const (
	noEquinox equinox = iota
	vernalEquinox
	autumnalEquinox
)

// holidayRules are the holidays of 国民の祝日に関する法律 2条.
var holidayRules = []holidayRule{
	{Name: "元日", Month: 1, Day: 1, Law: "1月1日"},
	{Name: "成人の日", Month: 1, Monday: 2, Law: "1月の第2月曜日"},
	{Name: "建国記念の日", Month: 2, Day: 11, Law: "政令で定める日 (昭和41年政令第376号: 2月11日)"},
	{Name: "天皇誕生日", Month: 2, Day: 23, Law: "2月23日 (平成29年法律第63号附則により令和2年から)"},
	{Name: "春分の日", Month: 3, Equinox: vernalEquinox, Law: "春分日"},
	{Name: "昭和の日", Month: 4, Day: 29, Law: "4月29日"},
	{Name: "憲法記念日", Month: 5, Day: 3, Law: "5月3日"},
	{Name: "みどりの日", Month: 5, Day: 4, Law: "5月4日"},
	{Name: "こどもの日", Month: 5, Day: 5, Law: "5月5日"},
	{Name: "海の日", Month: 7, Monday: 3, Law: "7月の第3月曜日"},
	{Name: "山の日", Month: 8, Day: 11, Law: "8月11日"},
	{Name: "敬老の日", Month: 9, Monday: 3, Law: "9月の第3月曜日"},
	{Name: "秋分の日", Month: 9, Equinox: autumnalEquinox, Law: "秋分日"},
	{Name: "スポーツの日", Month: 10, Monday: 2, Law: "10月の第2月曜日"},
	{Name: "文化の日", Month: 11, Day: 3, Law: "11月3日"},
	{Name: "勤労感謝の日", Month: 11, Day: 23, Law: "11月23日"},
}

// holidayMove puts a holiday on another day in one year, by a special act.
type holidayMove struct {
	Year  int
	Name  string // the holidayRules row it moves
	Month time.Month
	Day   int
	Law   string
}

// holidayMoves are the years of the Tokyo Olympic and Paralympic Games
// (東京オリンピック競技大会・東京パラリンピック競技大会特別措置法).
var holidayMoves = []holidayMove{
	{2020, "海の日", 7, 23, "平成30年法律第57号"},
	{2020, "スポーツの日", 7, 24, "平成30年法律第57号"},
	{2020, "山の日", 8, 10, "平成30年法律第57号"},
	{2021, "海の日", 7, 22, "令和2年法律第68号"},
	{2021, "スポーツの日", 7, 23, "令和2年法律第68号"},
	{2021, "山の日", 8, 8, "令和2年法律第68号"},
}

// Names of the days the law derives from the holidays.
const (
	substituteHoliday = "振替休日"  // 3条2項: the first day after a Sunday holiday that is no holiday
	citizensHoliday   = "国民の休日" // 3条3項: a day between two holidays
)

// day is the date of the rule in year y.
func (r holidayRule) day(y int) (time.Month, int) {
	for _, mv := range holidayMoves {
		if mv.Year == y && mv.Name == r.Name {
			return mv.Month, mv.Day
		}
	}
	switch {
	case r.Monday > 0:
		return r.Month, nthMonday(y, r.Month, r.Monday)
	case r.Equinox != noEquinox:
		return r.Month, equinoxDay(y, r.Equinox == vernalEquinox)
	}
	return r.Month, r.Day
}

// Holiday returns the name of the public holiday on d: a 国民の祝日, a 振替休日
// or a 国民の休日. The rules are those in force since 2020, so dates before
// 2020 are not reliable; dates after are right until the law changes.
func (d Date) Holiday() (string, bool) {
	if name, ok := nationalHoliday(d); ok {
		return name, true
	}
	if d.weekday() == time.Sunday {
		return "", false
	}
	// 振替休日: a run of holidays back to a Sunday ends the day before.
	for p := d.AddDays(-1); ; p = p.AddDays(-1) {
		if _, ok := nationalHoliday(p); !ok {
			break
		}
		if p.weekday() == time.Sunday {
			return substituteHoliday, true
		}
	}
	_, before := nationalHoliday(d.AddDays(-1))
	_, after := nationalHoliday(d.AddDays(1))
	if before && after {
		return citizensHoliday, true
	}
	return "", false
}

// GovernmentClosed reports whether d is a day the administrative organs are
// closed (行政機関の休日に関する法律 1条): a Saturday, a Sunday, a public holiday,
// or the year-end closure from 12月29日 to 1月3日.
func (d Date) GovernmentClosed() bool {
	if wd := d.weekday(); wd == time.Saturday || wd == time.Sunday {
		return true
	}
	if _, ok := d.Holiday(); ok {
		return true
	}
	return d.Month == 12 && d.Day >= 29 || d.Month == 1 && d.Day <= 3
}

// nationalHoliday is the 国民の祝日 of holidayRules on d, if any.
func nationalHoliday(d Date) (string, bool) {
	for _, r := range holidayRules {
		if m, day := r.day(d.Year); m == d.Month && day == d.Day {
			return r.Name, true
		}
	}
	return "", false
}

func (d Date) weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

// nthMonday is the day of month of the n-th Monday of y-m.
func nthMonday(y int, m time.Month, n int) int {
	first := Date{y, m, 1}.weekday()
	offset := (int(time.Monday) - int(first) + 7) % 7
	return 1 + offset + 7*(n-1)
}

// equinoxDay is the day of the vernal (March) or autumnal (September)
// equinox by the usual approximation for 1980–2099. The law names the day
// the National Astronomical Observatory publishes each February for the
// next year (暦要項); the tests check the approximation against those.
func equinoxDay(y int, vernal bool) int {
	base := 23.2488
	if vernal {
		base = 20.8431
	}
	return int(math.Floor(base+0.242194*float64(y-1980))) - (y-1980)/4
}
