package access

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/governance"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	e      store.Engine
	db     *store.DB
	path   string
	svc    *Service
	key    biometric.NodeKey
	reader *biometric.SyntheticReader
	clk    *clock
	// governed: the fixture's セキュリティ統括責任者 and セキュリティ責任者 are appointed
	governed bool
	logs     *bytes.Buffer // the service's log lines (JSON)
}

const node = "352063"

func (fx *fixture) as(collationID, operatorID string, a jukinet.Authority) context.Context {
	return jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: collationID, OperatorID: operatorID, Authority: a, Terminal: testTerminal})
}

func (fx *fixture) admin() context.Context {
	return fx.as("C-ADMIN", "OP-ADMIN-access_admin", jukinet.AuthorityAccessAdmin)
}

func (fx *fixture) clerk() context.Context {
	return fx.as("C-CLERK", "OP-CLERK-record", jukinet.AuthorityRecord)
}

func newFixture(t testing.TB, e store.Engine) *fixture {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	cfg := storetest.Config(t, e, node)
	cfg.Now = clk.Now
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open %s: %v", e, err)
	}
	t.Cleanup(func() { db.Close() })
	key, err := biometric.NewNodeKey(1, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	reader := biometric.NewSyntheticReader(7, 0.1)
	if err := seedTestStaff(context.Background(), db, reader, key); err != nil {
		t.Fatalf("seedTestStaff: %v", err)
	}
	ring, _ := NewKeyRing(key)
	// The clock stands still: the login throttle (TestLoginThrottle) is
	// opened wide for the tests of other rules.
	logs := &bytes.Buffer{} // the tests call the service from one goroutine
	svc, err := New(db, ring, Options{LoginTerminalBurst: 1000, LoginSourceBurst: 1000, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	fx := &fixture{e: e, db: db, path: cfg.Path, svc: svc, key: key, reader: reader, clk: clk, logs: logs}
	return fx
}

// decide records the セキュリティ責任者's decision that collationID may hold
// authority (G13.3), appointing the fixture's role holders on first use.
func (fx *fixture) decide(t testing.TB, collationID string, a jukinet.Authority) string {
	t.Helper()
	return fx.decision(t, governance.AccessDecision{Kind: governance.DecisionAssign, CollationID: collationID, Authority: a, Reason: "事務分担"})
}

func (fx *fixture) decision(t testing.TB, d governance.AccessDecision) string {
	t.Helper()
	g := governance.New(fx.db)
	today := jukinet.Today(fx.clk.Now())
	if !fx.governed {
		fx.governed = true
		if _, err := g.AssignRole(jukinet.WithActor(context.Background(), governance.BootstrapActor), governance.Assignment{Role: governance.RoleGeneralManager, CollationID: "C-DEPUTY-MAYOR", Name: "試験 DEPUTY-MAYOR", From: today.AddDays(-30)}); err != nil {
			t.Fatalf("appoint GM: %v", err)
		}
		if _, err := g.AssignRole(fx.as("C-DEPUTY-MAYOR", "OP-DEPUTY-MAYOR-governance", jukinet.AuthorityGovernance), governance.Assignment{Role: governance.RoleSecurityManager, CollationID: "C-CITIZEN-HEAD", Name: "試験 CITIZEN-HEAD", From: today.AddDays(-30)}); err != nil {
			t.Fatalf("appoint security manager: %v", err)
		}
	}
	id, err := g.DecideAccess(fx.securityManager(), d)
	if err != nil {
		t.Fatalf("DecideAccess(%+v): %v", d, err)
	}
	return id
}

func (fx *fixture) securityManager() context.Context {
	return fx.as("C-CITIZEN-HEAD", "OP-CITIZEN-HEAD-governance", jukinet.AuthorityGovernance)
}

func run(t *testing.T, f func(t *testing.T, fx *fixture)) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) { f(t, newFixture(t, e)) })
	}
}

func wantKind(t *testing.T, what string, err error, want jukinet.Kind) {
	t.Helper()
	if got := jukinet.ErrorKind(err); got != want || err == nil {
		t.Errorf("%s: error %v (kind %v), want kind %v", what, err, got, want)
	}
}

// logRecords returns the successful log records of an operation (refusals
// are logged too, with result "forbidden").
func logRecords(t *testing.T, db *store.DB, operation jukinet.Operation) []store.LogRecord {
	t.Helper()
	rows, err := db.Bookkeeping(store.Inspect).Query(`SELECT leaf FROM oplog WHERE operation = $1 AND result IN ('ok', 'refused') ORDER BY idx`, string(operation))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []store.LogRecord
	for rows.Next() {
		var leaf []byte
		if err := rows.Scan(&leaf); err != nil {
			t.Fatal(err)
		}
		r, err := store.DecodeLogRecord(leaf)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestLoginGenuine(t *testing.T) {
	run(t, func(t *testing.T, fx *fixture) {
		for _, tc := range []struct {
			name       string
			person     string
			rate       float64
			operatorID string
			want       jukinet.Authority
		}{
			{"clean record", "C-CLERK", 0, "OP-CLERK-record", jukinet.AuthorityRecord},
			{"noisy lookup", "C-CLERK", 0.1, "OP-CLERK-lookup", jukinet.AuthorityLookup},
			{"noisier issue", "C-ISSUE", 0.15, "OP-ISSUE-issue", jukinet.AuthorityIssue},
			{"single ID chosen implicitly", "C-AUDIT", 0.1, "", jukinet.AuthorityAudit},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s, err := fx.svc.Login(context.Background(), LoginRequest{Terminal: testTerminal, CollationID: tc.person, Reading: fx.reader.Genuine(tc.person, tc.rate), OperatorID: tc.operatorID})
				if err != nil {
					t.Fatalf("Login(%s at %.2f): %v", tc.person, tc.rate, err)
				}
				a, err := fx.svc.Authenticate(context.Background(), s.Token, testTerminal)
				if err != nil {
					t.Fatalf("Authenticate: %v", err)
				}
				if a.CollationID != tc.person || a.Authority != tc.want || a.Terminal != testTerminal {
					t.Errorf("Authenticate(%s) = %+v, want %s/%s@%s", tc.person, a, tc.person, tc.want, testTerminal)
				}
			})
		}
		logins := logRecords(t, fx.db, jukinet.OpAccessLogin)
		if len(logins) != 4 || logins[0].CollationID != "C-CLERK" || logins[0].OperatorID != "OP-CLERK-record" || logins[0].Terminal != testTerminal {
			t.Errorf("access.login records = %+v, want 4, the first by C-CLERK/OP-CLERK-record@T-01", logins)
		}
		// The two-step path records the 照合 by the system principal.
		if _, err := fx.svc.Verify(context.Background(), testTerminal, "C-AUDIT", fx.reader.Genuine("C-AUDIT", 0.1)); err != nil {
			t.Fatal(err)
		}
		verified := logRecords(t, fx.db, jukinet.OpAccessVerified)
		if len(verified) != 1 || verified[0].Principal != "access" || !strings.Contains(verified[0].Detail, "collation_id=C-AUDIT") {
			t.Errorf("access.verified records = %+v, want 1 by principal access naming C-AUDIT", verified)
		}
	})
}

