package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log"
	"net/http"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/jukinet/jukinet"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Cookie names. The __Host- prefix makes the browser insist on Secure, Path=/
// and no Domain.
const (
	sessionCookie   = "__Host-jukinet-session"
	challengeCookie = "__Host-jukinet-challenge"
)

// opSession marks a route open to any logged-in operator, whatever the
// authority of their 操作者ID.
const opSession jukinet.Operation = "web.session"

// contentSecurityPolicy forbids inline scripts and styles and anything from
// another origin.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// route is one entry of the route table: the pattern, the operation it
// performs (checked against the policy table before the handler runs; ""
// for the public login pages), and the template it renders.
type route struct {
	pattern string
	op      jukinet.Operation
	page    string // template name, "" for redirects and downloads
	handle  func(s *server, w http.ResponseWriter, r *http.Request) error
}

type server struct {
	cfg      Config
	pages    map[string]*template.Template
	refusals RefusalLog
	oversize oversize
}

// New returns the terminal's handler. It fails when a template does not parse
// or a route names a template that does not exist.
func New(cfg Config) (http.Handler, error) {
	if cfg.Auth == nil {
		return nil, jukinet.Errorf("web.New", jukinet.KindInvalid, "Auth", "required")
	}
	if cfg.Terminal == "" && cfg.TerminalOf == nil {
		return nil, jukinet.Errorf("web.New", jukinet.KindInvalid, "Terminal", "required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logf == nil {
		cfg.Logf = log.Printf
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &server{cfg: cfg, pages: pages, refusals: cfg.Refusals}
	s.oversize.every = rate.Sometimes{Interval: time.Minute}
	if rl, ok := cfg.Admin.(RefusalLog); ok && s.refusals == nil {
		s.refusals = rl
	}
	mux := http.NewServeMux()
	for _, rt := range routes() {
		if rt.page != "" && pages[rt.page] == nil {
			return nil, fmt.Errorf("web: route %q renders the unknown template %q", rt.pattern, rt.page)
		}
		mux.Handle(rt.pattern, s.guard(rt))
	}
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler(http.FileServerFS(static))))
	mux.HandleFunc("/", s.notFound)
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(s.crossOrigin))
	return clientAddr(securityHeaders(s.limitBodies(cop.Handler(mux)))), nil
}

// crossOrigin answers a request another site's page sent (refused by
// http.CrossOriginProtection) with the Japanese error page, not the
// protection's English text.
func (s *server) crossOrigin(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusForbidden)
	s.renderPage(w, r, "error", jukinet.Actor{}, errorPage{Title: jukinet.KindTitle(jukinet.KindForbidden),
		Message: "ほかのサイトの画面から送られた要求は受け付けません。この端末の画面から操作してください。"})
}

// clientAddr puts the connection's address in the request's context: every
// operation-log record the request writes carries it beside the terminal
// (G2.5, G15).
func clientAddr(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(jukinet.WithClientAddr(r.Context(), r.RemoteAddr)))
	})
}

// parsePages parses every page template together with the layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", n, err)
		}
		pages[base] = t
	}
	return pages, nil
}

func staticHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// securityHeaders sets the headers every response carries. Pages default to
// no-store: they show personal data or staff names.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Strict-Transport-Security", "max-age=31536000")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

func (s *server) terminal(r *http.Request) string {
	if s.cfg.TerminalOf != nil {
		return s.cfg.TerminalOf(r)
	}
	return s.cfg.Terminal
}

type ctxKey struct{}

