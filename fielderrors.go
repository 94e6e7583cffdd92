package jukinet

import (
	"errors"
	"strings"
)

// FieldErrors is every field error one input has, found together so that a
// form can show each next to its field at once instead of one per
// submission. It unwraps to its errors, so ErrorKind and ErrorField of a
// FieldErrors are those of its first error (KindInvalid and its field), as
// for a single *Error.
type FieldErrors []*Error

func (fe FieldErrors) Error() string {
	parts := make([]string, len(fe))
	for i, e := range fe {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap gives the errors to errors.Is and errors.As.
func (fe FieldErrors) Unwrap() []error {
	out := make([]error, len(fe))
	for i, e := range fe {
		out[i] = e
	}
	return out
}

// Add appends err's field errors (all of them for a FieldErrors); nil adds
// nothing. An error that is not an *Error is kept under its kind and field.
func (fe *FieldErrors) Add(err error) {
	if err == nil {
		return
	}
	var many FieldErrors
	if errors.As(err, &many) {
		*fe = append(*fe, many...)
		return
	}
	if e, ok := err.(*Error); ok {
		*fe = append(*fe, e)
		return
	}
	*fe = append(*fe, &Error{Kind: ErrorKind(err), Field: ErrorField(err), Err: err})
}

// Err is nil without errors, the error itself when there is one, and the
// FieldErrors otherwise.
func (fe FieldErrors) Err() error {
	switch len(fe) {
	case 0:
		return nil
	case 1:
		return fe[0]
	}
	return fe
}

// AllFieldErrors lists every field error in err: those of a FieldErrors in
// its chain, or err itself when it names a field; nil when none does.
func AllFieldErrors(err error) []*Error {
	var many FieldErrors
	if errors.As(err, &many) {
		return many
	}
	if ErrorField(err) == "" {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return []*Error{e}
	}
	return nil
}
