package oplog

import (
	"math"
	"time"
)

// Holiday returns the name of the Japanese public holiday (国民の祝日) on the
// calendar day of t in JST, including substitute holidays (振替休日) and
// sandwiched days (国民の休日). The rules are those in force since 2020
// (Act on National Holidays as amended), so dates are right for 2020–2099
// barring new amendments; the tests check 2024–2030 against the Cabinet
// Office's published tables.
func Holiday(t time.Time) (string, bool) {
	t = t.In(JST)
	y, m, d := t.Date()
	if name, ok := baseHoliday(y, m, d); ok {
		return name, true
	}
	day := time.Date(y, m, d, 0, 0, 0, 0, JST)
	// 振替休日: the first non-holiday after a holiday falling on Sunday.
	if day.Weekday() != time.Sunday {
		for p := day.AddDate(0, 0, -1); ; p = p.AddDate(0, 0, -1) {
			py, pm, pd := p.Date()
			if _, ok := baseHoliday(py, pm, pd); !ok {
				break
			}
			if p.Weekday() == time.Sunday {
				return "振替休日", true
			}
		}
	}
	// 国民の休日: a day between two holidays.
	if day.Weekday() != time.Sunday {
		py, pm, pd := day.AddDate(0, 0, -1).Date()
		ny, nm, nd := day.AddDate(0, 0, 1).Date()
		_, before := baseHoliday(py, pm, pd)
		_, after := baseHoliday(ny, nm, nd)
		if before && after {
			return "国民の休日", true
		}
	}
	return "", false
}

// nthMonday is the day of month of the n-th Monday of y-m.
func nthMonday(y int, m time.Month, n int) int {
	first := time.Date(y, m, 1, 0, 0, 0, 0, JST).Weekday()
	offset := (int(time.Monday) - int(first) + 7) % 7
	return 1 + offset + 7*(n-1)
}

// equinoxDay is the day of the vernal (March) or autumnal (September)
// equinox by the usual approximation, valid 1980–2099.
func equinoxDay(y int, vernal bool) int {
	base := 23.2488
	if vernal {
		base = 20.8431
	}
	return int(math.Floor(base+0.242194*float64(y-1980))) - (y-1980)/4
}

func baseHoliday(y int, m time.Month, d int) (string, bool) {
	switch {
	case m == 1 && d == 1:
		return "元日", true
	case m == 1 && d == nthMonday(y, 1, 2):
		return "成人の日", true
	case m == 2 && d == 11:
		return "建国記念の日", true
	case m == 2 && d == 23:
		return "天皇誕生日", true
	case m == 3 && d == equinoxDay(y, true):
		return "春分の日", true
	case m == 4 && d == 29:
		return "昭和の日", true
	case m == 5 && d == 3:
		return "憲法記念日", true
	case m == 5 && d == 4:
		return "みどりの日", true
	case m == 5 && d == 5:
		return "こどもの日", true
	case m == 7 && d == nthMonday(y, 7, 3):
		return "海の日", true
	case m == 8 && d == 11:
		return "山の日", true
	case m == 9 && d == nthMonday(y, 9, 3):
		return "敬老の日", true
	case m == 9 && d == equinoxDay(y, false):
		return "秋分の日", true
	case m == 10 && d == nthMonday(y, 10, 2):
		return "スポーツの日", true
	case m == 11 && d == 3:
		return "文化の日", true
	case m == 11 && d == 23:
		return "勤労感謝の日", true
	}
	return "", false
}

// OfficeHours reports whether t is within office hours: 9:00–17:00 JST on a
// weekday that is neither a public holiday nor in the year-end closure
// (12/29–1/3, 行政機関の休日).
func OfficeHours(t time.Time) bool {
	t = t.In(JST)
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	if _, ok := Holiday(t); ok {
		return false
	}
	if m, d := t.Month(), t.Day(); m == 12 && d >= 29 || m == 1 && d <= 3 {
		return false
	}
	h := t.Hour()
	return h >= 9 && h < 17
}
