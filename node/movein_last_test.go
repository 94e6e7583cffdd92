package node

import (
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store/storetest"
)

// 転入通知 (住民基本台帳法9条1項): a person who moved out of 防府市, lived in
// 山口市 without ever registering there and now moves into 久留米市 gives
// 山口市 as the 前住所, but the notice goes to the 最終住民登録地 the
// 転出証明書 names — 防府市, which holds the 除票 — and 山口市 receives
// nothing. The record keeps the 前住所 as 従前の住所 (法7条8号).
func TestMoveInNoticeGoesToLastRegistered(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			r := birth(t, n.muni[hofu], "末永\u3000結", "スエナガ\u3000ユイ", "1990-05-05", "")
			if _, err := n.muni[hofu].Register().MoveOut(as(clerk), register.MoveOutInput{ResidentCode: r.ResidentCode, PlannedDate: mustDate(t, "2026-10-01"),
				Destination: jukinet.Address{LGCode: yamaguchi, Text: "山口県山口市中央1番"}}); err != nil {
				t.Fatal(err)
			}
			n.run()
			n.noRejections()
			unregistered := jukinet.Address{LGCode: yamaguchi, Text: "山口県山口市中央1番"}
			in := register.MoveInInput{PersonInput: register.PersonInput{Name: r.Name, BirthDate: r.BirthDate, Sex: r.Sex},
				ResidentCode: r.ResidentCode, MoveInDate: mustDate(t, "2026-11-20"), PlannedMoveOut: mustDate(t, "2026-10-01"),
				PreviousAddress: unregistered, LastRegistered: r.Address, AddressText: "福岡県久留米市城南町2番2号"}
			bad := in
			bad.LastRegistered = jukinet.Address{LGCode: kurume, Text: "福岡県久留米市城南町1番1号"}
			if _, err := n.muni[kurume].Register().MoveInDomestic(as(clerk), bad); jukinet.ErrorField(err) != "last_registered.lg_code" {
				t.Errorf("最終住民登録地 = the municipality itself: %v; want refused naming last_registered.lg_code", err)
			}
			got, err := n.muni[kurume].Register().MoveInDomestic(as(clerk), in)
			if err != nil {
				t.Fatal(err)
			}
			if got.PreviousAddress != unregistered {
				t.Errorf("従前の住所 %+v; want the 前住所 %+v", got.PreviousAddress, unregistered)
			}
			n.run()
			n.noRejections() // 山口市 would refuse a notice: it has no 除票 of the person
			recs, err := n.muni[hofu].Register().Get(as(looker), r.ResidentCode, "test")
			if err != nil || recs[0].Removal == nil || recs[0].Removal.NoticeDate.IsZero() || recs[0].Removal.ConfirmedDestination.LGCode != kurume {
				t.Fatalf("防府市's 除票: %+v, %v; want the 転入通知 from 久留米市 recorded", recs[0].Removal, err)
			}
			if c, err := n.national.MoveOutConfirmations(as(looker), r.ResidentCode); err != nil || len(c) != 1 {
				t.Errorf("national: %d 転出確定通知, %v; want 1", len(c), err)
			}
			if _, err := n.muni[kurume].Register().MoveInFromAbroad(as(clerk), register.MoveInInput{PersonInput: in.PersonInput,
				MoveInDate: in.MoveInDate, PreviousAddress: jukinet.Address{Text: "フランス共和国"}, LastRegistered: r.Address}); jukinet.ErrorField(err) != "last_registered" {
				t.Errorf("国外転入 with a 最終住民登録地: %v; want refused naming last_registered", err)
			}
		})
	}
}
