package web

import (
	"html/template"
	"net/url"
	"time"

	"github.com/jukinet/jukinet"
)

// funcs are the template helpers: dates in 和暦 with ISO alongside (G-style
// of the counter), and Japanese names of codes.
var funcs = template.FuncMap{
	"events": events,
	"arr":    func(xs ...any) []any { return xs },
	"inc":    func(i int) int { return i + 1 },
	"today":  func(t time.Time) jukinet.Date { return jukinet.Today(t) },
	"fieldsOf": func(fs []formField, v url.Values, e fieldErrors) fieldSet {
		return fieldSet{Fields: fs, Values: v, Errors: e}
	},
	"wareki": func(d jukinet.Date) string {
		if d.IsZero() {
			return ""
		}
		return d.Wareki()
	},
	"iso": func(d jukinet.Date) string {
		if d.IsZero() {
			return ""
		}
		return d.String()
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		t = t.In(jukinet.JST)
		return jukinet.DateOf(t).Wareki() + " " + t.Format("15:04:05")
	},
	"isotime": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(jukinet.JST).Format(time.RFC3339)
	},
	"sex": func(s jukinet.Sex) string { return s.Japanese() },
	"authority": func(a jukinet.Authority) string {
		return a.Japanese()
	},
	"authorityName": func(a string) string { return jukinet.Authority(a).Japanese() },
	"seconds":       func(d time.Duration) string { return d.Round(time.Second).String() },
	"micros": func(us int64) string {
		if us == 0 {
			return ""
		}
		return time.UnixMicro(us).In(jukinet.JST).Format("2006-01-02 15:04:05")
	},
}

// fieldSet is what the "fields" template renders: a form's inputs with the
// values entered and the messages next to them.
type fieldSet struct {
	Fields []formField
	Values url.Values
	Errors fieldErrors
}
