package web

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/access"
	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/oplog"
)

// operators lists the 照合ID with their state (the 管理簿's first part).
func (s *server) operators(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Admin == nil {
		return errUnavailable
	}
	b, err := s.cfg.Admin.Registers(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, "operators", b)
}

type operatorData struct {
	Operator    access.Operator
	OperatorIDs []access.OperatorIDRecord
	Done        string
	Errors      fieldErrors
	Message     string
	Values      url.Values
	Authorities []jukinet.Authority
	Now         time.Time
}

var adminDone = map[string]string{
	"enroll": "照合情報を登録しました。", "renew": "照合情報を更新しました。", "revoke": "照合情報を削除しました。",
	"reenroll": "照合情報を再登録しました。", "replace": "照合情報を再登録しました（紛失・負傷）。",
	"assign": "操作者IDを付与しました。", "withdraw": "操作者IDを取り消しました。", "unlock": "ロックを解除しました。",
}

func (s *server) operatorView(w http.ResponseWriter, r *http.Request, d operatorData) error {
	id := r.PathValue("id")
	o, err := s.cfg.Operators.Operator(r.Context(), id)
	if err != nil {
		return err
	}
	ids, err := s.cfg.Operators.OperatorIDs(r.Context(), id)
	if err != nil {
		return err
	}
	d.Operator, d.OperatorIDs, d.Authorities, d.Now = o, ids, jukinet.Authorities(), s.cfg.Now()
	if d.Values == nil {
		d.Values = url.Values{"scope": {"node"}, "valid_until": {jukinet.Today(s.cfg.Now()).AddDays(365).String()}}
	}
	return s.render(w, r, "operator", d)
}

// operator shows one operator with the forms of the アクセス管理責任者.
func (s *server) operator(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Operators == nil {
		return errUnavailable
	}
	return s.operatorView(w, r, operatorData{Done: adminDone[r.URL.Query().Get("done")]})
}

// operatorAction runs one of the operator forms; the last path element names it.
func (s *server) operatorAction(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Operators == nil {
		return errUnavailable
	}
	if err := r.ParseForm(); err != nil {
		return jukinet.E("web.operator", jukinet.KindInvalid, "フォームを読み取れません")
	}
	id, action, f := r.PathValue("id"), eventSlug(r), r.PostForm
	ctx := r.Context()
	var err error
	switch action {
	case "enroll", "renew":
		var reading biometric.Reading
		reading, err = s.enrolReading(id, f)
		if err == nil && action == "enroll" {
			err = s.cfg.Operators.Enroll(ctx, id, reading)
		} else if err == nil {
			err = s.cfg.Operators.Renew(ctx, id, reading)
		}
	case "reenroll":
		// G13.2: the operator's current reading and the new one, in one act.
		var current, fresh biometric.Reading
		current, err = s.readingOf(id, f, "current_reading")
		if err == nil {
			fresh, err = s.enrolReading(id, f)
		}
		if err == nil {
			err = s.cfg.Operators.Reenroll(ctx, id, current, fresh)
		}
	case "replace":
		// A lost or injured finger: a second アクセス管理 operator's 照合
		// and the セキュリティ責任者's recorded decision.
		second := strings.TrimSpace(f.Get("second_collation_id"))
		var fresh, secondReading biometric.Reading
		fresh, err = s.enrolReading(id, f)
		if err == nil {
			secondReading, err = s.readingOf(second, f, "second_reading")
		}
		if err == nil {
			err = s.cfg.Operators.ReplaceLost(ctx, access.Replacement{CollationID: id, Reading: fresh, DecisionID: strings.TrimSpace(f.Get("decision_id")),
				SecondCollationID: second, SecondReading: secondReading})
		}
	case "revoke":
		err = s.cfg.Operators.Revoke(ctx, id, strings.TrimSpace(f.Get("reason")))
	case "assign":
		err = s.assign(r, id, f)
	case "withdraw":
		err = s.cfg.Operators.Withdraw(ctx, strings.TrimSpace(f.Get("operator_id")), strings.TrimSpace(f.Get("reason")))
	case "unlock":
		err = s.cfg.Operators.Unlock(ctx, id)
	default:
		return jukinet.E("web.operator", jukinet.KindNotFound, "不明な操作です")
	}
	if err == nil {
		http.Redirect(w, r, "/admin/operators/"+url.PathEscape(id)+"?done="+action, http.StatusSeeOther)
		return nil
	}
	fe, msg, ok := placeError(err, []string{"reading", "current_reading", "second_reading", "second_collation_id", "reason", "authority", "scope", "valid_until", "decision_id", "operator_id", "collation_id"})
	if !ok {
		switch jukinet.ErrorKind(err) {
		case jukinet.KindConflict, jukinet.KindNotFound, jukinet.KindForbidden, jukinet.KindUnauthorized:
			msg = ruleOf(err)
		default:
			return err
		}
	}
	w.WriteHeader(statusOf(err))
	return s.operatorView(w, r, operatorData{Errors: fe, Message: msg, Values: f})
}

