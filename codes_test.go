package jukinet

import (
	"bytes"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

// Spec-literal reference implementations (docs/domain.md §4), written independently
// of the weight tables in codes.go so that a wrong table is caught.
func refIndividualNumberCD(first11 string) byte {
	sum := 0
	for n := 1; n <= 11; n++ {
		p := int(first11[11-n] - '0') // n-th digit from the right
		q := n + 1
		if n >= 7 {
			q = n - 5
		}
		sum += p * q
	}
	r := sum % 11
	if r <= 1 {
		return '0'
	}
	return byte('0' + 11 - r)
}

func refResidentCodeCD(first10 string) byte {
	from := []int{2, 3, 4, 5, 6, 7, 2, 3, 4, 5} // weights from the right (assumed)
	sum := 0
	for n := 1; n <= 10; n++ {
		sum += int(first10[10-n]-'0') * from[n-1]
	}
	r := sum % 11
	if r <= 1 {
		return '0'
	}
	return byte('0' + 11 - r)
}

func refLGCodeCD(first5 string) byte {
	a, b, c, d, e := int(first5[0]-'0'), int(first5[1]-'0'), int(first5[2]-'0'), int(first5[3]-'0'), int(first5[4]-'0')
	r := (6*a + 5*b + 4*c + 3*d + 2*e) % 11
	switch r {
	case 0:
		return '1'
	case 1:
		return '0'
	}
	return byte('0' + (11-r)%10)
}

func TestCheckDigitExamples(t *testing.T) {
	tests := []struct {
		name string
		body string
		fn   func(string) (byte, error)
		want byte
	}{
		{"my number 12345678901", "12345678901", IndividualNumberCheckDigit, '8'},
		{"my number 98320567321", "98320567321", IndividualNumberCheckDigit, '4'},
		{"my number remainder 0", "12345678905", IndividualNumberCheckDigit, '0'},
		{"防府市", "35206", LGCodeCheckDigit, '3'},
		{"山口市", "35201", LGCodeCheckDigit, '2'},
		{"宇部市", "35202", LGCodeCheckDigit, '1'},
		{"山口県", "35000", LGCodeCheckDigit, '1'},
		{"久留米市", "40203", LGCodeCheckDigit, '6'},
		{"福岡県", "40000", LGCodeCheckDigit, '9'},
		{"千代田区", "13101", LGCodeCheckDigit, '6'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.fn(tt.body)
			if err != nil || got != tt.want {
				t.Errorf("check digit of %s = %q, %v; want %q", tt.body, got, err, tt.want)
			}
		})
	}
}

func TestCheckDigitBadInput(t *testing.T) {
	fns := map[string]struct {
		fn    func(string) (byte, error)
		n     int
		field string
	}{
		"resident":   {ResidentCodeCheckDigit, 10, "resident_code"},
		"individual": {IndividualNumberCheckDigit, 11, "individual_number"},
		"lg":         {LGCodeCheckDigit, 5, "lg_code"},
	}
	for name, f := range fns {
		for _, in := range []string{"", strings.Repeat("1", f.n-1), strings.Repeat("1", f.n+1), strings.Repeat("1", f.n-1) + "a", strings.Repeat("１", f.n)} {
			t.Run(name+"/"+in, func(t *testing.T) {
				_, err := f.fn(in)
				if ErrorKind(err) != KindInvalid || ErrorField(err) != f.field {
					t.Errorf("check digit of %q: err %v (kind %v, field %q); want invalid %q", in, err, ErrorKind(err), ErrorField(err), f.field)
				}
			})
		}
	}
}

// TestReferenceAgreesRandom checks the table-driven check digits against the
// spec-literal ones on many random bodies.
func TestReferenceAgreesRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + rng.IntN(10))
		}
		return string(b)
	}
	for range 2000 {
		b11, b10, b5 := digits(11), digits(10), digits(5)
		if got, _ := IndividualNumberCheckDigit(b11); got != refIndividualNumberCD(b11) {
			t.Fatalf("IndividualNumberCheckDigit(%s) = %q, want %q", b11, got, refIndividualNumberCD(b11))
		}
		if got, _ := ResidentCodeCheckDigit(b10); got != refResidentCodeCD(b10) {
			t.Fatalf("ResidentCodeCheckDigit(%s) = %q, want %q", b10, got, refResidentCodeCD(b10))
		}
		if got, _ := LGCodeCheckDigit(b5); got != refLGCodeCD(b5) {
			t.Fatalf("LGCodeCheckDigit(%s) = %q, want %q", b5, got, refLGCodeCD(b5))
		}
	}
}