func TestLoginRefused(t *testing.T) {
	run(t, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		if err := fx.svc.RegisterTerminal(fx.admin(), Terminal{ID: "T-OFF", Name: "予備", Location: "倉庫"}); err != nil {
			t.Fatal(err)
		}
		if err := fx.svc.SetTerminalActive(fx.admin(), "T-OFF", false); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name, terminal, id string
			reading            biometric.Reading
			want               jukinet.Kind
		}{
			{"impostor", testTerminal, "C-CLERK", fx.reader.Impostor("C-ISSUE", 0.1), jukinet.KindUnauthorized},
			{"random bits", testTerminal, "C-CLERK", fx.reader.RandomReading(), jukinet.KindUnauthorized},
			{"unknown ID", testTerminal, "C-NOBODY", fx.reader.Genuine("C-NOBODY", 0.1), jukinet.KindUnauthorized},
			{"malformed ID", testTerminal, "x'; DROP TABLE", fx.reader.Genuine("C-CLERK", 0.1), jukinet.KindUnauthorized},
			{"unregistered terminal", "T-99", "C-CLERK", fx.reader.Genuine("C-CLERK", 0.1), jukinet.KindForbidden},
			{"inactive terminal", "T-OFF", "C-CLERK", fx.reader.Genuine("C-CLERK", 0.1), jukinet.KindForbidden},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := fx.svc.Verify(ctx, tc.terminal, tc.id, tc.reading)
				wantKind(t, "Verify("+tc.id+"@"+tc.terminal+")", err, tc.want)
			})
		}
		// An unknown ID and a wrong reading read the same (no enumeration).
		_, e1 := fx.svc.Verify(ctx, testTerminal, "C-NOBODY", fx.reader.RandomReading())
		_, e2 := fx.svc.Verify(ctx, testTerminal, "C-NUMBER", fx.reader.RandomReading())
		if e1 == nil || e2 == nil || e1.Error() != e2.Error() {
			t.Errorf("unknown ID error %v, wrong reading error %v: want the same message", e1, e2)
		}
		fails := logRecords(t, fx.db, jukinet.OpAccessLoginFailure)
		if len(fails) != 8 {
			t.Fatalf("access.login_failure records = %d, want 8", len(fails))
		}
		for _, r := range fails {
			if r.Principal != "access" || !strings.Contains(r.Detail, "collation_id=") {
				t.Errorf("failure record %+v: want principal access and the 照合ID in detail", r)
			}
		}
		if !strings.Contains(fails[3].Detail, "collation_id=(invalid)") {
			t.Errorf("malformed ID detail = %q, want the marker (invalid)", fails[3].Detail)
		}
	})
}

func TestLockoutAndUnlock(t *testing.T) {
	run(t, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		// No oracle: every failure, the one that locks and the attempts
		// while locked included, answers as an unknown 照合ID does.
		_, unknown := fx.svc.Verify(ctx, testTerminal, "C-NOBODY", fx.reader.RandomReading())
		for i := 1; i <= 5; i++ {
			_, err := fx.svc.Verify(ctx, testTerminal, "C-CLERK", fx.reader.Impostor("C-AUDIT", 0.1))
			wantKind(t, "failure "+string(rune('0'+i)), err, jukinet.KindUnauthorized)
			if err == nil || err.Error() != unknown.Error() {
				t.Errorf("failure %d: %v; want the unknown ID's answer %v", i, err, unknown)
			}
		}
		_, err := fx.svc.Verify(ctx, testTerminal, "C-CLERK", fx.reader.Genuine("C-CLERK", 0.1))
		wantKind(t, "genuine reading while locked", err, jukinet.KindUnauthorized)
		if err == nil || err.Error() != unknown.Error() {
			t.Errorf("genuine reading while locked: %v; want the unknown ID's answer %v", err, unknown)
		}
		if o, _ := fx.svc.Operator(ctx, "C-CLERK"); !o.Locked {
			t.Error("C-CLERK is not locked after 5 failures")
		}
		if fails := logRecords(t, fx.db, jukinet.OpAccessLoginFailure); !strings.Contains(fails[len(fails)-1].Detail, "reason=locked") {
			t.Errorf("the attempt while locked is recorded as %q, want reason=locked", fails[len(fails)-1].Detail)
		}
		if n := len(logRecords(t, fx.db, jukinet.OpAccessLockout)); n != 1 {
			t.Errorf("access.lockout records = %d, want 1", n)
		}
		// One log line says where a lockout happened; the 照合ID stays in
		// the operation log.
		if got := strings.Count(fx.logs.String(), `"msg":"login lockout"`); got != 1 || strings.Contains(fx.logs.String(), "C-CLERK") {
			t.Errorf("log lines %q: want one lockout line without the 照合ID", fx.logs)
		}
		wantKind(t, "Unlock by a clerk", fx.svc.Unlock(fx.as("C-ISSUE", "OP-ISSUE-issue", jukinet.AuthorityIssue), "C-CLERK"), jukinet.KindForbidden)
		wantKind(t, "Unlock by the system admin", fx.svc.Unlock(fx.as("C-SYSADM", "OP-SYSADM-system_admin", jukinet.AuthoritySystemAdmin), "C-CLERK"), jukinet.KindForbidden)
		if err := fx.svc.Unlock(fx.admin(), "C-CLERK"); err != nil {
			t.Fatalf("Unlock by access_admin: %v", err)
		}
		wantKind(t, "Unlock of an unlocked ID", fx.svc.Unlock(fx.admin(), "C-CLERK"), jukinet.KindConflict)
		wantKind(t, "Unlock of an unknown ID", fx.svc.Unlock(fx.admin(), "C-NOBODY"), jukinet.KindNotFound)
		if _, err := fx.svc.Login(ctx, LoginRequest{Terminal: testTerminal, CollationID: "C-CLERK", Reading: fx.reader.Genuine("C-CLERK", 0.1), OperatorID: "OP-CLERK-record"}); err != nil {
			t.Errorf("Login after unlock: %v", err)
		}
		if n := len(logRecords(t, fx.db, jukinet.OpAccessUnlock)); n != 1 {
			t.Errorf("access.unlock records = %d, want 1", n)
		}
		// A success resets the count: four more failures do not lock.
		for i := 0; i < 4; i++ {
			fx.svc.Verify(ctx, testTerminal, "C-CLERK", fx.reader.RandomReading())
		}
		if o, _ := fx.svc.Operator(ctx, "C-CLERK"); o.Locked || o.Failures != 4 {
			t.Errorf("after success and 4 failures: locked %v failures %d, want false 4", o.Locked, o.Failures)
		}
	})
}

