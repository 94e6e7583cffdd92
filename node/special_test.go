package node

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/card"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

var testCards = func() *card.SyntheticReader {
	ca, err := card.NewSyntheticCA("test", func() time.Time { return testNow })
	if err != nil {
		panic(err)
	}
	return &card.SyntheticReader{CA: ca, ValidFor: 5 * 365 * 24 * time.Hour}
}()

// newCard makes a synthetic card (the PIN stays in it).
func newCard(t *testing.T, serial, pin string) *card.Synthetic {
	t.Helper()
	c, err := testCards.CA.NewCard(serial, pin, 5*365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// cardInput is the 交付 of a fresh card: what the CS records of it.
func cardInput(t *testing.T, code jukinet.ResidentCode, serial, pin string) IssueCardInput {
	c := newCard(t, serial, pin)
	return IssueCardInput{ResidentCode: code, Serial: c.Serial(), Certificate: c.Certificate()}
}

// cardHolderMovesOut issues a card at from and records the holder's 転出 to
// the destination on 2026-11-20, delivering the 転出証明書情報.
func cardHolderMovesOut(t *testing.T, n *testNet, from *Municipality, r *register.Resident, serial, pin string, dest jukinet.LGCode) *card.Synthetic {
	t.Helper()
	c := issueCard(t, from, r, serial, pin)
	moveOut(t, from, r.ResidentCode, dest)
	n.run()
	n.noRejections()
	return c
}

func issueCard(t *testing.T, from *Municipality, r *register.Resident, serial, pin string) *card.Synthetic {
	t.Helper()
	c := newCard(t, serial, pin)
	if err := from.IssueCard(as(numbers), IssueCardInput{ResidentCode: r.ResidentCode, Serial: c.Serial(), Certificate: c.Certificate()}); err != nil {
		t.Fatalf("issue card: %v", err)
	}
	return c
}

func moveOutAndRun(t *testing.T, n *testNet, from *Municipality, r *register.Resident, dest jukinet.LGCode) {
	t.Helper()
	moveOut(t, from, r.ResidentCode, dest)
	n.run()
	n.noRejections()
}

func moveOut(t *testing.T, from *Municipality, code jukinet.ResidentCode, dest jukinet.LGCode) {
	t.Helper()
	if _, err := from.Register().MoveOut(as(clerk), register.MoveOutInput{ResidentCode: code, PlannedDate: mustDate(t, "2026-11-20"),
		Destination: jukinet.Address{LGCode: dest, Text: townOf(dest) + "2番2号"}}); err != nil {
		t.Fatal(err)
	}
}

// refusalsLogged counts the records of op in db's log whose detail says it
// was refused.
func refusalsLogged(t *testing.T, db *store.DB, op jukinet.Operation) int {
	t.Helper()
	rows, err := db.Bookkeeping(store.Inspect).Query(`SELECT leaf FROM oplog WHERE operation = $1`, string(op))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	c := 0
	for rows.Next() {
		var leaf []byte
		if err := rows.Scan(&leaf); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(leaf, []byte(`"detail":"refused:`)) {
			c++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return c
}

// 転入届の特例 (法24条の2) with the card as JPKI 利用者証明用 works: the card
// checks its PIN and signs the node's challenge; the node checks the
// signature against the certificate recorded for the person. Each refusal
// changes nothing and is recorded.
func TestSpecialMoveInCard(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			from, to := n.muni[hofu], n.muni[kurume]
			r := birth(t, from, "末永\u3000誠", "スエナガ\u3000マコト", "1980-05-05", "山口県防府市松崎町1番地")
			c := cardHolderMovesOut(t, n, from, r, "CARD0001", "1234", kurume)
			in := SpecialMoveInInput{ResidentCode: r.ResidentCode, Card: c, PIN: "1234", MoveInDate: mustDate(t, "2026-11-21"), AddressText: "福岡県久留米市東町1番1号"}
			cases := []struct {
				name string
				mod  func(*SpecialMoveInInput)
				want jukinet.Kind
			}{
				{"another card", func(i *SpecialMoveInInput) { i.Card = newCard(t, "CARD9999", "1234") }, jukinet.KindUnauthorized},
				{"a card with the same serial but another key", func(i *SpecialMoveInInput) { i.Card = newCard(t, "CARD0001", "1234") }, jukinet.KindUnauthorized},
				{"wrong pin", func(i *SpecialMoveInInput) { i.PIN = "0000" }, jukinet.KindUnauthorized},
				{"more than 14 days after moving in", func(i *SpecialMoveInInput) { i.MoveInDate = mustDate(t, "2026-11-11") }, jukinet.KindExpired},
				{"unknown person", func(i *SpecialMoveInInput) { i.ResidentCode = codeOf(t, "1234567890") }, jukinet.KindNotFound},
			}
			for _, k := range cases {
				x := in
				k.mod(&x)
				if _, err := to.SpecialMoveIn(as(special), x); jukinet.ErrorKind(err) != k.want {
					t.Errorf("%s: got %v (kind %v), want kind %v", k.name, err, jukinet.ErrorKind(err), k.want)
				}
				if k.name == "wrong pin" && c.TriesLeft() != card.MaxPINTries-1 {
					t.Errorf("tries left on the card after one wrong PIN: %d, want %d", c.TriesLeft(), card.MaxPINTries-1)
				}
			}
			if got := refusalsLogged(t, to.DB(), jukinet.OpSpecialMoveIn); got != len(cases) {
				t.Errorf("refusals in the operation log: %d, want %d", got, len(cases))
			}
			if recs, _ := to.Register().Get(as(looker), r.ResidentCode, "test"); len(recs) != 0 {
				t.Fatalf("a refused special move-in recorded the person: %+v", recs)
			}
			if _, err := to.SpecialMoveIn(as(clerk), in); jukinet.ErrorKind(err) != jukinet.KindForbidden {
				t.Errorf("special move-in by a record clerk: %v, want forbidden", err)
			}
			got, err := to.SpecialMoveIn(as(special), in)
			if err != nil {
				t.Fatalf("special move-in: %v", err)
			}
			if got.ResidentCode != r.ResidentCode || !got.CardHolder || got.Domicile != r.Domicile || got.Address.LGCode != kurume {
				t.Errorf("moved-in record: %+v", got)
			}
			if c.TriesLeft() != card.MaxPINTries {
				t.Errorf("the right PIN did not reset the card's counter: %d", c.TriesLeft())
			}
			var continued, due string
			if err := to.DB().Bookkeeping(store.Inspect).QueryRow(`SELECT continued_on, continue_due FROM flow_cards WHERE serial = 'CARD0001'`).Scan(&continued, &due); err != nil {
				t.Fatal(err)
			}
			if continued != "2026-11-26" || due != "" {
				t.Errorf("継続利用: continued_on %q, continue_due %q; want 2026-11-26 and none pending", continued, due)
			}
			if _, err := to.SpecialMoveIn(as(special), in); jukinet.ErrorKind(err) != jukinet.KindNotFound {
				t.Errorf("second use of the certificate: %v, want not found", err)
			}
			n.run()
			n.noRejections()
			recs, _ := from.Register().Get(as(looker), r.ResidentCode, "test")
			if len(recs) != 1 || recs[0].Removal == nil || recs[0].Removal.NoticeDate.IsZero() {
				t.Errorf("previous CS did not record the move-in notice: %+v", recs)
			}
			if st, err := n.national.CardStatus(as(looker), r.ResidentCode); err != nil || st.Municipality != kurume {
				t.Errorf("national card status after 継続利用: %+v, %v; want at 久留米市", st, err)
			}
		})
	}
}

// Three wrong PINs lock the card (the card counts them); a locked card is
// refused even with the right PIN, and nothing is recorded.
func TestSpecialMoveInLockedCard(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			from, to := n.muni[hofu], n.muni[yamaguchi]
			r := birth(t, from, "守田\u3000修", "モリタ\u3000オサム", "1970-03-03", "")
			c := cardHolderMovesOut(t, n, from, r, "CARD0002", "4321", yamaguchi)
			in := SpecialMoveInInput{ResidentCode: r.ResidentCode, Card: c, PIN: "0000", MoveInDate: mustDate(t, "2026-11-21"), AddressText: "山口県山口市平井1番"}
			for i := range card.MaxPINTries {
				if _, err := to.SpecialMoveIn(as(special), in); jukinet.ErrorKind(err) != jukinet.KindUnauthorized {
					t.Fatalf("wrong PIN %d: %v, want unauthorized", i+1, err)
				}
			}
			in.PIN = "4321"
			if _, err := to.SpecialMoveIn(as(special), in); jukinet.ErrorKind(err) != jukinet.KindLocked {
				t.Errorf("right PIN after %d wrong: %v, want locked", card.MaxPINTries, err)
			}
			if got := refusalsLogged(t, to.DB(), jukinet.OpSpecialMoveIn); got != card.MaxPINTries+1 {
				t.Errorf("refusals logged: %d, want %d", got, card.MaxPINTries+1)
			}
			if recs, _ := to.Register().Get(as(looker), r.ResidentCode, "test"); len(recs) != 0 {
				t.Errorf("a locked card moved the person in")
			}
		})
	}
}