// enrolReading is the reading to enrol, hex in "reading": the reader
// agent's (docs/reader.md), or in the demo the 仮想リーダー's (package demo
// puts it there).
func (s *server) enrolReading(id string, f url.Values) (biometric.Reading, error) {
	return s.readingOf(id, f, "reading")
}

// readingOf is the reading in form field, hex: the reader agent's, or in
// the demo the 仮想リーダー's (package demo puts it there).
func (s *server) readingOf(_ string, f url.Values, field string) (biometric.Reading, error) {
	var reading biometric.Reading
	if raw := strings.TrimSpace(f.Get(field)); raw != "" {
		b, err := hex.DecodeString(raw)
		if err != nil || len(b) != len(reading) {
			return reading, jukinet.E("web.enroll", jukinet.KindInvalid, jukinet.Field(field), "リーダーからの読取データが不正です。もう一度読み取ってください。")
		}
		copy(reading[:], b)
		return reading, nil
	}
	return reading, jukinet.E("web.enroll", jukinet.KindInvalid, jukinet.Field(field), "リーダーで読み取ってください。")
}

func (s *server) assign(r *http.Request, id string, f url.Values) error {
	a := access.Assignment{CollationID: id, Authority: jukinet.Authority(strings.TrimSpace(f.Get("authority"))),
		Scope: strings.TrimSpace(f.Get("scope")), DecisionID: strings.TrimSpace(f.Get("decision_id")), ValidFrom: s.cfg.Now()}
	var bad jukinet.FieldErrors // every input in error, at once
	if !a.Authority.Valid() || a.Authority == jukinet.AuthoritySystem {
		bad.Add(jukinet.E("web.assign", jukinet.KindInvalid, jukinet.Field("authority"), "権限の種類を選択してください。"))
	}
	for _, req := range []struct{ field, value, msg string }{
		{"scope", a.Scope, "適用範囲を入力してください（例: node）。"},
		{"decision_id", a.DecisionID, "セキュリティ責任者が記録した決定の番号を入力してください（G13.3）。"},
	} {
		if req.value == "" {
			bad.Add(jukinet.E("web.assign", jukinet.KindInvalid, jukinet.Field(req.field), req.msg))
		}
	}
	until, err := dateOf(f, "valid_until")
	bad.Add(err)
	if err := bad.Err(); err != nil {
		return err
	}
	a.ValidUntil = until.AddDays(1).Time()
	_, err = s.cfg.Operators.Assign(r.Context(), a)
	return err
}

type logStatusData struct {
	Status LogStatus
	Index  string
	Error  string
}

// logStatus shows the operation log's verification and latest checkpoint,
// with the inclusion-proof export.
func (s *server) logStatus(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Admin == nil {
		return errUnavailable
	}
	st, err := s.cfg.Admin.LogStatus(r.Context())
	if err != nil {
		return err
	}
	d := logStatusData{Status: st, Index: r.URL.Query().Get("index")}
	if r.URL.Query().Get("error") != "" {
		d.Error = "その番号の記録は、まだチェックポイントに含まれていないか、存在しません。"
	}
	return s.render(w, r, "logstatus", d)
}

