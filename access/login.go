package access

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/store"
)

// Challenge is the state between 照合 and the choice of a 操作者ID: the
// operator has proved who they are on a terminal and now picks the authority
// to work under (docs/design.md §6). Token is presented to Choose.
type Challenge struct {
	Token       string             `json:"token"`
	CollationID string             `json:"collation_id"`
	Terminal    string             `json:"terminal"`
	Choices     []OperatorIDRecord `json:"choices"` // the operator's 操作者ID valid now
	ExpiresAt   time.Time          `json:"expires_at"`
}

// Session is an operator's login on one terminal. Token is a random 256-bit
// secret shown only here; the database keeps its SHA-256.
type Session struct {
	Token     string        `json:"token"`
	Actor     jukinet.Actor `json:"actor"`
	CreatedAt time.Time     `json:"created_at"`
	ExpiresAt time.Time     `json:"expires_at"` // the absolute limit; idle timeout comes first if idle
	Idle      time.Duration `json:"idle_timeout"`
}

// LoginRequest is a whole login in one call: 照合 and the choice of a
// 操作者ID (empty OperatorID: the operator's only valid one).
type LoginRequest struct {
	Terminal    string
	CollationID string
	Reading     biometric.Reading
	OperatorID  string
}

// errNoMatch is the one answer to a failed 照合, whatever the cause, so that
// nobody learns whether a 照合ID exists.
func errNoMatch(op string) error {
	return jukinet.E(op, jukinet.KindUnauthorized, jukinet.Field("reading"), "照合ID and reading do not match")
}

type loginRow struct {
	exists   bool
	status   Status
	failures int
	locked   bool
	template []byte
}

// match performs 照合 and records every failure; see Verify.
func (s *Service) match(ctx context.Context, op, terminal, collationID string, r biometric.Reading) (_ matched, err error) {
	if err := s.throttled(ctx, op, terminal, collationID); err != nil {
		return matched{}, err
	}
	defer func() {
		if err != nil {
			s.throttle.failed(s.now(), &s.opt, sourceFrom(ctx), terminal)
		}
	}()
	if err := s.checkTerminal(ctx, op, terminal); err != nil {
		s.logFailure(ctx, terminal, collationID, "terminal", false)
		return matched{}, err
	}
	row, err := s.loadLoginRow(ctx, collationID)
	if err != nil {
		return matched{}, jukinet.E(op, err)
	}
	var t biometric.Template
	var m *biometric.Matcher
	haveTemplate := false
	if row.template != nil {
		if err := t.UnmarshalBinary(row.template); err == nil {
			m, haveTemplate = s.matchers[t.KeyVersion]
		}
	}
	var ok bool
	if haveTemplate {
		ok, err = m.Verify(t, r)
		if err != nil {
			ok = false
		}
	} else {
		// Same work as a real match, result discarded.
		s.current().Verify(s.dummy, r)
	}
	// Every failure answers the same (errNoMatch): an unknown 照合ID, a
	// locked one (also the attempt that locks it), one not active, without
	// 照合情報 or under a withdrawn key — so the answer never tells an
	// attacker that an ID exists or that it is locked. The record says
	// which it was; the アクセス管理責任者 sees a lockout in the registers
	// and ends it (G13.1).
	switch {
	case !row.exists:
		s.logFailure(ctx, terminal, collationID, "unknown_id", false)
		return matched{}, errNoMatch(op)
	case row.locked:
		s.logFailure(ctx, terminal, collationID, "locked", false)
		return matched{}, errNoMatch(op)
	case row.status != StatusActive:
		s.logFailure(ctx, terminal, collationID, "status_"+string(row.status), false)
		return matched{}, errNoMatch(op)
	case row.template == nil:
		s.logFailure(ctx, terminal, collationID, "no_template", false)
		return matched{}, errNoMatch(op)
	case !haveTemplate:
		s.logFailure(ctx, terminal, collationID, "key_withdrawn", false)
		return matched{}, errNoMatch(op)
	case !ok:
		s.logFailure(ctx, terminal, collationID, "no_match", true)
		return matched{}, errNoMatch(op)
	}

	// 照合 succeeded: renew a template made under an older key.
	res := matched{collationID: collationID, fromVersion: t.KeyVersion}
	if t.KeyVersion != s.keys.Current().Version {
		nt, err := s.current().Enroll(r, s.opt.Rand)
		if err == nil {
			res.renewed, err = nt.MarshalBinary()
		}
		if err != nil {
			return matched{}, jukinet.E(op, jukinet.KindInternal, err)
		}
	}
	return res, nil
}