type codeKind struct {
	name  string
	valid func(string) bool
	parse func(string) (string, error)
	ref   func(string) byte
	field string
	// ambiguousCD is the check digit two remainders share (mod 11 has 11
	// remainders and only 10 digits), so a one-digit change of the body can
	// keep a code with this check digit valid. A property of the official
	// formulas, not of the implementation.
	ambiguousCD byte
}

var codeKinds = []codeKind{
	{"individual_number", ValidIndividualNumber, func(s string) (string, error) { c, err := ParseIndividualNumber(s); return string(c), err }, refIndividualNumberCD, "individual_number", '0'},
	{"resident_code", ValidResidentCode, func(s string) (string, error) { c, err := ParseResidentCode(s); return string(c), err }, refResidentCodeCD, "resident_code", '0'},
	{"lg_code", ValidLGCode, func(s string) (string, error) { c, err := ParseLGCode(s); return string(c), err }, refLGCodeCD, "lg_code", '1'},
}

func kindByName(name string) codeKind {
	for _, k := range codeKinds {
		if k.name == name {
			return k
		}
	}
	panic(name)
}

var codeExamples = []struct{ kind, code string }{
	{"individual_number", "123456789018"},
	{"individual_number", "983205673214"},
	{"individual_number", "123456789050"},
	{"lg_code", "352063"},
	{"lg_code", "352012"},
	{"lg_code", "352021"},
	{"lg_code", "350001"},
	{"lg_code", "402036"},
	{"lg_code", "400009"},
	{"lg_code", "131016"},
}

// TestOneDigitChange changes every digit of every example to every other
// digit. Each mutation must fail, except where the formula itself cannot tell
// (remainders sharing the ambiguous check digit): those survivors must be
// exactly what the spec-literal formula accepts.
func TestOneDigitChange(t *testing.T) {
	for _, ex := range codeExamples {
		k := kindByName(ex.kind)
		t.Run(ex.kind+"/"+ex.code, func(t *testing.T) {
			if !k.valid(ex.code) {
				t.Fatalf("Valid(%s) = false, want true", ex.code)
			}
			if got, err := k.parse(ex.code); err != nil || got != ex.code {
				t.Fatalf("Parse(%s) = %q, %v; want itself", ex.code, got, err)
			}
			survivors := 0
			for i := 0; i < len(ex.code); i++ {
				for d := byte('0'); d <= '9'; d++ {
					if d == ex.code[i] {
						continue
					}
					m := []byte(ex.code)
					m[i] = d
					mut := string(m)
					got := k.valid(mut)
					body := mut[:len(mut)-1]
					want := k.ref(body) == mut[len(mut)-1] && (ex.kind != "lg_code" || validPrefecture(mut))
					if got != want {
						t.Errorf("Valid(%s) = %v, want %v", mut, got, want)
					}
					if _, err := k.parse(mut); (err == nil) != want {
						t.Errorf("Parse(%s) error %v, want valid=%v", mut, err, want)
					}
					if got {
						survivors++
						if i == len(ex.code)-1 {
							t.Errorf("Valid(%s) = true with only the check digit changed", mut)
						}
					}
				}
			}
			if ex.code[len(ex.code)-1] != k.ambiguousCD && survivors != 0 {
				t.Errorf("%d one-digit changes of %s still valid, want 0", survivors, ex.code)
			}
			if survivors > 0 {
				t.Logf("%s: %d one-digit changes still valid (check digit %c is shared by remainders)", ex.code, survivors, k.ambiguousCD)
			}
		})
	}
}

