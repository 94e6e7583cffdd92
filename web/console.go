package web

import (
	"context"
	"net/http"
	"time"

	"github.com/jukinet/jukinet/access"
)

// ConsoleTokens issues the single-use tokens with which the command line
// acts as the logged-in operator (`jukinet … --token`). *access.Service
// implements it; an Auth that does not answers 503.
type ConsoleTokens interface {
	IssueConsoleToken(ctx context.Context) (access.ConsoleToken, error)
}

type consoleTokenData struct {
	Token access.ConsoleToken
	TTL   time.Duration
}

// consoleTokenPage explains the console token; POST issues one.
func (s *server) consoleTokenPage(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, "console_token", consoleTokenData{TTL: access.ConsoleTokenTTL})
}

// consoleToken issues a token for the operator of this session and shows it
// once.
func (s *server) consoleToken(w http.ResponseWriter, r *http.Request) error {
	issuer, ok := s.cfg.Auth.(ConsoleTokens)
	if !ok {
		return errUnavailable
	}
	t, err := issuer.IssueConsoleToken(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, "console_token", consoleTokenData{Token: t, TTL: access.ConsoleTokenTTL})
}
