package access

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// ConsoleTokenTTL is how long a console token may wait to be redeemed.
const ConsoleTokenTTL = 5 * time.Minute

// ConsoleToken is a single-use token an operator logged in at a terminal
// issues so that the command line acts as them (G11.2: the log says who,
// not whoever holds the database file). The token is shown once; the node
// keeps its SHA-256 and an HMAC over the row under its biometric node key,
// so a row written into the table without the key redeems nothing.
type ConsoleToken struct {
	Token     string        `json:"token"`
	Actor     jukinet.Actor `json:"actor"`
	ExpiresAt time.Time     `json:"expires_at"`
}

// consoleMACKey derives the key that seals console-token rows from a node
// key version (never the biometric transform itself).
func consoleMACKey(secret [32]byte) []byte {
	m := hmac.New(sha256.New, secret[:])
	m.Write([]byte("jukinet console token v1"))
	return m.Sum(nil)
}

func consoleMAC(key, hash []byte, a jukinet.Actor, created, expires int64) []byte {
	m := hmac.New(sha256.New, key)
	for _, s := range []string{string(hash), a.CollationID, a.OperatorID, string(a.Authority), a.Terminal} {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(s)))
		m.Write(n[:])
		m.Write([]byte(s))
	}
	var t [16]byte
	binary.BigEndian.PutUint64(t[:8], uint64(created))
	binary.BigEndian.PutUint64(t[8:], uint64(expires))
	m.Write(t[:])
	return m.Sum(nil)
}

// IssueConsoleToken issues a console token for the operator of ctx (an
// operator in a session, never the console or a system principal), valid
// for ConsoleTokenTTL and once. Errors: KindForbidden (not an operator),
// KindUnauthorized (no actor).
func (s *Service) IssueConsoleToken(ctx context.Context) (ConsoleToken, error) {
	const op = "access.IssueConsoleToken"
	a, ok := jukinet.ActorFrom(ctx)
	if ok && !a.IsOperator() {
		return ConsoleToken{}, s.refuse(ctx, jukinet.OpAccessConsoleToken, jukinet.E(op, jukinet.KindForbidden, jukinet.Field("actor"), "only an operator logged in at a terminal may issue a console token"))
	}
	token, hash, err := s.newToken()
	if err != nil {
		return ConsoleToken{}, jukinet.E(op, err)
	}
	now := s.now()
	created, expires := now.UnixMicro(), now.Add(ConsoleTokenTTL).UnixMicro()
	mac := consoleMAC(consoleMACKey(s.keys.Current().Secret), hash, a, created, expires)
	err = s.act(ctx, jukinet.OpAccessConsoleToken, "issued", func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO access_console_tokens (token_hash, collation_id, operator_id, authority, terminal, created_at, mac, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			hash, a.CollationID, a.OperatorID, string(a.Authority), a.Terminal, created, mac, expires)
		return err
	})
	if err != nil {
		return ConsoleToken{}, jukinet.E(op, err)
	}
	return ConsoleToken{Token: token, Actor: a, ExpiresAt: time.UnixMicro(expires).UTC()}, nil
}

// RedeemConsoleToken spends token and returns the operator it stands for,
// after checking the row's HMAC under the node key, its expiry, and that the
// operator and the 操作者ID are still in force (a withdrawal takes effect at
// once). The redemption is logged by the system with the OS user and host
// of the console, naming the operator. Errors: KindUnauthorized (unknown,
// spent, forged or expired token), KindForbidden (operator or 操作者ID no
// longer in force).
func (s *Service) RedeemConsoleToken(ctx context.Context, token, osUser, host string) (jukinet.Actor, error) {
	const op = "access.RedeemConsoleToken"
	bad := jukinet.E(op, jukinet.KindUnauthorized, jukinet.Field("token"), "no such console token (unknown, spent, expired or not issued by this node)")
	hash, ok := hashToken(token)
	if !ok {
		return jukinet.Actor{}, bad
	}
	console := jukinet.ConsoleActor(osUser, host)
	var a jukinet.Actor
	var reason string
	err := s.db.Update(s.system(ctx), store.Op{Operation: jukinet.OpAccessConsoleToken, Detail: "redeem"}, func(tx *store.Tx) error {
		var authority string
		var created, expires int64
		var mac []byte
		err := tx.QueryRow(`SELECT collation_id, operator_id, authority, terminal, created_at, expires_at, mac FROM access_console_tokens WHERE token_hash = $1`, hash).
			Scan(&a.CollationID, &a.OperatorID, &authority, &a.Terminal, &created, &expires, &mac)
		if errors.Is(err, sql.ErrNoRows) {
			reason = "unknown"
			tx.SetDetail(fmt.Sprintf("redeem console=%s@%s result=unknown", console.CollationID, console.Terminal))
			return nil
		}
		if err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		a.Authority = jukinet.Authority(authority)
		// Single use: the row goes whatever the outcome.
		if _, err := tx.Exec(`DELETE FROM access_console_tokens WHERE token_hash = $1`, hash); err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		sealed := false
		for _, v := range s.keys.Versions() {
			k, _ := s.keys.Key(v)
			sealed = sealed || hmac.Equal(mac, consoleMAC(consoleMACKey(k.Secret), hash, a, created, expires))
		}
		now := s.now().UnixMicro()
		switch {
		case !sealed:
			reason = "forged"
		case now >= expires:
			reason = "expired"
		default:
			reason = s.inForce(tx, a, now)
		}
		tx.SetDetail(fmt.Sprintf("redeem collation_id=%s operator_id=%s console=%s@%s result=%s", logID(a.CollationID), logID(a.OperatorID), console.CollationID, console.Terminal, reasonOr(reason, "ok")))
		return nil
	})
	if err != nil {
		return jukinet.Actor{}, jukinet.E(op, err)
	}
	switch reason {
	case "":
		return a, nil
	case "unknown", "forged", "expired":
		return jukinet.Actor{}, bad
	}
	return jukinet.Actor{}, jukinet.Errorf(op, jukinet.KindForbidden, "token", "the operator's 操作者ID is no longer in force (%s)", reason)
}

func reasonOr(r, def string) string {
	if r == "" {
		return def
	}
	return r
}

// inForce reports "" when the operator is active and unlocked and the
// 操作者ID valid at now, else why not.
func (s *Service) inForce(tx *store.Tx, a jukinet.Actor, now int64) string {
	var status string
	var locked, from, until, withdrawn int64
	var scope string
	err := tx.QueryRow(`SELECT o.status, o.locked_at, i.valid_from, i.valid_until, i.withdrawn_at, i.scope
		FROM access_operators o JOIN access_operator_ids i ON i.collation_id = o.collation_id
		WHERE o.collation_id = $1 AND i.operator_id = $2`, a.CollationID, a.OperatorID).Scan(&status, &locked, &from, &until, &withdrawn, &scope)
	switch {
	case err != nil:
		return "operator_id_unknown"
	case Status(status) != StatusActive || locked != 0:
		return "operator_" + status
	case withdrawn != 0 || now < from || now >= until:
		return "operator_id_invalid"
	case !ScopeAllows(s.db.Node(), scope, a.Terminal):
		return "operator_id_out_of_scope"
	}
	return ""
}