// A card whose certificate is revoked or suspended at the CS is refused.
func TestSpecialMoveInRevokedCard(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			from, to := n.muni[hofu], n.muni[kurume]
			r := birth(t, from, "廃止\u3000花", "ハイシ\u3000ハナ", "1975-01-01", "")
			c := cardHolderMovesOut(t, n, from, r, "CARD0003", "1111", kurume)
			if _, err := to.DB().Bookkeeping(store.Inspect).Exec(`UPDATE flow_cards SET card_state = 'revoked', cert_state = 'revoked' WHERE serial = 'CARD0003'`); err != nil {
				t.Fatal(err)
			}
			in := SpecialMoveInInput{ResidentCode: r.ResidentCode, Card: c, PIN: "1111", MoveInDate: mustDate(t, "2026-11-21"), AddressText: "福岡県久留米市東町3番"}
			if _, err := to.SpecialMoveIn(as(special), in); jukinet.ErrorKind(err) != jukinet.KindForbidden {
				t.Errorf("revoked card: %v, want forbidden", err)
			}
			if refusalsLogged(t, to.DB(), jukinet.OpSpecialMoveIn) != 1 {
				t.Errorf("the refusal was not logged")
			}
		})
	}
}

// A stolen 転出証明書情報 and the database files give nothing to brute-force:
// no column of any table is about a PIN, and the certificate information
// carries only the card's serial and public certificate.
func TestNoPINVerifierAnywhere(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			from, to := n.muni[hofu], n.muni[kurume]
			r := birth(t, from, "盗難\u3000守", "トウナン\u3000マモル", "1990-02-02", "")
			cardHolderMovesOut(t, n, from, r, "CARD0004", "2468", kurume)
			for _, m := range []*Municipality{from, to} {
				for _, col := range columnNames(t, m, e) {
					for _, w := range strings.FieldsFunc(col, func(r rune) bool { return r == '_' || r == '.' }) {
						if w == "pin" || w == "pins" || w == "verifier" || w == "salt" {
							t.Errorf("%s: column %s", m.Code(), col)
						}
					}
				}
			}
			var body string
			if err := to.DB().Bookkeeping(store.Inspect).QueryRow(`SELECT body FROM flow_moveout_certificates WHERE resident_code = $1`, string(r.ResidentCode)).Scan(&body); err != nil {
				t.Fatal(err)
			}
			var b struct {
				Card map[string]json.RawMessage `json:"card"`
			}
			if err := json.Unmarshal([]byte(body), &b); err != nil || len(b.Card) != 2 || b.Card["serial"] == nil || b.Card["certificate"] == nil {
				t.Errorf("card in the 転出証明書情報: %v keys (%v), want exactly serial and certificate", len(b.Card), err)
			}
			// The certificate is random base64, which may spell "pin" or
			// "2468" by chance: search the rest of the body.
			rest := strings.Replace(body, string(b.Card["certificate"]), `""`, 1)
			if strings.Contains(strings.ToLower(rest), "pin") || strings.Contains(rest, "2468") {
				t.Errorf("the 転出証明書情報 mentions a PIN")
			}
			// A body carrying the old verifier is refused by strict decoding.
			var raw map[string]any
			json.Unmarshal([]byte(body), &raw)
			raw["card"].(map[string]any)["pin_hash"] = "AAAA"
			if err := decodeStrict(raw, &MoveOutCertificate{}); err == nil {
				t.Errorf("a 転出証明書情報 with pin_hash decoded")
			}
		})
	}
}

