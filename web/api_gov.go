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

// decodeAct decodes one JSON object into a new request of the act's type:
// unknown fields and trailing data are refused, so a typo is an error, not
// a silent default.
func decodeAct(a governance.Act, body []byte) (any, error) {
	in := a.Input()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(in); err != nil {
		field := "json"
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) && ute.Field != "" {
			field = ute.Field
		}
		return nil, jukinet.E("web.gov", jukinet.KindInvalid, jukinet.Field(field), "the request is not valid JSON for this act: "+err.Error())
	}
	if dec.More() {
		return nil, jukinet.E("web.gov", jukinet.KindInvalid, jukinet.Field("json"), "one JSON object expected, found more")
	}
	return in, nil
}

// runAct decodes body and performs the act.
func runAct(ctx context.Context, a governance.Act, s *governance.Service, body []byte) (any, error) {
	in, err := decodeAct(a, body)
	if err != nil {
		return nil, err
	}
	return a.Do(ctx, s, in)
}

// operatorAct is a governance act that an operator performs through the
// console or the API (POST /api/gov/NAME): not a read, and not the badge
// reader's act, which runs as the system principal "door", never under an
// operator's session (a person records a passage by hand with room-manual).
func operatorAct(a governance.Act) bool { return !a.Read && !a.System }

// govActByName returns the operator act called name.
func govActByName(name string) (governance.Act, bool) {
	a, ok := governance.ActByName(name)
	return a, ok && operatorAct(a)
}

// apiRoutes are the JSON API's routes, one per act of the registry
// (governance.Acts): a POST per operator act and a GET per read, guarded by
// the act's operation like the console's pages.
func apiRoutes() []route {
	var out []route
	for _, a := range governance.Acts() {
		switch {
		case a.Read:
			out = append(out, route{"GET /api/gov/" + a.Name, guardOp(a.Op), "", (*server).apiGovRead})
		case operatorAct(a):
			out = append(out, route{"POST /api/gov/" + a.Name, guardOp(a.Op), "", (*server).apiGovAct})
		}
	}
	return out
}

// apiError is the body of a refused API request.
type apiError struct {
	Op      string `json:"op"`
	Kind    string `json:"kind"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	// Fields is every field in error with its rule, when there are more
	// than one (jukinet.FieldErrors); Field is the first of them.
	Fields []apiFieldError `json:"fields,omitempty"`
}

type apiFieldError struct {
	Field   string `json:"field"`
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
		if all := jukinet.AllFieldErrors(err); len(all) > 1 {
			for _, e := range all {
				body.Fields = append(body.Fields, apiFieldError{Field: e.Field, Message: ruleOf(e)})
			}
		}
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
	out, err := runAct(r.Context(), act, s.cfg.Gov, body)
	if err != nil {
		s.apiFail(w, r, err)
		return nil
	}
	s.writeJSON(w, http.StatusOK, out)
	return nil
}

// apiGovRead answers a read act (the role history: every holding, oldest
// first).
func (s *server) apiGovRead(w http.ResponseWriter, r *http.Request) error {
	name := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	act, found := governance.ActByName(name)
	if !found || !act.Read {
		s.apiFail(w, r, jukinet.E("web.apiGov", jukinet.KindNotFound, "no such read"))
		return nil
	}
	if s.cfg.Gov == nil {
		s.apiFail(w, r, errUnavailable)
		return nil
	}
	out, err := act.Do(r.Context(), s.cfg.Gov, act.Input())
	if err != nil {
		s.apiFail(w, r, err)
		return nil
	}
	s.writeJSON(w, http.StatusOK, out)
	return nil
}