func TestOperatorIDValidity(t *testing.T) {
	run(t, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		now := fx.clk.Now()
		expired, err := fx.svc.Assign(fx.admin(), Assignment{CollationID: "C-CLERK", Authority: jukinet.AuthorityIssue, Scope: "node",
			ValidFrom: now.AddDate(0, 0, -10), ValidUntil: now.AddDate(0, 0, -1), DecisionID: fx.decide(t, "C-CLERK", jukinet.AuthorityIssue)})
		if err != nil {
			t.Fatal(err)
		}
		future, err := fx.svc.Assign(fx.admin(), Assignment{CollationID: "C-CLERK", Authority: jukinet.AuthorityNumber, Scope: "node",
			ValidFrom: now.AddDate(0, 0, 1), ValidUntil: now.AddDate(0, 1, 0), DecisionID: fx.decide(t, "C-CLERK", jukinet.AuthorityNumber)})
		if err != nil {
			t.Fatal(err)
		}
		c, err := fx.svc.Verify(ctx, testTerminal, "C-CLERK", fx.reader.Genuine("C-CLERK", 0.1))
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Choices) != 3 {
			t.Errorf("choices = %d, want the 3 valid of 5", len(c.Choices))
		}
		for _, tc := range []struct {
			name, id string
			want     jukinet.Kind
		}{
			{"expired", expired, jukinet.KindExpired},
			{"not yet valid", future, jukinet.KindExpired},
			{"another operator's", "OP-AUDIT-audit", jukinet.KindForbidden},
			{"none given among two", "", jukinet.KindInvalid},
		} {
			_, err := fx.svc.Choose(ctx, c.Token, testTerminal, tc.id)
			wantKind(t, "Choose "+tc.name, err, tc.want)
		}
		s, err := fx.svc.Choose(ctx, c.Token, testTerminal, "OP-CLERK-lookup")
		if err != nil {
			t.Fatalf("Choose valid: %v", err)
		}
		_, err = fx.svc.Choose(ctx, c.Token, testTerminal, "OP-CLERK-lookup")
		wantKind(t, "Choose with a spent challenge", err, jukinet.KindUnauthorized)

		// Withdrawing the 操作者ID ends its session.
		if err := fx.svc.Withdraw(fx.admin(), "OP-CLERK-lookup", "異動"); err != nil {
			t.Fatal(err)
		}
		_, err = fx.svc.Authenticate(ctx, s.Token, testTerminal)
		wantKind(t, "Authenticate after withdrawal", err, jukinet.KindUnauthorized)

		// A retired operator is refused even with a genuine reading.
		if err := fx.svc.ChangeOperator(fx.admin(), "C-ISSUE", StatusRetired, "", "退職"); err != nil {
			t.Fatal(err)
		}
		_, err = fx.svc.Verify(ctx, testTerminal, "C-ISSUE", fx.reader.Genuine("C-ISSUE", 0.1))
		wantKind(t, "Verify retired", err, jukinet.KindUnauthorized)
		if o, _ := fx.svc.Operator(ctx, "C-ISSUE"); o.TemplateVersion != 0 {
			t.Errorf("retired operator template version %d, want 0 (deleted)", o.TemplateVersion)
		}

		// The validity period runs out during a session.
		short, err := fx.svc.Assign(fx.admin(), Assignment{CollationID: "C-NUMBER", Authority: jukinet.AuthorityLookup, Scope: "node",
			ValidFrom: now, ValidUntil: now.Add(10 * time.Minute), DecisionID: fx.decide(t, "C-NUMBER", jukinet.AuthorityLookup)})
		if err != nil {
			t.Fatal(err)
		}
		s, err = fx.svc.Login(ctx, LoginRequest{Terminal: testTerminal, CollationID: "C-NUMBER", Reading: fx.reader.Genuine("C-NUMBER", 0.1), OperatorID: short})
		if err != nil {
			t.Fatal(err)
		}
		fx.clk.Advance(11 * time.Minute)
		_, err = fx.svc.Authenticate(ctx, s.Token, testTerminal)
		wantKind(t, "Authenticate after the 操作者ID ran out", err, jukinet.KindExpired)
	})
}

