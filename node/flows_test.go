package node

import (
	"encoding/json"
	"github.com/jukinet/jukinet/store"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store/storetest"
)

// 本人確認情報通知: CS → prefecture → national, with the resident-code link.
func TestIdentityFlowReachesPrefectureAndNational(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			m := n.muni[hofu]
			r := birth(t, m, "山田\u3000花子", "ヤマダ\u3000ハナコ", "2026-11-01", "山口県防府市松崎町1番地")
			n.run() // the birth's notice, then the 個人番号 it asked for: versions 1 and 2
			n.noRejections()
			if _, err := m.Register().NameChange(as(clerk), r.ResidentCode, jukinet.Name{Kanji: "佐藤\u3000花子", Kana: "サトウ\u3000ハナコ"}, mustDate(t, "2026-11-20")); err != nil {
				t.Fatal(err)
			}
			n.run()
			n.noRejections()
			cur, hist, err := n.pref["350001"].Identity(as(looker), hofu, r.ResidentCode, "test")
			if err != nil {
				t.Fatalf("prefecture identity: %v", err)
			}
			if cur.Name.Kanji != "佐藤\u3000花子" || cur.Version != 3 || len(hist) != 3 {
				t.Errorf("prefecture: current %q v%d, %d history; want 佐藤　花子 v3, 3", cur.Name.Kanji, cur.Version, len(hist))
			}
			ncur, nhist, err := n.national.Identity(as(looker), r.ResidentCode, "test")
			if err != nil {
				t.Fatalf("national identity: %v", err)
			}
			if ncur.Name != cur.Name || len(nhist) != 3 {
				t.Errorf("national: %+v, %d history; want %+v, 3", ncur.Name, len(nhist), cur.Name)
			}
			changed, err := m.Register().ChangeResidentCode(as(clerk), r.ResidentCode, mustDate(t, "2026-11-25"))
			if err != nil {
				t.Fatal(err)
			}
			n.run()
			n.noRejections()
			for name, links := range map[string]func() ([]jukinet.ResidentCode, error){
				"prefecture": func() ([]jukinet.ResidentCode, error) {
					return n.pref["350001"].LinkedCodes(as(looker), r.ResidentCode)
				},
				"national": func() ([]jukinet.ResidentCode, error) { return n.national.LinkedCodes(as(looker), r.ResidentCode) },
			} {
				got, err := links()
				if err != nil || len(got) != 1 || got[0] != changed.ResidentCode {
					t.Errorf("%s links of %s: %v, %v; want [%s]", name, r.ResidentCode, got, err, changed.ResidentCode)
				}
			}
		})
	}
}

