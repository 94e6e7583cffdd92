package jukinet

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Kind classifies an error. Kinds cross the network and the JSON API, so the
// list is append-only: never renumber or reuse a value.
type Kind uint8

const (
	KindOther        Kind = iota // unclassified; shown to users as an internal error
	KindInvalid                  // input fails a validation rule (names the field and the rule)
	KindNotFound                 // the thing asked for does not exist
	KindConflict                 // state forbids the act (duplicate, wrong order, not a current resident…)
	KindUnauthorized             // no authenticated operator or peer
	KindForbidden                // authenticated, but the authority or firewall policy does not allow it
	KindInternal                 // a bug or an unexpected failure underneath
	KindUnavailable              // a peer or a service cannot be reached now; retry later
	KindTooLarge                 // a request or body exceeds a limit
	KindRateLimited              // too many requests from one peer or operator
	KindLocked                   // an account is locked out
	KindExpired                  // a session, ID, certificate or authorization has expired
)

var kindNames = [...]string{
	KindOther:        "other",
	KindInvalid:      "invalid",
	KindNotFound:     "not_found",
	KindConflict:     "conflict",
	KindUnauthorized: "unauthorized",
	KindForbidden:    "forbidden",
	KindInternal:     "internal",
	KindUnavailable:  "unavailable",
	KindTooLarge:     "too_large",
	KindRateLimited:  "rate_limited",
	KindLocked:       "locked",
	KindExpired:      "expired",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ParseKind is the inverse of Kind.String; unknown names map to KindOther.
func ParseKind(s string) Kind {
	for k, n := range kindNames {
		if n == s {
			return Kind(k)
		}
	}
	return KindOther
}

// httpStatus is the one table that maps kinds to HTTP statuses.
var httpStatus = map[Kind]int{
	KindOther:        http.StatusInternalServerError,
	KindInvalid:      http.StatusBadRequest,
	KindNotFound:     http.StatusNotFound,
	KindConflict:     http.StatusConflict,
	KindUnauthorized: http.StatusUnauthorized,
	KindForbidden:    http.StatusForbidden,
	KindInternal:     http.StatusInternalServerError,
	KindUnavailable:  http.StatusServiceUnavailable,
	KindTooLarge:     http.StatusRequestEntityTooLarge,
	KindRateLimited:  http.StatusTooManyRequests,
	KindLocked:       http.StatusLocked,
	KindExpired:      http.StatusUnauthorized,
}

// HTTPStatus returns the HTTP status for a kind.
func (k Kind) HTTPStatus() int {
	if s, ok := httpStatus[k]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Error is jukinet's one error type: the operation that failed, its kind, the
// field at fault (if any) and a message meant for the user. Err keeps the cause.
type Error struct {
	Op      string // e.g. "register.MoveOut"
	Kind    Kind
	Field   string // e.g. "birth_date"; empty when no single field is at fault
	Message string // the rule that was broken, in plain English
	Err     error  // underlying cause, if any
}

// E builds an *Error. Arguments are interpreted by type: Kind, error, and the
// first string is the message. Use Field(…) to name a field.
func E(op string, args ...any) *Error {
	e := &Error{Op: op}
	for _, a := range args {
		switch v := a.(type) {
		case Kind:
			e.Kind = v
		case fieldName:
			e.Field = string(v)
		case *Error:
			e.Err = v
			if e.Kind == KindOther {
				e.Kind = v.Kind
			}
			if e.Field == "" {
				e.Field = v.Field
			}
		case FieldErrors:
			e.Err = v
			if e.Kind == KindOther && len(v) > 0 {
				e.Kind = v[0].Kind
			}
		case error:
			e.Err = v
		case string:
			e.Message = v
		default:
			panic(fmt.Sprintf("jukinet.E: unexpected argument %T", a))
		}
	}
	return e
}

type fieldName string

// Field names the input field at fault, for E.
func Field(name string) fieldName { return fieldName(name) }

// Errorf is E with a formatted message.
func Errorf(op string, kind Kind, field string, format string, args ...any) *Error {
	return &Error{Op: op, Kind: kind, Field: field, Message: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	if e.Message != "" {
		b.WriteString(e.Message)
	} else if e.Err == nil {
		b.WriteString(e.Kind.String())
	}
	if e.Err != nil {
		if e.Message != "" {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorKind returns the kind of the outermost *Error in err's chain that has
// one, or KindOther.
func ErrorKind(err error) Kind {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return KindOther
		}
		if e.Kind != KindOther {
			return e.Kind
		}
		err = e.Err
	}
	return KindOther
}

// ErrorField returns the field named by the first *Error in err's chain that names one.
func ErrorField(err error) string {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return ""
		}
		if e.Field != "" {
			return e.Field
		}
		err = e.Err
	}
	return ""
}

// IsKind reports whether err has the given kind.
func IsKind(err error, k Kind) bool { return ErrorKind(err) == k }

// UserMessage is what may be shown to a user: the message of an error of a
// known kind, or a generic text for internal and unclassified errors (whose
// details belong in the log, not on the screen).
func UserMessage(err error) string {
	switch ErrorKind(err) {
	case KindOther, KindInternal:
		return "internal error"
	}
	return err.Error()
}
