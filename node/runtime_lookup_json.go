package node

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jukinet/jukinet"
)

// unmarshalIdentity decodes stored identity information (本人確認情報) JSON as
// json.Unmarshal does. The stored form is json.Marshal's (storeIdentity), and
// reflection-based decoding was most of a batch lookup's CPU
// (docs/performance.md), so that form is read by hand; anything else (escapes,
// null, unknown or differently cased keys, invalid UTF-8, a bad value) goes to
// json.Unmarshal, whose result and error are the answer. FuzzUnmarshalIdentity
// checks that both agree.
func unmarshalIdentity(b []byte, out *jukinet.IdentityInfo) error {
	return unmarshalIdentityString(string(b), out)
}

// unmarshalIdentityString is unmarshalIdentity of a string. On the
// hand-written path the decoded strings are substrings of s (no copies: a
// batch lookup's records keep their stored JSON alive instead of ~10 small
// strings each).
func unmarshalIdentityString(s string, out *jukinet.IdentityInfo) error {
	var fast jukinet.IdentityInfo
	if sc := (identityScanner{src: s}); sc.identity(&fast) {
		*out = fast
		return nil
	}
	return json.Unmarshal([]byte(s), out)
}

// identityScanner reads the canonical JSON of an IdentityInfo; every method
// reports false on anything it does not handle.
type identityScanner struct {
	src string
	// b is the input as bytes when src is not set (flow_identity.go): copied
	// once into src, then read like a string.
	b []byte
	i int
}