// 転入通知 and 転出確定通知: the previous CS records the notice on the 除票 and
// the confirmation reaches the prefecture and the national server. The person
// keeps their 個人番号 across an ordinary 転入 whose form left it blank: the
// new CS asks the national server, which answers with the same number.
func TestMoveInNoticeAndMoveOutConfirmation(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			from, to := n.muni[hofu], n.muni[yamaguchi]
			r := birth(t, from, "河村\u3000一郎", "カワムラ\u3000イチロウ", "1990-01-01", "")
			n.run()
			n.noRejections()
			born, err := from.Register().Get(as(looker), r.ResidentCode, "test")
			if err != nil || born[0].IndividualNumber == "" {
				t.Fatalf("after the birth: %v, %v; want a designated number", born, err)
			}
			number := born[0].IndividualNumber
			dest := jukinet.Address{LGCode: yamaguchi, Text: "山口県山口市中央1丁目1番1号"}
			if _, err := from.Register().MoveOut(as(clerk), register.MoveOutInput{ResidentCode: r.ResidentCode, PlannedDate: mustDate(t, "2026-11-20"), Destination: dest}); err != nil {
				t.Fatal(err)
			}
			if _, err := to.Register().MoveInDomestic(as(clerk), register.MoveInInput{PersonInput: register.PersonInput{Name: r.Name, BirthDate: r.BirthDate, Sex: r.Sex},
				ResidentCode: r.ResidentCode, MoveInDate: mustDate(t, "2026-11-22"), PlannedMoveOut: mustDate(t, "2026-11-20"),
				PreviousAddress: r.Address, AddressText: "山口県山口市中央2丁目2番2号"}); err != nil {
				t.Fatal(err)
			}
			n.run()
			n.noRejections()
			recs, err := from.Register().Get(as(looker), r.ResidentCode, "test")
			if err != nil || len(recs) != 1 || recs[0].Removal == nil {
				t.Fatalf("previous CS record: %v, %v", recs, err)
			}
			if now, err := to.Register().Get(as(looker), r.ResidentCode, "test"); err != nil || now[len(now)-1].IndividualNumber != number {
				t.Errorf("個人番号 at %s after the 転入: %v, %v; want the number designated at %s", yamaguchi, now, err, hofu)
			}
			var raw string
			if err := n.national.DB().Bookkeeping(store.Inspect).QueryRow(`SELECT info FROM flow_identity WHERE municipality = $1 AND resident_code = $2`, string(yamaguchi), string(r.ResidentCode)).Scan(&raw); err != nil {
				t.Fatalf("national has no identity of the person from %s: %v", yamaguchi, err)
			}
			var cur jukinet.IdentityInfo
			if err := json.Unmarshal([]byte(raw), &cur); err != nil || cur.IndividualNumber != number {
				t.Errorf("national's identity from %s after the 転入 has number %q (%v); want the number designated at %s", yamaguchi, cur.IndividualNumber, err, hofu)
			}
			rem := recs[0].Removal
			if rem.NoticeDate != mustDate(t, "2026-11-26") || rem.ConfirmedDate != mustDate(t, "2026-11-22") ||
				rem.ConfirmedDestination.Text != "山口県山口市中央2丁目2番2号" || rem.Destination != dest {
				t.Errorf("removal after notice: %+v; want notice 2026-11-26, confirmed 2026-11-22 to 中央2丁目, planned kept", rem)
			}
			for name, got := range map[string]func() ([]MoveOutConfirm, error){
				"prefecture": func() ([]MoveOutConfirm, error) {
					return n.pref["350001"].MoveOutConfirmations(as(looker), r.ResidentCode)
				},
				"national": func() ([]MoveOutConfirm, error) { return n.national.MoveOutConfirmations(as(looker), r.ResidentCode) },
			} {
				c, err := got()
				if err != nil || len(c) != 1 || c[0].ConfirmedDate != mustDate(t, "2026-11-22") || c[0].Municipality != hofu {
					t.Errorf("%s confirmations: %+v, %v; want one from %s confirmed 2026-11-22", name, c, err, hofu)
				}
			}
		})
	}
}

