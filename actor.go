package jukinet

import (
	"context"
	"strings"
)

// Actor is who performs an operation: an operator authenticated by 照合情報認証
// (照合ID + a reading) acting under one of their 操作者ID, on a terminal — or a
// named system principal for work the system does by itself (G11.2: the
// operation history always says who).
type Actor struct {
	CollationID string    `json:"collation_id,omitempty"` // 照合ID: who
	OperatorID  string    `json:"operator_id,omitempty"`  // 操作者ID: under which authority
	Authority   Authority `json:"authority"`              // the authority type of that 操作者ID
	Terminal    string    `json:"terminal,omitempty"`     // terminal the session is bound to
	System      string    `json:"system,omitempty"`       // system principal name, e.g. "network", "demo-seed"
}

// SystemActor is the actor for work the system does by itself.
func SystemActor(name string) Actor { return Actor{System: name, Authority: AuthoritySystem} }

// IsSystem reports whether the actor is a system principal.
func (a Actor) IsSystem() bool { return a.System != "" }

// consolePrefix marks the 照合ID field of a console principal: ':' is never
// part of a real 照合ID, so a console principal can hold no role, no
// designation and no 操作者ID.
const consolePrefix = "console:"

// ConsoleActor is the command line acting without an operator's token: a
// named console principal recorded with the OS user and the host, allowed
// only what the policy table grants システム管理 (never another operator's
// authority). It is no operator: it holds no role and may not handle
// identity information (G16-2.1).
func ConsoleActor(osUser, host string) Actor {
	return Actor{CollationID: consolePrefix + consoleName(osUser), OperatorID: "console", Authority: AuthoritySystemAdmin, Terminal: consoleName(host)}
}

// IsConsole reports whether the actor is the console principal.
func (a Actor) IsConsole() bool { return strings.HasPrefix(a.CollationID, consolePrefix) }

// IsOperator reports whether the actor is an operator authenticated by
// 照合情報 (not a system or console principal).
func (a Actor) IsOperator() bool { return !a.IsSystem() && !a.IsConsole() && a.CollationID != "" }

// consoleName keeps an OS user or host name short and printable in the log.
func consoleName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= 64 {
			break
		}
		if r > ' ' && r < 0x7f && r != '/' && r != '@' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "unknown"
	}
	return b.String()
}

// String names the actor for logs: never a reading, only identifiers.
func (a Actor) String() string {
	if a.IsSystem() {
		return "system:" + a.System
	}
	return a.CollationID + "/" + a.OperatorID + "@" + a.Terminal
}

type actorKey struct{}

// WithActor returns a context carrying the actor of the operations run under it.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor carried by ctx.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

type clientAddrKey struct{}

// WithClientAddr returns a context carrying the network address of the
// client a request came from (the terminal's host:port, G2.5): every
// operation-log record written under it records the address beside the
// actor's terminal.
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

// ClientAddrFrom returns the client address carried by ctx, "" without one.
func ClientAddrFrom(ctx context.Context) string {
	a, _ := ctx.Value(clientAddrKey{}).(string)
	return a
}

// ValidID reports whether s can be a 照合ID, 操作者ID or terminal ID: 1–32
// ASCII letters, digits, '-' or '_', starting with a letter or digit. IDs
// appear in log details and file names, so nothing else is allowed.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '-' || c == '_') && i > 0:
		default:
			return false
		}
	}
	return true
}
