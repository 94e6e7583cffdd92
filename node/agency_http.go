package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/pki"
	"github.com/jukinet/jukinet/store"
)

// The agency listener (法30条の9, 別表): the national server answers the
// registered agencies over mutual TLS on a port of its own — the network
// listener speaks only the inter-node protocol (docs/design.md §3). The agency is
// whoever its client certificate names (pki.AgencyFromCert); the body never
// says who is asking.
//
//	POST /v1/provide  {"task": "...", "resident_codes": ["...", ...]}
//	200 {"agency", "task", "records": [...], "not_found": [...]}
//	4xx/5xx {"op", "kind", "field", "message"}

// AgencyProvidePath is the agency listener's provision endpoint.
const AgencyProvidePath = "/v1/provide"

// AgencyLinkCodePath is where an institution fetches the 情報提供用個人識別符号
// requested for it under a 取得番号 (番号法21条の2):
//
//	POST /v1/linkcode  {"acquisition_number": "..."}
//	200 {"agency", "acquisition_number", "link_code"}
const AgencyLinkCodePath = "/v1/linkcode"

// Defaults of AgencyAPIConfig.
const (
	DefaultAgencyRate = 5 // requests per agency per second
	// DefaultAgencyMaxBody fits MaxProvideBatch codes with generous
	// formatting (11 digits, quotes, comma, indentation: under 32 bytes each).
	DefaultAgencyMaxBody = 32*MaxProvideBatch + 4096
	maxTaskLength        = 200 // runes; the 別表's task names are far shorter
)

// AgencyAPIConfig configures the agency API.
type AgencyAPIConfig struct {
	National      *National                        // required
	RatePerSecond float64                          // requests per agency per second; default DefaultAgencyRate
	Burst         int                              // default 2×rate, at least 1
	MaxBodyBytes  int64                            // default DefaultAgencyMaxBody
	Logf          func(format string, args ...any) // refusals and failures; default discards
	Now           func() time.Time                 // the rate limiter's clock; default time.Now
	// SweepNotFound: this many codes of one agency that match nobody
	// within one clock hour raise a sweep alert (default 100): logged and
	// recorded in the operation log once per hour.
	SweepNotFound int
}

// AgencyAPI is the HTTP handler of the agency listener. It must be served
// with pki.NodeCredentials.AgencyServerTLSConfig, which makes sure every
// connection carries a verified agency certificate; it checks again per
// request and refuses (401) a request without one.
type AgencyAPI struct {
	cfg AgencyAPIConfig
	mu  sync.Mutex
	use map[string]*agencyUse // per agency ID
}

// agencyUse is one agency's limits in force: requests per second, persons
// per second (the agency list's quota), persons today (JST), and codes
// that matched nobody this hour (a sweep).
type agencyUse struct {
	requests, persons *rate.Limiter
	day               string
	today             int
	hour              string
	missed            int
	alerted           bool
}

// NewAgencyAPI returns the agency API of cfg.National.
// Errors: KindInvalid without a national server or with a negative limit.
func NewAgencyAPI(cfg AgencyAPIConfig) (*AgencyAPI, error) {
	const op = "node.NewAgencyAPI"
	if cfg.National == nil {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("national"), "the national server is required")
	}
	if cfg.RatePerSecond < 0 || cfg.Burst < 0 || cfg.MaxBodyBytes < 0 || cfg.SweepNotFound < 0 {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("rate"), "rate, burst, body limit and sweep threshold must not be negative")
	}
	if cfg.RatePerSecond == 0 {
		cfg.RatePerSecond = DefaultAgencyRate
	}
	if cfg.Burst == 0 {
		cfg.Burst = max(1, int(2*cfg.RatePerSecond))
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultAgencyMaxBody
	}
	if cfg.SweepNotFound == 0 {
		cfg.SweepNotFound = 100
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &AgencyAPI{cfg: cfg, use: map[string]*agencyUse{}}, nil
}

// usage returns the agency's limits, made on its first request. Agencies
// are authenticated and few (the agency list), so the map stays small;
// a certificate for an agency not on the list gets the defaults (Provide
// refuses it anyway).
func (a *AgencyAPI) usage(agency string) *agencyUse {
	u, ok := a.use[agency]
	if !ok {
		perSecond := float64(DefaultAgencyPersonsPerSecond)
		if ag, ok := a.cfg.National.Agencies().Agency(agency); ok {
			perSecond = ag.PersonsPerSecond
		}
		// The persons' bucket holds one second's quota: also the most
		// persons one request may ask for.
		u = &agencyUse{requests: rate.NewLimiter(rate.Limit(a.cfg.RatePerSecond), a.cfg.Burst),
			persons: rate.NewLimiter(rate.Limit(perSecond), max(1, int(perSecond)))}
		a.use[agency] = u
	}
	return u
}