func TestSessionBoundToTerminal(t *testing.T) {
	run(t, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		if err := fx.svc.RegisterTerminal(fx.admin(), Terminal{ID: "T-02", Name: "統合端末2", Location: "市民課"}); err != nil {
			t.Fatal(err)
		}
		s, err := fx.svc.Login(ctx, LoginRequest{Terminal: testTerminal, CollationID: "C-AUDIT", Reading: fx.reader.Genuine("C-AUDIT", 0.1)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = fx.svc.Authenticate(ctx, s.Token, "T-02")
		wantKind(t, "Authenticate on T-02", err, jukinet.KindForbidden)
		_, err = fx.svc.Authenticate(ctx, s.Token, testTerminal)
		wantKind(t, "Authenticate on T-01 after the misuse ended it", err, jukinet.KindUnauthorized)
		ends := logRecords(t, fx.db, jukinet.OpAccessSessionEnd)
		if len(ends) != 1 || !strings.Contains(ends[0].Detail, "terminal_mismatch:T-02") {
			t.Errorf("session_end records %+v, want one naming terminal_mismatch:T-02", ends)
		}
		for _, tok := range []string{"", "short", strings.Repeat("A", 43), strings.Repeat("!", 43)} {
			_, err := fx.svc.Authenticate(ctx, tok, testTerminal)
			wantKind(t, "Authenticate("+tok+")", err, jukinet.KindUnauthorized)
		}
		// Logout ends it.
		s, err = fx.svc.Login(ctx, LoginRequest{Terminal: "T-02", CollationID: "C-AUDIT", Reading: fx.reader.Genuine("C-AUDIT", 0.1)})
		if err != nil {
			t.Fatal(err)
		}
		if err := fx.svc.Logout(ctx, s.Token, "T-02"); err != nil {
			t.Fatal(err)
		}
		_, err = fx.svc.Authenticate(ctx, s.Token, "T-02")
		wantKind(t, "Authenticate after logout", err, jukinet.KindUnauthorized)
		if out := logRecords(t, fx.db, jukinet.OpAccessLogout); len(out) != 1 || out[0].CollationID != "C-AUDIT" || out[0].Terminal != "T-02" {
			t.Errorf("logout records %+v, want one by C-AUDIT on T-02", out)
		}
	})
}

func TestIdleTimeoutAndAbsoluteLimit(t *testing.T) {
	run(t, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		login := func() Session {
			s, err := fx.svc.Login(ctx, LoginRequest{Terminal: testTerminal, CollationID: "C-AUDIT", Reading: fx.reader.Genuine("C-AUDIT", 0.1)})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		s := login()
		fx.clk.Advance(14 * time.Minute)
		if _, err := fx.svc.Authenticate(ctx, s.Token, testTerminal); err != nil {
			t.Fatalf("after 14 idle minutes: %v", err)
		}
		fx.clk.Advance(14 * time.Minute) // 28 min since login, 14 since last use
		if _, err := fx.svc.Authenticate(ctx, s.Token, testTerminal); err != nil {
			t.Fatalf("after 14 more idle minutes: %v", err)
		}
		fx.clk.Advance(15*time.Minute + time.Second)
		_, err := fx.svc.Authenticate(ctx, s.Token, testTerminal)
		wantKind(t, "after 15 min 1 s idle", err, jukinet.KindExpired)

		s = login()
		for i := 0; i < 8*60/10; i++ {
			fx.clk.Advance(10 * time.Minute)
			if _, err := fx.svc.Authenticate(ctx, s.Token, testTerminal); err != nil {
				t.Fatalf("active use at %d min: %v", (i+1)*10, err)
			}
		}
		fx.clk.Advance(10 * time.Minute)
		_, err = fx.svc.Authenticate(ctx, s.Token, testTerminal)
		wantKind(t, "after 8 h 10 min of use", err, jukinet.KindExpired)

		c, err := fx.svc.Verify(ctx, testTerminal, "C-AUDIT", fx.reader.Genuine("C-AUDIT", 0.1))
		if err != nil {
			t.Fatal(err)
		}
		fx.clk.Advance(3 * time.Minute)
		_, err = fx.svc.Choose(ctx, c.Token, testTerminal, "")
		wantKind(t, "Choose after 3 min", err, jukinet.KindExpired)

		// Sessions nobody presents again are pruned.
		login()
		if _, err := fx.svc.Verify(ctx, testTerminal, "C-AUDIT", fx.reader.Genuine("C-AUDIT", 0.1)); err != nil {
			t.Fatal(err)
		}
		if n, err := fx.svc.PruneSessions(ctx); n != 0 || err != nil {
			t.Errorf("PruneSessions with fresh sessions = %d, %v; want 0", n, err)
		}
		fx.clk.Advance(16 * time.Minute)
		if n, err := fx.svc.PruneSessions(ctx); n != 2 || err != nil {
			t.Errorf("PruneSessions after 16 idle minutes = %d, %v; want 2 (a session and a pending login)", n, err)
		}
	})
}

func TestRevokeAndReenrol(t *testing.T) {
	run(t, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		s, err := fx.svc.Login(ctx, LoginRequest{Terminal: testTerminal, CollationID: "C-NUMBER", Reading: fx.reader.Genuine("C-NUMBER", 0.1)})
		if err != nil {
			t.Fatal(err)
		}
		wantKind(t, "Revoke by a clerk", fx.svc.Revoke(fx.clerk(), "C-NUMBER", "紛失"), jukinet.KindForbidden)
		if err := fx.svc.Revoke(fx.admin(), "C-NUMBER", "指の負傷"); err != nil {
			t.Fatal(err)
		}
		wantKind(t, "Revoke twice", fx.svc.Revoke(fx.admin(), "C-NUMBER", "again"), jukinet.KindNotFound)
		_, err = fx.svc.Authenticate(ctx, s.Token, testTerminal)
		wantKind(t, "session after revocation", err, jukinet.KindUnauthorized)
		_, err = fx.svc.Verify(ctx, testTerminal, "C-NUMBER", fx.reader.Genuine("C-NUMBER", 0.1))
		wantKind(t, "login after revocation", err, jukinet.KindUnauthorized)
		if err := fx.svc.Enroll(fx.admin(), "C-NUMBER", fx.reader.Genuine("C-NUMBER", 0.05)); err != nil {
			t.Fatal(err)
		}
		if _, err := fx.svc.Login(ctx, LoginRequest{Terminal: testTerminal, CollationID: "C-NUMBER", Reading: fx.reader.Genuine("C-NUMBER", 0.1)}); err != nil {
			t.Errorf("login after re-enrolment: %v", err)
		}
	})
}

func TestOnlyAccessAdminAdministers(t *testing.T) {
	run(t, func(t *testing.T, fx *fixture) {
		r := fx.reader.Genuine("C-NEW", 0)
		week := fx.clk.Now().AddDate(0, 0, 7)
		for _, tc := range []struct {
			name string
			ctx  context.Context
			want jukinet.Kind
		}{
			{"record clerk", fx.clerk(), jukinet.KindForbidden},
			{"system admin", fx.as("C-SYSADM", "OP-SYSADM-system_admin", jukinet.AuthoritySystemAdmin), jukinet.KindForbidden},
			{"auditor", fx.as("C-AUDIT", "OP-AUDIT-audit", jukinet.AuthorityAudit), jukinet.KindForbidden},
			{"nobody", context.Background(), jukinet.KindUnauthorized},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantKind(t, "CreateOperator", fx.svc.CreateOperator(tc.ctx, Operator{CollationID: "C-NEW", Name: "新人", Department: "市民課"}), tc.want)
				wantKind(t, "Enroll", fx.svc.Enroll(tc.ctx, "C-CLERK", r), tc.want)
				_, err := fx.svc.Assign(tc.ctx, Assignment{CollationID: "C-CLERK", Authority: jukinet.AuthorityAccessAdmin, Scope: "node", ValidFrom: fx.clk.Now(), ValidUntil: week, DecisionID: fx.decide(t, "C-CLERK", jukinet.AuthorityAccessAdmin)})
				wantKind(t, "Assign", err, tc.want)
				wantKind(t, "Withdraw", fx.svc.Withdraw(tc.ctx, "OP-CLERK-record", "x"), tc.want)
				wantKind(t, "RegisterTerminal", fx.svc.RegisterTerminal(tc.ctx, Terminal{ID: "T-X", Name: "x", Location: "x"}), tc.want)
			})
		}
		// The clerk's own template is untouched: their genuine reading still works.
		if _, err := fx.svc.Verify(context.Background(), testTerminal, "C-CLERK", fx.reader.Genuine("C-CLERK", 0.1)); err != nil {
			t.Errorf("clerk login after refused enrolments: %v", err)
		}
	})
}

