package node

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/register"
)

// The 個人番号 transform is a permutation: on a slice of the domain (all
// inputs with the same high part) no two inputs give the same output, every
// output is inside the domain, and another key gives other numbers.
func TestNumberPermutationIsCollisionFree(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	other := []byte("fedcba9876543210fedcba9876543210")
	seen := make(map[uint64]uint64, 20000)
	same := 0
	for x := uint64(99_999_980_000); x < numberDomain; x++ {
		y := permuteNumber(key, x)
		if y >= numberDomain {
			t.Fatalf("permute(%d) = %d, outside the domain", x, y)
		}
		if prev, dup := seen[y]; dup {
			t.Fatalf("permute(%d) = permute(%d) = %d", x, prev, y)
		}
		seen[y] = x
		if permuteNumber(other, x) == y {
			same++
		}
	}
	if same > 5 {
		t.Errorf("%d of 20000 inputs map alike under two keys; want about 0", same)
	}
}

// Distinct resident codes and generations give distinct, valid numbers.
func TestIndividualNumberFor(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	seen := map[jukinet.IndividualNumber]string{}
	for _, first10 := range []string{"0000000000", "0000000001", "1234567890", "9999999999"} {
		code := codeOf(t, first10)
		for gen := range maxGenerations {
			num, err := individualNumberFor(key, code, gen)
			if err != nil || !jukinet.ValidIndividualNumber(string(num)) {
				t.Fatalf("%s gen %d: %q, %v", code, gen, num, err)
			}
			if prev, dup := seen[num]; dup {
				t.Fatalf("%s gen %d gives the number of %s", code, gen, prev)
			}
			seen[num] = string(code)
		}
	}
}

func TestParseAgencies(t *testing.T) {
	cases := []struct {
		name, toml string
		wantLine   string // "" = valid
	}{
		{"valid", testAgencies, ""},
		{"unknown key", "[[agency]]\nid = \"a\"\nname = \"A\"\ntasks = [\"t\"]\ncolour = \"red\"\n", "line 5"},
		{"missing tasks", "[[agency]]\nid = \"a\"\nname = \"A\"\n", "line 1"},
		{"repeated id", "[[agency]]\nid = \"a\"\nname = \"A\"\ntasks = [\"t\"]\n[[agency]]\nid = \"a\"\nname = \"B\"\ntasks = [\"t\"]\n", "line 5"},
		{"bad id", "[[agency]]\nid = \"A B\"\nname = \"A\"\ntasks = [\"t\"]\n", "line 1"},
		{"repeated task", "[[agency]]\nid = \"a\"\nname = \"A\"\ntasks = [\"t\", \"t\"]\n", "line 1"},
		{"no name", "[[agency]]\nid = \"a\"\ntasks = [\"t\"]\n", "line 1"},
		{"syntax", "[[agency]\n", "line 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := ParseAgencies([]byte(c.toml))
			if c.wantLine == "" {
				if err != nil || !a.Allows("pension", "年金給付の支給") || a.Allows("passport", "年金給付の支給") || a.Allows("x", "旅券の発給") {
					t.Fatalf("valid list: %v", err)
				}
				return
			}
			if jukinet.ErrorKind(err) != jukinet.KindInvalid || !strings.Contains(err.Error(), c.wantLine) {
				t.Errorf("input %q: got %v, want invalid naming %s", c.toml, err, c.wantLine)
			}
		})
	}
}

func FuzzParseAgencies(f *testing.F) {
	f.Add([]byte(testAgencies))
	f.Add([]byte("[[agency]]\nid = \"a\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseAgencies(b)
		if err == nil {
			for _, ag := range a.list {
				if !isAgencyID(ag.ID) || len(ag.Tasks) == 0 || !a.Allows(ag.ID, ag.Tasks[0]) {
					t.Fatalf("accepted a bad agency %+v", ag)
				}
			}
		} else if jukinet.ErrorKind(err) != jukinet.KindInvalid {
			t.Fatalf("error of kind %v: %v", jukinet.ErrorKind(err), err)
		}
	})
}

