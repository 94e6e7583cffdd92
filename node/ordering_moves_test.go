package node

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// runHolding is run that leaves pending every message held picks (by kind
// and sender), so that a test can choose which of two racing flows lands
// first.
func (n *testNet) runHolding(held func(kind, from string) bool) {
	n.t.Helper()
	ids := make([]string, 0, len(n.nodes))
	for id := range n.nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for round := 0; round < 50; round++ {
		moved := 0
		for _, id := range ids {
			src := n.nodes[id]
			rows, err := src.db.Bookkeeping(store.Inspect).Query(`SELECT seq, kind, dest, ordering_key, version, COALESCE(envelope, body) FROM outbox WHERE state = 'pending' ORDER BY seq`)
			if err != nil {
				n.t.Fatal(err)
			}
			var out []outRow
			for rows.Next() {
				var r outRow
				if err := rows.Scan(&r.seq, &r.kind, &r.dest, &r.orderingKey, &r.version, &r.body); err != nil {
					n.t.Fatal(err)
				}
				out = append(out, r)
			}
			rows.Close()
			for _, r := range out {
				if held(r.kind, id) {
					continue
				}
				n.deliver(src, r)
				if _, err := src.db.Bookkeeping(store.Inspect).Exec(`UPDATE outbox SET state = 'done' WHERE seq = $1`, r.seq); err != nil {
					n.t.Fatal(err)
				}
				moved++
			}
		}
		moved += n.retryParked()
		if moved == 0 {
			return
		}
	}
	n.t.Fatal("the test network did not settle in 50 rounds")
}