// allow takes a request token from the agency's bucket.
func (a *AgencyAPI) allow(agency string) bool {
	now := a.cfg.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.usage(agency).requests.AllowN(now, 1)
}

// quota takes n persons from the agency's per-second and per-day quotas
// (agencies.toml), or says which one is spent. Errors: KindRateLimited,
// KindTooLarge (more persons in one request than a second's quota).
func (a *AgencyAPI) quota(agency string, n int) error {
	const op = "agency.provide"
	now := a.cfg.Now()
	perDay := DefaultAgencyPersonsPerDay
	if ag, ok := a.cfg.National.Agencies().Agency(agency); ok {
		perDay = ag.PersonsPerDay
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.usage(agency)
	if day := now.In(jukinet.JST).Format(time.DateOnly); day != u.day {
		// A new day, or the first request since the node started: what the
		// agency asked for today is in the provision records, so a restart
		// does not give it a fresh day's quota.
		midnight, _ := time.ParseInLocation(time.DateOnly, day, jukinet.JST)
		asked, err := a.cfg.National.ProvidedSince(context.Background(), agency, midnight)
		if err != nil {
			return err
		}
		u.day, u.today = day, asked
	}
	if u.today+n > perDay {
		return jukinet.Errorf(op, jukinet.KindRateLimited, "resident_codes", "the agency's quota of %d persons a day is spent (%d asked for today); retry tomorrow", perDay, u.today)
	}
	if n > u.persons.Burst() {
		return jukinet.Errorf(op, jukinet.KindTooLarge, "resident_codes", "%d codes; the agency's quota allows at most %d per second, so per request", n, u.persons.Burst())
	}
	if !u.persons.AllowN(now, n) {
		return jukinet.Errorf(op, jukinet.KindRateLimited, "resident_codes", "more than the agency's quota of %g persons per second; retry later", float64(u.persons.Limit()))
	}
	u.today += n
	return nil
}

// missed counts codes that matched nobody this hour; it reports the count
// when it first reaches the sweep threshold in the hour (the alert).
func (a *AgencyAPI) missed(agency string, n int) (int, bool) {
	now := a.cfg.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.usage(agency)
	if hour := now.In(jukinet.JST).Format("2006-01-02T15"); hour != u.hour {
		u.hour, u.missed, u.alerted = hour, 0, false
	}
	u.missed += n
	if u.missed >= a.cfg.SweepNotFound && !u.alerted {
		u.alerted = true
		return u.missed, true
	}
	return u.missed, false
}

// ProvideRequest is the body of POST /v1/provide.
type ProvideRequest struct {
	Task          string                 `json:"task"`
	ResidentCodes []jukinet.ResidentCode `json:"resident_codes"`
}

// ProvidedRecord is one person's identity information as provided to an
// agency: the items of 法30条の9 (and the 個人番号 only where the 別表 allows
// it), without the reporting municipality or the internal version.
type ProvidedRecord struct {
	ResidentCode     jukinet.ResidentCode     `json:"resident_code"`
	Name             jukinet.Name             `json:"name"`
	BirthDate        jukinet.Date             `json:"birth_date"`
	Sex              jukinet.Sex              `json:"sex"`
	Address          jukinet.Address          `json:"address"`
	Change           jukinet.ChangeInfo       `json:"change"`
	IndividualNumber jukinet.IndividualNumber `json:"individual_number,omitempty"`
}

// ProvideResponse is the body of a successful POST /v1/provide.
type ProvideResponse struct {
	Agency  string           `json:"agency"`
	Task    string           `json:"task"`
	Records []ProvidedRecord `json:"records"`
	// NotFound lists the codes asked for that the server holds no current
	// information for (never registered, or removed); each is recorded too.
	NotFound []jukinet.ResidentCode `json:"not_found"`
}

// AgencyError is the body of a refused request.
type AgencyError struct {
	Op      string `json:"op"`
	Kind    string `json:"kind"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// ServeHTTP answers POST /v1/provide.
func (a *AgencyAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const op = "agency.provide"
	agency, err := pki.PeerAgencyID(r.TLS)
	if err != nil {
		a.refuse(w, r, "", jukinet.E(op, jukinet.KindUnauthorized, "an agency certificate of the network CA is required", err), false)
		return
	}
	if r.URL.Path == AgencyLinkCodePath {
		a.serveLinkCode(w, r, agency)
		return
	}
	if r.URL.Path != AgencyProvidePath {
		a.refuse(w, r, agency, jukinet.Errorf(op, jukinet.KindNotFound, "path", "no endpoint %s; use POST %s", truncateText(r.URL.Path, 64), AgencyProvidePath), false)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		a.writeError(w, http.StatusMethodNotAllowed, jukinet.Errorf(op, jukinet.KindInvalid, "method", "use POST"))
		a.cfg.Logf("agency %s: refused %s %s: method not allowed", agency, r.Method, AgencyProvidePath)
		return
	}
	if !a.allow(agency) {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(1/a.cfg.RatePerSecond))))
		a.refuse(w, r, agency, jukinet.Errorf(op, jukinet.KindRateLimited, "", "more than %g requests per second; retry later", a.cfg.RatePerSecond), false)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		a.refuse(w, r, agency, jukinet.Errorf(op, jukinet.KindInvalid, "content_type", "the body must be application/json"), true)
		return
	}
	req, err := a.decode(w, r)
	if err != nil {
		a.refuse(w, r, agency, err, true)
		return
	}
	if err := a.quota(agency, len(req.ResidentCodes)); err != nil {
		if jukinet.ErrorKind(err) == jukinet.KindRateLimited {
			w.Header().Set("Retry-After", "1")
		}
		a.refuse(w, r, agency, err, true)
		return
	}
	ctx := jukinet.WithActor(r.Context(), jukinet.SystemActor("agency:"+agency))
	infos, err := a.cfg.National.Provide(ctx, agency, req.Task, req.ResidentCodes)
	if err != nil {
		// Provide already put its refusals (unknown agency, task not allowed)
		// in the operation log.
		a.refuse(w, r, agency, err, false)
		return
	}
	resp := ProvideResponse{Agency: agency, Task: req.Task, Records: make([]ProvidedRecord, 0, len(infos)), NotFound: []jukinet.ResidentCode{}}
	got := make(map[jukinet.ResidentCode]bool, len(infos))
	for _, in := range infos {
		got[in.ResidentCode] = true
		resp.Records = append(resp.Records, ProvidedRecord{ResidentCode: in.ResidentCode, Name: in.Name, BirthDate: in.BirthDate,
			Sex: in.Sex, Address: in.Address, Change: in.Change, IndividualNumber: in.IndividualNumber})
	}
	for _, c := range req.ResidentCodes {
		if !got[c] {
			resp.NotFound = append(resp.NotFound, c)
		}
	}
	if len(resp.NotFound) > 0 {
		if n, alert := a.missed(agency, len(resp.NotFound)); alert {
			a.sweepAlert(r.Context(), agency, n)
		}
	}
	writeAgencyJSON(w, http.StatusOK, resp)
}

// LinkCodeReply is the answer of POST /v1/linkcode.
type LinkCodeReply struct {
	Agency            string `json:"agency"`
	AcquisitionNumber string `json:"acquisition_number"`
	LinkCode          string `json:"link_code"`
}

// serveLinkCode answers POST /v1/linkcode: the 符号 requested for this agency
// under the 取得番号 (National.DeliverLinkCode decides and logs).
func (a *AgencyAPI) serveLinkCode(w http.ResponseWriter, r *http.Request, agency string) {
	const op = "agency.linkcode"
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		a.writeError(w, http.StatusMethodNotAllowed, jukinet.Errorf(op, jukinet.KindInvalid, "method", "use POST"))
		return
	}
	if !a.allow(agency) {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(1/a.cfg.RatePerSecond))))
		a.refuse(w, r, agency, jukinet.Errorf(op, jukinet.KindRateLimited, "", "more than %g requests per second; retry later", a.cfg.RatePerSecond), false)
		return
	}
	var req struct {
		AcquisitionNumber string `json:"acquisition_number"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || dec.More() {
		a.refuse(w, r, agency, jukinet.Errorf(op, jukinet.KindInvalid, "body", "one JSON object with acquisition_number only"), true)
		return
	}
	ctx := jukinet.WithActor(r.Context(), jukinet.SystemActor("agency:"+agency))
	code, err := a.cfg.National.DeliverLinkCode(ctx, agency, req.AcquisitionNumber)
	if err != nil {
		a.refuse(w, r, agency, err, false) // the store logged the refusal
		return
	}
	writeAgencyJSON(w, http.StatusOK, LinkCodeReply{Agency: agency, AcquisitionNumber: req.AcquisitionNumber, LinkCode: code})
}

// sweepAlert logs and records that an agency's codes matching nobody
// reached the sweep threshold within the hour: a certificate testing codes
// (oplog.FindingAgencySweep finds it afterwards too).
func (a *AgencyAPI) sweepAlert(ctx context.Context, agency string, n int) {
	detail := fmt.Sprintf("sweep alert: %s: %d codes matching nobody within the hour (threshold %d)", agency, n, a.cfg.SweepNotFound)
	a.cfg.Logf("agency %s", detail)
	ctx = jukinet.WithActor(context.WithoutCancel(ctx), jukinet.SystemActor("agency:"+agency))
	if err := a.cfg.National.DB().RecordRefusal(ctx, store.Op{Operation: jukinet.OpNationalProvide, Detail: detail}); err != nil {
		a.cfg.Logf("agency %s: recording a sweep alert: %v", agency, err)
	}
}

// decode reads and checks the request body: one JSON object with exactly
// the known fields, a task, and 1 to MaxProvideBatch distinct valid codes.
// Errors: KindTooLarge (body over the limit, too many codes), KindInvalid.
func (a *AgencyAPI) decode(w http.ResponseWriter, r *http.Request) (ProvideRequest, error) {
	const op = "agency.provide"
	var req ProvideRequest
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return req, jukinet.Errorf(op, jukinet.KindTooLarge, "body", "the body exceeds %d bytes; send at most %d codes per request", a.cfg.MaxBodyBytes, MaxProvideBatch)
		}
		return req, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("body"), "the body could not be read")
	}
	return decodeProvideRequest(body)
}