// matched is a successful 照合.
type matched struct {
	collationID string
	fromVersion uint32 // key version of the template that matched
	renewed     []byte // the template re-enrolled under the current key, if it was older
}

// afterMatch resets the failure count and stores a renewed template, in the
// transaction that records the success.
func (s *Service) afterMatch(tx *store.Tx, m matched) error {
	if _, err := tx.Exec(`UPDATE access_operators SET failures = 0 WHERE collation_id = $1 AND failures <> 0`, m.collationID); err != nil {
		return err
	}
	if m.renewed == nil {
		return nil
	}
	v := s.keys.Current().Version
	if err := putTemplate(tx, m.collationID, v, m.renewed); err != nil {
		return err
	}
	if err := addHistory(tx, registerCollation, m.collationID, "renewed", fmt.Sprintf("key_version=%d (from %d, at login)", v, m.fromVersion)); err != nil {
		return err
	}
	tx.Log(jukinet.OpAccessRenew, "", "ok", fmt.Sprintf("collation_id=%s key_version=%d", m.collationID, v))
	return nil
}

// Verify performs 照合 (G2.6, G11.2): the reading presented with collationID
// on terminal is matched against the stored 照合情報. On success the
// operator's valid 操作者ID are returned with a token for Choose. A failure
// costs the same work whether or not the 照合ID exists. Every outcome is
// logged (principal "access", the 照合ID in the detail, never the reading).
// Errors: KindRateLimited (too many attempts from the source or terminal),
// KindForbidden (terminal not registered or inactive), KindUnauthorized
// for every failed 照合 alike — no match, unknown ID, no 照合情報, not
// active, locked after MaxFailures (an アクセス管理 operator must unlock),
// 照合情報 under a withdrawn node key (re-enrol).
func (s *Service) Verify(ctx context.Context, terminal, collationID string, r biometric.Reading) (Challenge, error) {
	const op = "access.Verify"
	m, err := s.match(ctx, op, terminal, collationID, r)
	if err != nil {
		return Challenge{}, err
	}
	token, hash, err := s.newToken()
	if err != nil {
		return Challenge{}, jukinet.E(op, err)
	}
	now := s.now()
	choices, err := s.validOperatorIDs(ctx, collationID, now)
	if err != nil {
		return Challenge{}, jukinet.E(op, err)
	}
	choices = s.inScope(choices, terminal) // a 操作者ID for other terminals is not offered
	detail := fmt.Sprintf("collation_id=%s terminal=%s", collationID, terminal)
	err = s.db.Update(s.system(ctx), store.Op{Operation: jukinet.OpAccessVerified, Detail: detail}, func(tx *store.Tx) error {
		if err := s.afterMatch(tx, m); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO access_sessions (token_hash, collation_id, operator_id, authority, terminal, pending, created_at, last_seen) VALUES ($1, $2, '', '', $3, 1, $4, $4)`,
			hash, collationID, terminal, now.UnixMicro())
		return err
	})
	if err != nil {
		return Challenge{}, jukinet.E(op, jukinet.KindInternal, err)
	}
	return Challenge{Token: token, CollationID: collationID, Terminal: terminal, Choices: choices, ExpiresAt: now.Add(s.opt.ChooseTimeout)}, nil
}

// Choose opens the session: the verified operator picks one of their valid
// 操作者ID (G2.8) and gets a session bound to the terminal. The challenge
// token is spent; the session has a fresh token. Errors: KindUnauthorized
// (unknown or spent challenge), KindForbidden (another terminal, or not the
// operator's 操作者ID), KindExpired (challenge or 操作者ID expired).
func (s *Service) Choose(ctx context.Context, challengeToken, terminal, operatorID string) (Session, error) {
	const op = "access.Choose"
	hash, ok := hashToken(challengeToken)
	if !ok {
		return Session{}, jukinet.E(op, jukinet.KindUnauthorized, jukinet.Field("token"), "no such login in progress")
	}
	var collationID, boundTerminal string
	var created int64
	err := s.db.Bookkeeping(store.Sessions).QueryRowContext(ctx, `SELECT collation_id, terminal, created_at FROM access_sessions WHERE token_hash = $1 AND pending = 1`, hash).
		Scan(&collationID, &boundTerminal, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, jukinet.E(op, jukinet.KindUnauthorized, jukinet.Field("token"), "no such login in progress")
	}
	if err != nil {
		return Session{}, jukinet.E(op, jukinet.KindInternal, err)
	}
	now := s.now()
	end := func(reason string) { s.endSession(ctx, hash, collationID, "", boundTerminal, reason) }
	if subtle.ConstantTimeCompare([]byte(boundTerminal), []byte(terminal)) != 1 {
		end("terminal_mismatch:" + logID(terminal))
		return Session{}, jukinet.E(op, jukinet.KindForbidden, jukinet.Field("terminal"), "the login was started on another terminal")
	}
	if now.Sub(time.UnixMicro(created)) > s.opt.ChooseTimeout {
		end("choose_timeout")
		return Session{}, jukinet.E(op, jukinet.KindExpired, jukinet.Field("token"), "the time to choose a 操作者ID ran out; log in again")
	}
	chosen, err := s.pick(ctx, op, terminal, collationID, operatorID, now)
	if err != nil {
		return Session{}, err
	}
	actor := jukinet.Actor{CollationID: collationID, OperatorID: chosen.OperatorID, Authority: chosen.Authority, Terminal: terminal}
	token, newHash, err := s.newToken()
	if err != nil {
		return Session{}, jukinet.E(op, err)
	}
	err = s.db.Update(jukinet.WithActor(ctx, actor), store.Op{Operation: jukinet.OpAccessLogin, Detail: "scope=" + chosen.Scope}, func(tx *store.Tx) error {
		res, err := tx.Exec(`DELETE FROM access_sessions WHERE token_hash = $1 AND pending = 1`, hash)
		if err := mustAffect(op, res, err, "token", "the login in progress"); err != nil {
			return jukinet.E(op, jukinet.KindUnauthorized, err) // spent concurrently
		}
		_, err = tx.Exec(`INSERT INTO access_sessions (token_hash, collation_id, operator_id, authority, terminal, pending, created_at, last_seen) VALUES ($1, $2, $3, $4, $5, 0, $6, $6)`,
			newHash, collationID, actor.OperatorID, string(actor.Authority), terminal, now.UnixMicro())
		return err
	})
	if err != nil {
		return Session{}, jukinet.E(op, err)
	}
	return Session{Token: token, Actor: actor, CreatedAt: now, ExpiresAt: now.Add(s.opt.AbsoluteLimit), Idle: s.opt.IdleTimeout}, nil
}

// pick finds the 操作者ID the operator chose (their only valid one when
// operatorID is empty) and checks that it is in force at now.
func (s *Service) pick(ctx context.Context, op, terminal, collationID, operatorID string, now time.Time) (OperatorIDRecord, error) {
	choices, err := s.operatorIDs(ctx, collationID)
	if err != nil {
		return OperatorIDRecord{}, jukinet.E(op, err)
	}
	var valid []OperatorIDRecord
	var chosen *OperatorIDRecord
	for i := range choices {
		if choices[i].ValidAt(now) && ScopeAllows(s.db.Node(), choices[i].Scope, terminal) {
			valid = append(valid, choices[i])
		}
		if choices[i].OperatorID == operatorID {
			chosen = &choices[i]
		}
	}
	if operatorID == "" && len(valid) == 1 {
		chosen = &valid[0]
	}
	switch {
	case chosen == nil && operatorID == "":
		s.logFailure(ctx, terminal, collationID, fmt.Sprintf("choose_needed(%d valid)", len(valid)), false)
		return OperatorIDRecord{}, jukinet.Errorf(op, jukinet.KindInvalid, "operator_id", "choose one of %d valid 操作者ID", len(valid))
	case chosen == nil:
		s.logFailure(ctx, terminal, collationID, "operator_id_not_held:"+logID(operatorID), false)
		return OperatorIDRecord{}, jukinet.E(op, jukinet.KindForbidden, jukinet.Field("operator_id"), "this 操作者ID is not one of the operator's")
	case !chosen.ValidAt(now):
		s.logFailure(ctx, terminal, collationID, "operator_id_invalid:"+chosen.OperatorID, false)
		return OperatorIDRecord{}, jukinet.Errorf(op, jukinet.KindExpired, "operator_id", "操作者ID %s is withdrawn or outside its validity period", chosen.OperatorID)
	case !ScopeAllows(s.db.Node(), chosen.Scope, terminal):
		s.logFailure(ctx, terminal, collationID, "operator_id_out_of_scope:"+chosen.OperatorID, false)
		return OperatorIDRecord{}, scopeError(op, chosen.OperatorID, chosen.Scope, terminal)
	}
	return *chosen, nil
}

// Login is Verify followed by Choose in one step, for a terminal that asks
// for the 操作者ID up front (empty OperatorID: the operator's only valid
// one). It writes one transaction instead of two: the access.login record
// stands for both the 照合 and the choice. Errors as Verify and Choose.
func (s *Service) Login(ctx context.Context, req LoginRequest) (Session, error) {
	const op = "access.Login"
	m, err := s.match(ctx, op, req.Terminal, req.CollationID, req.Reading)
	if err != nil {
		return Session{}, err
	}
	now := s.now()
	chosen, err := s.pick(ctx, op, req.Terminal, req.CollationID, req.OperatorID, now)
	if err != nil {
		return Session{}, err
	}
	actor := jukinet.Actor{CollationID: req.CollationID, OperatorID: chosen.OperatorID, Authority: chosen.Authority, Terminal: req.Terminal}
	token, hash, err := s.newToken()
	if err != nil {
		return Session{}, jukinet.E(op, err)
	}
	err = s.db.Update(jukinet.WithActor(ctx, actor), store.Op{Operation: jukinet.OpAccessLogin, Detail: "scope=" + chosen.Scope}, func(tx *store.Tx) error {
		if err := s.afterMatch(tx, m); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO access_sessions (token_hash, collation_id, operator_id, authority, terminal, pending, created_at, last_seen) VALUES ($1, $2, $3, $4, $5, 0, $6, $6)`,
			hash, req.CollationID, actor.OperatorID, string(actor.Authority), req.Terminal, now.UnixMicro())
		return err
	})
	if err != nil {
		return Session{}, jukinet.E(op, err)
	}
	return Session{Token: token, Actor: actor, CreatedAt: now, ExpiresAt: now.Add(s.opt.AbsoluteLimit), Idle: s.opt.IdleTimeout}, nil
}

