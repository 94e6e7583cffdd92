package web

import (
	"testing"

	"github.com/jukinet/jukinet"
)

// The 同一世帯員 field: codes separated by spaces or commas, each with an
// optional ":続柄"; anything else names the field.
func TestSpecialMembers(t *testing.T) {
	a, b := code(t, "1234567890"), code(t, "2345678901")
	got, err := specialMembers(a + ", " + b + ":子")
	if err != nil || len(got) != 2 || got[1].Relationship != "子" || got[0].Relationship != "" {
		t.Fatalf("specialMembers: %+v, %v", got, err)
	}
	if got[0].ResidentCode != jukinet.ResidentCode(a) || got[1].ResidentCode != jukinet.ResidentCode(b) {
		t.Errorf("codes: %+v", got)
	}
	if _, err := specialMembers("1234"); jukinet.ErrorField(err) != "members" {
		t.Errorf("a short code: %v, want an error on members", err)
	}
}

func FuzzSpecialMembers(f *testing.F) {
	f.Add("12345678901 23456789012:子")
	f.Add("、\u3000:")
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := specialMembers(s)
		for _, m := range ms {
			if err == nil && !jukinet.ValidResidentCode(string(m.ResidentCode)) {
				t.Fatalf("accepted %q", m.ResidentCode)
			}
		}
	})
}

func code(t *testing.T, first10 string) string {
	d, err := jukinet.ResidentCodeCheckDigit(first10)
	if err != nil {
		t.Fatal(err)
	}
	return first10 + string(d)
}
