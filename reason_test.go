package jukinet

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

func TestChangeReasonsTable(t *testing.T) {
	all := ChangeReasons()
	// docs/domain.md §2 lists 7 記載, 7 消除 and 19 修正 items; 帰化/国籍喪失 are
	// separate reasons under 職権記載/職権消除 (+2 each), and 氏名の変更 is added.
	counts := map[ChangeClass]int{}
	slugs, japanese := map[string]bool{}, map[string]bool{}
	for i, r := range all {
		if i > 0 && all[i-1] >= r {
			t.Errorf("ChangeReasons not in code order at %d: %d then %d", i, all[i-1], r)
		}
		if !r.Valid() {
			t.Errorf("reason %d not valid", r)
		}
		c := r.Class()
		counts[c]++
		if int(c) != int(r)/100 {
			t.Errorf("%d.Class() = %v, want %d", r, c, int(r)/100)
		}
		s, ja := r.String(), r.Japanese()
		if s == "" || ja == "" || slugs[s] || japanese[ja] {
			t.Errorf("reason %d: slug %q, Japanese %q empty or duplicate", r, s, ja)
		}
		slugs[s], japanese[ja] = true, true
		for _, in := range []string{s, strconv.Itoa(int(r)), " " + s + "\n"} {
			if back, err := ParseChangeReason(in); err != nil || back != r {
				t.Errorf("ParseChangeReason(%q) = %v, %v; want %d", in, back, err, r)
			}
		}
		b, err := r.MarshalText()
		var back ChangeReason
		if err != nil || back.UnmarshalText(b) != nil || back != r {
			t.Errorf("text round trip of %d: %q, %v → %d", r, b, err, back)
		}
	}
	want := map[ChangeClass]int{ClassAdd: 9, ClassRemove: 9, ClassChange: 20}
	for c, n := range want {
		if counts[c] != n {
			t.Errorf("%d reasons of class %v, want %d", counts[c], c, n)
		}
	}
}

// TestReasonCodesStable pins the wire codes: they cross the network and must never change.
func TestReasonCodesStable(t *testing.T) {
	tests := []struct {
		r        ChangeReason
		code     int
		slug, ja string
		class    ChangeClass
	}{
		{ReasonMoveInDomestic, 101, "move_in_domestic", "国内転入", ClassAdd},
		{ReasonMoveInFromAbroad, 102, "move_in_from_abroad", "国外転入", ClassAdd},
		{ReasonBirth, 103, "birth", "出生", ClassAdd},
		{ReasonCancellationAdd, 109, "cancellation_add", "異動の取消し(増)", ClassAdd},
		{ReasonMoveOutDomestic, 201, "move_out_domestic", "国内転出", ClassRemove},
		{ReasonDeath, 203, "death", "死亡", ClassRemove},
		{ReasonCancellationRemove, 209, "cancellation_remove", "異動の取消し(減)", ClassRemove},
		{ReasonMoveWithin, 301, "move_within", "転居", ClassChange},
		{ReasonResidentCodeChangeRequest, 308, "resident_code_change_request", "住民票コードの変更請求", ClassChange},
		{ReasonHouseholderChange, 313, "householder_change", "世帯主変更", ClassChange},
		{ReasonNameChange, 319, "name_change", "氏名の変更", ClassChange},
		{ReasonCancellationChange, 320, "cancellation_change", "異動の取消し(修正)", ClassChange},
	}
	for _, tt := range tests {
		if int(tt.r) != tt.code || tt.r.String() != tt.slug || tt.r.Japanese() != tt.ja || tt.r.Class() != tt.class {
			t.Errorf("reason %d = (%q, %q, %v), want %d (%q, %q, %v)", tt.r, tt.r.String(), tt.r.Japanese(), tt.r.Class(), tt.code, tt.slug, tt.ja, tt.class)
		}
	}
}

func TestChangeReasonInvalid(t *testing.T) {
	for _, r := range []ChangeReason{0, 1, 100, 110, 199, 200, 210, 300, 321, 400, 999, 65535} {
		if r.Valid() || r.Class() != 0 || r.Japanese() != "" || !strings.HasPrefix(r.String(), "reason(") {
			t.Errorf("reason %d: Valid %v, Class %v, Japanese %q, String %q; want invalid", r, r.Valid(), r.Class(), r.Japanese(), r.String())
		}
		if _, err := r.MarshalText(); (err == nil) != (r == 0) {
			t.Errorf("reason %d MarshalText err %v", r, err)
		}
	}
	tests := []struct{ in, rule string }{
		{"", "required"},
		{"   ", "required"},
		{"110", "unknown reason code 110"},
		{"000", "unknown reason code"},
		{"Move_In_Domestic", "unknown reason"},
		{"国内転入", "unknown reason"},
		{"1010", "unknown reason"},
		{"+101", "unknown reason"},
		{strings.Repeat("x", 500), "…"},
	}
	for _, tt := range tests {
		r, err := ParseChangeReason(tt.in)
		if ErrorKind(err) != KindInvalid || ErrorField(err) != "reason" || !strings.Contains(err.Error(), tt.rule) {
			t.Errorf("ParseChangeReason(%q) = %v, %v; want invalid reason containing %q", tt.in, r, err, tt.rule)
		}
	}
}

func TestChangeClassStrings(t *testing.T) {
	tests := []struct {
		c     ChangeClass
		s, ja string
	}{
		{ClassAdd, "add", "記載"},
		{ClassRemove, "remove", "消除"},
		{ClassChange, "change", "修正"},
		{0, "class(0)", ""},
		{4, "class(4)", ""},
	}
	for _, tt := range tests {
		if tt.c.String() != tt.s || tt.c.Japanese() != tt.ja {
			t.Errorf("class %d = %q %q, want %q %q", tt.c, tt.c.String(), tt.c.Japanese(), tt.s, tt.ja)
		}
	}
}

func TestChangeReasonJSON(t *testing.T) {
	type wrap struct {
		R ChangeReason `json:"r"`
	}
	b, err := json.Marshal(wrap{ReasonBirth})
	if err != nil || string(b) != `{"r":"birth"}` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
	var w wrap
	if err := json.Unmarshal([]byte(`{"r":"301"}`), &w); err != nil || w.R != ReasonMoveWithin {
		t.Errorf("Unmarshal 301 = %v, %v", w.R, err)
	}
	if err := json.Unmarshal([]byte(`{"r":301}`), &w); err == nil {
		t.Errorf("Unmarshal number 301: want error (the JSON form is a string)")
	}
	if err := json.Unmarshal([]byte(`{"r":"nope"}`), &w); ErrorField(err) != "reason" {
		t.Errorf("Unmarshal nope err %v; want field reason", err)
	}
}

func FuzzParseChangeReason(f *testing.F) {
	for _, s := range []string{"move_in_domestic", "101", "320", "999", "", "birth "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseChangeReason(s)
		if err != nil {
			if ErrorKind(err) != KindInvalid || ErrorField(err) != "reason" {
				t.Fatalf("ParseChangeReason(%q) err %v", s, err)
			}
			return
		}
		if !r.Valid() || r.Class() == 0 {
			t.Fatalf("ParseChangeReason(%q) = %d, not valid", s, r)
		}
		if back, err := ParseChangeReason(r.String()); err != nil || back != r {
			t.Fatalf("ParseChangeReason(%q) = %v, %v; want %d", r.String(), back, err, r)
		}
	})
}
