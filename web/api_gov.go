package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/governance"
)

// maxGovBody bounds a governance act's JSON body (a contract's clauses or a
// case's proofs are the largest).
const maxGovBody = 1 << 20

// govAct is one governance act (運用管理の行為) as the CLI (`jukinet gov ACT`),
// the JSON API (POST /api/gov/ACT) and the console's forms perform it: the
// same request type of package governance, decoded from JSON.
type govAct struct {
	Name    string
	Op      jukinet.Operation
	Summary string
	run     func(ctx context.Context, s *governance.Service, body []byte) (any, error)
	decode  func(body []byte) error // decodes only: tests check forms against it
}

// decodeGov decodes one JSON object into T: unknown fields and trailing
// data are refused, so a typo is an error, not a silent default.
func decodeGov[T any](body []byte) (T, error) {
	var in T
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		field := "json"
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) && ute.Field != "" {
			field = ute.Field
		}
		return in, jukinet.E("web.gov", jukinet.KindInvalid, jukinet.Field(field), "the request is not valid JSON for this act: "+err.Error())
	}
	if dec.More() {
		return in, jukinet.E("web.gov", jukinet.KindInvalid, jukinet.Field("json"), "one JSON object expected, found more")
	}
	return in, nil
}

func gov[T any](name string, op jukinet.Operation, summary string, f func(ctx context.Context, s *governance.Service, in T) (any, error)) govAct {
	return govAct{Name: name, Op: op, Summary: summary, run: func(ctx context.Context, s *governance.Service, body []byte) (any, error) {
		in, err := decodeGov[T](body)
		if err != nil {
			return nil, err
		}
		return f(ctx, s, in)
	}, decode: func(body []byte) error {
		_, err := decodeGov[T](body)
		return err
	}}
}

// govOK is the answer of an act that creates nothing new.
type govOK struct {
	Status string `json:"status"`
}

// govID is the answer of an act that creates a record.
type govID struct {
	ID string `json:"id"`
}

func okResult(err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return govOK{"ok"}, nil
}

func idResult(id string, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return govID{id}, nil
}

