package node

import (
	"testing"

	"github.com/jukinet/jukinet"
)

// The 特例転入's input names every field in error at once (resident code,
// card, move-in date, each member), not only the first.
func TestSpecialMoveInNamesEveryField(t *testing.T) {
	err := SpecialMoveInInput{ResidentCode: "1", Members: []SpecialMember{{ResidentCode: "x"}, {ResidentCode: "y"}}}.validate("test")
	named := map[string]bool{}
	for _, e := range jukinet.AllFieldErrors(err) {
		named[e.Field] = true
	}
	for _, f := range []string{"resident_code", "card_serial", "move_in_date", "members[0].resident_code", "members[1].resident_code"} {
		if !named[f] {
			t.Errorf("field %q not named in %v", f, err)
		}
	}
	if jukinet.ErrorKind(err) != jukinet.KindInvalid {
		t.Errorf("kind %s, want invalid", jukinet.ErrorKind(err))
	}
}

// FuzzSpecialMoveInValidate: the check never panics, and names the resident
// code exactly when it is not one, beside whatever else is wrong.
func FuzzSpecialMoveInValidate(f *testing.F) {
	f.Add("23456789013", "2026-11-20", "23456789013")
	f.Add("", "", "")
	f.Add("1", "x", "34567890124")
	f.Fuzz(func(t *testing.T, code, date, member string) {
		in := SpecialMoveInInput{ResidentCode: jukinet.ResidentCode(code), Members: []SpecialMember{{ResidentCode: jukinet.ResidentCode(member)}}}
		in.MoveInDate, _ = jukinet.ParseDate("move_in_date", date)
		err := in.validate("fuzz")
		named := map[string]bool{}
		for _, e := range jukinet.AllFieldErrors(err) {
			named[e.Field] = true
		}
		if !named["card_serial"] {
			t.Fatalf("no card, not named: %v", err)
		}
		if named["resident_code"] == jukinet.ValidResidentCode(code) {
			t.Fatalf("resident code %q named %v", code, named["resident_code"])
		}
		if named["move_in_date"] != in.MoveInDate.IsZero() {
			t.Fatalf("move-in date %q named %v", date, named["move_in_date"])
		}
	})
}