func columnNames(t *testing.T, m *Municipality, e store.Engine) []string {
	t.Helper()
	q := `SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'`
	if e == store.Postgres {
		q = `SELECT table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = current_schema()`
	}
	rows, err := m.DB().Bookkeeping(store.Inspect).Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.ToLower(s))
	}
	if len(out) < 50 {
		t.Fatalf("only %d columns found", len(out))
	}
	return out
}

func decodeStrict(v any, into any) error {
	b, _ := json.Marshal(v)
	return Decode(&network.Envelope{Kind: network.KindMoveOutCertificate, Body: b}, into)
}

// 同一世帯員 (法24条の2): the household moving with the card holder is
// recorded in the same 特例転入; a person of another household, or of the
// same household moving on another date, is refused and nothing is written.
func TestSpecialMoveInHousehold(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			from, to := n.muni[hofu], n.muni[kurume]
			head := birth(t, from, "世帯\u3000主", "セタイ\u3000ヌシ", "1970-01-01", "")
			child, err := from.Register().Birth(as(clerk), register.BirthInput{PersonInput: register.PersonInput{
				Name: jukinet.Name{Kanji: "世帯\u3000子", Kana: "セタイ\u3000コ"}, BirthDate: mustDate(t, "2010-01-01"), Sex: jukinet.SexMale},
				Household: register.HouseholdChoice{ID: head.HouseholdID, Relationship: "子"}})
			if err != nil {
				t.Fatal(err)
			}
			stranger := birth(t, from, "他人\u3000様", "タニン\u3000サマ", "1980-01-01", "")
			c := issueCard(t, from, head, "CARD0005", "1357")
			moveOut(t, from, stranger.ResidentCode, kurume) // no card in their household: no certificate
			moveOut(t, from, child.ResidentCode, kurume)    // before the 世帯主, who leaves last
			moveOutAndRun(t, n, from, head, kurume)
			if got := countRows(t, to, `SELECT COUNT(*) FROM flow_moveout_certificates`); got != 2 {
				t.Fatalf("certificates at 久留米市: %d, want 2 (the holder and the child, not the stranger)", got)
			}
			in := SpecialMoveInInput{ResidentCode: head.ResidentCode, Card: c, PIN: "1357", MoveInDate: mustDate(t, "2026-11-21"), AddressText: "福岡県久留米市東町5番"}
			bad := in
			bad.Members = []SpecialMember{{ResidentCode: child.ResidentCode}, {ResidentCode: stranger.ResidentCode}}
			if _, err := to.SpecialMoveIn(as(special), bad); jukinet.ErrorKind(err) != jukinet.KindNotFound || jukinet.ErrorField(err) != "members[1].resident_code" {
				t.Errorf("a stranger as member: %v, want not found on members[1]", err)
			}
			if recs, _ := to.Register().Get(as(looker), child.ResidentCode, "test"); len(recs) != 0 {
				t.Fatalf("a refused household 特例転入 recorded the child")
			}
			in.Members = []SpecialMember{{ResidentCode: child.ResidentCode}}
			got, err := to.SpecialMoveIn(as(special), in)
			if err != nil {
				t.Fatalf("household special move-in: %v", err)
			}
			recs, err := to.Register().Get(as(looker), child.ResidentCode, "test")
			if err != nil || len(recs) != 1 || recs[0].HouseholdID != got.HouseholdID || recs[0].Relationship != "子" || got.Relationship != register.RelationshipHead {
				t.Fatalf("child after the household 特例転入: %+v (%v); want 子 in the holder's household", recs, err)
			}
			if recs[0].CardHolder {
				t.Errorf("the child is marked a card holder")
			}
		})
	}
}

