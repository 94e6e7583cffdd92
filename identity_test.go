package jukinet

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testResidentCode builds a valid resident code from a 10-digit body with the
// spec-literal reference formula.
func testResidentCode(body string) ResidentCode {
	return ResidentCode(body + string(refResidentCodeCD(body)))
}

func validIdentity() IdentityInfo {
	return IdentityInfo{
		Municipality:     "352063",
		ResidentCode:     testResidentCode("1234567890"),
		IndividualNumber: "123456789018",
		Name:             Name{Kanji: "防府 花子", Kana: "ホウフ ハナコ"},
		BirthDate:        Date{1990, 4, 1},
		Sex:              SexFemale,
		Address:          Address{LGCode: "352063", Text: "山口県防府市寿町7番1号"},
		Change:           ChangeInfo{Reason: ReasonMoveInDomestic, Date: Date{2024, 4, 1}},
		Version:          1,
	}
}

func TestIdentityInfoValidate(t *testing.T) {
	other := testResidentCode("9876543210")
	tests := []struct {
		name  string
		edit  func(*IdentityInfo)
		field string // "" = valid
		rule  string
	}{
		{"valid", func(i *IdentityInfo) {}, "", ""},
		{"no individual number", func(i *IdentityInfo) { i.IndividualNumber = "" }, "", ""},
		{"birth on change date", func(i *IdentityInfo) {
			i.BirthDate = Date{2024, 4, 1}
			i.Change = ChangeInfo{ReasonBirth, i.BirthDate, ""}
		}, "", ""},
		{"resident code change", func(i *IdentityInfo) {
			i.Change = ChangeInfo{ReasonResidentCodeChangeRequest, Date{2024, 5, 1}, other}
		}, "", ""},
		{"resident code ex officio without previous", func(i *IdentityInfo) {
			i.Change = ChangeInfo{ReasonResidentCodeExOfficioAdd, Date{2024, 5, 1}, ""}
		}, "", ""},
		{"municipality missing", func(i *IdentityInfo) { i.Municipality = "" }, "municipality", "required"},
		{"municipality check digit", func(i *IdentityInfo) { i.Municipality = "352064" }, "municipality", "check digit"},
		{"municipality is prefecture", func(i *IdentityInfo) { i.Municipality = "350001" }, "municipality", "not a prefecture"},
		{"resident code missing", func(i *IdentityInfo) { i.ResidentCode = "" }, "resident_code", "required"},
		{"resident code short", func(i *IdentityInfo) { i.ResidentCode = "1234567890" }, "resident_code", "11 digits"},
		{"resident code spaced", func(i *IdentityInfo) { i.ResidentCode = " " + i.ResidentCode }, "resident_code", "without separators"},
		{"individual number check digit", func(i *IdentityInfo) { i.IndividualNumber = "123456789019" }, "individual_number", "check digit"},
		{"individual number spaced", func(i *IdentityInfo) { i.IndividualNumber = "1234 5678 9018" }, "individual_number", "without separators"},
		{"name kanji", func(i *IdentityInfo) { i.Name.Kanji = "" }, "name.kanji", "required"},
		{"name kana", func(i *IdentityInfo) { i.Name.Kana = "hanako" }, "name.kana", "only kana"},
		{"birth date missing", func(i *IdentityInfo) { i.BirthDate = Date{} }, "birth_date", "required"},
		{"birth date impossible", func(i *IdentityInfo) { i.BirthDate = Date{1990, 2, 30} }, "birth_date", "day 30"},
		{"birth after change", func(i *IdentityInfo) { i.BirthDate = Date{2024, 4, 2} }, "birth_date", "after the change date"},
		{"sex missing", func(i *IdentityInfo) { i.Sex = 0 }, "sex", "required"},
		{"sex unknown", func(i *IdentityInfo) { i.Sex = 3 }, "sex", "male or female"},
		{"address lg code", func(i *IdentityInfo) { i.Address.LGCode = "35206" }, "address.lg_code", "6 digits"},
		{"address text", func(i *IdentityInfo) { i.Address.Text = "" }, "address.text", "required"},
		{"reason missing", func(i *IdentityInfo) { i.Change.Reason = 0 }, "change.reason", "required"},
		{"reason unknown", func(i *IdentityInfo) { i.Change.Reason = 199 }, "change.reason", "unknown reason code 199"},
		{"change date missing", func(i *IdentityInfo) { i.Change.Date = Date{} }, "change.date", "required"},
		{"change date impossible", func(i *IdentityInfo) { i.Change.Date = Date{2024, 13, 1} }, "change.date", "month"},
		{"previous code missing", func(i *IdentityInfo) {
			i.Change = ChangeInfo{ReasonResidentCodeChangeRequest, Date{2024, 5, 1}, ""}
		}, "change.previous_resident_code", "required"},
		{"previous code on a move", func(i *IdentityInfo) { i.Change.PreviousResidentCode = other }, "change.previous_resident_code", "only for a resident-code change"},
		{"previous code invalid", func(i *IdentityInfo) {
			i.Change = ChangeInfo{ReasonResidentCodeChangeRequest, Date{2024, 5, 1}, "12345"}
		}, "change.previous_resident_code", "11 digits"},
		{"previous code same", func(i *IdentityInfo) {
			i.Change = ChangeInfo{ReasonResidentCodeChangeRequest, Date{2024, 5, 1}, i.ResidentCode}
		}, "change.previous_resident_code", "must differ"},
		{"version zero", func(i *IdentityInfo) { i.Version = 0 }, "version", "1 or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := validIdentity()
			tt.edit(&i)
			err := i.Validate()
			if tt.field == "" {
				if err != nil {
					t.Errorf("Validate(%+v) = %v, want nil", i, err)
				}
				return
			}
			if ErrorKind(err) != KindInvalid || ErrorField(err) != tt.field || !strings.Contains(err.Error(), tt.rule) {
				t.Errorf("Validate = %v (field %q); want invalid %s containing %q", err, ErrorField(err), tt.field, tt.rule)
			}
			if strings.Contains(err.Error(), "12345678") {
				t.Errorf("error %q leaks an individual number", err)
			}
		})
	}
}