// logProof downloads one record with its inclusion proof as JSON (what
// `jukinet oplog prove` prints; `jukinet oplog verify-proof` checks it).
func (s *server) logProof(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Admin == nil {
		return errUnavailable
	}
	idx, err := strconv.ParseUint(strings.TrimSpace(r.URL.Query().Get("index")), 10, 64)
	if err != nil {
		return jukinet.E("web.logProof", jukinet.KindInvalid, jukinet.Field("index"), "記録番号（0以上の整数）を指定してください")
	}
	p, err := s.cfg.Admin.Prove(r.Context(), idx)
	if err != nil {
		if k := jukinet.ErrorKind(err); k == jukinet.KindNotFound || k == jukinet.KindInvalid || k == jukinet.KindUnavailable {
			http.Redirect(w, r, "/admin/log?error=1&index="+strconv.FormatUint(idx, 10), http.StatusSeeOther)
			return nil
		}
		return err
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="oplog-proof-`+strconv.FormatUint(idx, 10)+`.json"`)
	_, err = w.Write(append(b, '\n'))
	return err
}

type reportData struct {
	From, To string
	Report   oplog.AnalysisReport
	Errors   fieldErrors
}

// report is the periodic misuse analysis (G15): by default the last 30 days.
func (s *server) report(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Admin == nil {
		return errUnavailable
	}
	q := r.URL.Query()
	today := jukinet.Today(s.cfg.Now())
	d := reportData{From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to"))}
	if d.From == "" {
		d.From = today.AddDays(-30).String()
	}
	if d.To == "" {
		d.To = today.String()
	}
	from, err := jukinet.ParseDate("from", d.From)
	if err == nil {
		var to jukinet.Date
		if to, err = jukinet.ParseDate("to", d.To); err == nil {
			d.Report, err = s.cfg.Admin.Analyse(r.Context(), from.Time(), to.AddDays(1).Time())
		}
	}
	if err != nil {
		fe, msg, ok := placeError(err, []string{"from", "to"})
		if !ok {
			return err
		}
		if fe == nil {
			fe = fieldErrors{"from": msg}
		}
		d.Errors = fe
		w.WriteHeader(statusInvalid)
	}
	return s.render(w, r, "report", d)
}

type disclosureData struct {
	Code     string
	Records  []node.ProvisionRecord
	Searched bool
	Error    string
	Printed  time.Time
	Agencies map[string]string     // agency ID → name
	Identity *jukinet.IdentityInfo // the person's own 本人確認情報 held (nil: none)
}

// disclosure is the national server's 本人確認情報の提供状況の開示 (法30条の32):
// which agencies received the person's identity information, for what.
func (s *server) disclosure(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.National == nil {
		return errUnavailable
	}
	d := disclosureData{Code: strings.TrimSpace(r.URL.Query().Get("resident_code"))}
	if d.Code == "" {
		return s.render(w, r, "disclosure", d)
	}
	if !jukinet.ValidResidentCode(d.Code) {
		d.Error = "住民票コード（11桁、検査数字付き）を入力してください。"
		w.WriteHeader(statusInvalid)
		return s.render(w, r, "disclosure", d)
	}
	recs, err := s.cfg.National.SelfDisclosure(r.Context(), jukinet.ResidentCode(d.Code))
	if err != nil {
		if fe, msg, ok := formError(err); ok {
			d.Error = msg + fe["resident_code"]
			w.WriteHeader(statusInvalid)
			return s.render(w, r, "disclosure", d)
		}
		return err
	}
	if d.Identity, err = s.cfg.National.DiscloseIdentity(r.Context(), jukinet.ResidentCode(d.Code)); err != nil {
		return err
	}
	d.Records, d.Searched, d.Printed = recs, true, s.cfg.Now()
	d.Agencies = map[string]string{}
	if ags := s.cfg.National.Agencies(); ags != nil {
		for _, a := range ags.List() {
			d.Agencies[a.ID] = a.Name
		}
	}
	return s.render(w, r, "disclosure", d)
}
