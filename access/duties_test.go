package access

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/governance"
	"github.com/jukinet/jukinet/store"
)

// fingerprint is the state a refused act must leave alone: templates,
// 操作者ID, sessions, decisions.
func fingerprint(t *testing.T, db *store.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT collation_id || ':' || key_version || ':' || enrolled_at FROM access_templates ORDER BY collation_id`,
		`SELECT operator_id || ':' || withdrawn_at FROM access_operator_ids ORDER BY operator_id`,
		`SELECT collation_id || ':' || operator_id FROM access_sessions ORDER BY collation_id, operator_id`,
		`SELECT id || ':' || used_at FROM gov_access_decisions ORDER BY id`,
	} {
		rows, err := db.Bookkeeping(store.Inspect).Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			b.WriteString(s + " ")
		}
		rows.Close()
		b.WriteString("| ")
	}
	return b.String()
}

// refusals counts the oplog records of refused acts.
func refusals(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM oplog WHERE operation IN ($1, $2) OR result <> 'ok'`, string(jukinet.OpAccessRefused), string(jukinet.OpGovRefused)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestNoOneApprovesThemselves (G13): each attempt is refused with the field
// named, changes nothing and is recorded in the operation log.
func TestNoOneApprovesThemselves(t *testing.T) {
	run(t, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		now := fx.clk.Now()
		week := now.AddDate(0, 0, 7)
		victim, err := fx.svc.Login(ctx, LoginRequest{Terminal: testTerminal, CollationID: "C-CLERK", Reading: fx.reader.Genuine("C-CLERK", 0.1), OperatorID: "OP-CLERK-record"})
		if err != nil {
			t.Fatal(err)
		}
		fx.decide(t, "C-ISSUE", jukinet.AuthorityAudit) // appoints the role holders before the fingerprint
		head := fx.as("C-CITIZEN-HEAD", "OP-CITIZEN-HEAD-access_admin", jukinet.AuthorityAccessAdmin)
		for _, tc := range []struct {
			name  string
			act   func() error
			kind  jukinet.Kind
			field string
		}{
			{"admin enrols their own finger over another operator's 照合情報", func() error {
				return fx.svc.Enroll(fx.admin(), "C-CLERK", fx.reader.Genuine("C-ADMIN", 0))
			}, jukinet.KindConflict, "collation_id"},
			{"admin re-enrols another operator with their own finger as the current reading", func() error {
				return fx.svc.Reenroll(fx.admin(), "C-CLERK", fx.reader.Genuine("C-ADMIN", 0.05), fx.reader.Genuine("C-ADMIN", 0))
			}, jukinet.KindUnauthorized, "current_reading"},
			{"lost finger without a second operator", func() error {
				d := fx.decision(t, governance.AccessDecision{Kind: governance.DecisionReenrol, CollationID: "C-CLERK", Reason: "指の負傷"})
				return fx.svc.ReplaceLost(fx.admin(), Replacement{CollationID: "C-CLERK", Reading: fx.reader.Genuine("C-ADMIN", 0), DecisionID: d})
			}, jukinet.KindInvalid, "second_collation_id"},
			{"lost finger with the admin as their own second", func() error {
				d := fx.decision(t, governance.AccessDecision{Kind: governance.DecisionReenrol, CollationID: "C-CLERK", Reason: "指の負傷"})
				return fx.svc.ReplaceLost(fx.admin(), Replacement{CollationID: "C-CLERK", Reading: fx.reader.Genuine("C-ADMIN", 0), DecisionID: d,
					SecondCollationID: "C-ADMIN", SecondReading: fx.reader.Genuine("C-ADMIN", 0.05)})
			}, jukinet.KindForbidden, "second_collation_id"},
			{"lost finger with a second operator without アクセス管理", func() error {
				d := fx.decision(t, governance.AccessDecision{Kind: governance.DecisionReenrol, CollationID: "C-CLERK", Reason: "指の負傷"})
				return fx.svc.ReplaceLost(fx.admin(), Replacement{CollationID: "C-CLERK", Reading: fx.reader.Genuine("C-ADMIN", 0), DecisionID: d,
					SecondCollationID: "C-AUDIT", SecondReading: fx.reader.Genuine("C-AUDIT", 0.05)})
			}, jukinet.KindForbidden, "second_collation_id"},
			{"lost finger without the セキュリティ責任者's decision", func() error {
				return fx.svc.ReplaceLost(fx.admin(), Replacement{CollationID: "C-CLERK", Reading: fx.reader.Genuine("C-ADMIN", 0), DecisionID: "D-NONE",
					SecondCollationID: "C-CITIZEN-HEAD", SecondReading: fx.reader.Genuine("C-CITIZEN-HEAD", 0.05)})
			}, jukinet.KindNotFound, "decision_id"},
			{"lost finger with an assignment decision", func() error {
				return fx.svc.ReplaceLost(fx.admin(), Replacement{CollationID: "C-CLERK", Reading: fx.reader.Genuine("C-ADMIN", 0), DecisionID: fx.decide(t, "C-CLERK", jukinet.AuthorityIssue),
					SecondCollationID: "C-CITIZEN-HEAD", SecondReading: fx.reader.Genuine("C-CITIZEN-HEAD", 0.05)})
			}, jukinet.KindConflict, "decision_id"},
			{"admin assigns themself a 操作者ID", func() error {
				_, err := fx.svc.Assign(fx.admin(), Assignment{CollationID: "C-ADMIN", Authority: jukinet.AuthorityAudit, Scope: "node", ValidFrom: now, ValidUntil: week,
					DecisionID: fx.decide(t, "C-ADMIN", jukinet.AuthorityAudit)})
				return err
			}, jukinet.KindForbidden, "collation_id"},
			{"assignment without a decision", func() error {
				_, err := fx.svc.Assign(fx.admin(), Assignment{CollationID: "C-CLERK", Authority: jukinet.AuthorityAudit, Scope: "node", ValidFrom: now, ValidUntil: week})
				return err
			}, jukinet.KindInvalid, "decision_id"},
			{"system principal after a セキュリティ責任者 exists", func() error {
				_, err := fx.svc.Assign(jukinet.WithActor(ctx, jukinet.SystemActor("test-seed")), Assignment{CollationID: "C-CLERK", Authority: jukinet.AuthorityAudit, Scope: "node", ValidFrom: now, ValidUntil: week})
				return err
			}, jukinet.KindForbidden, "decision_id"},
			{"the セキュリティ責任者 decides about themself", func() error {
				_, err := governance.New(fx.db).DecideAccess(fx.securityManager(), governance.AccessDecision{Kind: governance.DecisionAssign, CollationID: "C-CITIZEN-HEAD", Authority: jukinet.AuthorityAudit, Reason: "x"})
				return err
			}, jukinet.KindForbidden, "collation_id"},
			{"someone not holding the role records a decision", func() error {
				_, err := governance.New(fx.db).DecideAccess(fx.as("C-SYSADM", "OP-SYSADM-governance", jukinet.AuthorityGovernance), governance.AccessDecision{Kind: governance.DecisionAssign, CollationID: "C-ADMIN", Authority: jukinet.AuthorityAudit, Reason: "x"})
				return err
			}, jukinet.KindForbidden, "actor"},
			{"the セキュリティ責任者, also アクセス管理責任者, assigns to themself", func() error {
				_, err := fx.svc.Assign(head, Assignment{CollationID: "C-CITIZEN-HEAD", Authority: jukinet.AuthorityAudit, Scope: "node", ValidFrom: now, ValidUntil: week, DecisionID: "D-NONE"})
				return err
			}, jukinet.KindForbidden, "collation_id"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before, logged := fingerprint(t, fx.db), refusals(t, fx.db)
				err := tc.act()
				if jukinet.ErrorKind(err) != tc.kind || jukinet.ErrorField(err) != tc.field {
					t.Fatalf("got %v (kind %v, field %q), want kind %v field %q", err, jukinet.ErrorKind(err), jukinet.ErrorField(err), tc.kind, tc.field)
				}
				// Preparing the case may record a decision; nothing else may change.
				after := fingerprint(t, fx.db)
				if strip(after) != strip(before) {
					t.Errorf("state changed:\nbefore %s\nafter  %s", before, after)
				}
				if refusals(t, fx.db) <= logged {
					t.Errorf("the refusal is not in the operation log")
				}
			})
		}
		// The victim's finger still logs in and their session lives; the
		// admin's finger does not open the victim's account.
		if _, err := fx.svc.Authenticate(ctx, victim.Token, testTerminal); err != nil {
			t.Errorf("victim's session after refused attempts: %v", err)
		}
		_, err = fx.svc.Login(ctx, LoginRequest{Terminal: testTerminal, CollationID: "C-CLERK", Reading: fx.reader.Genuine("C-ADMIN", 0.05), OperatorID: "OP-CLERK-record"})
		wantKind(t, "login as the victim with the admin's finger", err, jukinet.KindUnauthorized)
	})
}