// 住民票の写しの広域交付 (法12条の4): only the items 法7条 has, data erased once
// taken; a person who moved in shows the 届出年月日 and 従前の住所 (法7条8号);
// a 世帯全員の写し carries every current member.
func TestWideAreaCopy(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			home, counter := n.muni[hofu], n.muni[kurume]
			r := birth(t, home, "弘中\u3000愛", "ヒロナカ\u3000アイ", "1995-07-07", "山口県防府市松崎町1番地")
			for _, items := range []CopyItems{{Household: true}, {ResidentCode: true}} {
				id, err := counter.RequestCopy(as(issuer), CopyRequestInput{Residence: hofu, Name: r.Name, BirthDate: r.BirthDate, Items: items})
				if err != nil {
					t.Fatalf("request: %v", err)
				}
				n.run()
				n.noRejections()
				rec, err := counter.AwaitCopy(as(issuer), id)
				if err != nil {
					t.Fatalf("await: %v", err)
				}
				if rec.Name != r.Name || rec.Address != r.Address || (rec.HouseholderName != "") != items.Household ||
					(rec.ResidentCode != "") != items.ResidentCode || rec.IndividualNumber != "" || rec.PreviousAddress != "" || !rec.ReportDate.IsZero() || len(rec.Members) != 0 {
					t.Errorf("items %+v: record %+v", items, rec)
				}
				if _, err := counter.AwaitCopy(as(issuer), id); jukinet.ErrorKind(err) != jukinet.KindExpired {
					t.Errorf("second take: %v, want expired", err)
				}
				var held int
				if err := counter.DB().Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM flow_copy_requests WHERE response IS NOT NULL`).Scan(&held); err != nil {
					t.Fatal(err)
				}
				if held != 0 {
					t.Errorf("issuing CS still holds %d answers after printing", held)
				}
			}
			id, _ := counter.RequestCopy(as(issuer), CopyRequestInput{Residence: hofu, Name: jukinet.Name{Kanji: "存在\u3000しない", Kana: "ソンザイ\u3000シナイ"}, BirthDate: r.BirthDate})
			n.run()
			if _, err := counter.AwaitCopy(as(issuer), id); jukinet.ErrorKind(err) != jukinet.KindNotFound {
				t.Errorf("unknown person: %v, want not found", err)
			}
			if _, err := counter.RequestCopy(as(clerk), CopyRequestInput{Residence: hofu, Name: r.Name, BirthDate: r.BirthDate}); jukinet.ErrorKind(err) != jukinet.KindForbidden {
				t.Errorf("request by a record clerk: %v, want forbidden", err)
			}

			// A family that moved in from 山口市: the copy of the whole
			// household, each with its 従前の住所 and 届出年月日.
			head, err := home.Register().MoveInDomestic(as(clerk), register.MoveInInput{PersonInput: register.PersonInput{Name: jukinet.Name{Kanji: "転入\u3000一", Kana: "テンニュウ\u3000ハジメ"},
				BirthDate: mustDate(t, "1980-01-01"), Sex: jukinet.SexMale}, ResidentCode: "23456789013", MoveInDate: mustDate(t, "2026-11-20"),
				PreviousAddress: jukinet.Address{LGCode: yamaguchi, Text: "山口県山口市中央1番1号"}, AddressText: "山口県防府市新田3番3号"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := home.Register().MoveInDomestic(as(clerk), register.MoveInInput{PersonInput: register.PersonInput{Name: jukinet.Name{Kanji: "転入\u3000二", Kana: "テンニュウ\u3000フタバ"},
				BirthDate: mustDate(t, "1982-02-02"), Sex: jukinet.SexFemale}, ResidentCode: "34567890122", MoveInDate: mustDate(t, "2026-11-20"),
				PreviousAddress: jukinet.Address{LGCode: yamaguchi, Text: "山口県山口市中央1番1号"}, Household: register.HouseholdChoice{ID: head.HouseholdID, Relationship: "妻"}}); err != nil {
				t.Fatal(err)
			}
			n.run()
			n.rejected = nil // the 転入通知 to 山口市, which never recorded these two, is refused there
			id, err = counter.RequestCopy(as(issuer), CopyRequestInput{Residence: hofu, Name: head.Name, BirthDate: head.BirthDate, Items: CopyItems{Household: true, AllMembers: true}})
			if err != nil {
				t.Fatal(err)
			}
			n.run()
			n.noRejections()
			all, err := counter.AwaitCopy(as(issuer), id)
			if err != nil {
				t.Fatal(err)
			}
			today := jukinet.Today(home.DB().Now())
			if len(all.Members) != 1 || all.Members[0].Name.Kana != "テンニュウ\u3000フタバ" || all.Members[0].Relationship != "妻" {
				t.Errorf("household copy members %+v; want the wife", all.Members)
			}
			for _, rec := range append([]CopyRecord{all.CopyRecord}, all.Members...) {
				if rec.PreviousAddress != "山口県山口市中央1番1号" || rec.ReportDate != today {
					t.Errorf("%s: 従前の住所 %q, 届出年月日 %v; want 山口市's address and %v", rec.Name.Kanji, rec.PreviousAddress, rec.ReportDate, today)
				}
			}
		})
	}
}

// 戸籍の附票記載事項通知 (法19条1項): a name change and a 国外転出 reach the
// CS of the 本籍地; a 本籍 in the residence municipality is kept there.
func TestAnnexNotice(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			m := n.muni[hofu]
			const domicile = "山口県山口市亀山町5番地"
			r := birth(t, m, "兼重\u3000凛", "カネシゲ\u3000リン", "2001-02-03", domicile)
			local := birth(t, m, "重村\u3000蓮", "シゲムラ\u3000レン", "2001-02-03", "山口県防府市松崎町1番地") // 本籍 here: kept here, no message
			if _, err := m.Register().NameChange(as(clerk), r.ResidentCode, jukinet.Name{Kanji: "村上\u3000凛", Kana: "ムラカミ\u3000リン"}, mustDate(t, "2026-11-20")); err != nil {
				t.Fatal(err)
			}
			n.run()
			n.noRejections()
			got, err := n.muni[yamaguchi].Annex(as(looker), domicile, "test")
			if err != nil || len(got) != 2 || got[1].Name.Kanji != "村上\u3000凛" || got[0].Reason != jukinet.ReasonBirth {
				t.Fatalf("annex of %s: %+v, %v; want birth then name change", domicile, got, err)
			}
			for _, other := range []jukinet.LGCode{hofu, kurume} {
				if a, _ := n.muni[other].Annex(as(looker), domicile, "test"); len(a) != 0 {
					t.Errorf("annex entries at %s: %d, want 0", other, len(a))
				}
			}
			// The 本籍 in the residence municipality: its own 附票 (法16条).
			if a, err := m.Annex(as(looker), "山口県防府市松崎町1番地", "test"); err != nil || len(a) != 1 || a[0].ResidentCode != local.ResidentCode {
				t.Errorf("annex of a 本籍 in %s for its own resident: %+v, %v; want the birth", hofu, a, err)
			}
			// A 国外転出 is recorded on the 附票 at the 本籍地 (法19条1項).
			if _, err := m.Register().MoveOut(as(clerk), register.MoveOutInput{ResidentCode: r.ResidentCode, PlannedDate: mustDate(t, "2026-11-25"),
				Abroad: true, Destination: jukinet.Address{Text: "フランス共和国"}}); err != nil {
				t.Fatal(err)
			}
			n.run()
			n.noRejections()
			got, err = n.muni[yamaguchi].Annex(as(looker), domicile, "test")
			if err != nil || len(got) != 3 || got[2].Reason != jukinet.ReasonMoveOutAbroad {
				t.Errorf("annex of %s after the 国外転出: %+v, %v; want a third entry for it", domicile, got, err)
			}
		})
	}
}

// 個人番号 generation (番号法7条1項): a birth, a first 国外転入 and a 職権記載
// request the number in their own transaction, with no clerk's request; it is
// designated on arrival; a change request (番号法7条2項) gives a new one.
func TestMyNumberGeneration(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			m := n.muni[hofu]
			r := birth(t, m, "林\u3000湊", "ハヤシ\u3000ミナト", "2026-10-01", "")
			get := func() jukinet.IndividualNumber {
				recs, err := m.Register().Get(as(looker), r.ResidentCode, "test")
				if err != nil {
					t.Fatal(err)
				}
				return recs[0].IndividualNumber
			}
			if pending, err := m.Register().PendingNumberRequest(as(looker), r.ResidentCode, "test"); err != nil || pending == nil || pending.Reason != jukinet.ReasonIndividualNumberExOfficioAdd {
				t.Fatalf("after the birth: pending request %+v, %v; want one for 個人番号の職権記載", pending, err)
			}
			n.run()
			n.noRejections()
			first := get()
			if !jukinet.ValidIndividualNumber(string(first)) {
				t.Fatalf("designated number %q is not valid", first)
			}
			if err := m.Register().RequestIndividualNumber(as(numbers), r.ResidentCode, jukinet.ReasonIndividualNumberChangeRequest, jukinet.Date{}); err != nil {
				t.Fatal(err)
			}
			n.run()
			n.noRejections()
			if second := get(); second == first || !jukinet.ValidIndividualNumber(string(second)) {
				t.Errorf("after a change request: %q (first %q); want a new valid number", second, first)
			}
			cur, _, err := n.national.Identity(as(looker), r.ResidentCode, "test")
			if err != nil || cur.IndividualNumber != get() {
				t.Errorf("national has %v, %v; want the designated number", cur, err)
			}
			for _, add := range []struct {
				name string
				run  func() (*register.Resident, error)
			}{
				{"国外転入", func() (*register.Resident, error) {
					return m.Register().MoveInFromAbroad(as(clerk), register.MoveInInput{PersonInput: register.PersonInput{Name: jukinet.Name{Kanji: "林\u3000海", Kana: "ハヤシ\u3000カイ"},
						BirthDate: mustDate(t, "1990-01-01"), Sex: jukinet.SexMale}, MoveInDate: mustDate(t, "2026-11-01"),
						PreviousAddress: jukinet.Address{Text: "アメリカ合衆国"}, AddressText: "山口県防府市松崎町3番"})
				}},
				{"職権記載", func() (*register.Resident, error) {
					return m.Register().ExOfficioAdd(as(clerk), register.ExOfficioAddInput{Reason: jukinet.ReasonNaturalizationAdd, MoveInInput: register.MoveInInput{
						PersonInput: register.PersonInput{Name: jukinet.Name{Kanji: "王\u3000明", Kana: "ワン\u3000ミン"}, BirthDate: mustDate(t, "1990-06-01"), Sex: jukinet.SexMale},
						MoveInDate:  mustDate(t, "2026-11-01"), AddressText: "山口県防府市華城中央2丁目1番1号"}})
				}},
			} {
				rec, err := add.run()
				if err != nil {
					t.Fatalf("%s: %v", add.name, err)
				}
				n.run()
				n.noRejections()
				recs, err := m.Register().Get(as(looker), rec.ResidentCode, "test")
				if err != nil || !jukinet.ValidIndividualNumber(string(recs[0].IndividualNumber)) {
					t.Errorf("%s: individual number %q, %v; want one designated without a request", add.name, recs[0].IndividualNumber, err)
				}
			}
		})
	}
}

// Card status, both ways.
func TestCardStatus(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			m := n.muni[kurume]
			r := birth(t, m, "古谷\u3000葵", "フルヤ\u3000アオイ", "1999-09-09", "")
			if err := m.IssueCard(as(numbers), cardInput(t, r.ResidentCode, "K0001", "9999")); err != nil {
				t.Fatal(err)
			}
			n.run()
			n.noRejections()
			st, err := n.national.CardStatus(as(looker), r.ResidentCode)
			if err != nil || st.CardState != CardIssued || st.CertState != CertValid {
				t.Fatalf("national card status: %+v, %v", st, err)
			}
			st.CardState, st.CertState = CardRevoked, CertRevoked
			if err := n.national.SetCardStatus(as(jukinet.SystemActor("jpki")), *st); err != nil {
				t.Fatal(err)
			}
			n.run()
			n.noRejections()
			recs, _ := m.Register().Get(as(looker), r.ResidentCode, "test")
			if recs[0].CardHolder {
				t.Errorf("card holder after revocation at national: true, want false")
			}
		})
	}
}

// 住民票コード pool: births draw from the pool; below the threshold more codes
// are requested; the national server never grants a code twice.
func TestResidentCodePool(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNetEmptyPools(t, e, func(c *MunicipalityConfig) { c.PoolLow, c.PoolBatch = 3, 5 })
			m := n.muni[hofu]
			if _, err := m.Register().Birth(as(clerk), register.BirthInput{PersonInput: register.PersonInput{Name: jukinet.Name{Kanji: "一\u3000二", Kana: "イチ\u3000ニ"},
				BirthDate: mustDate(t, "2026-11-01"), Sex: jukinet.SexMale}, AddressText: "山口県防府市松崎町1番"}); jukinet.ErrorKind(err) != jukinet.KindUnavailable {
				t.Fatalf("birth with an empty pool: %v, want unavailable", err)
			}
			if err := m.RequestCodePool(as(jukinet.SystemActor("pool"))); err != nil {
				t.Fatal(err)
			}
			n.run()
			seen := map[jukinet.ResidentCode]bool{}
			for i := range 12 {
				r := birth(t, m, "子\u3000"+string(rune('あ'+i)), "コ\u3000"+string(rune('ア'+i)), "2026-11-01", "")
				if seen[r.ResidentCode] {
					t.Fatalf("code %s drawn twice", r.ResidentCode)
				}
				seen[r.ResidentCode] = true
				n.run()
				n.noRejections()
			}
			var granted, distinct int
			if err := n.national.DB().Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*), COUNT(DISTINCT code) FROM flow_codes_granted`).Scan(&granted, &distinct); err != nil {
				t.Fatal(err)
			}
			left, _ := m.PoolSize(t.Context())
			if granted != distinct || granted != 12+left || left < 3 {
				t.Errorf("granted %d (distinct %d), drawn 12, left %d; want granted = drawn + left, left ≥ 3", granted, distinct, left)
			}
		})
	}
}

