package node

import (
	"encoding/json"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// annexIDAt returns the current 附票本人確認情報 of code at a prefecture and
// the national server, and the JSON keys the prefecture stored.
func annexIDAt(t *testing.T, n *testNet, pref jukinet.LGCode, code jukinet.ResidentCode) (pcur, ncur *AnnexIdentityInfo, phist int, keys map[string]bool) {
	t.Helper()
	pcur, hist, err := n.pref[pref].AnnexIdentity(as(looker), code, "test")
	if err != nil {
		t.Fatalf("prefecture %s: AnnexIdentity: %v", pref, err)
	}
	ncur, nhist, err := n.national.AnnexIdentity(as(looker), code, "test")
	if err != nil {
		t.Fatalf("national: AnnexIdentity: %v", err)
	}
	if len(nhist) != len(hist) || ncur.Version != pcur.Version {
		t.Errorf("national holds version %d (%d history), prefecture %d (%d)", ncur.Version, len(nhist), pcur.Version, len(hist))
	}
	var raw string
	if err := n.pref[pref].DB().Bookkeeping(store.Inspect).QueryRow(`SELECT info FROM flow_annexid WHERE resident_code = $1`, string(code)).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatal(err)
	}
	keys = map[string]bool{}
	for k := range m {
		keys[k] = true
	}
	return pcur, ncur, len(hist), keys
}

// 附票本人確認情報 (住民基本台帳法30条の41 1項, 30条の42): the 本籍地 notifies its
// own prefecture (the 附票都道府県サーバ role), which relays to the national
// server (附票全国サーバ), on the 附票's 記載, on each 修正 of a listed item —
// a 転居 of a person whose 本籍 is elsewhere changes the 附票's 住所, a 国外転出
// makes it "国外転出者" — and on its 消除; only the listed items travel.
func TestAnnexIdentityNotify(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			// Lives in 久留米 (福岡県), 本籍 in 山口市: the 本籍地 notifies 山口県.
			r := birth(t, n.muni[kurume], "兼重\u3000凛", "カネシゲ\u3000リン", "2001-02-03", "山口県山口市亀山町5番地")
			n.run()
			n.noRejections()
			cur, _, hist, keys := annexIDAt(t, n, "350001", r.ResidentCode)
			if cur.Class != jukinet.ClassAdd || cur.Municipality != yamaguchi || hist != 1 || cur.Address == nil || cur.Address.Text != r.Address.Text {
				t.Errorf("after the birth: %+v (%d history); want a 記載 notified by the 本籍地 %s with the address", cur, hist, yamaguchi)
			}
			for _, k := range []string{"domicile", "domicile_head", "address_since", "individual_number"} {
				if keys[k] {
					t.Errorf("the prefecture received %q, which 法30条の41 does not list", k)
				}
			}
			if _, _, err := n.pref["400009"].AnnexIdentity(as(looker), r.ResidentCode, "test"); jukinet.ErrorKind(err) != jukinet.KindNotFound {
				t.Errorf("the residence's prefecture 400009 holds 附票本人確認情報: %v; want not found (the 本籍地's prefecture does)", err)
			}
			// 修正: a 転居 changes the 附票's 住所.
			if _, err := n.muni[kurume].Register().MoveWithin(as(clerk), register.MoveWithinInput{ResidentCode: r.ResidentCode,
				AddressText: "福岡県久留米市東町3番3号", Date: mustDate(t, "2026-11-20")}); err != nil {
				t.Fatal(err)
			}
			n.run()
			n.noRejections()
			cur, _, hist, _ = annexIDAt(t, n, "350001", r.ResidentCode)
			if cur.Class != jukinet.ClassChange || cur.Reason != jukinet.ReasonMoveWithin || hist != 2 || cur.Address.Text != "福岡県久留米市東町3番3号" || cur.Version != 2 {
				t.Errorf("after the 転居: %+v (%d history); want a 修正 with the new address, version 2", cur, hist)
			}
			// 国外転出: the 住所 becomes "国外転出者である旨" — no address travels.
			if _, err := n.muni[kurume].Register().MoveOut(as(clerk), register.MoveOutInput{ResidentCode: r.ResidentCode, PlannedDate: mustDate(t, "2026-11-24"),
				Abroad: true, Destination: jukinet.Address{Text: "フランス共和国"}}); err != nil {
				t.Fatal(err)
			}
			n.run()
			n.noRejections()
			cur, ncur, hist, keys := annexIDAt(t, n, "350001", r.ResidentCode)
			if cur.Class != jukinet.ClassChange || !cur.Abroad || keys["address"] || hist != 3 || !ncur.Abroad {
				t.Errorf("after the 国外転出: %+v (%d history, keys %v); want a 修正 abroad without an address", cur, hist, keys)
			}
		})
	}
}