// govActs lists the acts with the operation each performs. The badge reader
// (governance.room.badge) is not here: it runs as the system principal
// "door", never under an operator's session; a person records a passage by
// hand with room-manual.
func govActs() []govAct {
	type S = governance.Service
	return []govAct{
		gov("assign-role", jukinet.OpGovRoleAssign, "役職の任命・交代 (G3–G5, G11-2, G16.2)", func(ctx context.Context, s *S, in governance.Assignment) (any, error) { return s.AssignRole(ctx, in) }),
		gov("convene", jukinet.OpGovMeetingConvene, "セキュリティ会議の開催 (G6)", func(ctx context.Context, s *S, in governance.Meeting) (any, error) { return s.ConveneMeeting(ctx, in) }),
		gov("board-opinion", jukinet.OpGovBoardOpinion, "個人情報保護審査会の意見 (G6.4)", func(ctx context.Context, s *S, in governance.BoardOpinion) (any, error) {
			return okResult(s.RecordBoardOpinion(ctx, in))
		}),
		gov("decide", jukinet.OpGovItemDecide, "議題の決定 (G6.3)", func(ctx context.Context, s *S, in governance.Decision) (any, error) {
			return okResult(s.DecideItem(ctx, in))
		}),
		gov("minutes", jukinet.OpGovMinutesRecord, "議事録 (G6.6)", func(ctx context.Context, s *S, in governance.Minutes) (any, error) {
			return okResult(s.RecordMinutes(ctx, in))
		}),
		gov("instruct", jukinet.OpGovInstructionIssue, "指示・要請 (G7, G10)", func(ctx context.Context, s *S, in governance.Instruction) (any, error) {
			return idResult(s.IssueInstruction(ctx, in))
		}),
		gov("respond", jukinet.OpGovInstructionRespond, "指示・要請への回答", func(ctx context.Context, s *S, in governance.Response) (any, error) {
			return okResult(s.RespondInstruction(ctx, in))
		}),
		gov("case-open", jukinet.OpGovCaseOpen, "不適正利用事案の登録 (G8.1)", func(ctx context.Context, s *S, in governance.CaseOpening) (any, error) {
			return idResult(s.OpenCase(ctx, in))
		}),
		gov("case-evidence", jukinet.OpGovCaseEvidence, "操作履歴の証拠の追加", func(ctx context.Context, s *S, in governance.CaseEvidence) (any, error) {
			return okResult(s.AddCaseEvidence(ctx, in))
		}),
		gov("case-request-report", jukinet.OpGovReportRequest, "報告の求め (G8.1)", func(ctx context.Context, s *S, in governance.ReportRequest) (any, error) {
			return idResult(s.RequestReport(ctx, in))
		}),
		gov("case-report-answer", jukinet.OpGovReportAnswer, "報告の受領", func(ctx context.Context, s *S, in governance.ReportAnswer) (any, error) {
			return okResult(s.RecordReportAnswer(ctx, in))
		}),
		gov("case-entry", jukinet.OpGovCaseEntry, "調査記録・保護措置 (G8.2)", func(ctx context.Context, s *S, in governance.CaseEntry) (any, error) {
			return okResult(s.AddCaseEntry(ctx, in))
		}),
		gov("case-judge", jukinet.OpGovCaseJudge, "権利侵害の有無の判断 (G8.2)", func(ctx context.Context, s *S, in governance.Judgement) (any, error) {
			return okResult(s.Judge(ctx, in))
		}),
		gov("case-close", jukinet.OpGovCaseClose, "事案の終結", func(ctx context.Context, s *S, in governance.Closure) (any, error) {
			return okResult(s.CloseCase(ctx, in))
		}),
		gov("room-authorize", jukinet.OpGovRoomAuthorize, "入室の事前承認 (G9.1)", func(ctx context.Context, s *S, in governance.RoomAuthorization) (any, error) {
			return idResult(s.AuthorizeRoom(ctx, in))
		}),
		gov("room-revoke", jukinet.OpGovRoomRevoke, "事前承認の取消", func(ctx context.Context, s *S, in governance.Revocation) (any, error) {
			return okResult(s.RevokeRoom(ctx, in))
		}),
		gov("room-manual", jukinet.OpGovRoomManualEntry, "手動による入退室記録 (G9.2)", func(ctx context.Context, s *S, in governance.ManualPassage) (any, error) {
			return okResult(s.RecordManualPassage(ctx, in))
		}),
		gov("alert-answer", jukinet.OpGovAlertAnswer, "警報への回答", func(ctx context.Context, s *S, in governance.AlertAnswer) (any, error) {
			return okResult(s.AnswerAlert(ctx, in))
		}),
		gov("room-report", jukinet.OpGovRoomReport, "入退室管理の定期報告 (G10)", func(ctx context.Context, s *S, in governance.RoomReport) (any, error) {
			return s.SubmitRoomReport(ctx, in)
		}),
		gov("asset", jukinet.OpGovAssetRegister, "情報資産の登録 (G16)", func(ctx context.Context, s *S, in governance.Asset) (any, error) {
			return idResult(s.RegisterAsset(ctx, in))
		}),
		gov("access-decide", jukinet.OpGovAccessDecide, "セキュリティ責任者による操作者IDの付与・照合情報の再登録の決定 (G13.3)", func(ctx context.Context, s *S, in governance.AccessDecision) (any, error) {
			return idResult(s.DecideAccess(ctx, in))
		}),
		gov("designate-handler", jukinet.OpGovHandlerDesignate, "本人確認情報を取り扱う者の指定 (G16-2.1)", func(ctx context.Context, s *S, in governance.HandlerDesignation) (any, error) {
			return idResult(s.DesignateHandler(ctx, in))
		}),
		gov("revoke-handler", jukinet.OpGovHandlerRevoke, "指定の終了", func(ctx context.Context, s *S, in governance.Revocation) (any, error) {
			return okResult(s.RevokeHandler(ctx, in))
		}),
		gov("form", jukinet.OpGovFormRegister, "帳票の登録 (G16-2.2)", func(ctx context.Context, s *S, in governance.Form) (any, error) {
			return idResult(s.RegisterForm(ctx, in))
		}),
		gov("print", jukinet.OpGovFormPrint, "帳票の出力記録", func(ctx context.Context, s *S, in governance.Print) (any, error) {
			return idResult(s.RecordPrint(ctx, in))
		}),
		gov("dispose", jukinet.OpGovFormDispose, "出力帳票の廃棄記録", func(ctx context.Context, s *S, in governance.Disposal) (any, error) {
			return okResult(s.RecordDisposal(ctx, in))
		}),
		gov("outsource", jukinet.OpGovOutsourcingRequest, "外部委託の申請 (G17–18)", func(ctx context.Context, s *S, in governance.OutsourcingRequest) (any, error) {
			return idResult(s.RequestOutsourcing(ctx, in))
		}),
		gov("approve", jukinet.OpGovOutsourcingApprove, "外部委託の承認 (G18)", func(ctx context.Context, s *S, in governance.Approval) (any, error) {
			return okResult(s.ApproveOutsourcing(ctx, in))
		}),
		gov("check-contract", jukinet.OpGovContractCheck, "契約条項の確認 (G19)", func(ctx context.Context, s *S, in governance.ContractCheck) (any, error) {
			return okResult(s.CheckContract(ctx, in))
		}),
		gov("activate", jukinet.OpGovContractActivate, "契約の発効", func(ctx context.Context, s *S, in governance.Activation) (any, error) {
			return okResult(s.ActivateContract(ctx, in))
		}),
		gov("inspect", jukinet.OpGovInspectionRecord, "委託先の検査 (G20)", func(ctx context.Context, s *S, in governance.Inspection) (any, error) {
			return idResult(s.RecordInspection(ctx, in))
		}),
		gov("follow-up-done", jukinet.OpGovFollowUpDone, "検査後の是正の完了", func(ctx context.Context, s *S, in governance.FollowUpDone) (any, error) {
			return okResult(s.CompleteFollowUp(ctx, in))
		}),
	}
}