// A member whose household moved on another date is refused: they did not
// move with the holder.
func TestSpecialMoveInMemberOtherDate(t *testing.T) {
	n := newTestNet(t, storetest.Engines()[0], nil)
	from, to := n.muni[hofu], n.muni[kurume]
	head := birth(t, from, "別日\u3000主", "ベツビ\u3000ヌシ", "1970-01-01", "")
	child, err := from.Register().Birth(as(clerk), register.BirthInput{PersonInput: register.PersonInput{
		Name: jukinet.Name{Kanji: "別日\u3000子", Kana: "ベツビ\u3000コ"}, BirthDate: mustDate(t, "2010-01-01"), Sex: jukinet.SexMale},
		Household: register.HouseholdChoice{ID: head.HouseholdID, Relationship: "子"}})
	if err != nil {
		t.Fatal(err)
	}
	c := issueCard(t, from, head, "CARD0006", "1357")
	if _, err := from.Register().MoveOut(as(clerk), register.MoveOutInput{ResidentCode: child.ResidentCode, PlannedDate: mustDate(t, "2026-11-18"),
		Destination: jukinet.Address{LGCode: kurume, Text: "福岡県久留米市東町9番"}}); err != nil {
		t.Fatal(err)
	}
	moveOutAndRun(t, n, from, head, kurume)
	in := SpecialMoveInInput{ResidentCode: head.ResidentCode, Card: c, PIN: "1357", MoveInDate: mustDate(t, "2026-11-21"), AddressText: "福岡県久留米市東町5番",
		Members: []SpecialMember{{ResidentCode: child.ResidentCode}}}
	if _, err := to.SpecialMoveIn(as(special), in); jukinet.ErrorKind(err) != jukinet.KindInvalid || jukinet.ErrorField(err) != "members[0].resident_code" {
		t.Errorf("a member who moved on another date: %v, want invalid members[0]", err)
	}
}

