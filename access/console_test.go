package access

import (
	"context"
	"github.com/jukinet/jukinet/store"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
)

// TestConsoleToken: an operator's session issues a single-use token that the
// command line redeems to act as that operator; a spent, forged, expired or
// withdrawn one is refused, and a console principal cannot issue one.
func TestConsoleToken(t *testing.T) {
	run(t, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		auditor := fx.as("C-AUDIT", "OP-AUDIT-audit", jukinet.AuthorityAudit)
		tok, err := fx.svc.IssueConsoleToken(auditor)
		if err != nil {
			t.Fatal(err)
		}
		a, err := fx.svc.RedeemConsoleToken(ctx, tok.Token, "alice", "cs01")
		if err != nil || a.CollationID != "C-AUDIT" || a.OperatorID != "OP-AUDIT-audit" || a.Authority != jukinet.AuthorityAudit {
			t.Fatalf("redeem: %+v, %v", a, err)
		}
		_, err = fx.svc.RedeemConsoleToken(ctx, tok.Token, "alice", "cs01")
		wantKind(t, "redeem twice", err, jukinet.KindUnauthorized)
		var detail string
		for _, r := range logRecords(t, fx.db, jukinet.OpAccessConsoleToken) {
			if strings.HasPrefix(r.Detail, "redeem collation_id=C-AUDIT") {
				detail = r.Detail
				break
			}
		}
		if !strings.Contains(detail, "console=console:alice@cs01") || !strings.Contains(detail, "result=ok") {
			t.Errorf("redemption record %q, want the OS user and host", detail)
		}

		// A row written without the node key (insider with the database file).
		tok, err = fx.svc.IssueConsoleToken(auditor)
		if err != nil {
			t.Fatal(err)
		}
		hash, _ := hashToken(tok.Token)
		if _, err := fx.db.Bookkeeping(store.Inspect).Exec(`UPDATE access_console_tokens SET authority = 'access_admin', operator_id = 'OP-ADMIN-access_admin', collation_id = 'C-ADMIN' WHERE token_hash = $1`, hash); err != nil {
			t.Fatal(err)
		}
		_, err = fx.svc.RedeemConsoleToken(ctx, tok.Token, "mallory", "cs01")
		wantKind(t, "forged row", err, jukinet.KindUnauthorized)

		tok, _ = fx.svc.IssueConsoleToken(auditor)
		fx.clk.Advance(ConsoleTokenTTL + time.Second)
		_, err = fx.svc.RedeemConsoleToken(ctx, tok.Token, "alice", "cs01")
		wantKind(t, "expired", err, jukinet.KindUnauthorized)

		tok, _ = fx.svc.IssueConsoleToken(auditor)
		if err := fx.svc.Withdraw(fx.admin(), "OP-AUDIT-audit", "異動"); err != nil {
			t.Fatal(err)
		}
		_, err = fx.svc.RedeemConsoleToken(ctx, tok.Token, "alice", "cs01")
		wantKind(t, "withdrawn 操作者ID", err, jukinet.KindForbidden)

		_, err = fx.svc.IssueConsoleToken(jukinet.WithActor(ctx, jukinet.ConsoleActor("alice", "cs01")))
		wantKind(t, "issued by the console", err, jukinet.KindForbidden)
		_, err = fx.svc.RedeemConsoleToken(ctx, "not-a-token", "alice", "cs01")
		wantKind(t, "garbage", err, jukinet.KindUnauthorized)
	})
}
