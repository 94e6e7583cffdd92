package node

import (
	"encoding/json"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store/storetest"
)

// 附票本人確認情報: a 国外転出 reaches the prefecture and, relayed, the
// national server; the 国外転入 back updates both, the history keeps both.
func TestAnnexIdentityNotify(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			m := n.muni[hofu]
			r := birth(t, m, "兼重\u3000凛", "カネシゲ\u3000リン", "2001-02-03", "山口県山口市亀山町5番地")
			noDomicile := birth(t, m, "重村\u3000蓮", "シゲムラ\u3000レン", "2001-02-03", "")
			for _, code := range []jukinet.ResidentCode{r.ResidentCode, noDomicile.ResidentCode} {
				if _, err := m.Register().MoveOut(as(clerk), register.MoveOutInput{ResidentCode: code, PlannedDate: mustDate(t, "2026-11-20"),
					Abroad: true, Destination: jukinet.Address{Text: "フランス共和国"}}); err != nil {
					t.Fatal(err)
				}
			}
			n.run()
			n.noRejections()
			check := func(wantAbroad bool, wantHist int) {
				t.Helper()
				for name, get := range map[string]func() (*AnnexIdentityInfo, []AnnexIdentityInfo, error){
					"350001": func() (*AnnexIdentityInfo, []AnnexIdentityInfo, error) {
						return n.pref["350001"].AnnexIdentity(as(looker), r.ResidentCode, "test")
					},
					"national": func() (*AnnexIdentityInfo, []AnnexIdentityInfo, error) {
						return n.national.AnnexIdentity(as(looker), r.ResidentCode, "test")
					},
				} {
					cur, hist, err := get()
					if err != nil || cur.Abroad != wantAbroad || len(hist) != wantHist || cur.Domicile != r.Domicile {
						t.Errorf("%s: AnnexIdentity(%s) = %+v, %d history, %v; want abroad %v, %d history", name, r.ResidentCode, cur, len(hist), err, wantAbroad, wantHist)
					}
				}
			}
			check(true, 1)
			if _, _, err := n.national.AnnexIdentity(as(looker), noDomicile.ResidentCode, "test"); jukinet.ErrorKind(err) != jukinet.KindNotFound {
				t.Errorf("person without 本籍: %v, want not found (no 附票)", err)
			}
			if _, err := m.Register().MoveInFromAbroad(as(clerk), register.MoveInInput{PersonInput: register.PersonInput{Name: r.Name, BirthDate: r.BirthDate,
				Sex: r.Sex, Domicile: r.Domicile, DomicileHead: r.DomicileHead}, ResidentCode: r.ResidentCode, MoveInDate: mustDate(t, "2026-11-25"),
				PreviousAddress: jukinet.Address{Text: "フランス共和国"}, AddressText: "山口県防府市松崎町2番2号"}); err != nil {
				t.Fatal(err)
			}
			n.run()
			n.noRejections()
			check(false, 2)
		})
	}
}

func validAnnexIdentity() AnnexIdentityInfo {
	return AnnexIdentityInfo{Municipality: hofu, ResidentCode: "12345678903", Name: jukinet.Name{Kanji: "兼重\u3000凛", Kana: "カネシゲ\u3000リン"},
		BirthDate: jukinet.Date{Year: 2001, Month: 2, Day: 3}, Sex: jukinet.SexFemale, Domicile: "山口県山口市亀山町5番地", Abroad: true,
		Address: jukinet.Address{Text: "フランス共和国"}, Reason: jukinet.ReasonMoveOutAbroad, Date: jukinet.Date{Year: 2026, Month: 11, Day: 20}, Version: 3}
}

func TestAnnexIdentityValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*AnnexIdentityInfo)
		field string
	}{
		{"prefecture code", func(a *AnnexIdentityInfo) { a.Municipality = "350001" }, "municipality"},
		{"bad resident code", func(a *AnnexIdentityInfo) { a.ResidentCode = "1" }, "resident_code"},
		{"no domicile", func(a *AnnexIdentityInfo) { a.Domicile = "" }, "domicile"},
		{"birth reason", func(a *AnnexIdentityInfo) { a.Reason = jukinet.ReasonBirth }, "reason"},
		{"abroad on a move-in", func(a *AnnexIdentityInfo) { a.Reason = jukinet.ReasonMoveInFromAbroad }, "abroad"},
		{"no country", func(a *AnnexIdentityInfo) { a.Address.Text = "" }, "address.text"},
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
