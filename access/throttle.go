package access

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// Login throttling (G11.2; threat model (c): 照合ID guessing at a
// listener). Every failed login attempt takes a token from the bucket of
// its source address and of its terminal; an attempt when either is empty
// is refused before any 照合 and before any per-attempt record, so 200
// rapid failures write a handful of records, not 200. The throttled attempts are
// recorded in aggregate: one record per key per ThrottleReport interval
// with their count. Lockout stays the アクセス管理責任者's to end: the
// throttle only slows guessing, it unlocks nothing.

// Default login rates: per source address and per terminal.
const (
	DefaultLoginSourceRate  = rate.Limit(1.0 / 6) // one attempt every 6 s …
	DefaultLoginSourceBurst = 10                  // … after 10 at once
	DefaultLoginTermRate    = rate.Limit(1.0 / 6)
	DefaultLoginTermBurst   = 10
	throttleReport          = time.Minute
	maxThrottleKeys         = 100_000 // sources kept; beyond, idle ones are dropped
)

type sourceKey struct{}

// WithSource returns ctx carrying the network source of a login attempt
// (the client's IP address): Verify and Login throttle per source too.
func WithSource(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, sourceKey{}, addr)
}

func sourceFrom(ctx context.Context) string {
	s, _ := ctx.Value(sourceKey{}).(string)
	return s
}

// throttle is the set of login buckets of a Service.
type throttle struct {
	mu      sync.Mutex
	buckets map[string]*loginBucket // "source:ADDR" or "terminal:ID"
}

type loginBucket struct {
	lim        *rate.Limiter
	suppressed int       // throttled attempts not yet recorded
	reported   time.Time // when they were last recorded (zero: never)
	seen       time.Time
}

// buckets returns the buckets of an attempt's keys (no source: the CLI,
// a test), made on first use; t.mu is held.
func (t *throttle) keys(now time.Time, opt *Options, source, terminal string) ([]*loginBucket, []string) {
	if t.buckets == nil {
		t.buckets = map[string]*loginBucket{}
	}
	if len(t.buckets) > maxThrottleKeys {
		for k, b := range t.buckets {
			if now.Sub(b.seen) > time.Hour {
				delete(t.buckets, k)
			}
		}
	}
	var out []*loginBucket
	var names []string
	for _, k := range []struct {
		name  string
		lim   rate.Limit
		burst int
	}{{"source:" + source, opt.LoginSourceRate, opt.LoginSourceBurst}, {"terminal:" + terminal, opt.LoginTerminalRate, opt.LoginTerminalBurst}} {
		if k.name == "source:" {
			continue
		}
		b, ok := t.buckets[k.name]
		if !ok {
			b = &loginBucket{lim: rate.NewLimiter(k.lim, k.burst)}
			t.buckets[k.name] = b
		}
		b.seen = now
		out, names = append(out, b), append(names, k.name)
	}
	return out, names
}

// allow checks that each key has a token left; it takes none (a failed
// attempt takes them: failed). It returns the key that refused and, when
// it is time to record them, the count of throttled attempts for that key
// (0: record nothing now).
func (t *throttle) allow(now time.Time, opt *Options, source, terminal string) (refusedBy string, report int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	bs, names := t.keys(now, opt, source, terminal)
	for i, b := range bs {
		if b.lim.TokensAt(now) >= 1 {
			continue
		}
		b.suppressed++
		if now.Sub(b.reported) >= throttleReport {
			n := b.suppressed
			b.suppressed, b.reported = 0, now
			return names[i], n
		}
		return names[i], 0
	}
	return "", 0
}

// failed takes a token of each key of a failed attempt: the buckets count
// failures, so an operator's successful logins never throttle a terminal.
func (t *throttle) failed(now time.Time, opt *Options, source, terminal string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	bs, _ := t.keys(now, opt, source, terminal)
	for _, b := range bs {
		b.lim.AllowN(now, 1)
	}
}

// throttled refuses an attempt over the rate; it writes a record only
// for the first throttled attempt of a key and then once per minute with
// the count (aggregated: a flood cannot grow the log without bound).
// The answer is the same whoever the 照合ID is.
func (s *Service) throttled(ctx context.Context, op, terminal, collationID string) error {
	key, report := s.throttle.allow(s.now(), &s.opt, sourceFrom(ctx), terminal)
	if key == "" {
		return nil
	}
	if report > 0 {
		detail := fmt.Sprintf("collation_id=%s terminal=%s reason=throttled key=%s attempts=%d", logID(collationID), logID(terminal), keyLog(key), report)
		_ = s.db.RecordRefusal(s.system(ctx), store.Op{Operation: jukinet.OpAccessLoginFailure, Detail: detail})
	}
	return jukinet.E(op, jukinet.KindRateLimited, "too many login attempts from this terminal or address; wait and try again")
}

// keyLog is a bucket's name for a log record: the terminal's ID or the
// source's address, each only when it is what it claims to be.
func keyLog(key string) string {
	if t, ok := strings.CutPrefix(key, "terminal:"); ok {
		return "terminal:" + logID(t)
	}
	if a, err := netip.ParseAddr(strings.TrimPrefix(key, "source:")); err == nil {
		return "source:" + a.String()
	}
	return "(invalid)"
}