func TestParseCodes(t *testing.T) {
	tests := []struct {
		kind, in, want string
		rule           string // substring of the error message; "" = success
	}{
		{"individual_number", "123456789018", "123456789018", ""},
		{"individual_number", " 1234 5678 9018\n", "123456789018", ""},
		{"individual_number", "1234-5678-9018", "123456789018", ""},
		{"individual_number", "１２３４５６７８９０１８", "123456789018", ""},
		{"individual_number", "\u3000１２３４　５６７８　９０１８\u3000", "123456789018", ""},
		{"individual_number", "1234－5678－9018", "123456789018", ""},
		{"individual_number", "1234  5678 9018", "", "single spaces or hyphens"},
		{"individual_number", "-123456789018", "", "single spaces or hyphens"},
		{"individual_number", "123456789018-", "", "single spaces or hyphens"},
		{"individual_number", "1234 -5678 9018", "", "single spaces or hyphens"},
		{"individual_number", "12345678901", "", "must be 12 digits, got 11"},
		{"individual_number", "1234567890180", "", "must be 12 digits, got 13"},
		{"individual_number", "12345678901a", "", "non-digit character at position 12"},
		{"individual_number", "123456789019", "", "check digit does not match: want 8"},
		{"individual_number", "", "", "required"},
		{"individual_number", "   ", "", "required"},
		{"individual_number", "12345678901\xff", "", "UTF-8"},
		{"individual_number", strings.Repeat("1", 200), "", "too long"},
		{"individual_number", "¹23456789018", "", "non-digit"},
		{"resident_code", "12345678906", "", ""}, // filled in below from the formula
		{"resident_code", "1234567890", "", "must be 11 digits, got 10"},
		{"lg_code", "352063", "352063", ""},
		{"lg_code", "35-2063", "352063", ""},
		{"lg_code", "３５２０６３", "352063", ""},
		{"lg_code", "352064", "", "check digit does not match: want 3"},
		{"lg_code", "480006", "", "prefecture part"},
		{"lg_code", "000001", "", "prefecture part"},
		{"lg_code", "35206", "", "must be 6 digits, got 5"},
	}
	for _, tt := range tests {
		k := kindByName(tt.kind)
		if tt.kind == "resident_code" && tt.rule == "" {
			// Build a valid code with the spec-literal reference.
			tt.want = tt.in[:10] + string(refResidentCodeCD(tt.in[:10]))
			tt.in = tt.want
		}
		t.Run(tt.kind+"/"+tt.in, func(t *testing.T) {
			got, err := k.parse(tt.in)
			if tt.rule == "" {
				if err != nil || got != tt.want {
					t.Errorf("Parse(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want error containing %q", tt.in, got, tt.rule)
			}
			if ErrorKind(err) != KindInvalid || ErrorField(err) != k.field || !strings.Contains(err.Error(), tt.rule) {
				t.Errorf("Parse(%q) error %q (kind %v, field %q); want invalid, field %q, containing %q", tt.in, err, ErrorKind(err), ErrorField(err), k.field, tt.rule)
			}
			if tt.kind == "individual_number" && len(tt.in) >= 8 && strings.Contains(err.Error(), strings.TrimSpace(tt.in)[:8]) {
				t.Errorf("error %q leaks the number", err)
			}
		})
	}
}

func TestValidIsCanonicalOnly(t *testing.T) {
	for _, in := range []string{" 123456789018", "1234 5678 9018", "１２３４５６７８９０１８", "", "12345678901８"} {
		if ValidIndividualNumber(in) {
			t.Errorf("ValidIndividualNumber(%q) = true, want false (not canonical)", in)
		}
	}
}

func TestNewCodes(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{1})
	seen := map[string]bool{}
	firstDigits := map[byte]int{}
	for range 500 {
		rc, err := NewResidentCode(rng)
		if err != nil || !ValidResidentCode(string(rc)) {
			t.Fatalf("NewResidentCode = %q, %v; want a valid code", rc, err)
		}
		in, err := NewIndividualNumber(rng)
		if err != nil || !ValidIndividualNumber(string(in)) {
			t.Fatalf("NewIndividualNumber = %q, %v; want a valid number", in, err)
		}
		if seen[string(rc)] || seen[string(in)] {
			t.Fatalf("duplicate random code %q / %q", rc, in)
		}
		seen[string(rc)], seen[string(in)] = true, true
		firstDigits[rc[0]]++
	}
	if len(firstDigits) != 10 {
		t.Errorf("first digits of 500 resident codes cover %d values, want 10", len(firstDigits))
	}
	// Deterministic for a seeded source, so tests can reproduce.
	a, _ := NewResidentCode(rand.NewChaCha8([32]byte{7}))
	b, _ := NewResidentCode(rand.NewChaCha8([32]byte{7}))
	if a != b {
		t.Errorf("same seed gave %q and %q", a, b)
	}
	// Bytes ≥ 250 are rejected: a reader of only 255s followed by 0x03s yields "3…".
	src := append(bytes.Repeat([]byte{255}, 40), bytes.Repeat([]byte{3}, 64)...)
	rc, err := NewResidentCode(bytes.NewReader(src))
	if err != nil || rc[:10] != "3333333333" {
		t.Errorf("NewResidentCode(255…, 3…) = %q, %v; want 3333333333+CD", rc, err)
	}
}

