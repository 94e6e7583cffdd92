package web

import (
	"testing"

	"github.com/jukinet/jukinet"
)

func TestFieldFor(t *testing.T) {
	inputs := []string{"name.kanji", "name.kana", "address_text", "household.id", "household.relationship", "previous_address.lg_code", "date", "birth_date"}
	for _, tc := range []struct {
		field, want string
		found       bool
	}{
		{"name.kana", "name.kana", true},
		{"address.text", "address_text", true},
		{"address_text", "address_text", true},
		{"person.name.kana", "name.kana", true},
		{"household.relationship", "household.relationship", true},
		{"relationship", "household.relationship", true},
		{"in.previous_address.lg_code", "previous_address.lg_code", true},
		{"move_in_date", "", false},
		{"birth_date", "birth_date", true},
		{"person.birth_date", "birth_date", true},
		{"id", "household.id", true},
		{"date", "date", true},
		{"", "", false},
		{"..", "", false},
	} {
		t.Run(tc.field, func(t *testing.T) {
			got, found := fieldFor(tc.field, inputs)
			if got != tc.want || found != tc.found {
				t.Errorf("fieldFor(%q): got %q %v, want %q %v", tc.field, got, found, tc.want, tc.found)
			}
		})
	}
	// "text" ends both address_text and another input: ambiguous, so above the form.
	if got, found := fieldFor("destination.text", []string{"address_text", "previous_address.text"}); found {
		t.Errorf("fieldFor(destination.text) with two *text inputs: got %q, want no match (ambiguous)", got)
	}
}

func TestPlaceError(t *testing.T) {
	inputs := []string{"address_text", "date"}
	for _, tc := range []struct {
		name       string
		err        error
		wantField  string
		wantGlobal bool
		ok         bool
	}{
		{"field of the form", jukinet.E("register.MoveWithin", jukinet.KindInvalid, jukinet.Field("address.text"), "required"), "address_text", false, true},
		{"mapped by underscores", jukinet.E("x", jukinet.KindInvalid, jukinet.Field("address_text"), "too long"), "address_text", false, true},
		{"nested", jukinet.E("outer", jukinet.E("x", jukinet.KindInvalid, jukinet.Field("in.date"), "bad date")), "date", false, true},
		{"no field", jukinet.E("x", jukinet.KindInvalid, "bad"), "", true, true},
		{"not invalid", jukinet.E("x", jukinet.KindConflict, jukinet.Field("date"), "taken"), "", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fe, msg, ok := placeError(tc.err, inputs)
			if ok != tc.ok {
				t.Fatalf("placeError(%v): ok %v, want %v", tc.err, ok, tc.ok)
			}
			if tc.wantField != "" && fe[tc.wantField] == "" {
				t.Errorf("placeError(%v): field errors %v, want a message at %q", tc.err, fe, tc.wantField)
			}
			if tc.wantGlobal && (msg == "" || fe != nil) {
				t.Errorf("placeError(%v): fields %v message %q, want one general message", tc.err, fe, msg)
			}
		})
	}
}

// FuzzFieldFor: any backend field name maps to one of the inputs or none,
// never panics.
func FuzzFieldFor(f *testing.F) {
	inputs := []string{"name.kanji", "address_text", "household.relationship", "date"}
	for _, s := range []string{"address.text", "person.name.kanji", "relationship", ".", "_", "a..b", "household."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, field string) {
		got, found := fieldFor(field, inputs)
		if !found {
			if got != "" {
				t.Errorf("fieldFor(%q): not found but returned %q", field, got)
			}
			return
		}
		for _, in := range inputs {
			if in == got {
				return
			}
		}
		t.Errorf("fieldFor(%q): got %q, not an input", field, got)
	})
}