// Provision to agencies and the person's disclosure of it.
func TestProvideAndSelfDisclosure(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			m := n.muni[hofu]
			r := birth(t, m, "國廣\u3000節子", "クニヒロ\u3000セツコ", "1950-12-12", "")
			if err := m.Register().RequestIndividualNumber(as(numbers), r.ResidentCode, jukinet.ReasonIndividualNumberExOfficioAdd, jukinet.Date{}); err != nil {
				t.Fatal(err)
			}
			n.run()
			n.noRejections()
			sys := as(jukinet.SystemActor("agency-gateway"))
			unknown := codeOf(t, "1234567890")
			for _, c := range []struct {
				agency, task string
				want         jukinet.Kind
			}{{"nobody", "年金給付の支給", jukinet.KindForbidden}, {"passport", "年金給付の支給", jukinet.KindForbidden}} {
				if _, err := n.national.Provide(sys, c.agency, c.task, []jukinet.ResidentCode{r.ResidentCode}); jukinet.ErrorKind(err) != c.want {
					t.Errorf("provide to %s for %s: %v, want %v", c.agency, c.task, err, c.want)
				}
			}
			if _, err := n.national.Provide(as(looker), "pension", "年金給付の支給", []jukinet.ResidentCode{r.ResidentCode}); jukinet.ErrorKind(err) != jukinet.KindForbidden {
				t.Errorf("provide by an operator: %v, want forbidden", err)
			}
			got, err := n.national.Provide(sys, "pension", "年金給付の支給", []jukinet.ResidentCode{r.ResidentCode, unknown})
			if err != nil || len(got) != 1 || got[0].IndividualNumber == "" {
				t.Fatalf("pension batch: %+v, %v; want one person with the number", got, err)
			}
			got, err = n.national.Provide(sys, "passport", "旅券の発給", []jukinet.ResidentCode{r.ResidentCode})
			if err != nil || len(got) != 1 || got[0].IndividualNumber != "" {
				t.Fatalf("passport: %+v, %v; want one person without the number", got, err)
			}
			recs, err := n.national.SelfDisclosure(as(looker), r.ResidentCode)
			if err != nil || len(recs) != 2 || recs[0].Agency != "pension" || recs[1].Agency != "passport" || !recs[0].Found {
				t.Errorf("self disclosure: %+v, %v; want pension then passport", recs, err)
			}
		})
	}
}