func TestNewCodesReaderError(t *testing.T) {
	boom := errors.New("boom")
	if _, err := NewResidentCode(iotest.ErrReader(boom)); ErrorKind(err) != KindInternal || !errors.Is(err, boom) {
		t.Errorf("NewResidentCode(failing reader) err %v; want internal wrapping boom", err)
	}
	if _, err := NewIndividualNumber(iotest.ErrReader(boom)); ErrorKind(err) != KindInternal || !errors.Is(err, boom) {
		t.Errorf("NewIndividualNumber(failing reader) err %v; want internal wrapping boom", err)
	}
	if _, err := NewResidentCode(bytes.NewReader(make([]byte, 5))); err == nil {
		t.Errorf("NewResidentCode(short reader) err nil; want error")
	}
}

func TestMasked(t *testing.T) {
	tests := []struct{ in, want string }{
		{"123456789018", "********9018"},
		{"", ""},
		{"123", "***"},
		{"12345", "*2345"},
	}
	for _, tt := range tests {
		if got := IndividualNumber(tt.in).Masked(); got != tt.want {
			t.Errorf("IndividualNumber(%q).Masked() = %q, want %q", tt.in, got, tt.want)
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "number", IndividualNumber("123456789018"))
	if strings.Contains(buf.String(), "12345678") || !strings.Contains(buf.String(), "********9018") {
		t.Errorf("slog output %q: want the masked number only", buf.String())
	}
}

func TestLGCodePrefecture(t *testing.T) {
	tests := []struct {
		in, want string
		isPref   bool
	}{
		{"352063", "350001", false},
		{"352012", "350001", false},
		{"350001", "350001", true},
		{"402036", "400009", false},
		{"131016", "130001", false},
		{"011002", "010006", false},
		{"352064", "", false}, // bad check digit
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c := LGCode(tt.in)
			if got := c.PrefectureCode(); string(got) != tt.want {
				t.Errorf("LGCode(%q).PrefectureCode() = %q, want %q", tt.in, got, tt.want)
			}
			if tt.want != "" && !ValidLGCode(tt.want) {
				t.Errorf("prefecture code %q is not valid", tt.want)
			}
			if got := c.IsPrefecture(); got != tt.isPref {
				t.Errorf("LGCode(%q).IsPrefecture() = %v, want %v", tt.in, got, tt.isPref)
			}
		})
	}
}

func TestValidNoAlloc(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		ValidIndividualNumber("123456789018")
		ValidResidentCode("12345678906")
		ValidLGCode("352063")
	})
	if allocs != 0 {
		t.Errorf("Valid* allocate %v times per run, want 0", allocs)
	}
}

func BenchmarkValidIndividualNumber(b *testing.B) {
	for b.Loop() {
		ValidIndividualNumber("123456789018")
	}
}

func BenchmarkValidResidentCode(b *testing.B) {
	for b.Loop() {
		ValidResidentCode("12345678906")
	}
}

func BenchmarkValidLGCode(b *testing.B) {
	for b.Loop() {
		ValidLGCode("352063")
	}
}

func BenchmarkParseIndividualNumberSpaced(b *testing.B) {
	for b.Loop() {
		_, _ = ParseIndividualNumber("1234 5678 9018")
	}
}

func fuzzCode(f *testing.F, k codeKind, seeds ...string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := k.parse(s)
		if k.valid(s) && (err != nil || c != s) {
			t.Fatalf("Valid(%q) but Parse = %q, %v", s, c, err)
		}
		if err != nil {
			if ErrorKind(err) != KindInvalid || ErrorField(err) != k.field {
				t.Fatalf("Parse(%q) error %v: kind %v field %q", s, err, ErrorKind(err), ErrorField(err))
			}
			return
		}
		if !k.valid(c) {
			t.Fatalf("Parse(%q) = %q, which Valid rejects", s, c)
		}
		if again, err := k.parse(c); err != nil || again != c {
			t.Fatalf("Parse(Parse(%q)=%q) = %q, %v", s, c, again, err)
		}
		if k.ref(c[:len(c)-1]) != c[len(c)-1] {
			t.Fatalf("Parse(%q) = %q, check digit differs from the reference", s, c)
		}
	})
}

func FuzzParseIndividualNumber(f *testing.F) {
	fuzzCode(f, codeKinds[0], "123456789018", "1234 5678 9018", "１２３４５６７８９０１８", "12345678901a", "")
}

func FuzzParseResidentCode(f *testing.F) {
	fuzzCode(f, codeKinds[1], "12345678906", "1234-5678-906", "", "0000000000")
}

func FuzzParseLGCode(f *testing.F) {
	fuzzCode(f, codeKinds[2], "352063", "35-2063", "350001", "480006", "")
}
