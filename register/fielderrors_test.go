package register_test

import (
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store/storetest"
)

// Every register event names every field in error at once, not only the
// first: an input with two or more bad fields is refused with one error
// listing each (jukinet.FieldErrors), and nothing is written.
func TestEventsReportEveryField(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := setup(t, e)
			head := f.moveIn(t, "山田\u3000花子", "ヤマダ\u3000ハナコ", "山口県防府市松崎町1丁目2番3号")
			future := date(t, "2027-01-01")
			bad := register.PersonInput{Name: name("", "田中"), BirthDate: future}
			sex := jukinet.Sex(9)
			badName := name("", "")
			text := "山口県山口市中央1番1号"
			cases := []struct {
				name   string
				fields []string
				run    func() error
			}{
				{"出生", []string{"name.kanji", "name.kana", "birth_date", "sex", "address_text"}, func() error {
					_, err := f.g.Birth(f.ctx, register.BirthInput{PersonInput: bad, AddressText: text})
					return err
				}},
				{"国外転入", []string{"resident_code", "previous_address.text", "last_registered", "move_in_date", "sex"}, func() error {
					_, err := f.g.MoveInFromAbroad(f.ctx, register.MoveInInput{PersonInput: bad, ResidentCode: "123", MoveInDate: future,
						LastRegistered: jukinet.Address{LGCode: "352012", Text: "山口県山口市"}})
					return err
				}},
				{"転出", []string{"report_date", "planned_date", "destination.lg_code"}, func() error {
					_, err := f.g.MoveOut(f.ctx, register.MoveOutInput{ResidentCode: head.ResidentCode, ReportDate: future,
						Destination: jukinet.Address{LGCode: hofu, Text: "山口県防府市新田1番1号"}})
					return err
				}},
				{"国外転出", []string{"report_date", "planned_date", "destination.text"}, func() error {
					_, err := f.g.MoveOut(f.ctx, register.MoveOutInput{ResidentCode: head.ResidentCode, ReportDate: future, Abroad: true})
					return err
				}},
				{"転居", []string{"address_text", "date"}, func() error {
					_, err := f.g.MoveWithin(f.ctx, register.MoveWithinInput{ResidentCode: head.ResidentCode, AddressText: text})
					return err
				}},
				{"氏名の変更", []string{"name.kanji", "name.kana", "date"}, func() error {
					_, err := f.g.NameChange(f.ctx, head.ResidentCode, badName, future)
					return err
				}},
				{"職権修正", []string{"name.kanji", "birth_date", "sex", "address_text"}, func() error {
					_, err := f.g.ExOfficioCorrect(f.ctx, register.ChangeInput{ResidentCode: head.ResidentCode, Date: date(t, "2026-11-25"),
						Name: &jukinet.Name{Kana: "ヤマダ"}, BirthDate: &future, Sex: &sex, AddressText: &text})
					return err
				}},
				{"職権記載", []string{"reason", "resident_code", "name.kanji", "move_in_date"}, func() error {
					_, err := f.g.ExOfficioAdd(f.ctx, register.ExOfficioAddInput{Reason: jukinet.ReasonDeath,
						MoveInInput: register.MoveInInput{PersonInput: bad, ResidentCode: "1", MoveInDate: future, AddressText: "山口県防府市新田1番1号"}})
					return err
				}},
				{"職権消除", []string{"reason", "date"}, func() error {
					_, err := f.g.ExOfficioRemove(f.ctx, head.ResidentCode, future, jukinet.ReasonMoveWithin)
					return err
				}},
				{"世帯分離", []string{"members", "new_head", "date"}, func() error {
					_, err := f.g.HouseholdSplit(f.ctx, register.HouseholdSplitInput{NewHead: head.ResidentCode, Date: future})
					return err
				}},
				{"世帯合併", []string{"into", "date"}, func() error {
					_, err := f.g.HouseholdMerge(f.ctx, register.HouseholdMergeInput{From: head.HouseholdID, Into: head.HouseholdID})
					return err
				}},
				{"世帯変更", []string{"relationship", "date"}, func() error {
					_, err := f.g.HouseholdChange(f.ctx, register.HouseholdChangeInput{ResidentCode: head.ResidentCode, Into: "x", Relationship: register.RelationshipHead, Date: future})
					return err
				}},
				{"支援措置", []string{"resident_code", "kind", "requester", "start", "end"}, func() error {
					_, err := f.g.SetSupportMeasure(f.ctx, register.SupportMeasureInput{ResidentCode: "1"})
					return err
				}},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					before := f.totals(t)
					err := c.run()
					if err == nil {
						t.Fatalf("got nil error, want every one of %v", c.fields)
					}
					if k := jukinet.ErrorKind(err); k != jukinet.KindInvalid {
						t.Errorf("kind %s (%v), want invalid", k, err)
					}
					named := map[string]bool{}
					for _, fe := range jukinet.AllFieldErrors(err) {
						named[fe.Field] = true
						if strings.TrimSpace(jukinet.UserMessage(fe)) == "" {
							t.Errorf("field %s has no rule text", fe.Field)
						}
					}
					for _, want := range c.fields {
						if !named[want] {
							t.Errorf("field %q not named; the error names %v (%v)", want, keys(named), err)
						}
					}
					if after := f.totals(t); after != before {
						t.Errorf("something was written: before %v after %v", before, after)
					}
				})
			}
		})
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// FuzzSupportMeasureValidate: the validator never panics, and every error it
// gives names a field of the input with a rule.
func FuzzSupportMeasureValidate(f *testing.F) {
	f.Add("", "", "", "", "")
	f.Add("23456789013", "dv", "本人", "2026-01-01", "2026-06-30")
	f.Add("1", "x", " ", "2026-13-01", "2025-01-01")
	fields := map[string]bool{"resident_code": true, "kind": true, "requester": true, "start": true, "end": true}
	f.Fuzz(func(t *testing.T, code, kind, requester, start, end string) {
		in := register.SupportMeasureInput{ResidentCode: jukinet.ResidentCode(code), Kind: register.SupportKind(kind), Requester: requester}
		in.Start, _ = jukinet.ParseDate("start", start)
		in.End, _ = jukinet.ParseDate("end", end)
		err := in.Validate("fuzz")
		for _, fe := range jukinet.AllFieldErrors(err) {
			if !fields[fe.Field] || jukinet.ErrorKind(fe) != jukinet.KindInvalid {
				t.Fatalf("error %v names field %q of kind %s", fe, fe.Field, jukinet.ErrorKind(fe))
			}
		}
		if err != nil && len(jukinet.AllFieldErrors(err)) == 0 {
			t.Fatalf("error %v names no field", err)
		}
	})
}
