package jukinet

import "testing"

// FuzzPasswordPolicyValidate: the check never panics, names exactly the
// numbers out of range (every one of them, at once), and accepts the rest.
func FuzzPasswordPolicyValidate(f *testing.F) {
	f.Add(12, 3, 0, 5)
	f.Add(0, 5, -1, 1001)
	f.Add(256, 4, 3650, 1000)
	f.Fuzz(func(t *testing.T, minLength, classes, rotation, lockout int) {
		p := PasswordPolicy{MinLength: minLength, CharClasses: classes, RotationDays: rotation, LockoutThreshold: lockout}
		want := map[string]bool{
			"min_length":        minLength < 1 || minLength > 256,
			"char_classes":      classes < 1 || classes > 4,
			"rotation_days":     rotation < 0 || rotation > 3650,
			"lockout_threshold": lockout < 0 || lockout > 1000,
		}
		got := map[string]bool{}
		for _, e := range AllFieldErrors(p.Validate()) {
			if e.Kind != KindInvalid {
				t.Errorf("%+v: field %s of kind %s", p, e.Field, e.Kind)
			}
			got[e.Field] = true
		}
		for field, bad := range want {
			if got[field] != bad {
				t.Errorf("%+v: field %s named %v, want %v", p, field, got[field], bad)
			}
		}
	})
}