// strip drops the decisions part of a fingerprint that are unused (cases
// record their own decision before acting).
func strip(fp string) string {
	parts := strings.Split(fp, "| ")
	var used []string
	for _, d := range strings.Fields(parts[3]) {
		if !strings.HasSuffix(d, ":0") {
			used = append(used, d)
		}
	}
	parts[3] = strings.Join(used, " ")
	return strings.Join(parts, "| ")
}

// TestReenrolment (G13.2): the operator's own current reading, or two people
// and a decision; either ends the operator's sessions; the decision is spent.
func TestReenrolment(t *testing.T) {
	run(t, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		login := func(who string) Session {
			t.Helper()
			s, err := fx.svc.Login(ctx, LoginRequest{Terminal: testTerminal, CollationID: who, Reading: fx.reader.Genuine(who, 0.1), OperatorID: "OP-CLERK-record"})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		s := login("C-CLERK")
		// Own reading: the "new" finger here is the same person's; the template changes.
		if err := fx.svc.Reenroll(fx.admin(), "C-CLERK", fx.reader.Genuine("C-CLERK", 0.1), fx.reader.Genuine("C-CLERK", 0)); err != nil {
			t.Fatal(err)
		}
		_, err := fx.svc.Authenticate(ctx, s.Token, testTerminal)
		wantKind(t, "session after re-enrolment", err, jukinet.KindUnauthorized)
		s = login("C-CLERK")

		// Lost finger: the new reading is another finger of the same person,
		// modelled by a reading of "C-CLERK-left".
		d := fx.decision(t, governance.AccessDecision{Kind: governance.DecisionReenrol, CollationID: "C-CLERK", Reason: "右手人差し指の負傷"})
		in := Replacement{CollationID: "C-CLERK", Reading: fx.reader.Genuine("C-CLERK-left", 0), DecisionID: d,
			SecondCollationID: "C-CITIZEN-HEAD", SecondReading: fx.reader.Genuine("C-CITIZEN-HEAD", 0.1)}
		if err := fx.svc.ReplaceLost(fx.admin(), in); err != nil {
			t.Fatal(err)
		}
		_, err = fx.svc.Authenticate(ctx, s.Token, testTerminal)
		wantKind(t, "session after replacement", err, jukinet.KindUnauthorized)
		if _, err := fx.svc.Login(ctx, LoginRequest{Terminal: testTerminal, CollationID: "C-CLERK", Reading: fx.reader.Genuine("C-CLERK-left", 0.1), OperatorID: "OP-CLERK-record"}); err != nil {
			t.Errorf("login with the new finger: %v", err)
		}
		err = fx.svc.ReplaceLost(fx.admin(), in)
		if jukinet.ErrorKind(err) != jukinet.KindConflict || jukinet.ErrorField(err) != "decision_id" {
			t.Errorf("decision used twice: %v, want conflict on decision_id", err)
		}
		recs := logRecords(t, fx.db, jukinet.OpAccessReenroll)
		if len(recs) != 2 || !strings.Contains(recs[1].Detail, "second=C-CITIZEN-HEAD") {
			t.Errorf("re-enrolment records: %+v", recs)
		}
	})
}

// TestWithdrawalEndsSessionsAtOnce: a withdrawn 操作者ID stops working in a
// live session on the next request.
func TestWithdrawalEndsSessionsAtOnce(t *testing.T) {
	run(t, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		s, err := fx.svc.Login(ctx, LoginRequest{Terminal: testTerminal, CollationID: "C-CLERK", Reading: fx.reader.Genuine("C-CLERK", 0.1), OperatorID: "OP-CLERK-record"})
		if err != nil {
			t.Fatal(err)
		}
		if err := fx.svc.Withdraw(fx.admin(), "OP-CLERK-record", "事務分担の変更"); err != nil {
			t.Fatal(err)
		}
		_, err = fx.svc.Authenticate(ctx, s.Token, testTerminal)
		wantKind(t, "session after withdrawal", err, jukinet.KindUnauthorized)
		fx.clk.Advance(time.Second)
	})
}
