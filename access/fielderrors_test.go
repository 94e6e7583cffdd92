package access

import (
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// Every access admin act names every field in error at once: an input with
// two or more bad fields is refused with one error listing each field and
// its rule, and nothing is written.
func TestAdminActsReportEveryField(t *testing.T) {
	run(t, func(t *testing.T, fx *fixture) {
		now := fx.clk.Now()
		rows := func() string {
			var b strings.Builder
			for _, tbl := range []string{"access_operators", "access_operator_ids", "access_terminals", "access_password_policy", "access_templates", "access_history"} {
				var n int
				if err := fx.db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM ` + tbl).Scan(&n); err != nil {
					t.Fatal(err)
				}
				b.WriteString(tbl + "=" + strings.Repeat("x", n) + " ")
			}
			return b.String()
		}
		for _, tc := range []struct {
			name   string
			fields []string
			act    func() error
		}{
			{"operator registration", []string{"collation_id", "name", "department"}, func() error {
				return fx.svc.CreateOperator(fx.admin(), Operator{CollationID: "a b", Department: "市民課\x00"})
			}},
			{"operator change", []string{"collation_id", "status", "department", "reason"}, func() error {
				return fx.svc.ChangeOperator(fx.admin(), "", "fired", "\x07", "")
			}},
			{"操作者ID grant", []string{"operator_id", "collation_id", "authority", "scope", "valid_until", "decision_id"}, func() error {
				_, err := fx.svc.Assign(fx.admin(), Assignment{OperatorID: "has space", CollationID: "", Authority: "root", Scope: "department:市民課",
					ValidFrom: now, ValidUntil: now.Add(-time.Hour), DecisionID: strings.Repeat("D", 65)})
				return err
			}},
			{"操作者ID withdrawal", []string{"operator_id", "reason"}, func() error {
				return fx.svc.Withdraw(fx.admin(), "", " ")
			}},
			{"照合情報 revocation", []string{"collation_id", "reason"}, func() error {
				return fx.svc.Revoke(fx.admin(), "x/y", "")
			}},
			{"terminal registration", []string{"terminal", "name", "location"}, func() error {
				return fx.svc.RegisterTerminal(fx.admin(), Terminal{ID: "", Name: strings.Repeat("端", 65)})
			}},
			{"password policy", []string{"min_length", "char_classes", "rotation_days", "lockout_threshold"}, func() error {
				return SetPasswordPolicy(fx.as("C-SYSADM", "OP-SYSADM-system_admin", jukinet.AuthoritySystemAdmin), fx.db,
					PasswordPolicy{MinLength: 0, CharClasses: 5, RotationDays: -1, LockoutThreshold: 1001})
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := rows()
				err := tc.act()
				if err == nil {
					t.Fatalf("accepted; want every one of %v named", tc.fields)
				}
				if k := jukinet.ErrorKind(err); k != jukinet.KindInvalid {
					t.Errorf("kind %s (%v), want invalid", k, err)
				}
				named := map[string]bool{}
				for _, e := range jukinet.AllFieldErrors(err) {
					named[e.Field] = true
					if strings.TrimSpace(jukinet.UserMessage(e)) == "" {
						t.Errorf("field %s has no rule text", e.Field)
					}
				}
				for _, f := range tc.fields {
					if !named[f] {
						t.Errorf("field %q not named in %v", f, err)
					}
				}
				if after := rows(); after != before {
					t.Errorf("something was written:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
	})
}