func TestIdentityInfoJSON(t *testing.T) {
	i := validIdentity()
	i.Name.FormerSurname, i.Name.FormerSurnameKana = "\uFA19田", "カミタ"
	b, err := json.Marshal(i)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"municipality":"352063"`, `"birth_date":"1990-04-01"`, `"sex":"female"`, `"reason":"move_in_domestic"`, `"date":"2024-04-01"`, `"version":1`, `"lg_code":"352063"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
	if strings.Contains(string(b), "previous_resident_code") {
		t.Errorf("JSON %s has an empty previous_resident_code", b)
	}
	var back IdentityInfo
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(i, back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
	if err := back.Validate(); err != nil {
		t.Errorf("Validate after round trip: %v", err)
	}
}

func TestOrderingKey(t *testing.T) {
	i := validIdentity()
	if got, want := i.OrderingKey(), "352063/"+string(i.ResidentCode); got != want {
		t.Errorf("OrderingKey() = %q, want %q", got, want)
	}
	j := validIdentity()
	j.ResidentCode, _ = NewResidentCode(rand.NewChaCha8([32]byte{3}))
	if i.OrderingKey() == j.OrderingKey() {
		t.Errorf("different people share ordering key %q", i.OrderingKey())
	}
}

func BenchmarkIdentityInfoValidate(b *testing.B) {
	i := validIdentity()
	for b.Loop() {
		if err := i.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzIdentityInfoJSON(f *testing.F) {
	good, _ := json.Marshal(validIdentity())
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"municipality":"350001","sex":"3","change":{"reason":"999"}}`))
	f.Add([]byte(`{"birth_date":"2024-02-30","version":0}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var i IdentityInfo
		if err := json.Unmarshal(data, &i); err != nil {
			return
		}
		err := i.Validate()
		if err != nil {
			if ErrorKind(err) != KindInvalid || ErrorField(err) == "" {
				t.Fatalf("Validate err %v: want invalid with a field", err)
			}
			return
		}
		b, err := json.Marshal(i)
		if err != nil {
			t.Fatalf("Marshal of a valid IdentityInfo: %v", err)
		}
		var back IdentityInfo
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("Unmarshal of %s: %v", b, err)
		}
		if diff := cmp.Diff(i, back); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
		if err := back.Validate(); err != nil {
			t.Fatalf("Validate after round trip: %v", err)
		}
	})
}