// decodeProvideRequest parses a POST /v1/provide body strictly.
// Errors: KindInvalid naming the field; KindTooLarge for too many codes.
func decodeProvideRequest(body []byte) (ProvideRequest, error) {
	const op = "agency.provide"
	var req ProvideRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return req, jukinet.Errorf(op, jukinet.KindInvalid, typeErr.Field, "must be a %s", jsonType(typeErr.Field))
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return req, jukinet.Errorf(op, jukinet.KindInvalid, "body", "unknown field %s (allowed: task, resident_codes)", truncateText(f, 40))
		}
		return req, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("body"), "the body is not a JSON object {task, resident_codes}")
	}
	if _, err := dec.Token(); err != io.EOF {
		return req, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("body"), "the body must hold one JSON object only")
	}
	if strings.TrimSpace(req.Task) == "" {
		return req, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("task"), "the task is required (a task of the 別表 the agency is registered for)")
	}
	if !utf8.ValidString(req.Task) || utf8.RuneCountInString(req.Task) > maxTaskLength || strings.ContainsFunc(req.Task, isControl) {
		return req, jukinet.Errorf(op, jukinet.KindInvalid, "task", "the task must be text of at most %d characters", maxTaskLength)
	}
	switch n := len(req.ResidentCodes); {
	case n == 0:
		return req, jukinet.Errorf(op, jukinet.KindInvalid, "resident_codes", "1 to %d resident codes are required", MaxProvideBatch)
	case n > MaxProvideBatch:
		return req, jukinet.Errorf(op, jukinet.KindTooLarge, "resident_codes", "%d codes; at most %d per request", n, MaxProvideBatch)
	}
	seen := make(map[jukinet.ResidentCode]int, len(req.ResidentCodes))
	for i, c := range req.ResidentCodes {
		field := fmt.Sprintf("resident_codes[%d]", i)
		if !jukinet.ValidResidentCode(string(c)) {
			return req, jukinet.E(op, jukinet.KindInvalid, jukinet.Field(field), "not a resident code (11 digits with a valid check digit)")
		}
		if j, dup := seen[c]; dup {
			return req, jukinet.Errorf(op, jukinet.KindInvalid, field, "the same code as resident_codes[%d]", j)
		}
		seen[c] = i
	}
	return req, nil
}