// Authenticate returns the actor of the session token for a request from
// terminal. The session is bound to its terminal: presenting it elsewhere
// ends it (a stolen token). It checks on every request that the operator is
// still active, the 操作者ID still in force and the terminal still active.
// Errors: KindUnauthorized (no such session), KindForbidden (another
// terminal; operator, 操作者ID or terminal no longer in force), KindExpired
// (idle timeout or absolute limit).
func (s *Service) Authenticate(ctx context.Context, token, terminal string) (jukinet.Actor, error) {
	const op = "access.Authenticate"
	hash, ok := hashToken(token)
	if !ok {
		return jukinet.Actor{}, jukinet.E(op, jukinet.KindUnauthorized, jukinet.Field("token"), "no such session")
	}
	var a jukinet.Actor
	var authority, status string
	var scope string
	var created, lastSeen, locked, from, until, withdrawn, active int64
	err := s.db.Bookkeeping(store.Sessions).QueryRowContext(ctx, `SELECT s.collation_id, s.operator_id, s.authority, s.terminal, s.created_at, s.last_seen,
			o.status, o.locked_at, i.valid_from, i.valid_until, i.withdrawn_at, i.scope, COALESCE(t.active, 0)
		FROM access_sessions s
		JOIN access_operators o ON o.collation_id = s.collation_id
		JOIN access_operator_ids i ON i.operator_id = s.operator_id
		LEFT JOIN access_terminals t ON t.terminal_id = s.terminal
		WHERE s.token_hash = $1 AND s.pending = 0`, hash).
		Scan(&a.CollationID, &a.OperatorID, &authority, &a.Terminal, &created, &lastSeen, &status, &locked, &from, &until, &withdrawn, &scope, &active)
	if errors.Is(err, sql.ErrNoRows) {
		return jukinet.Actor{}, jukinet.E(op, jukinet.KindUnauthorized, jukinet.Field("token"), "no such session")
	}
	if err != nil {
		return jukinet.Actor{}, jukinet.E(op, jukinet.KindInternal, err)
	}
	a.Authority = jukinet.Authority(authority)
	now := s.now().UnixMicro()
	fail := func(kind jukinet.Kind, field, reason, msg string) (jukinet.Actor, error) {
		s.endSession(ctx, hash, a.CollationID, a.OperatorID, a.Terminal, reason)
		return jukinet.Actor{}, jukinet.E(op, kind, jukinet.Field(field), msg)
	}
	switch {
	case subtle.ConstantTimeCompare([]byte(a.Terminal), []byte(terminal)) != 1:
		return fail(jukinet.KindForbidden, "terminal", "terminal_mismatch:"+logID(terminal), "the session belongs to another terminal; it has been ended")
	case now-lastSeen > s.opt.IdleTimeout.Microseconds():
		return fail(jukinet.KindExpired, "token", "idle_timeout", "the session was idle too long; log in again")
	case now-created > s.opt.AbsoluteLimit.Microseconds():
		return fail(jukinet.KindExpired, "token", "absolute_limit", "the session reached its time limit; log in again")
	case Status(status) != StatusActive || locked != 0:
		return fail(jukinet.KindForbidden, "collation_id", "operator_"+status, "the operator may no longer log in")
	case withdrawn != 0 || now < from || now >= until:
		return fail(jukinet.KindExpired, "operator_id", "operator_id_invalid", "the 操作者ID is withdrawn or outside its validity period")
	case active == 0:
		return fail(jukinet.KindForbidden, "terminal", "terminal_inactive", "the terminal is no longer active")
	case !ScopeAllows(s.db.Node(), scope, a.Terminal):
		s.endSession(ctx, hash, a.CollationID, a.OperatorID, a.Terminal, "operator_id_out_of_scope")
		return jukinet.Actor{}, jukinet.E(op, scopeError(op, a.OperatorID, scope, a.Terminal))
	}
	// Refresh last-seen only when it has grown stale: a write per request
	// would double the database work of every read. This bookkeeping holds no
	// decision of anyone, so it is not an operation-log record.
	if now-lastSeen > s.opt.TouchThreshold.Microseconds() {
		if _, err := s.db.Bookkeeping(store.Sessions).ExecContext(ctx, `UPDATE access_sessions SET last_seen = $1 WHERE token_hash = $2`, now, hash); err != nil {
			return jukinet.Actor{}, jukinet.E(op, jukinet.KindInternal, err)
		}
	}
	return a, nil
}