// holderOf returns the holder of code at db and the destination it is
// released to ("", "" if none).
func holderOf(t *testing.T, db *store.DB, code jukinet.ResidentCode) (string, string) {
	t.Helper()
	var m, rel string
	err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT municipality, released_to FROM flow_identity_holders WHERE resident_code = $1`, string(code)).Scan(&m, &rel)
	if err != nil && !noRows(err) {
		t.Fatal(err)
	}
	return m, rel
}

func rowCount(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var c int
	if err := db.Bookkeeping(store.Inspect).QueryRow(q, args...).Scan(&c); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return c
}

// TestResponsibilityMovesWithMoveIn: a person moving 防府市 → 久留米市 (across
// prefectures) and 防府市 → 山口市 (within 山口県). The prefecture and the
// national server answer with 防府市's information until both the 転入 and
// its 転出確定 have arrived, in either order, then with the new
// municipality's; the former holder's later reports are refused where it no
// longer holds the person.
func TestResponsibilityMovesWithMoveIn(t *testing.T) {
	for _, e := range storetest.Engines() {
		for _, c := range []struct {
			name         string
			to           jukinet.LGCode
			confirmFirst bool
		}{
			{"across prefectures, 転入 first", kurume, false},
			{"across prefectures, 転出確定 first", kurume, true},
			{"within the prefecture, 転入 first", yamaguchi, false},
			{"within the prefecture, 転出確定 first", yamaguchi, true},
		} {
			t.Run(string(e)+"/"+c.name, func(t *testing.T) { moveResponsibility(t, e, c.to, c.confirmFirst) })
		}
	}
}

func moveResponsibility(t *testing.T, e store.Engine, to jukinet.LGCode, confirmFirst bool) {
	n := newTestNet(t, e, nil)
	from, dest := n.muni[hofu], n.muni[to]
	yamaPref, destPref := n.pref["350001"], n.pref[to.PrefectureCode()]
	r := birth(t, from, "河村\u3000一郎", "カワムラ\u3000イチロウ", "1990-01-01", "")
	n.run()
	n.noRejections()
	newAddr := townOf(to) + "2番2号"
	if _, err := from.Register().MoveOut(as(clerk), register.MoveOutInput{ResidentCode: r.ResidentCode, PlannedDate: mustDate(t, "2026-11-20"),
		Destination: jukinet.Address{LGCode: to, Text: newAddr}}); err != nil {
		t.Fatal(err)
	}
	if _, err := dest.Register().MoveInDomestic(as(clerk), register.MoveInInput{PersonInput: register.PersonInput{Name: r.Name, BirthDate: r.BirthDate, Sex: r.Sex},
		ResidentCode: r.ResidentCode, MoveInDate: mustDate(t, "2026-11-22"), PlannedMoveOut: mustDate(t, "2026-11-20"),
		PreviousAddress: r.Address, AddressText: newAddr}); err != nil {
		t.Fatal(err)
	}
	current := func(who string) (pref, nat *jukinet.IdentityInfo) {
		t.Helper()
		p, _, err := destPref.Identity(as(looker), "", r.ResidentCode, "test")
		if err != nil && !(jukinet.ErrorKind(err) == jukinet.KindNotFound && to == kurume && confirmFirst) {
			t.Fatalf("%s: prefecture identity: %v", who, err)
		}
		nc, _, err := n.national.Identity(as(looker), r.ResidentCode, "test")
		if err != nil {
			t.Fatalf("%s: national identity: %v", who, err)
		}
		return p, nc
	}

	// Half the move has arrived: the 転入 (held) or the 転出確定 (a release).
	if confirmFirst {
		n.runHolding(func(kind, src string) bool { return kind == network.KindIdentityNotify.String() && src == string(to) })
		if m, rel := holderOf(t, n.national.DB(), r.ResidentCode); m != string(hofu) || rel != string(to) {
			t.Errorf("national after the 転出確定 alone: holder %s released to %q; want %s released to %s", m, rel, hofu, to)
		}
	} else {
		n.runHolding(func(kind, _ string) bool { return kind == network.KindMoveOutConfirm.String() })
		// Its 転入 and what followed it (the 個人番号 it designated).
		if got := rowCount(t, n.national.DB(), `SELECT COUNT(*) FROM flow_identity_held WHERE municipality = $1 AND version = 1 AND info LIKE '%move_in_domestic%'`, string(to)); got != 1 {
			t.Errorf("national holds %d 転入 reports of %s before the 転出確定, want 1", got, to)
		}
	}
	n.noRejections()
	p, nc := current("half the move")
	if nc.Municipality != hofu || nc.Change.Reason != jukinet.ReasonMoveOutDomestic {
		t.Errorf("national before the move completes: %s %s; want 防府市's 国内転出", nc.Municipality, nc.Change.Reason)
	}
	if to == yamaguchi && (p.Municipality != hofu || p.Change.Reason != jukinet.ReasonMoveOutDomestic) {
		t.Errorf("山口県 before the move completes: %s %s; want 防府市's 国内転出", p.Municipality, p.Change.Reason)
	}

	// The rest arrives: responsibility moves to the destination everywhere
	// it reports.
	n.run()
	n.noRejections()
	p, nc = current("after the move")
	for name, c := range map[string]*jukinet.IdentityInfo{"prefecture " + string(to.PrefectureCode()): p, "national": nc} {
		if c.Municipality != to || c.Address.Text != newAddr {
			t.Errorf("%s after the move: %s %s %q; want %s's report at %q", name, c.Municipality, c.Change.Reason, c.Address.Text, to, newAddr)
		}
	}
	if _, hist, err := n.national.Identity(as(looker), r.ResidentCode, "test"); err != nil || len(hist) == 0 || hist[0].Change.Reason != jukinet.ReasonMoveInDomestic {
		t.Errorf("national history of the new holder: %+v, %v; want its 国内転入 first", hist, err)
	}
	for name, db := range map[string]*store.DB{"national": n.national.DB(), "destination prefecture": destPref.DB()} {
		if m, rel := holderOf(t, db, r.ResidentCode); m != string(to) || rel != "" {
			t.Errorf("%s: holder %s released to %q; want %s", name, m, rel, to)
		}
		if got := rowCount(t, db, `SELECT COUNT(*) FROM flow_identity_held`); got != 0 {
			t.Errorf("%s: %d reports still held", name, got)
		}
	}
	if to == kurume {
		// 山口県 never sees the 転入: 防府市 holds the person there, released
		// out of the prefecture.
		if m, rel := holderOf(t, yamaPref.DB(), r.ResidentCode); m != string(hofu) || rel != string(kurume) {
			t.Errorf("山口県: holder %s released to %q; want %s released to %s", m, rel, hofu, kurume)
		}
	}

	// The new holder's next report is applied.
	if _, err := dest.Register().NameChange(as(clerk), r.ResidentCode, jukinet.Name{Kanji: "河村\u3000太郎", Kana: "カワムラ\u3000タロウ"}, mustDate(t, "2026-11-25")); err != nil {
		t.Fatal(err)
	}
	n.run()
	n.noRejections()
	if _, nc = current("after a name change"); nc.Municipality != to || nc.Name.Kanji != "河村\u3000太郎" {
		t.Errorf("national after the new holder's name change: %s %q", nc.Municipality, nc.Name.Kanji)
	}

	// A report from 防府市, which no longer holds the person, is refused by
	// the national server (and, within 山口県, by the prefecture).
	late := jukinet.IdentityInfo{Municipality: hofu, ResidentCode: r.ResidentCode, Name: jukinet.Name{Kanji: "偽名\u3000太郎", Kana: "ギメイ\u3000タロウ"},
		BirthDate: r.BirthDate, Sex: r.Sex, Address: r.Address, Version: 3,
		Change: jukinet.ChangeInfo{Reason: jukinet.ReasonClericalCorrection, Date: mustDate(t, "2026-11-26")}}
	b, err := json.Marshal(late)
	if err != nil {
		t.Fatal(err)
	}
	n.deliver(n.nodes[string(hofu)], outRow{kind: network.KindIdentityNotify.String(), dest: "350001", orderingKey: late.OrderingKey(), version: 3, body: b})
	n.run()
	if len(n.rejected) != 1 || !strings.Contains(n.rejected[0], "does not hold this person") {
		t.Errorf("rejections of 防府市's late report: %q; want one, it does not hold the person", n.rejected)
	}
	n.rejected = nil
	if _, nc = current("after the late report"); nc.Municipality != to || nc.Name.Kanji != "河村\u3000太郎" {
		t.Errorf("national after 防府市's late report: %s %q; want %s's", nc.Municipality, nc.Name.Kanji, to)
	}
}

// TestResponsibilityAfterMoveAbroad: no 転出確定 follows a 国外転出, so the
// person is taken by the next municipality's 国外転入.
func TestResponsibilityAfterMoveAbroad(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			r := birth(t, n.muni[hofu], "河村\u3000一郎", "カワムラ\u3000イチロウ", "1990-01-01", "")
			n.run()
			if _, err := n.muni[hofu].Register().MoveOut(as(clerk), register.MoveOutInput{ResidentCode: r.ResidentCode, PlannedDate: mustDate(t, "2026-11-20"),
				Abroad: true, Destination: jukinet.Address{Text: "アメリカ合衆国"}}); err != nil {
				t.Fatal(err)
			}
			if _, err := n.muni[kurume].Register().MoveInFromAbroad(as(clerk), register.MoveInInput{PersonInput: register.PersonInput{Name: r.Name, BirthDate: r.BirthDate, Sex: r.Sex},
				ResidentCode: r.ResidentCode, MoveInDate: mustDate(t, "2026-11-24"), PreviousAddress: jukinet.Address{Text: "アメリカ合衆国"}, AddressText: "福岡県久留米市城南町3番3号"}); err != nil {
				t.Fatal(err)
			}
			n.run()
			n.noRejections()
			cur, _, err := n.national.Identity(as(looker), r.ResidentCode, "test")
			if err != nil || cur.Municipality != kurume || cur.Address.Text != "福岡県久留米市城南町3番3号" {
				t.Fatalf("national after the 国外転入: %+v, %v; want 久留米市's 国外転入", cur, err)
			}
			if m, _ := holderOf(t, n.national.DB(), r.ResidentCode); m != string(kurume) {
				t.Errorf("national holder: %s, want %s", m, kurume)
			}
		})
	}
}

// TestResponsibilityFirstReportAndMoveInInOneBatch: the national server
// receives a person's first report (防府市's 出生) and 山口市's 転入 of the
// same person in one batch (a link was down), then 防府市's 転出確定: the
// person ends up held by 山口市.
func TestResponsibilityFirstReportAndMoveInInOneBatch(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			code := codeOf(t, "2345678901")
			info := func(m jukinet.LGCode, reason jukinet.ChangeReason, date string) jukinet.IdentityInfo {
				return jukinet.IdentityInfo{Municipality: m, ResidentCode: code, Name: jukinet.Name{Kanji: "河村\u3000一郎", Kana: "カワムラ\u3000イチロウ"},
					BirthDate: mustDate(t, "2026-11-01"), Sex: jukinet.SexMale, Address: jukinet.Address{LGCode: m, Text: townOf(m) + "1番1号"},
					Change: jukinet.ChangeInfo{Reason: reason, Date: mustDate(t, date)}, Version: 1}
			}
			relay := func(from jukinet.LGCode, kind network.Kind, key string, v uint64, body any) *network.Envelope {
				b, err := json.Marshal(body)
				if err != nil {
					t.Fatal(err)
				}
				inner := n.envelope(n.nodes[string(from)], kind, "350001", key, v, b)
				raw, err := network.EncodeEnvelope(inner)
				if err != nil {
					t.Fatal(err)
				}
				return n.envelope(n.nodes["350001"], network.KindIdentityRelay, network.NationalID, key, v, raw)
			}
			born, moved := info(hofu, jukinet.ReasonBirth, "2026-11-01"), info(yamaguchi, jukinet.ReasonMoveInDomestic, "2026-11-20")
			apply := func(envs ...*network.Envelope) {
				t.Helper()
				h := n.national.Handlers()[network.KindIdentityRelay]
				if err := n.national.DB().Update(as(jukinet.SystemActor("network")), store.Op{Operation: jukinet.OpNetworkReceive}, func(tx *store.Tx) error {
					for _, e := range envs {
						if err := h(tx, e); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			apply(relay(hofu, network.KindIdentityNotify, born.OrderingKey(), 1, born), relay(yamaguchi, network.KindIdentityNotify, moved.OrderingKey(), 1, moved))
			if m, _ := holderOf(t, n.national.DB(), code); m != string(hofu) {
				t.Fatalf("holder after the batch: %s, want %s (the first report)", m, hofu)
			}
			apply(relay(hofu, network.KindMoveOutConfirm, "", 0, MoveOutConfirm{Municipality: hofu, ResidentCode: code, PlannedDate: mustDate(t, "2026-11-19"),
				ConfirmedDate: mustDate(t, "2026-11-20"), ConfirmedDestination: moved.Address, NoticeDate: mustDate(t, "2026-11-21")}))
			cur, _, err := n.national.Identity(as(looker), code, "test")
			if err != nil || cur.Municipality != yamaguchi {
				t.Fatalf("national after the 転出確定: %+v, %v; want 山口市's", cur, err)
			}
			if m, _ := holderOf(t, n.national.DB(), code); m != string(yamaguchi) {
				t.Errorf("holder after the 転出確定: %s, want %s", m, yamaguchi)
			}
		})
	}
}

// TestResponsibilityForCodeLinks: a resident-code change links the old code
// to the new one only when it comes from the old code's holder: 山口市
// cannot link a 防府市 resident's code to a code of its own.
func TestResponsibilityForCodeLinks(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			r := birth(t, n.muni[hofu], "河村\u3000一郎", "カワムラ\u3000イチロウ", "1990-01-01", "")
			n.run()
			forged := jukinet.IdentityInfo{Municipality: yamaguchi, ResidentCode: codeOf(t, "3456789012"), Name: r.Name, BirthDate: r.BirthDate, Sex: r.Sex,
				Address: jukinet.Address{LGCode: yamaguchi, Text: townOf(yamaguchi) + "1番1号"}, Version: 1,
				Change: jukinet.ChangeInfo{Reason: jukinet.ReasonResidentCodeChangeRequest, Date: mustDate(t, "2026-11-20"), PreviousResidentCode: r.ResidentCode}}
			b, err := json.Marshal(forged)
			if err != nil {
				t.Fatal(err)
			}
			n.deliver(n.nodes[string(yamaguchi)], outRow{kind: network.KindIdentityNotify.String(), dest: "350001", orderingKey: forged.OrderingKey(), version: 1, body: b})
			n.run()
			if len(n.rejected) != 1 || !strings.Contains(n.rejected[0], "does not hold the person of the previous code") {
				t.Fatalf("rejections: %q; want the forged link refused", n.rejected)
			}
			n.rejected = nil
			for name, links := range map[string]func() ([]jukinet.ResidentCode, error){
				"prefecture": func() ([]jukinet.ResidentCode, error) {
					return n.pref["350001"].LinkedCodes(as(looker), r.ResidentCode)
				},
				"national": func() ([]jukinet.ResidentCode, error) { return n.national.LinkedCodes(as(looker), r.ResidentCode) },
			} {
				if got, err := links(); err != nil || len(got) != 0 {
					t.Errorf("%s links of the victim's code: %v, %v; want none", name, got, err)
				}
			}
		})
	}
}
