package jukinet

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseSex(t *testing.T) {
	tests := []struct {
		in   string
		want Sex
		rule string
	}{
		{"male", SexMale, ""},
		{" Male ", SexMale, ""},
		{"1", SexMale, ""},
		{"男", SexMale, ""},
		{"男性", SexMale, ""},
		{"female", SexFemale, ""},
		{"FEMALE", SexFemale, ""},
		{"2", SexFemale, ""},
		{"女", SexFemale, ""},
		{"女性", SexFemale, ""},
		{"", 0, "required"},
		{"0", 0, "want"},
		{"3", 0, "want"},
		{"m", 0, "want"},
		{"males", 0, "want"},
		{"１", 0, "want"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSex(tt.in)
			if tt.rule == "" {
				if err != nil || got != tt.want {
					t.Errorf("ParseSex(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
				}
				return
			}
			if ErrorKind(err) != KindInvalid || ErrorField(err) != "sex" || !strings.Contains(err.Error(), tt.rule) {
				t.Errorf("ParseSex(%q) = %v, %v; want invalid sex containing %q", tt.in, got, err, tt.rule)
			}
		})
	}
}

func TestSexStrings(t *testing.T) {
	tests := []struct {
		s                Sex
		str, ja          string
		valid, marshalOK bool
	}{
		{SexMale, "male", "男", true, true},
		{SexFemale, "female", "女", true, true},
		{0, "", "", false, true},
		{9, "sex(9)", "", false, false},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.str {
			t.Errorf("Sex(%d).String() = %q, want %q", tt.s, got, tt.str)
		}
		if got := tt.s.Japanese(); got != tt.ja {
			t.Errorf("Sex(%d).Japanese() = %q, want %q", tt.s, got, tt.ja)
		}
		if got := tt.s.Valid(); got != tt.valid {
			t.Errorf("Sex(%d).Valid() = %v, want %v", tt.s, got, tt.valid)
		}
		b, err := tt.s.MarshalText()
		if (err == nil) != tt.marshalOK {
			t.Errorf("Sex(%d).MarshalText() err %v, want ok=%v", tt.s, err, tt.marshalOK)
			continue
		}
		if err != nil {
			continue
		}
		var back Sex = 7
		if err := back.UnmarshalText(b); err != nil || back != tt.s {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", b, back, err, tt.s)
		}
	}
	var s Sex
	if err := json.Unmarshal([]byte(`"other"`), &s); ErrorField(err) != "sex" {
		t.Errorf(`Unmarshal "other" err %v; want field sex`, err)
	}
}

func TestAddressValidate(t *testing.T) {
	tests := []struct {
		name  string
		a     Address
		field string
		rule  string
	}{
		{"ok", Address{"352063", "山口県防府市寿町7番1号"}, "", ""},
		{"ok 200 runes", Address{"352063", strings.Repeat("町", 200)}, "", ""},
		{"missing lg code", Address{"", "防府市"}, "address.lg_code", "required"},
		{"bad check digit", Address{"352064", "防府市"}, "address.lg_code", "check digit"},
		{"not canonical", Address{"35-2063", "防府市"}, "address.lg_code", "without separators"},
		{"full-width", Address{"３５２０６３", "防府市"}, "address.lg_code", "without separators"},
		{"missing text", Address{"352063", " "}, "address.text", "required"},
		{"too long", Address{"352063", strings.Repeat("町", 201)}, "address.text", "longer than 200"},
		{"control", Address{"352063", "防府市\r\n寿町"}, "address.text", "control"},
		{"bad utf-8", Address{"352063", "防府\xff"}, "address.text", "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.a.Validate("address")
			if tt.field == "" {
				if err != nil {
					t.Errorf("Validate(%+v) = %v, want nil", tt.a, err)
				}
				return
			}
			if ErrorKind(err) != KindInvalid || ErrorField(err) != tt.field || !strings.Contains(err.Error(), tt.rule) {
				t.Errorf("Validate(%+v) = %v; want invalid %s containing %q", tt.a, err, tt.field, tt.rule)
			}
		})
	}
}

func FuzzParseSex(f *testing.F) {
	for _, s := range []string{"male", "female", "1", "2", "男", "女", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseSex(in)
		if err != nil {
			if ErrorKind(err) != KindInvalid || ErrorField(err) != "sex" {
				t.Fatalf("ParseSex(%q) err %v", in, err)
			}
			return
		}
		if !s.Valid() {
			t.Fatalf("ParseSex(%q) = %d, not valid", in, s)
		}
		for _, form := range []string{s.String(), s.Japanese()} {
			if back, err := ParseSex(form); err != nil || back != s {
				t.Fatalf("ParseSex(%q) = %v, %v; want %v", form, back, err, s)
			}
		}
	})
}