// The window (法24条の2): past 30 days after the planned move-out the
// certificate information lapses — marked, though the 特例転入 is refused —
// and ExpireCards lapses the others; a card not presented for 継続利用 within
// 90 days of the 転入 lapses (番号法17条2項), and one presented in time is
// continued.
func TestSpecialWindowAndContinuanceLapse(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			saved := testNow
			defer func() { testNow = saved }()
			n := newTestNet(t, e, nil)
			from, to := n.muni[hofu], n.muni[kurume]
			late := birth(t, from, "遅延\u3000太郎", "チエン\u3000タロウ", "1960-01-01", "")
			lc := cardHolderMovesOut(t, n, from, late, "CARD0007", "1111", kurume)
			other := birth(t, from, "放置\u3000次郎", "ホウチ\u3000ジロウ", "1960-01-01", "")
			cardHolderMovesOut(t, n, from, other, "CARD0008", "2222", kurume)
			a := birth(t, from, "継続\u3000花", "ケイゾク\u3000ハナ", "1960-01-01", "")
			ac := cardHolderMovesOut(t, n, from, a, "CARD0009", "3333", kurume)
			b := birth(t, from, "失効\u3000雪", "シッコウ\u3000ユキ", "1960-01-01", "")
			cardHolderMovesOut(t, n, from, b, "CARD0010", "4444", kurume)
			// a and b move in the ordinary way (paper 転出証明書): their cards await 継続利用.
			for _, r := range []*register.Resident{a, b} {
				if _, err := to.Register().MoveInDomestic(as(clerk), register.MoveInInput{PersonInput: register.PersonInput{Name: r.Name, BirthDate: r.BirthDate, Sex: r.Sex},
					ResidentCode: r.ResidentCode, CardHolder: true, MoveInDate: mustDate(t, "2026-11-21"), PlannedMoveOut: mustDate(t, "2026-11-20"),
					PreviousAddress: r.Address, AddressText: "福岡県久留米市東町7番"}); err != nil {
					t.Fatal(err)
				}
			}
			if err := to.ContinueCard(as(numbers), a.ResidentCode, ac, "3333"); err != nil {
				t.Fatalf("継続利用 in time: %v", err)
			}
			testNow = saved.AddDate(0, 0, 25) // 2026-12-21: 31 days after the planned move-out
			in := SpecialMoveInInput{ResidentCode: late.ResidentCode, Card: lc, PIN: "1111", MoveInDate: mustDate(t, "2026-12-20"), AddressText: "福岡県久留米市東町8番"}
			if _, err := to.SpecialMoveIn(as(special), in); jukinet.ErrorKind(err) != jukinet.KindExpired {
				t.Fatalf("特例転入 31 days after the planned move-out: %v, want expired", err)
			}
			if got := countRows(t, to, `SELECT COUNT(*) FROM flow_moveout_certificates WHERE lapsed_at <> 0`); got != 1 {
				t.Errorf("lapsed certificates after the refusal: %d, want 1", got)
			}
			testNow = saved.AddDate(0, 0, 90) // 2027-02-24: 95 days after the 転入
			cards, certs, err := to.ExpireCards(as(numbers))
			if err != nil || cards != 1 || certs != 1 {
				t.Fatalf("ExpireCards: %d cards, %d certificates, %v; want 1 (b's), 1 (other's)", cards, certs, err)
			}
			var st string
			if err := to.DB().Bookkeeping(store.Inspect).QueryRow(`SELECT card_state FROM flow_cards WHERE serial = 'CARD0010'`).Scan(&st); err != nil {
				t.Fatal(err)
			}
			if recs, _ := to.Register().Get(as(looker), b.ResidentCode, "test"); st != CardRevoked || len(recs) != 1 || recs[0].CardHolder {
				t.Errorf("b's card after 90 days without 継続利用: %s, holder mark %v", st, recs)
			}
			if err := to.DB().Bookkeeping(store.Inspect).QueryRow(`SELECT card_state FROM flow_cards WHERE serial = 'CARD0009'`).Scan(&st); err != nil {
				t.Fatal(err)
			}
			if st != CardIssued {
				t.Errorf("a's continued card: %s, want issued", st)
			}
		})
	}
}