func (s *identityScanner) ws() {
	for s.i < len(s.src) {
		switch s.src[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *identityScanner) byte(c byte) bool {
	s.ws()
	if s.i < len(s.src) && s.src[s.i] == c {
		s.i++
		return true
	}
	return false
}

// raw returns a string's bytes without escapes or control characters (one
// pass: faster here than strings.IndexByte and a second pass, measured).
func (s *identityScanner) raw() (string, bool) {
	if !s.byte('"') {
		return "", false
	}
	start := s.i
	ascii := true
	for s.i < len(s.src) {
		c := s.src[s.i]
		switch {
		case c == '"':
			v := s.src[start:s.i]
			s.i++
			if !ascii && !utf8.ValidString(v) {
				return "", false // json.Unmarshal would replace bytes with U+FFFD
			}
			return v, true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= 0x80:
			ascii = false
		}
		s.i++
	}
	return "", false
}

func (s *identityScanner) str(dst *string) bool {
	v, ok := s.raw()
	if ok {
		*dst = v
	}
	return ok
}

// text returns a string's bytes for a field's UnmarshalText (as json
// decodes it), in buf when they fit: the callers call the concrete method, so
// buf stays on the stack.
func (s *identityScanner) text(buf []byte) ([]byte, bool) {
	v, ok := s.raw()
	return append(buf, v...), ok
}

func (s *identityScanner) uint(dst *uint64) bool {
	s.ws()
	start := s.i
	for s.i < len(s.src) && s.src[s.i] >= '0' && s.src[s.i] <= '9' {
		s.i++
	}
	digits := s.src[start:s.i]
	if len(digits) == 0 || (len(digits) > 1 && digits[0] == '0') {
		return false
	}
	v, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return false
	}
	*dst = v
	return true
}

// object reads {"key": value, …}, field reading each value by its key.
func (s *identityScanner) object(field func(key string) bool) bool {
	if !s.byte('{') {
		return false
	}
	if s.byte('}') {
		return true
	}
	for {
		k, ok := s.raw()
		if !ok || !s.byte(':') || !field(k) {
			return false
		}
		if s.byte(',') {
			continue
		}
		return s.byte('}')
	}
}

func (s *identityScanner) identity(i *jukinet.IdentityInfo) bool {
	if s.src == "" {
		s.src = string(s.b)
	}
	if s.canonical(i) {
		return true
	}
	*i, s.i = jukinet.IdentityInfo{}, 0
	ok := s.object(func(k string) bool {
		switch k {
		case "municipality":
			return s.str((*string)(&i.Municipality))
		case "resident_code":
			return s.str((*string)(&i.ResidentCode))
		case "individual_number":
			return s.str((*string)(&i.IndividualNumber))
		case "name":
			return s.object(func(k string) bool {
				switch k {
				case "kanji":
					return s.str(&i.Name.Kanji)
				case "kana":
					return s.str(&i.Name.Kana)
				case "former_surname":
					return s.str(&i.Name.FormerSurname)
				case "former_surname_kana":
					return s.str(&i.Name.FormerSurnameKana)
				case "alias":
					return s.str(&i.Name.Alias)
				case "alias_kana":
					return s.str(&i.Name.AliasKana)
				}
				return false
			})
		case "birth_date":
			return s.date(&i.BirthDate)
		case "sex":
			return s.sex(&i.Sex)
		case "address":
			return s.object(func(k string) bool {
				switch k {
				case "lg_code":
					return s.str((*string)(&i.Address.LGCode))
				case "text":
					return s.str(&i.Address.Text)
				}
				return false
			})
		case "change":
			return s.object(func(k string) bool {
				switch k {
				case "reason":
					return s.reason(&i.Change.Reason)
				case "date":
					return s.date(&i.Change.Date)
				case "previous_resident_code":
					return s.str((*string)(&i.Change.PreviousResidentCode))
				}
				return false
			})
		case "version":
			return s.uint(&i.Version)
		}
		return false
	})
	s.ws()
	return ok && s.i == len(s.src)
}

// canonical reads exactly json.Marshal's form of an IdentityInfo — its keys
// in order, omitempty ones perhaps absent, no spaces — without reading keys
// one by one (a fifth less CPU than the key-by-key scanner, measured). It
// reports false, having read part of the input, on anything else.
func (s *identityScanner) canonical(i *jukinet.IdentityInfo) bool {
	return s.lit(`{"municipality":`) && s.str((*string)(&i.Municipality)) &&
		s.lit(`,"resident_code":`) && s.str((*string)(&i.ResidentCode)) &&
		(!s.lit(`,"individual_number":`) || s.str((*string)(&i.IndividualNumber))) &&
		s.lit(`,"name":{"kanji":`) && s.str(&i.Name.Kanji) &&
		s.lit(`,"kana":`) && s.str(&i.Name.Kana) &&
		(!s.lit(`,"former_surname":`) || s.str(&i.Name.FormerSurname)) &&
		(!s.lit(`,"former_surname_kana":`) || s.str(&i.Name.FormerSurnameKana)) &&
		(!s.lit(`,"alias":`) || s.str(&i.Name.Alias)) &&
		(!s.lit(`,"alias_kana":`) || s.str(&i.Name.AliasKana)) &&
		s.lit(`},"birth_date":`) && s.date(&i.BirthDate) &&
		s.lit(`,"sex":`) && s.sex(&i.Sex) &&
		s.lit(`,"address":{"lg_code":`) && s.str((*string)(&i.Address.LGCode)) &&
		s.lit(`,"text":`) && s.str(&i.Address.Text) &&
		s.lit(`},"change":{"reason":`) && s.reason(&i.Change.Reason) &&
		s.lit(`,"date":`) && s.date(&i.Change.Date) &&
		(!s.lit(`,"previous_resident_code":`) || s.str((*string)(&i.Change.PreviousResidentCode))) &&
		s.lit(`},"version":`) && s.uint(&i.Version) &&
		s.lit(`}`) && s.i == len(s.src)
}

// lit reads text if the input continues with it.
func (s *identityScanner) lit(text string) bool {
	if strings.HasPrefix(s.src[s.i:], text) {
		s.i += len(text)
		return true
	}
	return false
}

func (s *identityScanner) date(d *jukinet.Date) bool {
	var buf [16]byte
	v, ok := s.text(buf[:0])
	return ok && d.UnmarshalText(v) == nil
}

func (s *identityScanner) sex(x *jukinet.Sex) bool {
	var buf [16]byte
	v, ok := s.text(buf[:0])
	return ok && x.UnmarshalText(v) == nil
}

func (s *identityScanner) reason(r *jukinet.ChangeReason) bool {
	var buf [32]byte
	v, ok := s.text(buf[:0])
	return ok && r.UnmarshalText(v) == nil
}