// 附票本人確認情報 (住民基本台帳法30条の41 1項): a 修正 of an item the article
// does not list (住所を定めた年月日) is not notified; a death is the 附票's
// 消除, notified with the items it had; the 本籍地 notifies for its own
// residents too.
func TestAnnexIdentityOnlyListedChangesAndRemoval(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			m := n.muni[hofu]
			r := birth(t, m, "兼重\u3000凛", "カネシゲ\u3000リン", "2001-02-03", "山口県防府市寿町1番地")
			n.run()
			n.noRejections()
			cur, _, _, _ := annexIDAt(t, n, "350001", r.ResidentCode)
			if cur.Municipality != hofu || cur.Class != jukinet.ClassAdd {
				t.Fatalf("own resident: %+v; want a 記載 notified by %s", cur, hofu)
			}
			// An entry that changes only 住所を定めた年月日.
			b := AnnexNotice{Municipality: hofu, Domicile: r.Domicile, ResidentCode: r.ResidentCode, Name: r.Name, BirthDate: r.BirthDate, Sex: r.Sex,
				Address: r.Address, AddressSince: mustDate(t, "2026-11-01"), Reason: jukinet.ReasonMinorCorrection, Date: mustDate(t, "2026-11-20")}
			if err := m.DB().Update(as(jukinet.SystemActor("network")), store.Op{Operation: jukinet.OpNetworkReceive, Detail: "test"}, func(tx *store.Tx) error {
				return m.storeAnnexEntry(tx, "0190e000-0000-7000-8000-000000000001", b, string(hofu))
			}); err != nil {
				t.Fatal(err)
			}
			n.run()
			n.noRejections()
			if _, _, hist, _ := annexIDAt(t, n, "350001", r.ResidentCode); hist != 1 {
				t.Errorf("a 修正 of 住所を定めた年月日 only: %d notices, want still 1", hist)
			}
			if _, err := m.Register().Death(as(clerk), register.DeathInput{ResidentCode: r.ResidentCode, Date: mustDate(t, "2026-11-21")}); err != nil {
				t.Fatal(err)
			}
			n.run()
			n.noRejections()
			cur, ncur, hist, _ := annexIDAt(t, n, "350001", r.ResidentCode)
			if cur.Class != jukinet.ClassRemove || ncur.Class != jukinet.ClassRemove || hist != 2 || cur.Reason != jukinet.ReasonDeath || cur.Name != r.Name {
				t.Errorf("after the death: %+v (%d history); want a 消除 with the recorded items", cur, hist)
			}
		})
	}
}

func validAnnexIdentity() AnnexIdentityInfo {
	return AnnexIdentityInfo{Municipality: hofu, ResidentCode: "12345678903", Name: jukinet.Name{Kanji: "兼重\u3000凛", Kana: "カネシゲ\u3000リン"},
		BirthDate: jukinet.Date{Year: 2001, Month: 2, Day: 3}, Sex: jukinet.SexFemale, Abroad: true, Class: jukinet.ClassChange,
		Reason: jukinet.ReasonMoveOutAbroad, Date: jukinet.Date{Year: 2026, Month: 11, Day: 20}, Version: 3}
}

func TestAnnexIdentityValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*AnnexIdentityInfo)
		field string
	}{
		{"prefecture code", func(a *AnnexIdentityInfo) { a.Municipality = "350001" }, "municipality"},
		{"bad resident code", func(a *AnnexIdentityInfo) { a.ResidentCode = "1" }, "resident_code"},
		{"same previous code", func(a *AnnexIdentityInfo) { a.PreviousResidentCode = a.ResidentCode }, "previous_resident_code"},
		{"no class", func(a *AnnexIdentityInfo) { a.Class = 0 }, "class"},
		{"unknown reason", func(a *AnnexIdentityInfo) { a.Reason = 999 }, "reason"},
		{"address while abroad", func(a *AnnexIdentityInfo) { a.Address = &jukinet.Address{Text: "フランス共和国"} }, "address"},
		{"no address at home", func(a *AnnexIdentityInfo) { a.Abroad = false }, "address"},
		{"no version", func(a *AnnexIdentityInfo) { a.Version = 0 }, "version"},
		{"no date", func(a *AnnexIdentityInfo) { a.Date = jukinet.Date{} }, "date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := validAnnexIdentity()
			tc.edit(&a)
			if err := a.Validate(); jukinet.ErrorKind(err) != jukinet.KindInvalid || jukinet.ErrorField(err) != tc.field {
				t.Errorf("Validate(%+v) = %v (field %q); want invalid %s", a, err, jukinet.ErrorField(err), tc.field)
			}
		})
	}
	if err := validAnnexIdentity().Validate(); err != nil {
		t.Errorf("Validate(valid) = %v, want nil", err)
	}
}

func FuzzAnnexIdentityDecode(f *testing.F) {
	b, _ := json.Marshal(validAnnexIdentity())
	f.Add(b)
	f.Add([]byte(`{"municipality":"352063","abroad":true}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		env := &network.Envelope{Kind: network.KindAnnexIdentityNotify, From: "352063", Body: body}
		a, err := decodeAnnexIdentity("fuzz", env)
		if err != nil {
			return
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("decoded %+v does not validate: %v", a, err)
		}
	})
}

func validCosignResponse() CosignResponse {
	return CosignResponse{Size: 5, Refusal: RefusalFork, Detail: "x"}
}

func TestCosignBodiesValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		field string
	}{
		{"request without checkpoint", CosignRequest{}.Validate(), "checkpoint"},
		{"request with a short hash", CosignRequest{Checkpoint: []byte("x"), Proof: [][]byte{make([]byte, 31)}}.Validate(), "proof[0]"},
		{"request with a long proof", CosignRequest{Checkpoint: []byte("x"), Proof: make([][]byte, 129)}.Validate(), "proof"},
		{"response with both", CosignResponse{Cosigned: []byte("x"), Refusal: RefusalFork}.Validate(), "cosigned"},
		{"response with neither", CosignResponse{}.Validate(), "cosigned"},
		{"response with unknown refusal", CosignResponse{Refusal: "bored"}.Validate(), "refusal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if jukinet.ErrorKind(tc.err) != jukinet.KindInvalid || jukinet.ErrorField(tc.err) != tc.field {
				t.Errorf("Validate = %v (field %q); want invalid %s", tc.err, jukinet.ErrorField(tc.err), tc.field)
			}
		})
	}
	if err := validCosignResponse().Validate(); err != nil {
		t.Errorf("Validate(refusal) = %v, want nil", err)
	}
}

func FuzzCosignRequestDecode(f *testing.F) {
	f.Add([]byte(`{"checkpoint":"eA==","proof":["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="]}`))
	f.Add([]byte(`{"size":1,"refusal":"fork"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		env := &network.Envelope{Kind: network.KindCheckpointCosignRequest, From: "352063", Body: body}
		var req CosignRequest
		if Decode(env, &req) == nil && req.Validate() == nil && len(req.Checkpoint) == 0 {
			t.Fatalf("an empty checkpoint validated: %+v", req)
		}
		var resp CosignResponse
		if Decode(env, &resp) == nil && resp.Validate() == nil && (len(resp.Cosigned) == 0) == (resp.Refusal == "") {
			t.Fatalf("a response with %d cosigned bytes and refusal %q validated", len(resp.Cosigned), resp.Refusal)
		}
	})
}