// Logout ends the session of token on terminal, logged under its actor.
// Errors as Authenticate.
func (s *Service) Logout(ctx context.Context, token, terminal string) error {
	const op = "access.Logout"
	a, err := s.Authenticate(ctx, token, terminal)
	if err != nil {
		return jukinet.E(op, err)
	}
	hash, _ := hashToken(token)
	return s.db.Update(jukinet.WithActor(ctx, a), store.Op{Operation: jukinet.OpAccessLogout}, func(tx *store.Tx) error {
		_, err := tx.Exec(`DELETE FROM access_sessions WHERE token_hash = $1`, hash)
		return err
	})
}

func (s *Service) checkTerminal(ctx context.Context, op, terminal string) error {
	if !jukinet.ValidID(terminal) {
		return jukinet.E(op, jukinet.KindForbidden, jukinet.Field("terminal"), "not a registered terminal")
	}
	var active int64
	err := s.db.Bookkeeping(store.Sessions).QueryRowContext(ctx, `SELECT active FROM access_terminals WHERE terminal_id = $1`, terminal).Scan(&active)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && active == 0) {
		return jukinet.E(op, jukinet.KindForbidden, jukinet.Field("terminal"), "not a registered, active terminal")
	}
	if err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	return nil
}

func (s *Service) loadLoginRow(ctx context.Context, collationID string) (loginRow, error) {
	var row loginRow
	if !jukinet.ValidID(collationID) {
		return row, nil
	}
	var status string
	var locked int64
	var tmpl []byte
	err := s.db.Bookkeeping(store.Sessions).QueryRowContext(ctx, `SELECT o.status, o.failures, o.locked_at, t.template
		FROM access_operators o LEFT JOIN access_templates t ON t.collation_id = o.collation_id WHERE o.collation_id = $1`, collationID).
		Scan(&status, &row.failures, &locked, &tmpl)
	if errors.Is(err, sql.ErrNoRows) {
		return row, nil
	}
	if err != nil {
		return row, jukinet.E("access.loadLoginRow", jukinet.KindInternal, err)
	}
	row.exists, row.status, row.locked, row.template = true, Status(status), locked != 0, tmpl
	return row, nil
}

