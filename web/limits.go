package web

import (
	"errors"
	"mime"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Limits of the terminal listener (threat model (c): anyone who can reach
// it). Every form of the terminal is a few kilobytes; a body larger than
// its route's limit is refused with 413 before it is read — announced by
// Content-Length, or cut by http.MaxBytesReader as it streams — so nothing
// is spooled to disk and no handler runs.
const (
	MaxLoginBody = 8 << 10    // a reader's POST: 照合ID and a 4,096-bit reading in hex
	MaxFormBody  = 64 << 10   // every other form
	MaxAPIBody   = maxGovBody // the JSON API
)

// Timeouts and header size for the terminal listener's http.Server
// (node.Runtime sets them; a deployment that builds its own server uses
// ServerLimits).
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = time.Minute
	WriteTimeout      = 2 * time.Minute
	IdleTimeout       = 2 * time.Minute
	MaxHeaderBytes    = 16 << 10
)

// ServerLimits sets the terminal listener's timeouts and header limit on
// srv: a slow client holds a connection for a minute at most.
func ServerLimits(srv *http.Server) {
	srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout = ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout
	srv.MaxHeaderBytes = MaxHeaderBytes
}

// bodyLimit is the largest body the route of path accepts.
func bodyLimit(path string) int64 {
	switch {
	case strings.HasPrefix(path, "/login"):
		return MaxLoginBody
	case strings.HasPrefix(path, "/api/"):
		return MaxAPIBody
	}
	return MaxFormBody
}

// oversize counts refused bodies; the log line is written at most once a
// minute (a flood cannot grow the log without bound).
type oversize struct {
	n     atomic.Int64
	every rate.Sometimes
}

// limitBodies refuses a body over its route's limit with 413 and parses a
// form within the limit (in memory: ParseMultipartForm keeps parts up to
// the limit in memory, so nothing reaches a temporary file).
func (s *server) limitBodies(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.Method == http.MethodGet || r.Method == http.MethodHead {
			h.ServeHTTP(w, r)
			return
		}
		limit := bodyLimit(r.URL.Path)
		if r.ContentLength > limit {
			s.tooLarge(w, r, limit)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		var err error
		switch ct {
		case "multipart/form-data":
			err = r.ParseMultipartForm(limit)
		case "application/x-www-form-urlencoded":
			err = r.ParseForm()
		}
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				s.tooLarge(w, r, limit)
				return
			}
			http.Error(w, "フォームを読み取れません", http.StatusBadRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *server) tooLarge(w http.ResponseWriter, r *http.Request, limit int64) {
	n := s.oversize.n.Add(1)
	s.oversize.every.Do(func() {
		s.cfg.Logf("web: refused a body over %d bytes on %s %s from %s (%d refused so far)", limit, r.Method, routeOf(r.URL.Path), sourceOf(r), n)
	})
	w.Header().Set("Connection", "close")
	http.Error(w, "送信されたデータが大きすぎます", http.StatusRequestEntityTooLarge)
}

// sourceOf is the client's IP address (the login throttle's key).
func sourceOf(r *http.Request) string {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().String()
	}
	return ""
}

// routeOf is a request path fit for a log line: a run of 8 or more
// digits — a 住民票コード (11), a 個人番号 (12) — becomes "{code}", so a
// log line never carries one (threat model; the operation log has the
// person as a keyed token).
func routeOf(path string) string {
	var b strings.Builder
	for i := 0; i < len(path); {
		j := i
		for j < len(path) && path[j] >= '0' && path[j] <= '9' {
			j++
		}
		switch {
		case j-i >= 8:
			b.WriteString("{code}")
			i = j
		case j > i:
			b.WriteString(path[i:j])
			i = j
		default:
			b.WriteByte(path[i])
			i++
		}
	}
	return b.String()
}

// redact masks runs of 8 or more digits in a message for a log line (an
// internal error may quote a statement's argument).
func redact(msg string) string { return routeOf(msg) }