func govActByName(name string) (govAct, bool) {
	for _, a := range govActs() {
		if a.Name == name {
			return a, true
		}
	}
	return govAct{}, false
}

// apiRoutes are the JSON API's routes: one POST per act, guarded by the act's
// operation like the console's pages, and the role history.
func apiRoutes() []route {
	out := []route{{"GET /api/gov/roles", jukinet.OpGovComplianceReport, "", (*server).apiGovRoles}}
	for _, a := range govActs() {
		out = append(out, route{"POST /api/gov/" + a.Name, guardOp(a.Op), "", (*server).apiGovAct})
	}
	return out
}

// apiError is the body of a refused API request.
type apiError struct {
	Op      string `json:"op"`
	Kind    string `json:"kind"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func apiErrorOf(err error) (int, apiError) {
	kind := jukinet.ErrorKind(err)
	body := apiError{Kind: kind.String(), Field: jukinet.ErrorField(err), Message: jukinet.UserMessage(err)}
	var e *jukinet.Error
	if errors.As(err, &e) {
		body.Op = e.Op
	}
	if kind == jukinet.KindInternal || kind == jukinet.KindOther {
		body.Kind = jukinet.KindInternal.String()
	} else {
		body.Message = ruleOf(err)
	}
	return kind.HTTPStatus(), body
}

func (s *server) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

func (s *server) apiFail(w http.ResponseWriter, r *http.Request, err error) {
	status, body := apiErrorOf(err)
	if status >= 500 {
		s.cfg.Logf("web: %s %s: %v", r.Method, routeOf(r.URL.Path), redact(err.Error()))
	}
	s.writeJSON(w, status, body)
}

// apiGovAct performs the act named by the last path element with the JSON
// body; the answer is the act's result (an id, a record or {"status":"ok"}).
func (s *server) apiGovAct(w http.ResponseWriter, r *http.Request) error {
	name := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	act, found := govActByName(name)
	if !found {
		s.apiFail(w, r, jukinet.E("web.apiGov", jukinet.KindNotFound, "no such act"))
		return nil
	}
	if s.cfg.Gov == nil {
		s.apiFail(w, r, errUnavailable)
		return nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		s.apiFail(w, r, jukinet.E("web.apiGov", jukinet.KindInvalid, jukinet.Field("Content-Type"), "send application/json"))
		return nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxGovBody))
	if err != nil {
		s.apiFail(w, r, jukinet.E("web.apiGov", jukinet.KindTooLarge, jukinet.Field("json"), "the request body exceeds 1 MiB"))
		return nil
	}
	out, err := act.run(r.Context(), s.cfg.Gov, body)
	if err != nil {
		s.apiFail(w, r, err)
		return nil
	}
	s.writeJSON(w, http.StatusOK, out)
	return nil
}

// apiGovRoles answers the role history (every holding, oldest first).
func (s *server) apiGovRoles(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Gov == nil {
		s.apiFail(w, r, errUnavailable)
		return nil
	}
	h, err := s.cfg.Gov.RoleHistory(r.Context())
	if err != nil {
		s.apiFail(w, r, err)
		return nil
	}
	if h == nil {
		h = []governance.RoleHolding{}
	}
	s.writeJSON(w, http.StatusOK, h)
	return nil
}