// logFailure records a refused login attempt; when count is set it also
// counts a consecutive failure of an existing 照合ID and locks it at the
// limit, reporting whether it did.
func (s *Service) logFailure(ctx context.Context, terminal, collationID, reason string, count bool) (locked bool) {
	detail := fmt.Sprintf("collation_id=%s terminal=%s reason=%s", logID(collationID), logID(terminal), reason)
	var failures int
	// The refusal stands even if logging fails; the caller's error says why.
	_ = s.db.Update(s.system(ctx), store.Op{Operation: jukinet.OpAccessLoginFailure, Detail: detail}, func(tx *store.Tx) error {
		if !count {
			return nil
		}
		var n int
		if err := tx.QueryRow(`UPDATE access_operators SET failures = failures + 1 WHERE collation_id = $1 RETURNING failures`, collationID).Scan(&n); err != nil {
			return err
		}
		if n >= s.opt.MaxFailures {
			if _, err := tx.Exec(`UPDATE access_operators SET locked_at = $1 WHERE collation_id = $2 AND locked_at = 0`, tx.NowMicro(), collationID); err != nil {
				return err
			}
			tx.Log(jukinet.OpAccessLockout, "", "ok", fmt.Sprintf("collation_id=%s failures=%d", collationID, n))
			locked = true
			failures = n
			return addHistory(tx, registerCollation, collationID, "locked", fmt.Sprintf("failures=%d", n))
		}
		return nil
	})
	if locked {
		// The operation log names the 照合ID; this line only says where.
		s.opt.Logger.Warn("login lockout", "terminal", logID(terminal), "failures", failures)
	}
	return locked
}