func TestAssignValidation(t *testing.T) {
	run(t, func(t *testing.T, fx *fixture) {
		now := fx.clk.Now()
		good := Assignment{CollationID: "C-CLERK", Authority: jukinet.AuthorityIssue, Scope: "terminal:T-02", ValidFrom: now, ValidUntil: now.Add(time.Hour), DecisionID: fx.decide(t, "C-CLERK", jukinet.AuthorityIssue)}
		for _, tc := range []struct {
			name  string
			edit  func(a *Assignment)
			kind  jukinet.Kind
			field string
		}{
			{"bad operator ID", func(a *Assignment) { a.OperatorID = "has space" }, jukinet.KindInvalid, "operator_id"},
			{"system authority", func(a *Assignment) { a.Authority = jukinet.AuthoritySystem }, jukinet.KindInvalid, "authority"},
			{"unknown authority", func(a *Assignment) { a.Authority = "root" }, jukinet.KindInvalid, "authority"},
			{"blank scope", func(a *Assignment) { a.Scope = " " }, jukinet.KindInvalid, "scope"},
			{"department scope", func(a *Assignment) { a.Scope = "department:市民課" }, jukinet.KindInvalid, "scope"},
			{"another node", func(a *Assignment) { a.Scope = "node:352012" }, jukinet.KindInvalid, "scope"},
			{"bad terminal ID", func(a *Assignment) { a.Scope = "terminal:T 01" }, jukinet.KindInvalid, "scope"},
			{"no terminal ID", func(a *Assignment) { a.Scope = "terminal:" }, jukinet.KindInvalid, "scope"},
			{"reversed period", func(a *Assignment) { a.ValidUntil = now.Add(-time.Hour) }, jukinet.KindInvalid, "valid_until"},
			{"no period", func(a *Assignment) { a.ValidFrom = time.Time{} }, jukinet.KindInvalid, "valid_until"},
			{"no decision", func(a *Assignment) { a.DecisionID = "" }, jukinet.KindInvalid, "decision_id"},
			{"unknown decision", func(a *Assignment) { a.DecisionID = "D-GHOST" }, jukinet.KindNotFound, "decision_id"},
			{"decision about another operator", func(a *Assignment) { a.DecisionID = fx.decide(t, "C-ISSUE", jukinet.AuthorityIssue) }, jukinet.KindConflict, "decision_id"},
			{"decision for another authority", func(a *Assignment) { a.DecisionID = fx.decide(t, "C-CLERK", jukinet.AuthorityNumber) }, jukinet.KindConflict, "decision_id"},
			{"unknown operator", func(a *Assignment) { a.CollationID = "C-GHOST" }, jukinet.KindNotFound, "collation_id"},
			{"taken operator ID", func(a *Assignment) { a.OperatorID = "OP-CLERK-record" }, jukinet.KindConflict, "operator_id"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a := good
				tc.edit(&a)
				_, err := fx.svc.Assign(fx.admin(), a)
				if jukinet.ErrorKind(err) != tc.kind || jukinet.ErrorField(err) != tc.field {
					t.Errorf("Assign(%+v) = %v (kind %v field %q), want kind %v field %q", a, err, jukinet.ErrorKind(err), jukinet.ErrorField(err), tc.kind, tc.field)
				}
			})
		}
		if _, err := fx.svc.Assign(fx.admin(), good); err != nil {
			t.Errorf("Assign(good): %v", err)
		}
	})
}

func TestRegistersHistory(t *testing.T) {
	run(t, func(t *testing.T, fx *fixture) {
		now := fx.clk.Now()
		decision := fx.decide(t, "C-CLERK", jukinet.AuthorityIssue)
		id, err := fx.svc.Assign(fx.admin(), Assignment{CollationID: "C-CLERK", Authority: jukinet.AuthorityIssue, Scope: "node", ValidFrom: now, ValidUntil: now.AddDate(0, 6, 0), DecisionID: decision})
		if err != nil {
			t.Fatal(err)
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(fx.svc.Withdraw(fx.admin(), id, "事務分担の変更"))
		must(fx.svc.Revoke(fx.admin(), "C-NUMBER", "再登録のため"))
		must(fx.svc.Enroll(fx.admin(), "C-NUMBER", fx.reader.Genuine("C-NUMBER", 0)))
		must(fx.svc.ChangeOperator(fx.admin(), "C-ISSUE", StatusTransferred, "税務課", "人事異動"))

		_, err = Registers(fx.clerk(), fx.db)
		wantKind(t, "Registers by a clerk", err, jukinet.KindForbidden)
		book, err := Registers(fx.as("C-AUDIT", "OP-AUDIT-audit", jukinet.AuthorityAudit), fx.db)
		if err != nil {
			t.Fatal(err)
		}
		var events []string
		for _, h := range book.History {
			if h.ID == id || (h.ID == "C-NUMBER" && h.Register == registerCollation) || (h.ID == "C-ISSUE" && h.Event == "changed") {
				events = append(events, h.ID+":"+h.Event)
			}
		}
		want := []string{"C-NUMBER:enrolled", id + ":assigned", id + ":withdrawn", "C-NUMBER:revoked", "C-NUMBER:enrolled", "C-ISSUE:changed"}
		// C-NUMBER was created before its first enrolment.
		want = append([]string{"C-NUMBER:created"}, want...)
		if strings.Join(events, ",") != strings.Join(want, ",") {
			t.Errorf("history = %v, want %v", events, want)
		}
		var rec *OperatorIDRecord
		for i := range book.OperatorIDs {
			if book.OperatorIDs[i].OperatorID == id {
				rec = &book.OperatorIDs[i]
			}
		}
		if rec == nil || rec.WithdrawnAt.IsZero() || rec.SecurityManager != "C-CITIZEN-HEAD" || rec.DecisionRef != decision || rec.AssignedBy != "C-ADMIN/OP-ADMIN-access_admin@T-01" {
			t.Errorf("register entry of %s = %+v, want withdrawn, decided with C-ADMIN under 市民課決裁R8-77, assigned by the admin", id, rec)
		}
		for _, which := range []string{CSVCollation, CSVOperator, CSVHistory} {
			var buf bytes.Buffer
			if err := book.WriteCSV(&buf, which); err != nil {
				t.Fatal(err)
			}
			rows, err := csv.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatalf("CSV %s does not parse: %v", which, err)
			}
			wantRows := map[string]int{CSVCollation: len(book.Operators), CSVOperator: len(book.OperatorIDs), CSVHistory: len(book.History)}[which] + 1
			if len(rows) != wantRows {
				t.Errorf("CSV %s has %d rows, want %d", which, len(rows), wantRows)
			}
		}
		wantKind(t, "WriteCSV(bogus)", book.WriteCSV(&bytes.Buffer{}, "bogus"), jukinet.KindInvalid)
		var page bytes.Buffer
		if err := book.WriteHTML(&page); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"操作者ID管理簿", "照合ID管理簿", "@media print", decision, "税務課", "事務分担の変更"} {
			if !strings.Contains(page.String(), s) {
				t.Errorf("HTML register lacks %q", s)
			}
		}
		if n := len(logRecords(t, fx.db, jukinet.OpAccessRegisterRead)); n != 1 {
			t.Errorf("access.register records = %d, want 1 (the auditor's read)", n)
		}
	})
}

