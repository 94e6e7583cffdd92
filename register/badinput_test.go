package register_test

import (
	"context"
	"github.com/jukinet/jukinet/store"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store/storetest"
)

func (f *fixture) totals(t *testing.T) [4]int {
	t.Helper()
	var c [4]int
	err := f.db.Bookkeeping(store.Inspect).QueryRow(`SELECT (SELECT COUNT(*) FROM residents), (SELECT COUNT(*) FROM outbox), (SELECT COUNT(*) FROM households),
 (SELECT COUNT(*) FROM identity_history)`).Scan(&c[0], &c[1], &c[2], &c[3])
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Bad input and broken preconditions are refused with an error naming the
// field, and nothing is written.
func TestRefusals(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := setup(t, e)
			head := f.moveIn(t, "山田\u3000花子", "ヤマダ\u3000ハナコ", "山口県防府市松崎町1丁目2番3号")
			child, err := f.g.Birth(f.ctx, register.BirthInput{PersonInput: register.PersonInput{Name: name("山田\u3000蓮", "ヤマダ\u3000レン"),
				BirthDate: date(t, "2020-05-05"), Sex: jukinet.SexMale}, Household: register.HouseholdChoice{ID: head.HouseholdID, Relationship: "子"}})
			if err != nil {
				t.Fatal(err)
			}
			gone := f.moveIn(t, "鈴木\u3000一郎", "スズキ\u3000イチロウ", "山口県防府市天神2丁目1番1号")
			if _, err := f.g.Death(f.ctx, register.DeathInput{ResidentCode: gone.ResidentCode, Date: date(t, "2026-11-25")}); err != nil {
				t.Fatal(err)
			}
			valid := register.PersonInput{Name: name("田中\u3000誠", "タナカ\u3000マコト"), BirthDate: date(t, "1990-01-01"), Sex: jukinet.SexMale}
			cases := []struct {
				name  string
				kind  jukinet.Kind
				field string
				run   func() error
			}{
				{"birth date in the future", jukinet.KindInvalid, "birth_date", func() error {
					p := valid
					p.BirthDate = date(t, "2027-01-01")
					_, err := f.g.Birth(f.ctx, register.BirthInput{PersonInput: p, AddressText: "山口県防府市新田1番1号"})
					return err
				}},
				{"kana with kanji", jukinet.KindInvalid, "name.kana", func() error {
					p := valid
					p.Name.Kana = "田中"
					_, err := f.g.Birth(f.ctx, register.BirthInput{PersonInput: p, AddressText: "山口県防府市新田1番1号"})
					return err
				}},
				{"no name", jukinet.KindInvalid, "name.kanji", func() error {
					p := valid
					p.Name.Kanji = ""
					_, err := f.g.Birth(f.ctx, register.BirthInput{PersonInput: p, AddressText: "山口県防府市新田1番1号"})
					return err
				}},
				{"sex missing", jukinet.KindInvalid, "sex", func() error {
					p := valid
					p.Sex = 0
					_, err := f.g.Birth(f.ctx, register.BirthInput{PersonInput: p, AddressText: "山口県防府市新田1番1号"})
					return err
				}},
				{"unknown household", jukinet.KindNotFound, "household.id", func() error {
					_, err := f.g.Birth(f.ctx, register.BirthInput{PersonInput: valid, Household: register.HouseholdChoice{ID: "nope", Relationship: "子"}})
					return err
				}},
				{"duplicate resident code", jukinet.KindConflict, "resident_code", func() error {
					_, err := f.g.MoveInDomestic(f.ctx, register.MoveInInput{PersonInput: valid, ResidentCode: head.ResidentCode, MoveInDate: date(t, "2026-11-20"),
						PreviousAddress: jukinet.Address{LGCode: "352012", Text: "山口県山口市中央1番1号"}, AddressText: "山口県防府市新田1番1号"})
					return err
				}},
				{"bad resident code check digit", jukinet.KindInvalid, "resident_code", func() error {
					bad := []byte(head.ResidentCode)
					bad[10] = '0' + (bad[10]-'0'+1)%10
					_, err := f.g.MoveInDomestic(f.ctx, register.MoveInInput{PersonInput: valid, ResidentCode: jukinet.ResidentCode(bad), MoveInDate: date(t, "2026-11-20"),
						PreviousAddress: jukinet.Address{LGCode: "352012", Text: "山口県山口市中央1番1号"}, AddressText: "山口県防府市新田1番1号"})
					return err
				}},
				{"move-in to an address in another municipality", jukinet.KindInvalid, "address_text", func() error {
					_, err := f.g.MoveInDomestic(f.ctx, register.MoveInInput{PersonInput: valid, ResidentCode: "23456789013", MoveInDate: date(t, "2026-11-20"),
						PreviousAddress: jukinet.Address{LGCode: "402036", Text: "福岡県久留米市城南町1番1号"}, AddressText: "山口県山口市中央1番1号"})
					return err
				}},
				{"転居 to an address in another municipality", jukinet.KindInvalid, "address_text", func() error {
					_, err := f.g.MoveWithin(f.ctx, register.MoveWithinInput{ResidentCode: head.ResidentCode, AddressText: "山口県山口市中央1番1号", Date: date(t, "2026-11-20")})
					return err
				}},
				{"move-in from own municipality", jukinet.KindInvalid, "previous_address.lg_code", func() error {
					_, err := f.g.MoveInDomestic(f.ctx, register.MoveInInput{PersonInput: valid, ResidentCode: "23456789013", MoveInDate: date(t, "2026-11-20"),
						PreviousAddress: jukinet.Address{LGCode: hofu, Text: "山口県防府市中関1番1号"}, AddressText: "山口県防府市新田1番1号"})
					return err
				}},
				{"move-out of a removed resident", jukinet.KindConflict, "resident_code", func() error {
					_, err := f.g.MoveOut(f.ctx, register.MoveOutInput{ResidentCode: gone.ResidentCode, PlannedDate: date(t, "2026-12-01"),
						Destination: jukinet.Address{LGCode: "402036", Text: "福岡県久留米市城南町1番1号"}})
					return err
				}},
				{"death of a removed resident", jukinet.KindConflict, "resident_code", func() error {
					_, err := f.g.Death(f.ctx, register.DeathInput{ResidentCode: gone.ResidentCode, Date: date(t, "2026-11-26")})
					return err
				}},
				{"death of an unknown person", jukinet.KindNotFound, "resident_code", func() error {
					_, err := f.g.Death(f.ctx, register.DeathInput{ResidentCode: "23456789013", Date: date(t, "2026-11-26")})
					return err
				}},
				{"death date in the future", jukinet.KindInvalid, "date", func() error {
					_, err := f.g.Death(f.ctx, register.DeathInput{ResidentCode: child.ResidentCode, Date: date(t, "2026-12-26")})
					return err
				}},
				{"householder moving out before others", jukinet.KindConflict, "resident_code", func() error {
					_, err := f.g.MoveOut(f.ctx, register.MoveOutInput{ResidentCode: head.ResidentCode, PlannedDate: date(t, "2026-12-01"),
						Destination: jukinet.Address{LGCode: "402036", Text: "福岡県久留米市城南町1番1号"}})
					return err
				}},
				{"move-out destination with a bad LG code", jukinet.KindInvalid, "destination.lg_code", func() error {
					_, err := f.g.MoveOut(f.ctx, register.MoveOutInput{ResidentCode: child.ResidentCode, PlannedDate: date(t, "2026-12-01"),
						Destination: jukinet.Address{LGCode: "402037", Text: "福岡県久留米市城南町1番1号"}})
					return err
				}},
				{"転居 to the same address", jukinet.KindInvalid, "address_text", func() error {
					_, err := f.g.MoveWithin(f.ctx, register.MoveWithinInput{ResidentCode: head.ResidentCode, AddressText: head.Address.Text, Date: date(t, "2026-11-25")})
					return err
				}},
				{"転居 dated before the current address", jukinet.KindInvalid, "date", func() error {
					_, err := f.g.MoveWithin(f.ctx, register.MoveWithinInput{ResidentCode: head.ResidentCode, AddressText: "山口県防府市新田1番1号", Date: date(t, "2026-11-01")})
					return err
				}},
				{"correction with nothing to correct", jukinet.KindInvalid, "", func() error {
					_, err := f.g.ExOfficioCorrect(f.ctx, register.ChangeInput{ResidentCode: head.ResidentCode, Date: date(t, "2026-11-25")})
					return err
				}},
				{"ex-officio removal with a non-removal reason", jukinet.KindInvalid, "reason", func() error {
					_, err := f.g.ExOfficioRemove(f.ctx, head.ResidentCode, date(t, "2026-11-25"), jukinet.ReasonMoveWithin)
					return err
				}},
				{"householder change to a non-member", jukinet.KindInvalid, "new_head", func() error {
					_, err := f.g.HouseholderChange(f.ctx, register.HouseholderChangeInput{HouseholdID: head.HouseholdID, NewHead: gone.ResidentCode, Date: date(t, "2026-11-25")})
					return err
				}},
				{"designating a bad individual number", jukinet.KindInvalid, "individual_number", func() error {
					_, err := f.g.DesignateIndividualNumber(jukinet.WithActor(context.Background(), numberer), child.ResidentCode, "123456789019", jukinet.ReasonIndividualNumberExOfficioAdd, date(t, "2026-11-25"))
					return err
				}},
				{"a lookup operator recording a death", jukinet.KindForbidden, "", func() error {
					_, err := f.g.Death(jukinet.WithActor(context.Background(), looker), register.DeathInput{ResidentCode: child.ResidentCode, Date: date(t, "2026-11-26")})
					return err
				}},
				{"reading without a purpose", jukinet.KindInvalid, "purpose", func() error {
					_, err := f.g.Get(jukinet.WithActor(context.Background(), looker), head.ResidentCode, " ")
					return err
				}},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					before := f.totals(t)
					err := c.run()
					if err == nil {
						t.Fatalf("got nil error, want %s on %q", c.kind, c.field)
					}
					if k := jukinet.ErrorKind(err); k != c.kind {
						t.Errorf("kind: got %s (%v), want %s", k, err, c.kind)
					}
					if got := jukinet.ErrorField(err); got != c.field {
						t.Errorf("field: got %q (%v), want %q", got, err, c.field)
					}
					if after := f.totals(t); after != before {
						t.Errorf("something was written: before %v after %v", before, after)
					}
				})
			}
		})
	}
}