// endSession deletes a session the system refuses and logs why.
func (s *Service) endSession(ctx context.Context, hash []byte, collationID, operatorID, terminal, reason string) {
	detail := fmt.Sprintf("collation_id=%s operator_id=%s terminal=%s reason=%s", collationID, operatorID, terminal, reason)
	_ = s.db.Update(s.system(ctx), store.Op{Operation: jukinet.OpAccessSessionEnd, Detail: detail}, func(tx *store.Tx) error {
		_, err := tx.Exec(`DELETE FROM access_sessions WHERE token_hash = $1`, hash)
		return err
	})
}

func (s *Service) newToken() (token string, hash []byte, err error) {
	var b [32]byte
	if _, err := io.ReadFull(s.opt.Rand, b[:]); err != nil {
		return "", nil, jukinet.E("access.newToken", jukinet.KindInternal, err)
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	h := sha256.Sum256(b[:])
	return token, h[:], nil
}

// hashToken decodes a session token (43 characters of base64url, 256 bits)
// and returns its SHA-256; ok is false for anything else.
func hashToken(token string) ([]byte, bool) {
	if len(token) != 43 {
		return nil, false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(b) != 32 {
		return nil, false
	}
	h := sha256.Sum256(b)
	return h[:], true
}

// operatorIDs lists an operator's 操作者ID, in force or not.
func (s *Service) operatorIDs(ctx context.Context, collationID string) ([]OperatorIDRecord, error) {
	rows, err := s.db.Bookkeeping(store.Sessions).QueryContext(ctx, operatorIDSelect+` WHERE collation_id = $1 ORDER BY operator_id`, collationID)
	if err != nil {
		return nil, jukinet.E("access.operatorIDs", jukinet.KindInternal, err)
	}
	return scanOperatorIDs(rows)
}

// OperatorIDs lists an operator's 操作者ID with their history fields.
func (s *Service) OperatorIDs(ctx context.Context, collationID string) ([]OperatorIDRecord, error) {
	return s.operatorIDs(ctx, collationID)
}

// inScope keeps the 操作者ID whose scope allows terminal.
func (s *Service) inScope(ids []OperatorIDRecord, terminal string) []OperatorIDRecord {
	var out []OperatorIDRecord
	for _, r := range ids {
		if ScopeAllows(s.db.Node(), r.Scope, terminal) {
			out = append(out, r)
		}
	}
	return out
}

// scopeError refuses a 操作者ID on a terminal outside its scope, naming the scope.
func scopeError(op, operatorID, scope, terminal string) error {
	return jukinet.Errorf(op, jukinet.KindForbidden, "operator_id", "操作者ID %s has scope %q, which does not include terminal %s", operatorID, truncateScope(scope), logID(terminal))
}

func (s *Service) validOperatorIDs(ctx context.Context, collationID string, now time.Time) ([]OperatorIDRecord, error) {
	all, err := s.operatorIDs(ctx, collationID)
	if err != nil {
		return nil, err
	}
	var out []OperatorIDRecord
	for _, r := range all {
		if r.ValidAt(now) {
			out = append(out, r)
		}
	}
	return out, nil
}

const operatorIDSelect = `SELECT operator_id, collation_id, authority, scope, valid_from, valid_until, security_manager, decision_ref, assigned_at, assigned_by, withdrawn_at, withdrawn_by FROM access_operator_ids`

type rowScanner interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close() error
}

func scanOperatorIDs(rows rowScanner) ([]OperatorIDRecord, error) {
	defer rows.Close()
	var out []OperatorIDRecord
	for rows.Next() {
		var r OperatorIDRecord
		var authority string
		var from, until, assigned, withdrawn int64
		if err := rows.Scan(&r.OperatorID, &r.CollationID, &authority, &r.Scope, &from, &until, &r.SecurityManager, &r.DecisionRef, &assigned, &r.AssignedBy, &withdrawn, &r.WithdrawnBy); err != nil {
			return nil, jukinet.E("access.scanOperatorIDs", jukinet.KindInternal, err)
		}
		r.Authority = jukinet.Authority(authority)
		r.ValidFrom, r.ValidUntil, r.AssignedAt, r.WithdrawnAt = fromMicro(from), fromMicro(until), fromMicro(assigned), fromMicro(withdrawn)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, jukinet.E("access.scanOperatorIDs", jukinet.KindInternal, err)
	}
	return out, nil
}

// PruneSessions deletes sessions past their idle timeout or absolute limit
// and logins whose choice of 操作者ID timed out, which nobody presented again
// (Authenticate ends the others itself). It logs one record with the count,
// as the system principal. A server calls it now and then; it returns the
// number deleted.
func (s *Service) PruneSessions(ctx context.Context) (int64, error) {
	now := s.now()
	var n int64
	err := s.db.Update(s.system(ctx), store.Op{Operation: jukinet.OpAccessSessionEnd, Detail: "prune"}, func(tx *store.Tx) error {
		res, err := tx.Exec(`DELETE FROM access_sessions WHERE last_seen < $1 OR created_at < $2 OR (pending = 1 AND created_at < $3)`,
			now.Add(-s.opt.IdleTimeout).UnixMicro(), now.Add(-s.opt.AbsoluteLimit).UnixMicro(), now.Add(-s.opt.ChooseTimeout).UnixMicro())
		if err != nil {
			return jukinet.E("access.PruneSessions", jukinet.KindInternal, err)
		}
		n, _ = res.RowsAffected()
		tx.SetDetail(fmt.Sprintf("reason=pruned sessions=%d", n))
		return nil
	})
	return n, err
}

// maxAttemptsPerRecord bounds what one throttle record counts for: far
// above any threshold, it keeps a forged count from costing memory.
const maxAttemptsPerRecord = 10_000

// LoginFailureNamed reads a refused login's record (G8, G14), for the
// misuse analysis: the 照合ID and terminal the attempt named and how many
// attempts it stands for (a throttled burst is one record with attempts=N). The record is written as
// the system (logFailure, throttled), so its actor fields are empty and the
// detail, whose format this package owns, names them:
// "collation_id=… terminal=… reason=…".
func LoginFailureNamed(detail string) (collationID, terminal string, attempts int) {
	attempts = 1
	for _, f := range strings.Fields(detail) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "collation_id":
			collationID = v
		case "terminal":
			terminal = v
		case "attempts":
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				attempts = min(n, maxAttemptsPerRecord)
			}
		}
	}
	return collationID, terminal, attempts
}