func countRows(t *testing.T, m *Municipality, q string) int {
	t.Helper()
	var c int
	if err := m.DB().Bookkeeping(store.Inspect).QueryRow(q).Scan(&c); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return c
}

// A running node lapses overdue cards by itself: Assembly.RunMaintenance
// does the ExpireCards sweep as it starts (and every MaintenanceInterval),
// so a card not presented for 継続利用 within 90 days (番号法17条2項) is
// revoked without anyone running the sweep.
func TestMaintenanceLapsesOverdueCards(t *testing.T) {
	saved := testNow
	defer func() { testNow = saved }()
	n := newTestNet(t, store.SQLite, nil)
	from, to := n.muni[hofu], n.muni[kurume]
	b := birth(t, from, "失効\u3000雪", "シッコウ\u3000ユキ", "1960-01-01", "")
	cardHolderMovesOut(t, n, from, b, "CARD0011", "4444", kurume)
	if _, err := to.Register().MoveInDomestic(as(clerk), register.MoveInInput{PersonInput: register.PersonInput{Name: b.Name, BirthDate: b.BirthDate, Sex: b.Sex},
		ResidentCode: b.ResidentCode, CardHolder: true, MoveInDate: mustDate(t, "2026-11-21"), PlannedMoveOut: mustDate(t, "2026-11-20"),
		PreviousAddress: b.Address, AddressText: "福岡県久留米市東町7番"}); err != nil {
		t.Fatal(err)
	}
	state := func() string {
		var st string
		if err := to.DB().Bookkeeping(store.Inspect).QueryRow(`SELECT card_state FROM flow_cards WHERE serial = 'CARD0011'`).Scan(&st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := state(); st == CardRevoked {
		t.Fatalf("the card is revoked before its 継続利用 is due")
	}
	testNow = saved.AddDate(0, 0, 90) // 95 days after the 転入
	stop := (&Assembly{Municipality: to}).RunMaintenance(context.Background(), time.Hour, func(f string, a ...any) { t.Errorf(f, a...) })
	deadline := time.Now().Add(10 * time.Second)
	for state() != CardRevoked && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if st := state(); st != CardRevoked {
		t.Errorf("the overdue card after the node's maintenance: %s, want %s", st, CardRevoked)
	}
}