// TestTemplateRevealsNothing scans everything stored for any 16-byte window
// of the enrolled reading or of a login reading (G2.6: the reading is never
// stored).
func TestTemplateRevealsNothing(t *testing.T) {
	run(t, func(t *testing.T, fx *fixture) {
		login := fx.reader.Genuine("C-CLERK", 0.1)
		if _, err := fx.svc.Login(context.Background(), LoginRequest{Terminal: testTerminal, CollationID: "C-CLERK", Reading: login, OperatorID: "OP-CLERK-record"}); err != nil {
			t.Fatal(err)
		}
		var blobs [][]byte
		for _, q := range []string{`SELECT template FROM access_templates`, `SELECT leaf FROM oplog`, `SELECT detail FROM access_history`} {
			rows, err := fx.db.Bookkeeping(store.Inspect).Query(q)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var b []byte
				if err := rows.Scan(&b); err != nil {
					t.Fatal(err)
				}
				blobs = append(blobs, b)
			}
			rows.Close()
		}
		if fx.e == store.SQLite {
			for _, suffix := range []string{"", "-wal"} {
				if b, err := os.ReadFile(fx.path + suffix); err == nil {
					blobs = append(blobs, b)
				}
			}
		}
		all := bytes.Join(blobs, []byte{0})
		for name, r := range map[string]biometric.Reading{"enrolled": fx.reader.Template("C-CLERK"), "login": login} {
			for i := 0; i+16 <= len(r); i += 16 {
				if bytes.Contains(all, r[i:i+16]) {
					t.Errorf("%s reading bytes %d–%d found in the database (%d bytes scanned)", name, i, i+16, len(all))
					break
				}
			}
		}
		if len(all) < 1000 {
			t.Errorf("only %d bytes scanned: the scan would not find anything", len(all))
		}
	})
}

