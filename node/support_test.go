package node

import (
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// 支援措置 (住民票の写し等の交付制限): while a measure holds, a 広域交付 of the
// person's 住民票 is refused at the residence CS and the refusal is logged
// with the person as its subject; the issuing counter sees only "not found";
// screens flag the person; the measure travels with a 転出 to the new
// municipality (on its 転入通知) and holds there; lifted, copies are issued
// again; an operator without the recording authority cannot set one.
func TestSupportMeasureRestrictsDisclosure(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			home, next, counter := n.muni[hofu], n.muni[yamaguchi], n.muni[kurume]
			r := birth(t, home, "守田\u3000静", "モリタ\u3000シズカ", "1988-05-05", "")
			n.run()
			n.noRejections()
			in := register.SupportMeasureInput{ResidentCode: r.ResidentCode, Kind: register.SupportDV, Requester: "守田　静",
				Start: mustDate(t, "2026-11-01"), End: mustDate(t, "2027-10-31")}
			if _, err := home.Register().SetSupportMeasure(as(looker), in); jukinet.ErrorKind(err) != jukinet.KindForbidden {
				t.Fatalf("set by a lookup authority: %v; want forbidden", err)
			}
			if _, err := home.Register().SetSupportMeasure(as(clerk), register.SupportMeasureInput{ResidentCode: r.ResidentCode, Kind: "revenge",
				Requester: "x", Start: in.Start, End: in.End}); jukinet.ErrorKind(err) != jukinet.KindInvalid || jukinet.ErrorField(err) != "kind" {
				t.Fatalf("unknown kind: %v; want invalid naming kind", err)
			}
			if _, err := home.Register().SetSupportMeasure(as(clerk), in); err != nil {
				t.Fatal(err)
			}
			copyOf := func(residence jukinet.LGCode) error {
				t.Helper()
				id, err := counter.RequestCopy(as(issuer), CopyRequestInput{Residence: residence, Name: r.Name, BirthDate: r.BirthDate})
				if err != nil {
					t.Fatalf("copy request: %v", err)
				}
				n.run()
				n.noRejections()
				_, err = counter.AwaitCopy(as(issuer), id)
				return err
			}
			refusals := func(db *store.DB) int {
				return len(storetest.Records(t, db, func(l store.LogRecord) bool {
					return l.Operation == string(jukinet.OpCopyRequest) && l.Result == CopyRefused && l.Subject == db.SubjectToken(string(r.ResidentCode))
				}))
			}
			if err := copyOf(hofu); jukinet.ErrorKind(err) != jukinet.KindNotFound {
				t.Errorf("広域交付 while the measure holds: %v; want not found at the counter", err)
			}
			if got := refusals(home.DB()); got != 1 {
				t.Errorf("refusals logged at %s: %d; want 1 with the person as subject", hofu, got)
			}
			recs, err := home.Register().Search(as(looker), register.Query{Kanji: "守田"}, "test")
			if err != nil || len(recs) != 1 || !recs[0].SupportMeasure {
				t.Errorf("search: %+v, %v; want the person flagged", recs, err)
			}

			if _, err := home.Register().MoveOut(as(clerk), register.MoveOutInput{ResidentCode: r.ResidentCode, PlannedDate: mustDate(t, "2026-11-20"),
				Destination: jukinet.Address{LGCode: yamaguchi, Text: "山口県山口市平井2番"}}); err != nil {
				t.Fatal(err)
			}
			if _, err := next.Register().MoveInDomestic(as(clerk), register.MoveInInput{PersonInput: register.PersonInput{Name: r.Name, BirthDate: r.BirthDate, Sex: r.Sex},
				ResidentCode: r.ResidentCode, MoveInDate: mustDate(t, "2026-11-21"), PreviousAddress: r.Address, AddressText: "山口県山口市平井2番"}); err != nil {
				t.Fatal(err)
			}
			n.run()
			n.noRejections()
			got, err := next.Register().Get(as(looker), r.ResidentCode, "test")
			if err != nil || !got[0].SupportMeasure {
				t.Fatalf("at %s after the 転入: %+v, %v; want the measure to have travelled", yamaguchi, got, err)
			}
			if err := copyOf(yamaguchi); jukinet.ErrorKind(err) != jukinet.KindNotFound {
				t.Errorf("広域交付 at the new residence: %v; want not found at the counter", err)
			}
			if got := refusals(next.DB()); got != 1 {
				t.Errorf("refusals logged at %s: %d; want 1", yamaguchi, got)
			}

			if err := next.Register().LiftSupportMeasure(as(clerk), r.ResidentCode, "本人からの申出の取下げ"); err != nil {
				t.Fatal(err)
			}
			if err := copyOf(yamaguchi); err != nil {
				t.Errorf("広域交付 after the measure was lifted: %v; want the copy", err)
			}
		})
	}
}

// 本人確認情報の開示 (法30条の32): a person has their own 本人確認情報 disclosed
// at the prefecture and at the national server; each disclosure is a
// self-disclosure record with the person as subject; a code the server does
// not hold discloses nothing.
func TestDiscloseOwnIdentity(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			r := birth(t, n.muni[hofu], "開示\u3000花", "カイジ\u3000ハナ", "1999-09-09", "")
			n.run()
			n.noRejections()
			for name, src := range map[string]struct {
				disclose func() (*jukinet.IdentityInfo, error)
				db       *store.DB
			}{
				"national": {func() (*jukinet.IdentityInfo, error) { return n.national.DiscloseIdentity(as(looker), r.ResidentCode) }, n.national.DB()},
				"prefecture": {func() (*jukinet.IdentityInfo, error) {
					return n.pref["350001"].DiscloseIdentity(as(looker), r.ResidentCode)
				}, n.pref["350001"].DB()},
			} {
				got, err := src.disclose()
				if err != nil || got == nil || got.Name != r.Name || got.Address != r.Address {
					t.Errorf("%s discloses %+v, %v; want the person's information", name, got, err)
				}
				recs := storetest.Records(t, src.db, func(l store.LogRecord) bool {
					return l.Operation == string(jukinet.OpSelfDisclosure) && l.Subject == src.db.SubjectToken(string(r.ResidentCode))
				})
				if len(recs) != 1 {
					t.Errorf("%s: %d self-disclosure records; want 1", name, len(recs))
				}
			}
			if got, err := n.national.DiscloseIdentity(as(looker), "23456789013"); err != nil || got != nil {
				t.Errorf("a code the server does not hold: %+v, %v; want nothing", got, err)
			}
		})
	}
}
