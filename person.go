package jukinet

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Sex is 男女の別 as recorded in the register. The zero value means unset.
type Sex uint8

// The values follow JIS X 0303 (1 male, 2 female), which is also how forms write them.
const (
	SexMale   Sex = 1 // 男
	SexFemale Sex = 2 // 女
)

// ParseSex accepts "male", "female", "1", "2", "男", "女", "男性", "女性"
// (ASCII case-insensitive, surrounding white space trimmed). Errors:
// KindInvalid, field "sex".
func ParseSex(s string) (Sex, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "male", "1", "男", "男性":
		return SexMale, nil
	case "female", "2", "女", "女性":
		return SexFemale, nil
	case "":
		return 0, E("jukinet.ParseSex", KindInvalid, Field("sex"), "required")
	}
	return 0, E("jukinet.ParseSex", KindInvalid, Field("sex"), `want "male" or "female" (also 1/2, 男/女)`)
}

// Valid reports whether s is SexMale or SexFemale.
func (s Sex) Valid() bool { return s == SexMale || s == SexFemale }

// String returns "male" or "female"; "" for the zero value, "sex(N)" otherwise.
func (s Sex) String() string {
	switch s {
	case SexMale:
		return "male"
	case SexFemale:
		return "female"
	case 0:
		return ""
	}
	return "sex(" + strconv.Itoa(int(s)) + ")"
}

// Japanese returns "男" or "女" ("" if s is not valid).
func (s Sex) Japanese() string {
	switch s {
	case SexMale:
		return "男"
	case SexFemale:
		return "女"
	}
	return ""
}

// MarshalText encodes s as its String; the zero value as "". Errors:
// KindInvalid for any other value.
func (s Sex) MarshalText() ([]byte, error) {
	if s != 0 && !s.Valid() {
		return nil, E("jukinet.Sex.MarshalText", KindInvalid, Field("sex"), "unknown value "+strconv.Itoa(int(s)))
	}
	return []byte(s.String()), nil
}

// UnmarshalText accepts what ParseSex accepts; "" gives the zero value.
func (s *Sex) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*s = 0
		return nil
	}
	v, err := ParseSex(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Address is a 住所: the local-government code of the municipality and the
// address as written (verbatim, like names).
type Address struct {
	LGCode LGCode `json:"lg_code"`
	Text   string `json:"text"`
}

const maxAddressRunes = 200

// Validate checks a: a valid LG code; text required, valid UTF-8, at most 200
// runes, no control characters. Errors: KindInvalid, naming field+".lg_code"
// or field+".text".
func (a Address) Validate(field string) error {
	const op = "jukinet.Address.Validate"
	if problem := lgCodeProblem(a.LGCode); problem != "" {
		return E(op, KindInvalid, Field(field+".lg_code"), problem)
	}
	problem := ""
	switch {
	case strings.TrimSpace(a.Text) == "":
		problem = "required"
	case !utf8.ValidString(a.Text):
		problem = "not valid UTF-8"
	case utf8.RuneCountInString(a.Text) > maxAddressRunes:
		problem = "longer than 200 characters"
	default:
		for _, r := range a.Text {
			if isForbiddenTextRune(r) {
				problem = "contains a control character"
				break
			}
		}
	}
	if problem != "" {
		return E(op, KindInvalid, Field(field+".text"), problem)
	}
	return nil
}