func TestKeyRotationRenewsOnLogin(t *testing.T) {
	run(t, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		k2, _ := biometric.NewNodeKey(2, rand.Reader)
		ring, _ := NewKeyRing(fx.key, k2)
		svc, err := New(fx.db, ring, Options{LoginTerminalBurst: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Login(ctx, LoginRequest{Terminal: testTerminal, CollationID: "C-AUDIT", Reading: fx.reader.Genuine("C-AUDIT", 0.1)}); err != nil {
			t.Fatalf("login under v1 with v2 current: %v", err)
		}
		if o, _ := svc.Operator(ctx, "C-AUDIT"); o.TemplateVersion != 2 {
			t.Errorf("template version after login = %d, want 2 (renewed)", o.TemplateVersion)
		}
		if err := svc.Renew(fx.admin(), "C-CLERK", fx.reader.Genuine("C-CLERK", 0.1)); err != nil {
			t.Errorf("admin Renew: %v", err)
		}
		wantKind(t, "Renew with an impostor", svc.Renew(fx.admin(), "C-ISSUE", fx.reader.Impostor("C-CLERK", 0.1)), jukinet.KindUnauthorized)
		// With v1 withdrawn, a v1 template needs a new enrolment.
		only2, _ := NewKeyRing(k2)
		svc2, _ := New(fx.db, only2, Options{LoginTerminalBurst: 1000})
		_, err = svc2.Verify(ctx, testTerminal, "C-NUMBER", fx.reader.Genuine("C-NUMBER", 0.1))
		wantKind(t, "login with a withdrawn key version", err, jukinet.KindUnauthorized) // no oracle; the record says why
		if fails := logRecords(t, fx.db, jukinet.OpAccessLoginFailure); !strings.Contains(fails[len(fails)-1].Detail, "reason=key_withdrawn") {
			t.Errorf("the withdrawn key's failure is recorded as %q, want reason=key_withdrawn", fails[len(fails)-1].Detail)
		}
		if _, err := svc2.Login(ctx, LoginRequest{Terminal: testTerminal, CollationID: "C-AUDIT", Reading: fx.reader.Genuine("C-AUDIT", 0.1)}); err != nil {
			t.Errorf("renewed template under v2 only: %v", err)
		}
	})
}

func TestWatchList(t *testing.T) {
	run(t, func(t *testing.T, fx *fixture) {
		code, err := jukinet.NewResidentCode(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		c := string(code)
		wantKind(t, "Watch by a clerk", fx.svc.Watch(fx.clerk(), c, "著名人"), jukinet.KindForbidden)
		wantKind(t, "Watch of a bad code", fx.svc.Watch(fx.admin(), "12345678901", "x"), jukinet.KindInvalid)
		wantKind(t, "Watch without a reason", fx.svc.Watch(fx.admin(), c, ""), jukinet.KindInvalid)
		if err := fx.svc.Watch(fx.admin(), c, "著名人"); err != nil {
			t.Fatal(err)
		}
		list, err := fx.svc.WatchList(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Subject != fx.db.SubjectToken(c) || list[0].Subject == c {
			t.Errorf("watch list %+v, want the one token %s", list, fx.db.SubjectToken(c))
		}
		var n int
		if err := fx.db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM access_watch w JOIN oplog l ON l.subject = w.subject WHERE l.result = 'ok'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("oplog records joined to the watch list = %d, want 1 (the Watch itself)", n)
		}
		if err := fx.svc.Unwatch(fx.admin(), c); err != nil {
			t.Fatal(err)
		}
		wantKind(t, "Unwatch twice", fx.svc.Unwatch(fx.admin(), c), jukinet.KindNotFound)
	})
}

func TestPasswordPolicy(t *testing.T) {
	run(t, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		if _, ok, err := GetPasswordPolicy(ctx, fx.db); ok || err != nil {
			t.Fatalf("GetPasswordPolicy on a fresh node = %v %v, want none", ok, err)
		}
		p := PasswordPolicy{MinLength: 12, CharClasses: 3, RotationDays: 0, LockoutThreshold: 5}
		sys := fx.as("C-SYSADM", "OP-SYSADM-system_admin", jukinet.AuthoritySystemAdmin)
		wantKind(t, "set by a clerk", SetPasswordPolicy(fx.clerk(), fx.db, p), jukinet.KindForbidden)
		wantKind(t, "min length 0", SetPasswordPolicy(sys, fx.db, PasswordPolicy{CharClasses: 3}), jukinet.KindInvalid)
		if err := SetPasswordPolicy(sys, fx.db, p); err != nil {
			t.Fatal(err)
		}
		got, ok, err := GetPasswordPolicy(ctx, fx.db)
		if !ok || err != nil || got.MinLength != 12 || got.SetBy != "C-SYSADM/OP-SYSADM-system_admin@T-01" || len(got.Deviations()) != 0 {
			t.Errorf("GetPasswordPolicy = %+v %v %v, want the policy set by C-SYSADM without deviations", got, ok, err)
		}
		weak := PasswordPolicy{MinLength: 8, CharClasses: 2, LockoutThreshold: 0}
		if d := weak.Deviations(); len(d) != 3 {
			t.Errorf("Deviations(%+v) = %v, want 3", weak, d)
		}
	})
}

func BenchmarkLogin(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e), func(b *testing.B) {
			fx := newFixture(b, e)
			ctx := context.Background()
			readings := make([]biometric.Reading, 64)
			for i := range readings {
				readings[i] = fx.reader.Genuine("C-CLERK", 0.1)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s, err := fx.svc.Login(ctx, LoginRequest{Terminal: testTerminal, CollationID: "C-CLERK", Reading: readings[i%len(readings)], OperatorID: "OP-CLERK-record"})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := fx.svc.Authenticate(ctx, s.Token, testTerminal); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e), func(b *testing.B) {
			fx := newFixture(b, e)
			ctx := context.Background()
			s, err := fx.svc.Login(ctx, LoginRequest{Terminal: testTerminal, CollationID: "C-CLERK", Reading: fx.reader.Genuine("C-CLERK", 0.1), OperatorID: "OP-CLERK-record"})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := fx.svc.Authenticate(ctx, s.Token, testTerminal); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMatch is the 照合 alone: the operator's row and template read and
// the reading verified (no write on success).
func BenchmarkMatch(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e), func(b *testing.B) {
			fx := newFixture(b, e)
			ctx := context.Background()
			r := fx.reader.Genuine("C-CLERK", 0.1)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := fx.svc.match(ctx, "bench", testTerminal, "C-CLERK", r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A 操作者ID is offered and accepted only on the terminals its scope names
// (G2.8), at Verify, Choose, Login and on every Authenticate.
func TestOperatorIDScope(t *testing.T) {
	run(t, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		now := fx.clk.Now()
		if err := fx.svc.RegisterTerminal(fx.admin(), Terminal{ID: "T-02", Name: "窓口2", Location: "市民課"}); err != nil {
			t.Fatal(err)
		}
		assign := func(authority jukinet.Authority, scope string) string {
			t.Helper()
			id, err := fx.svc.Assign(fx.admin(), Assignment{CollationID: "C-AUDIT", Authority: authority, Scope: scope,
				ValidFrom: now, ValidUntil: now.AddDate(0, 1, 0), DecisionID: fx.decide(t, "C-AUDIT", authority)})
			if err != nil {
				t.Fatalf("Assign(scope %q): %v", scope, err)
			}
			return id
		}
		onlyT02 := assign(jukinet.AuthorityLookup, ScopeTerminal("T-02"))
		wholeNode := assign(jukinet.AuthorityIssue, "node:"+node)
		star := assign(jukinet.AuthorityRecord, ScopeAllTerminals)
		empty := assign(jukinet.AuthorityNumber, "")
		// The fixture's own 操作者ID (scope node:<this node>) keeps working: OP-AUDIT-audit.
		offered := func(terminal string) map[string]bool {
			t.Helper()
			ch, err := fx.svc.Verify(ctx, terminal, "C-AUDIT", fx.reader.Genuine("C-AUDIT", 0.05))
			if err != nil {
				t.Fatalf("Verify(C-AUDIT@%s): %v", terminal, err)
			}
			out := map[string]bool{}
			for _, c := range ch.Choices {
				out[c.OperatorID] = true
			}
			return out
		}
		for _, tc := range []struct {
			terminal string
			want     []string
			notWant  []string
		}{
			{testTerminal, []string{wholeNode, star, empty, "OP-AUDIT-audit"}, []string{onlyT02}},
			{"T-02", []string{onlyT02, wholeNode, star, empty, "OP-AUDIT-audit"}, nil},
		} {
			got := offered(tc.terminal)
			for _, id := range tc.want {
				if !got[id] {
					t.Errorf("Verify at %s offers %v; want %s among them", tc.terminal, got, id)
				}
			}
			for _, id := range tc.notWant {
				if got[id] {
					t.Errorf("Verify at %s offers %s (scope terminal:T-02); want it left out", tc.terminal, id)
				}
			}
		}

		// Choose and Login refuse it elsewhere, naming the scope.
		ch, err := fx.svc.Verify(ctx, testTerminal, "C-AUDIT", fx.reader.Genuine("C-AUDIT", 0.05))
		if err != nil {
			t.Fatal(err)
		}
		_, err = fx.svc.Choose(ctx, ch.Token, testTerminal, onlyT02)
		wantKind(t, "Choose(T-02-only ID at T-01)", err, jukinet.KindForbidden)
		if err == nil || !strings.Contains(err.Error(), `"terminal:T-02"`) || jukinet.ErrorField(err) != "operator_id" {
			t.Errorf("Choose out of scope: error %v (field %q); want it to name scope \"terminal:T-02\" on field operator_id", err, jukinet.ErrorField(err))
		}
		_, err = fx.svc.Login(ctx, LoginRequest{Terminal: testTerminal, CollationID: "C-AUDIT", Reading: fx.reader.Genuine("C-AUDIT", 0.05), OperatorID: onlyT02})
		wantKind(t, "Login(T-02-only ID at T-01)", err, jukinet.KindForbidden)
		fails := logRecords(t, fx.db, jukinet.OpAccessLoginFailure)
		if n := countDetail(fails, "operator_id_out_of_scope:"+onlyT02); n != 2 {
			t.Errorf("login failures naming operator_id_out_of_scope:%s = %d; want 2 (Choose, Login)", onlyT02, n)
		}
		s, err := fx.svc.Login(ctx, LoginRequest{Terminal: "T-02", CollationID: "C-AUDIT", Reading: fx.reader.Genuine("C-AUDIT", 0.05), OperatorID: onlyT02})
		if err != nil {
			t.Fatalf("Login(T-02-only ID at T-02): %v", err)
		}
		if a, err := fx.svc.Authenticate(ctx, s.Token, "T-02"); err != nil || a.OperatorID != onlyT02 {
			t.Errorf("Authenticate at T-02 = %+v, %v; want %s", a, err, onlyT02)
		}

		// A scope stored before enforcement that does not parse fails closed,
		// also for a session already open.
		if _, err := fx.db.Bookkeeping(store.Inspect).Exec(`UPDATE access_operator_ids SET scope = 'department:市民課' WHERE operator_id = $1`, onlyT02); err != nil {
			t.Fatal(err)
		}
		_, err = fx.svc.Authenticate(ctx, s.Token, "T-02")
		wantKind(t, "Authenticate with an unparsable stored scope", err, jukinet.KindForbidden)
		_, err = fx.svc.Authenticate(ctx, s.Token, "T-02")
		wantKind(t, "Authenticate after the session was ended", err, jukinet.KindUnauthorized)
		if got := offered("T-02"); got[onlyT02] {
			t.Errorf("Verify offers %s with scope department:市民課; want it left out", onlyT02)
		}
	})
}

func countDetail(recs []store.LogRecord, s string) int {
	n := 0
	for _, r := range recs {
		if strings.Contains(r.Detail, s) {
			n++
		}
	}
	return n
}

func TestScopeAllows(t *testing.T) {
	for _, tc := range []struct {
		scope, terminal string
		want            bool
	}{
		{"", "T-01", true},
		{"node", "T-01", true},
		{"node:*", "T-01", true},
		{"node:" + node, "T-09", true},
		{"node:352012", "T-01", false},
		{"terminal:T-01", "T-01", true},
		{"terminal:T-01", "T-02", false},
		{"terminal:T-01", "t-01", false},
		{"terminal:", "", false},
		{"department:市民課", "T-01", false},
		{"NODE:*", "T-01", false},
		{" node:*", "T-01", false},
	} {
		t.Run(tc.scope+"@"+tc.terminal, func(t *testing.T) {
			if got := ScopeAllows(node, tc.scope, tc.terminal); got != tc.want {
				t.Errorf("ScopeAllows(%s, %q, %q) = %v; want %v", node, tc.scope, tc.terminal, got, tc.want)
			}
		})
	}
}

func FuzzValidateScope(f *testing.F) {
	for _, s := range []string{"", "node", "node:*", "node:" + node, "node:352012", "terminal:T-01", "terminal:", "terminal:a/b", "department:x", "\xff"} {
		f.Add(s, "T-01")
	}
	f.Fuzz(func(t *testing.T, scope, terminal string) {
		err := ValidateScope(node, scope)
		if err != nil {
			if !jukinet.IsKind(err, jukinet.KindInvalid) || jukinet.ErrorField(err) != "scope" {
				t.Fatalf("ValidateScope(%q) = %v; want KindInvalid on field scope", scope, err)
			}
			if ScopeAllows(node, scope, terminal) {
				t.Fatalf("ScopeAllows(%q, %q) = true for an invalid scope", scope, terminal)
			}
			return
		}
		// A valid scope allows either every terminal or exactly the one it names.
		if id, ok := strings.CutPrefix(scope, "terminal:"); ok {
			if ScopeAllows(node, scope, terminal) != (terminal == id) || !jukinet.ValidID(id) {
				t.Fatalf("ScopeAllows(%q, %q) disagrees with the named terminal %q", scope, terminal, id)
			}
		} else if !ScopeAllows(node, scope, terminal) {
			t.Fatalf("ScopeAllows(%q, %q) = false for a whole-node scope", scope, terminal)
		}
	})
}

// Threat model (c): 200 rapid failed logins from one source are throttled
// after the burst, before any 照合, and write a handful of records, not 200;
// the throttle answers the same for a known and an unknown 照合ID, and only
// the attempts that reach 照合 count towards a lockout. Per terminal
// likewise.
func TestLoginThrottle(t *testing.T) {
	run(t, func(t *testing.T, fx *fixture) {
		ring, _ := NewKeyRing(fx.key)
		svc, err := New(fx.db, ring, Options{})
		if err != nil {
			t.Fatal(err)
		}
		before := len(logRecords(t, fx.db, jukinet.OpAccessLoginFailure))
		ctx := WithSource(context.Background(), "192.0.2.7")
		var throttled, unauthorized int
		for i := range 200 {
			id := []string{"C-CLERK", "C-NOBODY"}[i%2]
			_, err := svc.Verify(ctx, testTerminal, id, fx.reader.RandomReading())
			switch jukinet.ErrorKind(err) {
			case jukinet.KindRateLimited:
				throttled++
			case jukinet.KindUnauthorized:
				unauthorized++
			default:
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		if unauthorized != DefaultLoginSourceBurst || throttled != 200-DefaultLoginSourceBurst {
			t.Errorf("200 rapid attempts: %d reached 照合, %d throttled; want %d and %d", unauthorized, throttled, DefaultLoginSourceBurst, 200-DefaultLoginSourceBurst)
		}
		fails := logRecords(t, fx.db, jukinet.OpAccessLoginFailure)[before:]
		if len(fails) != DefaultLoginSourceBurst+1 || !strings.Contains(fails[len(fails)-1].Detail, "reason=throttled key=source:192.0.2.7 attempts=1") {
			t.Errorf("records of 200 attempts: %d (last %q); want %d: the burst and one aggregate", len(fails), fails[len(fails)-1].Detail, DefaultLoginSourceBurst+1)
		}
		if o, _ := svc.Operator(context.Background(), "C-CLERK"); !o.Locked || o.Failures != 5 {
			t.Errorf("C-CLERK after the flood: locked %v, failures %d; want locked after the 5 of its 100 attempts that reached 照合", o.Locked, o.Failures)
		}
		// A minute later the aggregate record counts the throttled attempts.
		fx.clk.Advance(time.Minute)
		_, err = svc.Verify(ctx, testTerminal, "C-NOBODY", fx.reader.RandomReading())
		wantKind(t, "a minute later", err, jukinet.KindUnauthorized) // 10 tokens back at one per 6 s
		for range 12 {
			svc.Verify(ctx, testTerminal, "C-NOBODY", fx.reader.RandomReading())
		}
		fails = logRecords(t, fx.db, jukinet.OpAccessLoginFailure)[before:]
		if last := fails[len(fails)-1].Detail; !strings.HasSuffix(last, "reason=throttled key=source:192.0.2.7 attempts=190") {
			t.Errorf("aggregate record after a minute: %q", last)
		}
		// Another source on the same terminal: the terminal's own bucket
		// (10 at once) is spent too, so it is throttled as well.
		_, err = svc.Verify(WithSource(context.Background(), "192.0.2.8"), testTerminal, "C-AUDIT", fx.reader.RandomReading())
		wantKind(t, "another source on the flooded terminal", err, jukinet.KindRateLimited)
	})
}
