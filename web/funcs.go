package web

import (
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/governance"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/oplog"
)

// funcs are the template helpers: dates in 和暦 with ISO alongside (G-style
// of the counter), and Japanese names of codes.
var funcs = template.FuncMap{
	"events": events,
	"arr":    func(xs ...any) []any { return xs },
	"inc":    func(i int) int { return i + 1 },
	"ms":     func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"finding": func(kind string) string {
		if j, ok := findingKinds[kind]; ok {
			return j
		}
		return kind
	},
	"provided": func(items string) string {
		parts := strings.Split(items, ",")
		for i, p := range parts {
			if j, ok := itemNames[strings.TrimSpace(p)]; ok {
				parts[i] = j
			}
		}
		return strings.Join(parts, "・")
	},
	"microsWareki": func(us int64) string {
		if us == 0 {
			return ""
		}
		t := time.UnixMicro(us).In(jukinet.JST)
		return jukinet.DateOf(t).Wareki() + " " + t.Format("15:04")
	},
	// fieldID is an input's element ID: dots would read as classes in CSS.
	"fieldID": func(name string) string { return "f-" + strings.ReplaceAll(name, ".", "-") },
	"today":   func(t time.Time) jukinet.Date { return jukinet.Today(t) },
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
	// code and reasonText show recorded reason codes and states in Japanese
	// (the one table is jukinet.CodeJapanese).
	"code":            func(set, c string) string { ja, _ := jukinet.CodeJapanese(set, c); return ja },
	"reasonText":      jukinet.JapaneseReasonText,
	"complianceTitle": jukinet.ComplianceTitle,
	"clause":          func(t string) string { return clauseName(governance.ClauseType(t)) },
	"authority": func(a jukinet.Authority) string {
		return a.Japanese()
	},
	"authorityName": func(a string) string { return jukinet.Authority(a).Japanese() },
	"opName":        func(op string) string { return jukinet.Operation(op).Japanese() },
	"operations":    operationChoices,
	"kindName":      network.KindJapanese,
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

// findingKinds names the periodic report's findings (oplog.Finding*).
var findingKinds = map[string]string{
	oplog.FindingOffHours: "時間外の照会", oplog.FindingBulk: "大量照会", oplog.FindingNoPurpose: "目的のない照会",
	oplog.FindingLoginFailures: "ログイン失敗の反復", oplog.FindingSharedID: "照合IDの同時利用", oplog.FindingWatchlist: "要注意者の照会",
	oplog.FindingBrowsing: "大量閲覧（検索結果・一覧）", oplog.FindingAgencySweep: "提供先による住民票コードの総当たり",
	oplog.FindingAgencyMisses: "提供先の該当なしの多発", oplog.FindingAgencyVolume: "提供先の通常を超える照会量",
}

// itemNames names the items of a provision (node.ProvisionRecord.Items).
var itemNames = map[string]string{
	"name": "氏名", "birth_date": "生年月日", "sex": "性別", "address": "住所", "resident_code": "住民票コード",
	"change": "異動情報", "individual_number": "個人番号",
}

// operationChoice is an operation as the log search offers it.
type operationChoice struct{ Code, Name string }

// operationChoices are the operations of the policy table by Japanese name,
// in the order of their codes (which groups them by concern).
func operationChoices() []operationChoice {
	ops := jukinet.Operations()
	out := make([]operationChoice, len(ops))
	for i, op := range ops {
		out[i] = operationChoice{Code: string(op), Name: op.Japanese()}
	}
	return out
}