func jsonType(field string) string {
	if field == "task" {
		return "string"
	}
	return "array of resident codes (strings)"
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

func truncateText(s string, n int) string {
	if len(s) <= n {
		return strings.ToValidUTF8(s, "?")
	}
	return strings.ToValidUTF8(s[:n], "?") + "…"
}

// refuse answers err as JSON and logs the refusal; with record it also puts
// it in the operation log (as Provide does for the refusals it decides), so
// the log shows every request an authenticated agency made.
func (a *AgencyAPI) refuse(w http.ResponseWriter, r *http.Request, agency string, err error, record bool) {
	kind := jukinet.ErrorKind(err)
	who := agency
	if who == "" {
		who = "(no agency certificate)"
	}
	a.cfg.Logf("agency %s: refused %s %s: %s %s: %v", who, r.Method, truncateText(r.URL.Path, 64), kind, jukinet.ErrorField(err), err)
	if record && agency != "" {
		ctx := jukinet.WithActor(context.WithoutCancel(r.Context()), jukinet.SystemActor("agency:"+agency))
		detail := fmt.Sprintf("refused: %s: %s %s", agency, kind, jukinet.ErrorField(err))
		if lerr := a.cfg.National.DB().RecordRefusal(ctx, store.Op{Operation: jukinet.OpNationalProvide, Detail: detail}); lerr != nil {
			a.cfg.Logf("agency %s: recording a refusal: %v", agency, lerr)
		}
	}
	a.writeError(w, kind.HTTPStatus(), err)
}

func (a *AgencyAPI) writeError(w http.ResponseWriter, status int, err error) {
	body := AgencyError{Op: "agency.provide", Kind: jukinet.ErrorKind(err).String(), Field: jukinet.ErrorField(err), Message: ruleMessage(err)}
	if k := jukinet.ErrorKind(err); k == jukinet.KindInternal || k == jukinet.KindOther {
		body.Kind, body.Field, body.Message = jukinet.KindInternal.String(), "", "internal error"
		status = http.StatusInternalServerError
	}
	var e *jukinet.Error
	if errors.As(err, &e) && e.Op != "" {
		body.Op = e.Op
	}
	writeAgencyJSON(w, status, body)
}

// ruleMessage is the message of the innermost jukinet error that has one:
// the rule that was broken, without the chain of operations.
func ruleMessage(err error) string {
	msg := ""
	for e := err; e != nil; e = errors.Unwrap(e) {
		if je, ok := e.(*jukinet.Error); ok && je.Message != "" {
			msg = je.Message
		}
	}
	if msg == "" {
		return jukinet.ErrorKind(err).String()
	}
	return msg
}

func writeAgencyJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store") // personal data
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// AgencyListenerConfig configures StartAgencyListener.
type AgencyListenerConfig struct {
	AgencyAPIConfig
	Credentials *pki.NodeCredentials // the national server's; required
	Listener    net.Listener         // plain TCP; the listener adds TLS; required
}

// AgencyListener is the national server's running agency listener.
type AgencyListener struct {
	server *http.Server
	addr   net.Addr
	done   chan struct{}
	once   sync.Once
	err    error
}

// StartAgencyListener serves the agency API on cfg.Listener with
// AgencyServerTLSConfig (TLS 1.3, agency client certificates only) until
// Close. Errors: KindInvalid for a missing part or credentials that are
// not the national server's.
func StartAgencyListener(cfg AgencyListenerConfig) (*AgencyListener, error) {
	const op = "node.StartAgencyListener"
	if cfg.Credentials == nil || cfg.Listener == nil {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("listener"), "credentials and a listener are required")
	}
	if cfg.National != nil && cfg.Credentials.NodeID != cfg.National.DB().Node() {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "credentials", "credentials of node %s for the national server's database of node %s", cfg.Credentials.NodeID, cfg.National.DB().Node())
	}
	api, err := NewAgencyAPI(cfg.AgencyAPIConfig)
	if err != nil {
		return nil, err
	}
	// A connection opened before a revocation was reloaded is refused per request.
	revocations := cfg.Credentials.Revocations
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := revocations.CheckState(r.TLS); err != nil {
			api.refuse(w, r, "", jukinet.E("agency.provide", jukinet.KindUnauthorized, "the agency certificate is revoked", err), false)
			return
		}
		api.ServeHTTP(w, r)
	})
	l := &AgencyListener{addr: cfg.Listener.Addr(), done: make(chan struct{}),
		server: &http.Server{Handler: handler, TLSConfig: cfg.Credentials.AgencyServerTLSConfig(),
			ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 2 * time.Minute,
			IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10,
			// Handshake refusals (a node or terminal certificate, none, another
			// CA) are logged by the server: route them to Logf.
			ErrorLog: log.New(logfWriter(api.cfg.Logf), "agency listener: ", 0)}}
	go func() { // owned by l: Close waits for it
		defer close(l.done)
		if err := l.server.ServeTLS(cfg.Listener, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			api.cfg.Logf("agency listener: %v", err)
		}
	}()
	return l, nil
}

// Addr is the address the agency listener listens on.
func (l *AgencyListener) Addr() string { return l.addr.String() }

// Close stops the listener (open connections are cut) and waits for it.
func (l *AgencyListener) Close() error {
	l.once.Do(func() {
		l.err = l.server.Close()
		<-l.done
	})
	return l.err
}

// logfWriter adapts Logf to the io.Writer of http.Server.ErrorLog.
type logfWriter func(format string, args ...any)

func (f logfWriter) Write(p []byte) (int, error) {
	f("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
