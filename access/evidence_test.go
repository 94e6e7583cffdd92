package access

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// On a node without staff every evidence function reads zero: no terminal,
// no operator, no 操作者ID, no password policy.
func TestEvidenceOfAnEmptyNode(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			db := storetest.OpenWith(t, e, node, storetest.Options{})
			q := db.Bookkeeping(store.Status)
			if n, err := ActiveTerminals(ctx, q); n != 0 || err != nil {
				t.Errorf("ActiveTerminals = %d, %v; want 0", n, err)
			}
			if o, err := Operators(ctx, q, time.Now()); !reflect.DeepEqual(o, OperatorFacts{}) || err != nil {
				t.Errorf("Operators = %+v, %v; want zero", o, err)
			}
			if p, ok, err := PasswordPolicyIn(ctx, q); ok || err != nil || p != (PasswordPolicy{}) {
				t.Errorf("PasswordPolicyIn = %+v, %v, %v; want none", p, ok, err)
			}
		})
	}
}

// The fixture's terminal, operators and 操作者ID are the facts; a locked
// operator, a missing template and a missing decision show in them, and no
// 操作者ID is in force before its validity begins.
func TestEvidenceOfTheRegisters(t *testing.T) {
	run(t, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		q := fx.db.Bookkeeping(store.Status)
		ids := 0
		for _, p := range testStaff {
			ids += len(p.authorities)
		}
		if n, err := ActiveTerminals(ctx, q); n != 1 || err != nil {
			t.Errorf("ActiveTerminals = %d, %v; want the fixture's 1", n, err)
		}
		at := fx.clk.Now()
		o, err := Operators(ctx, q, at)
		if err != nil {
			t.Fatal(err)
		}
		if o.Active != len(testStaff) || o.IDsInForce != ids || len(o.Unenrolled)+len(o.IDsWithoutDecision)+len(o.LockedHolders)+len(o.Unregistered) != 0 ||
			o.RegisterEntries < len(testStaff)+ids {
			t.Errorf("Operators = %+v; want %d active, %d IDs in force, none lacking, at least %d register entries", o, len(testStaff), ids, len(testStaff)+ids)
		}
		if early, err := Operators(ctx, q, at.Add(-2*time.Hour)); err != nil || early.IDsInForce != 0 || early.Active != len(testStaff) {
			t.Errorf("Operators before the IDs' validity = %+v, %v; want no ID in force", early, err)
		}
		for _, s := range []string{
			`UPDATE access_operators SET locked_at = 1 WHERE collation_id = 'C-CLERK'`,
			`DELETE FROM access_templates WHERE collation_id = 'C-AUDIT'`,
			`UPDATE access_operator_ids SET decision_ref = '' WHERE operator_id = 'OP-ISSUE-issue'`,
		} {
			if _, err := fx.db.Bookkeeping(store.Inspect).Exec(s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		o, err = Operators(ctx, q, at)
		if err != nil || !reflect.DeepEqual(o.LockedHolders, []string{"C-CLERK"}) || !reflect.DeepEqual(o.Unenrolled, []string{"C-AUDIT"}) ||
			!reflect.DeepEqual(o.IDsWithoutDecision, []string{"OP-ISSUE-issue"}) {
			t.Errorf("Operators after the changes = %+v, %v; want C-CLERK locked, C-AUDIT unenrolled, OP-ISSUE-issue without decision", o, err)
		}
		p := PasswordPolicy{MinLength: 14, CharClasses: 4, RotationDays: 90, LockoutThreshold: 6}
		if err := SetPasswordPolicy(fx.as("C-SYSADM", "OP-SYSADM-system_admin", jukinet.AuthoritySystemAdmin), fx.db, p); err != nil {
			t.Fatal(err)
		}
		got, ok, err := PasswordPolicyIn(ctx, q)
		if !ok || err != nil || got.MinLength != 14 || got.CharClasses != 4 || got.RotationDays != 90 || got.LockoutThreshold != 6 || !got.SetAt.Equal(fx.clk.Now()) {
			t.Errorf("PasswordPolicyIn = %+v, %v, %v; want the policy just set", got, ok, err)
		}
	})
}