// FuzzBodies decodes arbitrary JSON into every body type and validates it:
// never a panic, and only KindInvalid errors.
func FuzzBodies(f *testing.F) {
	f.Add([]byte(`{"resident_code":"12345678906","new_address":{"lg_code":"352012","text":"x"},"move_in_date":"2026-11-01","notice_date":"2026-11-02"}`))
	f.Add([]byte(`{"codes":["12345678906"],"municipality":"352063"}`))
	f.Add([]byte(`{"request_id":"0b8e0f3a-8a5e-4a4e-9d3e-1c2b3a4d5e6f","status":"found","record":{}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		check := func(err error) {
			if err != nil && jukinet.ErrorKind(err) != jukinet.KindInvalid {
				t.Fatalf("kind %v: %v", jukinet.ErrorKind(err), err)
			}
		}
		var a MoveInNotice
		if json.Unmarshal(b, &a) == nil {
			check(a.Validate())
		}
		var c MoveOutConfirm
		if json.Unmarshal(b, &c) == nil {
			check(c.Validate())
		}
		var d MoveOutCertificate
		if json.Unmarshal(b, &d) == nil {
			check(d.Validate())
		}
		var e CopyRequest
		if json.Unmarshal(b, &e) == nil {
			check(e.Validate())
		}
		var g CopyResponse
		if json.Unmarshal(b, &g) == nil {
			check(g.Validate(CopyItems{}))
		}
		var h AnnexNotice
		if json.Unmarshal(b, &h) == nil {
			check(h.Validate())
		}
		var i MyNumberResponse
		if json.Unmarshal(b, &i) == nil {
			check(i.Validate())
		}
		var j register.MyNumberRequest
		if json.Unmarshal(b, &j) == nil {
			check(ValidateMyNumberRequest(j))
		}
		var k LinkCodeRequest
		if json.Unmarshal(b, &k) == nil {
			check(k.Validate())
		}
		var l LinkCodeResponse
		if json.Unmarshal(b, &l) == nil {
			check(l.Validate())
		}
		var m CardStatus
		if json.Unmarshal(b, &m) == nil {
			check(m.Validate())
		}
		var n CodePoolRequest
		if json.Unmarshal(b, &n) == nil {
			check(n.Validate())
		}
		var o CodePoolGrant
		if json.Unmarshal(b, &o) == nil {
			check(o.Validate())
		}
	})
}

// The copy response refuses items the request did not ask for.
func TestCopyResponseRefusesItemsNotAskedFor(t *testing.T) {
	rec := CopyRecord{Name: jukinet.Name{Kanji: "山田\u3000花子", Kana: "ヤマダ\u3000ハナコ"}, Address: jukinet.Address{LGCode: hofu, Text: "山口県防府市松崎町1番"}}
	for _, c := range []struct {
		name  string
		mod   func(*CopyRecord)
		asked CopyItems
		field string
	}{
		{"number not asked", func(r *CopyRecord) { r.IndividualNumber = "123456789018" }, CopyItems{}, "record.individual_number"},
		{"code not asked", func(r *CopyRecord) { r.ResidentCode = "12345678906" }, CopyItems{Household: true}, "record.resident_code"},
		{"householder not asked", func(r *CopyRecord) { r.HouseholderName = "山田\u3000太郎" }, CopyItems{ResidentCode: true}, "record.householder_name"},
		{"number asked", func(r *CopyRecord) { r.IndividualNumber = "123456789018" }, CopyItems{IndividualNumber: true}, ""},
	} {
		r := rec
		c.mod(&r)
		err := CopyResponse{RequestID: "0b8e0f3a-8a5e-4a4e-9d3e-1c2b3a4d5e6f", Status: CopyFound, Record: &r}.Validate(c.asked)
		if jukinet.ErrorField(err) != c.field {
			t.Errorf("%s: %v, want field %q", c.name, err, c.field)
		}
	}
}