// guard authenticates the session (except on public routes) and checks the
// route's operation against the policy table before the handler runs; the
// backend checks again (deny by default, docs/design.md §1.3).
func (s *server) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.op != "" {
			api := strings.HasPrefix(r.URL.Path, "/api/")
			c, err := r.Cookie(sessionCookie)
			if err != nil {
				if api {
					s.apiFail(w, r, jukinet.E(string(rt.op), jukinet.KindUnauthorized, "no session: log in at the terminal first"))
					return
				}
				s.toLogin(w, r, "")
				return
			}
			actor, err := s.cfg.Auth.Authenticate(r.Context(), c.Value, s.terminal(r))
			if err != nil {
				clearCookie(w, sessionCookie)
				if api {
					s.apiFail(w, r, jukinet.E(string(rt.op), err))
					return
				}
				msg := "セッションが無効です。もう一度ログインしてください。"
				if jukinet.IsKind(err, jukinet.KindExpired) {
					msg = "一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。"
				}
				s.toLogin(w, r, msg)
				return
			}
			if rt.op != opSession && !jukinet.Allowed(rt.op, actor.Authority) {
				if s.refusals != nil {
					s.refusals.LogRefusal(jukinet.WithActor(r.Context(), actor), rt.op)
				}
				if api {
					s.apiFail(w, r, jukinet.Errorf(string(rt.op), jukinet.KindForbidden, "", "operation %s is not allowed for authority %s", rt.op, actor.Authority))
					return
				}
				w.WriteHeader(http.StatusForbidden)
				s.renderPage(w, r, "error", actor, errorPage{Title: "権限がありません",
					Message: fmt.Sprintf("操作者ID %s（%s）にはこの操作（%s）の権限がありません。", actor.OperatorID, actor.Authority.Japanese(), rt.op.Japanese())})
				return
			}
			r = r.WithContext(context.WithValue(jukinet.WithActor(r.Context(), actor), ctxKey{}, c.Value))
		}
		if err := rt.handle(s, w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// toLogin sends an unauthenticated request to the login page: a redirect
// for a page, 401 for an htmx request (htmx follows HX-Redirect).
func (s *server) toLogin(w http.ResponseWriter, r *http.Request, msg string) {
	target := "/login"
	if msg != "" {
		target += "?m=" + map[bool]string{true: "expired", false: "invalid"}[strings.Contains(msg, "一定時間")]
	}
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.Method == http.MethodGet {
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	w.WriteHeader(http.StatusUnauthorized)
	s.renderPage(w, r, "error", jukinet.Actor{}, errorPage{Title: "ログインが必要です", Message: "ログインしてからやり直してください。"})
}

// notFound answers a path no route has with the Japanese error page, not
// the mux's English "404 page not found".
func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusNotFound)
	s.renderPage(w, r, "error", jukinet.Actor{}, errorPage{Title: jukinet.KindTitle(jukinet.KindNotFound), Message: "この画面はありません。アドレスを確かめてください。"})
}

type errorPage struct {
	Title   string
	Message string
}

// fail renders an error that no form field explains.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	if status >= 500 {
		s.cfg.Logf("web: %s %s: %v", r.Method, routeOf(r.URL.Path), redact(err.Error()))
	}
	actor, _ := jukinet.ActorFrom(r.Context())
	w.WriteHeader(status)
	s.renderPage(w, r, "error", actor, errorPage{Title: jukinet.JapaneseTitle(err), Message: jukinet.JapaneseMessage(err)})
}

// statusOf is the HTTP status of an error: its kind's, from the one table
// (jukinet.Kind.HTTPStatus) that the JSON API and the agency API use too.
func statusOf(err error) int { return jukinet.ErrorKind(err).HTTPStatus() }

// statusInvalid answers a form whose fields break a rule: the status of
// KindInvalid in the same table.
var statusInvalid = jukinet.KindInvalid.HTTPStatus()

var errUnavailable = jukinet.E("web", jukinet.KindUnavailable, "この画面の業務機能はこの端末では利用できません")

// view is what every page template receives.
type view struct {
	Title    string // node name
	Actor    jukinet.Actor
	LoggedIn bool
	Demo     bool
	Path     string
	Data     any
	serves   func(href string) bool
}

func (s *server) render(w http.ResponseWriter, r *http.Request, name string, data any) error {
	actor, _ := jukinet.ActorFrom(r.Context())
	s.renderPage(w, r, name, actor, data)
	return nil
}

