package access

import (
	"context"
	"fmt"
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// isRefusal reports whether err refuses an act (as opposed to failing it).
func isRefusal(err error) bool {
	switch jukinet.ErrorKind(err) {
	case jukinet.KindInvalid, jukinet.KindForbidden, jukinet.KindConflict, jukinet.KindNotFound, jukinet.KindExpired, jukinet.KindUnauthorized:
		return true
	}
	return false
}

// act runs fn in one Update of operation. A refusal raised by fn (after the
// store authorized the actor) changes nothing and is logged afterwards as
// access.refused by the same actor, naming the operation, the field and the
// rule: refusals are evidence too (G15).
func (s *Service) act(ctx context.Context, operation jukinet.Operation, detail string, fn func(tx *store.Tx) error) error {
	ran := false
	err := s.db.Update(ctx, store.Op{Operation: operation, Detail: detail}, func(tx *store.Tx) error {
		ran = true
		return fn(tx)
	})
	if err != nil && ran && isRefusal(err) {
		s.logRefusal(ctx, operation, err)
	}
	return err
}

// authorize checks the actor against the policy table before an act that
// does work (a 照合) ahead of its transaction: a refusal goes through the
// store, which logs it.
func (s *Service) authorize(ctx context.Context, operation jukinet.Operation, detail string) error {
	a, ok := jukinet.ActorFrom(ctx)
	if ok && jukinet.Authorize(operation, a) == nil {
		return nil
	}
	err := s.db.Update(ctx, store.Op{Operation: operation, Detail: detail}, func(*store.Tx) error {
		return jukinet.E(string(operation), jukinet.KindForbidden, "not authorized")
	})
	if err == nil {
		err = jukinet.E(string(operation), jukinet.KindForbidden, "not authorized")
	}
	return err
}

// refuse logs a refusal found before the act's transaction and returns err.
func (s *Service) refuse(ctx context.Context, operation jukinet.Operation, err error) error {
	s.logRefusal(ctx, operation, err)
	return err
}

func (s *Service) logRefusal(ctx context.Context, operation jukinet.Operation, err error) {
	fields := jukinet.ErrorField(err)
	if all := jukinet.AllFieldErrors(err); len(all) > 1 {
		names := make([]string, len(all))
		for i, e := range all {
			names[i] = e.Field
		}
		fields = strings.Join(names, ",") // every field the refusal concerns
	}
	msg := fmt.Sprintf("refused %s: field=%s: %s", operation, fields, jukinet.UserMessage(err))
	msg = jukinet.Clip(msg, 500)
	// The refusal stands even if logging fails; the caller's error says why.
	_ = s.db.RecordRefusal(ctx, store.Op{Operation: jukinet.OpAccessRefused, Detail: msg})
}

// logText renders free text typed by someone for a log detail: short, one
// line, or "-" when empty.
func logText(s string) string {
	if s == "" {
		return "-"
	}
	r := []rune(s)
	if len(r) > 64 {
		r = r[:64]
	}
	for i, c := range r {
		if c < ' ' || c == 0x7f {
			r[i] = '?'
		}
	}
	return string(r)
}
