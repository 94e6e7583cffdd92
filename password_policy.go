package jukinet

import (
	"fmt"
	"time"
)

// PasswordPolicy is the node's recorded OS password policy (G12.2): the
// rules the アクセス管理責任者 set for the passwords of the operating systems
// of the CS and the terminals. jukinet does not manage OS accounts; it keeps
// the record and `jukinet doctor` checks it against a baseline.
type PasswordPolicy struct {
	MinLength        int       `json:"min_length"`        // characters
	CharClasses      int       `json:"char_classes"`      // of upper, lower, digit, symbol (1–4)
	RotationDays     int       `json:"rotation_days"`     // 0: no forced rotation
	LockoutThreshold int       `json:"lockout_threshold"` // failed logins before the OS locks the account; 0: never
	SetAt            time.Time `json:"set_at"`
	SetBy            string    `json:"set_by"`
}

// Validate checks that the numbers are possible at all (not that they are
// strict enough: Deviations says that), every number in error at once.
func (p PasswordPolicy) Validate() error {
	const op = "access.PasswordPolicy"
	var fe FieldErrors
	if p.MinLength < 1 || p.MinLength > 256 {
		fe.Add(E(op, KindInvalid, Field("min_length"), "min_length must be 1–256"))
	}
	if p.CharClasses < 1 || p.CharClasses > 4 {
		fe.Add(E(op, KindInvalid, Field("char_classes"), "char_classes must be 1–4"))
	}
	if p.RotationDays < 0 || p.RotationDays > 3650 {
		fe.Add(E(op, KindInvalid, Field("rotation_days"), "rotation_days must be 0–3650"))
	}
	if p.LockoutThreshold < 0 || p.LockoutThreshold > 1000 {
		fe.Add(E(op, KindInvalid, Field("lockout_threshold"), "lockout_threshold must be 0–1000"))
	}
	return fe.Err()
}

// Deviations lists where p is weaker than jukinet's baseline: at least 12
// characters of 3 classes, and a lockout after at most 10 failures. Forced
// rotation is not required (current guidance advises against it) but is
// recorded.
func (p PasswordPolicy) Deviations() []string { return p.deviations(false) }

// DeviationsJapanese is Deviations as the compliance report shows them to
// staff.
func (p PasswordPolicy) DeviationsJapanese() []string { return p.deviations(true) }

func (p PasswordPolicy) deviations(ja bool) []string {
	var out []string
	add := func(en, jp string) {
		if ja {
			out = append(out, jp)
		} else {
			out = append(out, en)
		}
	}
	if p.MinLength < 12 {
		add(fmt.Sprintf("OS password minimum length %d is below 12", p.MinLength),
			fmt.Sprintf("OS のパスワードの最小文字数 %d が基準の12を下回る", p.MinLength))
	}
	if p.CharClasses < 3 {
		add(fmt.Sprintf("OS passwords need only %d character classes (baseline 3)", p.CharClasses),
			fmt.Sprintf("OS のパスワードに求める文字種が %d 種類だけ（基準は3種類）", p.CharClasses))
	}
	if p.LockoutThreshold == 0 || p.LockoutThreshold > 10 {
		add(fmt.Sprintf("OS account lockout threshold %d is not between 1 and 10", p.LockoutThreshold),
			fmt.Sprintf("OS アカウントの締出しまでの失敗回数 %d が1〜10の範囲にない", p.LockoutThreshold))
	}
	return out
}