func (s *server) renderPage(w http.ResponseWriter, r *http.Request, name string, actor jukinet.Actor, data any) {
	t := s.pages[name]
	if t == nil {
		s.cfg.Logf("web: template %s missing", name)
		http.Error(w, "画面を表示できません", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	v := view{Title: s.cfg.Title, Actor: actor, LoggedIn: actor.OperatorID != "", Demo: s.cfg.Demo, Path: r.URL.Path, Data: data, serves: s.serves}
	if err := t.Execute(&buf, v); err != nil {
		s.cfg.Logf("web: render %s: %v", name, err)
		http.Error(w, "画面を表示できません", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

func setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: int(maxAge / time.Second)})
}

func clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

// fieldErrors is a form's validation messages by field name.
type fieldErrors map[string]string

// formError splits err into a message next to its field, or a general one.
func formError(err error) (fieldErrors, string, bool) {
	var e *jukinet.Error
	if !errors.As(err, &e) || jukinet.ErrorKind(err) != jukinet.KindInvalid {
		return nil, "", false
	}
	msg := ruleOf(err)
	if f := jukinet.ErrorField(err); f != "" {
		return fieldErrors{f: msg}, "", true
	}
	return nil, msg, true
}

// ruleOf is what the user reads for err: the rule that was broken, without
// the operations it passed through, in Japanese (jukinet.JapaneseMessage).
func ruleOf(err error) string {
	return jukinet.JapaneseMessage(err)
}

type menuItem struct {
	Href, Label, Help string
	Op                jukinet.Operation
}

// serves reports whether this terminal has the backend behind a menu item
// (the national server's terminal has no counter, a CS no self-disclosure).
func (s *server) serves(href string) bool {
	switch {
	case href == "/residents" || href == "/counter/move-in" || href == "/counter/move-in-abroad" || href == "/counter/ex-officio-add":
		return s.cfg.Counter != nil
	case strings.HasPrefix(href, "/counter/"):
		return s.cfg.Flows != nil
	case href == "/admin/operators":
		return s.cfg.Operators != nil
	case href == "/admin/disclosure":
		return s.cfg.National != nil
	case href == "/admin/compliance":
		return s.cfg.Admin != nil && s.cfg.Counter != nil // governance is the municipality's
	case href == "/admin/gov":
		return s.cfg.Gov != nil
	}
	return s.cfg.Admin != nil
}

// menu lists the screens in menu order; a page shows only those its
// operator's authority allows.
func menu() []menuItem {
	return []menuItem{
		{"/residents", "住民検索", "氏名・かな・生年月日・住所で住民票を探し、閲覧・届出を受け付けます。", jukinet.OpResidentSearch},
		{"/counter/move-in", "転入届", "転出証明書による国内からの転入を記録します。", jukinet.OpMoveInDomestic},
		{"/counter/move-in-abroad", "国外転入", "国外からの転入を記録します（以前の住民票コードがあれば引き継ぎます）。", jukinet.OpMoveInFromAbroad},
		{"/counter/ex-officio-add", "職権記載", "帰化・国籍喪失や実態調査に基づき、住民票を職権で記載します。", jukinet.OpExOfficioAdd},
		{"/counter/special-move-in", "特例転入", "届いた転出証明書情報と個人番号カードで転入を記録します。", jukinet.OpSpecialMoveIn},
		{"/counter/card-issue", "個人番号カード交付", "リーダーのカードを本人に交付し、その電子証明書を記録します（暗証番号はカードだけが持ちます）。", jukinet.OpCardIssue},
		{"/counter/copy", "広域交付", "住所地の市区町村に住民票の写しを請求し、印刷します。", jukinet.OpCopyRequest},
		{"/counter/annex", "戸籍の附票", "受信した附票記載事項通知を本籍で照会します。", jukinet.OpFlowsRead},
		{"/counter/movein-overdue", "転入通知未着", "転出したのに転入先から転入通知が届かない方の一覧（追跡調査）。", jukinet.OpResidentSearch},
		{"/admin/oplog", "操作履歴", "操作者・住民・操作・期間で操作履歴を検索します。", jukinet.OpOplogQuery},
		{"/admin/operators", "操作者", "照合情報の登録・更新・削除、操作者IDの付与・取消、ロック解除。", jukinet.OpAccessEnroll},
		{"/admin/registers", "管理簿", "照合ID・操作者IDの管理簿と履歴（CSV出力）。", jukinet.OpAccessRegisterRead},
		{"/admin/log", "履歴の検証", "操作履歴の改ざん検証、チェックポイント、包含証明の出力。", jukinet.OpOplogProve},
		{"/admin/report", "定期報告", "不正利用の兆候の分析（大量照会・ログイン失敗・同時利用）。", jukinet.OpOplogReport},
		{"/admin/disclosure", "提供状況の開示", "本人確認情報の提供状況を本人に開示します（法30条の32）。", jukinet.OpSelfDisclosure},
		{"/admin/network", "ネットワーク", "送信待ち・受信・未達・受領の状況。", OpNetworkStatusView},
		{"/admin/compliance", "遵守状況", "ガイドライン項目ごとの遵守状況。", jukinet.OpGovComplianceReport},
		{"/console-token", "コンソール用トークン", "この操作者IDでコマンドライン（jukinet … --token）を使うための、一度限りのトークンを発行します。", jukinet.OpAccessConsoleToken},
		{"/admin/gov", "運用管理", "役割、セキュリティ会議、指示、不正利用事案、入退室、情報資産、委託。", jukinet.OpGovComplianceReport},
	}
}

// Can reports whether the page's operator may perform op.
func (v view) Can(op jukinet.Operation) bool {
	return v.LoggedIn && jukinet.Allowed(op, v.Actor.Authority)
}

// Menu is the part of the menu the page's operator may use.
func (v view) Menu() []menuItem {
	var out []menuItem
	for _, m := range menu() {
		if v.LoggedIn && jukinet.Allowed(m.Op, v.Actor.Authority) && (v.serves == nil || v.serves(m.Href)) {
			out = append(out, m)
		}
	}
	return out
}
