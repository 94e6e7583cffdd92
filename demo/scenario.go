package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/card"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/register"
)

// Cluster is what the scenario needs of a running demo network: the nodes'
// Go APIs and a way to wait until every outbox is delivered.
type Cluster interface {
	Municipality(id jukinet.LGCode) *node.Municipality
	Prefecture(id jukinet.LGCode) *node.Prefecture
	National() *node.National
	// WaitIdle returns when no node has an undelivered message.
	WaitIdle(ctx context.Context) error
}

// AgenciesTOML is the demo network's agency list (法30条の9, 別表; abridged).
const AgenciesTOML = `
[[agency]]
id = "pension"
name = "日本年金機構"
tasks = ["年金給付の支給", "年金加入者の記録"]
individual_number = true

[[agency]]
id = "passport"
name = "外務省"
tasks = ["旅券の発給"]
`

// Scenario actors: the demo's counter staff (People), designated
// to handle identity information at every municipality (SeedGovernance,
// SeedHandlers).
var (
	scClerk   = demoActor(DemoClerk, jukinet.AuthorityRecord)
	scIssuer  = demoActor(DemoIssuer, jukinet.AuthorityIssue)
	scSpecial = demoActor(DemoIssuer, jukinet.AuthoritySpecialMoveIn)
	scNumber  = demoActor(DemoNumber, jukinet.AuthorityNumber)
	scLookup  = demoActor(DemoClerk, jukinet.AuthorityLookup)
)

func demoActor(collationID string, a jukinet.Authority) jukinet.Actor {
	return jukinet.Actor{CollationID: collationID, OperatorID: OperatorID(collationID, a), Authority: a, Terminal: TerminalID}
}

func with(ctx context.Context, a jukinet.Actor) context.Context { return jukinet.WithActor(ctx, a) }

// RunScenario drives every flow of docs/domain.md §3 through the public Go API of
// a running demo network (national, 山口県 with 防府市 and 山口市, 福岡県 with
// 久留米市) and checks the effect at every node the flow should reach. It
// returns one line per flow: "PASS <flow>" or "FAIL <flow>: why" ("SKIP" when
// the network lacks what the flow needs). Each run uses fresh persons, so it
// can be repeated on the same network.
func RunScenario(ctx context.Context, c Cluster) []string {
	s := &scenario{c: c, hofu: c.Municipality(Hofu.Code), yama: c.Municipality(Yamaguchi.Code), kurume: c.Municipality(Kurume.Code),
		yPref: c.Prefecture("350001"), fPref: c.Prefecture("400009"), nat: c.National(), tag: fmt.Sprintf("%04d", time.Now().UnixNano()%10000)}
	var out []string
	for _, f := range []struct {
		name string
		run  func(context.Context) error
	}{
		{"rescode.pool (a new 住民票コード comes from the granted pool)", s.pool},
		{"identity.notify", s.identity},
		{"movein.notice+moveout.confirm", s.moveIn},
		{"特例転入 of a household with the card holder (moveout.certificate+special_move_in; the card signs, PIN checked on the card)", s.specialMoveIn},
		{"copy.request+copy.response", s.copy},
		{"support.measure (支援措置 refuses the 広域交付)", s.supportMeasure},
		{"annex.notice+annexid.notify (附票 at the 本籍地, own residents too; 附票本人確認情報 at 山口県 and national)", s.annex},
		{"mynumber (designated with the birth; 変更請求; other reasons refused)", s.myNumber},
		{"linkcode", s.linkCode},
		{"card.status", s.cardStatus},
		{"national.provide", s.provide},
	} {
		err := f.run(ctx)
		switch {
		case err == nil:
			out = append(out, "PASS "+f.name)
		case err == errSkip:
			out = append(out, "SKIP "+f.name+": no agencies configured")
		default:
			out = append(out, "FAIL "+f.name+": "+err.Error())
		}
	}
	return out
}

var errSkip = fmt.Errorf("skip")

type scenario struct {
	c                  Cluster
	hofu, yama, kurume *node.Municipality
	yPref, fPref       *node.Prefecture
	nat                *node.National
	tag                string
	number             jukinet.ResidentCode // the person given a 個人番号, reused by provide
}

func (s *scenario) today() jukinet.Date { return jukinet.Today(s.hofu.DB().Now()) }

// person records a birth of a fresh, uniquely named person at m.
func (s *scenario) person(ctx context.Context, m *node.Municipality, given, kana, domicile string) (*register.Resident, error) {
	town := map[jukinet.LGCode]string{Hofu.Code: "山口県防府市松崎町", Yamaguchi.Code: "山口県山口市亀山町", Kurume.Code: "福岡県久留米市城南町"}[m.Code()]
	return m.Register().Birth(with(ctx, scClerk), register.BirthInput{PersonInput: register.PersonInput{
		Name:      jukinet.Name{Kanji: "試験\u3000" + given + s.tag, Kana: "シケン\u3000" + kana},
		BirthDate: s.today().AddDays(-3), Sex: jukinet.SexFemale, Domicile: domicile, DomicileHead: "試験\u3000" + given},
		AddressText: town + "1番" + s.tag + "号"})
}

func (s *scenario) pool(ctx context.Context) error {
	for _, m := range []*node.Municipality{s.hofu, s.yama, s.kurume} {
		if err := m.RequestCodePool(with(ctx, jukinet.SystemActor("demo-scenario"))); err != nil {
			return err
		}
	}
	if err := s.c.WaitIdle(ctx); err != nil {
		return err
	}
	for _, m := range []*node.Municipality{s.hofu, s.yama, s.kurume} {
		n, err := m.PoolSize(ctx)
		if err != nil || n == 0 {
			return fmt.Errorf("the pool of %s holds %d codes after a grant (%v)", m.Code(), n, err)
		}
	}
	// A birth takes its code from the pool (法30条の2): one code fewer.
	before, err := s.hofu.PoolSize(ctx)
	if err != nil {
		return err
	}
	if _, err := s.person(ctx, s.hofu, "符番", "フバン", ""); err != nil {
		return err
	}
	if after, err := s.hofu.PoolSize(ctx); err != nil || after != before-1 {
		return fmt.Errorf("防府市's pool went from %d to %d codes with a birth (%v), want one fewer", before, after, err)
	}
	return nil
}

func (s *scenario) identity(ctx context.Context) error {
	r, err := s.person(ctx, s.hofu, "本人", "ホンニン", "")
	if err != nil {
		return err
	}
	if err := s.c.WaitIdle(ctx); err != nil {
		return err
	}
	p, _, err := s.yPref.Identity(with(ctx, scLookup), Hofu.Code, r.ResidentCode, "demo scenario")
	if err != nil || p.Name != r.Name {
		return fmt.Errorf("山口県 has %v (%v)", p, err)
	}
	n, _, err := s.nat.Identity(with(ctx, scLookup), r.ResidentCode, "demo scenario")
	if err != nil || n.Name != r.Name {
		return fmt.Errorf("national has %v (%v)", n, err)
	}
	return nil
}

func (s *scenario) moveIn(ctx context.Context) error {
	r, err := s.person(ctx, s.hofu, "転入", "テンニュウ", "")
	if err != nil {
		return err
	}
	today := s.today()
	if _, err := s.hofu.Register().MoveOut(with(ctx, scClerk), register.MoveOutInput{ResidentCode: r.ResidentCode, PlannedDate: today,
		Destination: jukinet.Address{LGCode: Yamaguchi.Code, Text: "山口県山口市中央1番"}}); err != nil {
		return err
	}
	if _, err := s.yama.Register().MoveInDomestic(with(ctx, scClerk), register.MoveInInput{PersonInput: register.PersonInput{Name: r.Name, BirthDate: r.BirthDate, Sex: r.Sex},
		ResidentCode: r.ResidentCode, MoveInDate: today, PlannedMoveOut: today, PreviousAddress: r.Address, AddressText: "山口県山口市中央2番" + s.tag + "号"}); err != nil {
		return err
	}
	if err := s.c.WaitIdle(ctx); err != nil {
		return err
	}
	recs, err := s.hofu.Register().Get(with(ctx, scLookup), r.ResidentCode, "demo scenario")
	if err != nil || len(recs) == 0 || recs[0].Removal == nil || recs[0].Removal.NoticeDate.IsZero() {
		return fmt.Errorf("防府市's 除票 has no move-in notice (%v)", err)
	}
	if c, err := s.yPref.MoveOutConfirmations(with(ctx, scLookup), r.ResidentCode); err != nil || len(c) == 0 {
		return fmt.Errorf("山口県 has no move-out confirmation (%v)", err)
	}
	if c, err := s.nat.MoveOutConfirmations(with(ctx, scLookup), r.ResidentCode); err != nil || len(c) == 0 {
		return fmt.Errorf("national has no move-out confirmation (%v)", err)
	}
	return nil
}

// issueCard hands a synthetic card to a resident (交付): the card is made
// with the holder's PIN, and the CS records its certificate.
func (s *scenario) issueCard(ctx context.Context, m *node.Municipality, code jukinet.ResidentCode, serial, pin string) (*card.Synthetic, error) {
	ca, err := card.NewSyntheticCA("demo scenario", m.DB().Now) // on the network's clock
	if err != nil {
		return nil, err
	}
	c, err := ca.NewCard(serial, pin, 5*365*24*time.Hour)
	if err != nil {
		return nil, err
	}
	if err := m.IssueCard(with(ctx, scNumber), node.IssueCardInput{ResidentCode: code, Serial: c.Serial(), Certificate: c.Certificate()}); err != nil {
		return nil, err
	}
	return c, nil
}

// specialMoveIn: a card holder (世帯主) and their child move from 防府市 to
// 久留米市; the child's 転出証明書情報 travels because they move with the
// holder. A wrong PIN is refused and counted on the card; the right one
// records both in one household, the card marked 継続利用 at 久留米市.
func (s *scenario) specialMoveIn(ctx context.Context) error {
	r, err := s.person(ctx, s.hofu, "特例", "トクレイ", "")
	if err != nil {
		return err
	}
	child, err := s.hofu.Register().Birth(with(ctx, scClerk), register.BirthInput{PersonInput: register.PersonInput{
		Name: jukinet.Name{Kanji: "試験\u3000特子" + s.tag, Kana: "シケン\u3000トクコ"}, BirthDate: s.today().AddDays(-1), Sex: jukinet.SexFemale},
		Household: register.HouseholdChoice{ID: r.HouseholdID, Relationship: "子"}})
	if err != nil {
		return err
	}
	c, err := s.issueCard(ctx, s.hofu, r.ResidentCode, "DEMO"+s.tag+"X", "2580")
	if err != nil {
		return err
	}
	today := s.today()
	for _, code := range []jukinet.ResidentCode{child.ResidentCode, r.ResidentCode} { // the 世帯主 leaves last
		if _, err := s.hofu.Register().MoveOut(with(ctx, scClerk), register.MoveOutInput{ResidentCode: code, PlannedDate: today,
			Destination: jukinet.Address{LGCode: Kurume.Code, Text: "福岡県久留米市東町1番"}}); err != nil {
			return err
		}
	}
	if err := s.c.WaitIdle(ctx); err != nil {
		return err
	}
	in := node.SpecialMoveInInput{ResidentCode: r.ResidentCode, Card: c, PIN: "0000", MoveInDate: today, AddressText: "福岡県久留米市東町1番" + s.tag + "号",
		Members: []node.SpecialMember{{ResidentCode: child.ResidentCode}}}
	if _, err := s.kurume.SpecialMoveIn(with(ctx, scSpecial), in); jukinet.ErrorKind(err) != jukinet.KindUnauthorized || c.TriesLeft() != card.MaxPINTries-1 {
		return fmt.Errorf("a wrong PIN gave %v with %d tries left, want unauthorized and %d", err, c.TriesLeft(), card.MaxPINTries-1)
	}
	in.PIN = "2580"
	got, err := s.kurume.SpecialMoveIn(with(ctx, scSpecial), in)
	if err != nil {
		return err
	}
	if got.Address.LGCode != Kurume.Code || !got.CardHolder {
		return fmt.Errorf("久留米市 recorded %+v", got.Address)
	}
	recs, err := s.kurume.Register().Get(with(ctx, scLookup), child.ResidentCode, "demo scenario")
	if err != nil || len(recs) != 1 || recs[0].HouseholdID != got.HouseholdID || recs[0].Relationship != "子" {
		return fmt.Errorf("the child was not recorded in the holder's household (%v)", err)
	}
	if err := s.c.WaitIdle(ctx); err != nil {
		return err
	}
	if _, _, err := s.fPref.Identity(with(ctx, scLookup), Kurume.Code, r.ResidentCode, "demo scenario"); err != nil {
		return fmt.Errorf("福岡県 has no identity information: %v", err)
	}
	if st, err := s.nat.CardStatus(with(ctx, scLookup), r.ResidentCode); err != nil || st.Municipality != Kurume.Code {
		return fmt.Errorf("national does not see the card's 継続利用 at 久留米市 (%v)", err)
	}
	return nil
}

func (s *scenario) copy(ctx context.Context) error {
	r, err := s.person(ctx, s.hofu, "写し", "ウツシ", "")
	if err != nil {
		return err
	}
	if err := s.c.WaitIdle(ctx); err != nil {
		return err
	}
	id, err := s.kurume.RequestCopy(with(ctx, scIssuer), node.CopyRequestInput{Residence: Hofu.Code, Name: r.Name, BirthDate: r.BirthDate, Items: node.CopyItems{Household: true}})
	if err != nil {
		return err
	}
	if err := s.c.WaitIdle(ctx); err != nil {
		return err
	}
	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rec, err := s.kurume.AwaitCopy(with(wait, scIssuer), id)
	if err != nil {
		return err
	}
	if rec.Address != r.Address || rec.HouseholderName == "" || rec.IndividualNumber != "" || rec.ResidentCode != "" {
		return fmt.Errorf("copy shows the wrong items")
	}
	return nil
}

// supportMeasure: while a 支援措置 holds, a 広域交付 of the person's 住民票 is
// refused (the counter sees "not found"); once lifted, it is issued.
func (s *scenario) supportMeasure(ctx context.Context) error {
	r, err := s.person(ctx, s.hofu, "支援", "シエン", "")
	if err != nil {
		return err
	}
	today := s.today()
	if _, err := s.hofu.Register().SetSupportMeasure(with(ctx, scClerk), register.SupportMeasureInput{ResidentCode: r.ResidentCode,
		Kind: register.SupportDV, Requester: r.Name.Kanji, Start: today, End: today.AddDays(180)}); err != nil {
		return err
	}
	copyOf := func() error {
		id, err := s.kurume.RequestCopy(with(ctx, scIssuer), node.CopyRequestInput{Residence: Hofu.Code, Name: r.Name, BirthDate: r.BirthDate})
		if err != nil {
			return err
		}
		if err := s.c.WaitIdle(ctx); err != nil {
			return err
		}
		wait, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		_, err = s.kurume.AwaitCopy(with(wait, scIssuer), id)
		return err
	}
	if err := copyOf(); jukinet.ErrorKind(err) != jukinet.KindNotFound {
		return fmt.Errorf("a 広域交付 while the measure holds: %v, want it refused", err)
	}
	if err := s.hofu.Register().LiftSupportMeasure(with(ctx, scClerk), r.ResidentCode, "申出の取下げ"); err != nil {
		return err
	}
	if err := copyOf(); err != nil {
		return fmt.Errorf("a 広域交付 after the measure was lifted: %v", err)
	}
	return nil
}

// annex: the 本籍地 keeps the 附票 of everyone whose 本籍 is there, its own
// residents included (法16条, 19条1項), and notifies the 附票本人確認情報 of
// each 記載 and 修正 to its prefecture, which relays it to the national
// server (法30条の41, 30条の42); a 国外転出 leaves "国外転出者" and no address.
func (s *scenario) annex(ctx context.Context) error {
	domicile := "山口県山口市亀山町" + s.tag + "番地"
	r, err := s.person(ctx, s.hofu, "附票", "フヒョウ", domicile)
	if err != nil {
		return err
	}
	renamed := jukinet.Name{Kanji: "改姓\u3000附票" + s.tag, Kana: "カイセイ\u3000フヒョウ"}
	if _, err := s.hofu.Register().NameChange(with(ctx, scClerk), r.ResidentCode, renamed, s.today()); err != nil {
		return err
	}
	own, err := s.person(ctx, s.yama, "本籍", "ホンセキ", domicile)
	if err != nil {
		return err
	}
	if err := s.c.WaitIdle(ctx); err != nil {
		return err
	}
	a, err := s.yama.Annex(with(ctx, scLookup), domicile, "demo scenario")
	if err != nil || len(a) != 3 {
		return fmt.Errorf("山口市's 附票 of %s has %d entries (%v), want 3 (two of the 防府市 resident, one of its own)", domicile, len(a), err)
	}
	if err := s.annexID(ctx, r.ResidentCode, jukinet.ClassChange, renamed, false); err != nil {
		return err
	}
	if err := s.annexID(ctx, own.ResidentCode, jukinet.ClassAdd, own.Name, false); err != nil {
		return err
	}
	if _, err := s.hofu.Register().MoveOut(with(ctx, scClerk), register.MoveOutInput{ResidentCode: r.ResidentCode, PlannedDate: s.today(),
		Abroad: true, Destination: jukinet.Address{Text: "フランス共和国"}}); err != nil {
		return err
	}
	if err := s.c.WaitIdle(ctx); err != nil {
		return err
	}
	return s.annexID(ctx, r.ResidentCode, jukinet.ClassChange, renamed, true)
}

// annexID checks the 附票本人確認情報 山口県 and the national server hold.
func (s *scenario) annexID(ctx context.Context, code jukinet.ResidentCode, class jukinet.ChangeClass, name jukinet.Name, abroad bool) error {
	p, _, err := s.yPref.AnnexIdentity(with(ctx, scLookup), code, "demo scenario")
	if err != nil || p.Municipality != Yamaguchi.Code || p.Class != class || p.Name != name || p.Abroad != abroad || (p.Address == nil) != abroad {
		return fmt.Errorf("山口県's 附票本人確認情報: %+v (%v); want a %s by 山口市, abroad %v", p, err, class.Japanese(), abroad)
	}
	n, _, err := s.nat.AnnexIdentity(with(ctx, scLookup), code, "demo scenario")
	if err != nil || n.Version != p.Version {
		return fmt.Errorf("national's 附票本人確認情報 is not 山口県's (%v)", err)
	}
	return nil
}

func (s *scenario) myNumber(ctx context.Context) error {
	r, err := s.person(ctx, s.hofu, "番号", "バンゴウ", "")
	if err != nil {
		return err
	}
	// The birth itself asked for the number (番号法7条1項): no clerk's request.
	if err := s.c.WaitIdle(ctx); err != nil {
		return err
	}
	recs, err := s.hofu.Register().Get(with(ctx, scLookup), r.ResidentCode, "demo scenario")
	if err != nil || recs[0].IndividualNumber == "" {
		return fmt.Errorf("no number designated after the birth (%v)", err)
	}
	first := recs[0].IndividualNumber
	// A clerk's request needs one of the individual-number reasons.
	if err := s.hofu.Register().RequestIndividualNumber(with(ctx, scNumber), r.ResidentCode, jukinet.ReasonBirth, jukinet.Date{}); jukinet.ErrorField(err) != "reason" {
		return fmt.Errorf("a request with the reason 出生 gave %v, want refused naming reason", err)
	}
	// A 変更請求 (番号法7条2項) gives a new number.
	if err := s.hofu.Register().RequestIndividualNumber(with(ctx, scNumber), r.ResidentCode, jukinet.ReasonIndividualNumberChangeRequest, jukinet.Date{}); err != nil {
		return err
	}
	if err := s.c.WaitIdle(ctx); err != nil {
		return err
	}
	if recs, err = s.hofu.Register().Get(with(ctx, scLookup), r.ResidentCode, "demo scenario"); err != nil || recs[0].IndividualNumber == first {
		return fmt.Errorf("the change request designated no new number (%v)", err)
	}
	n, _, err := s.nat.Identity(with(ctx, scLookup), r.ResidentCode, "demo scenario")
	if err != nil || n.IndividualNumber != recs[0].IndividualNumber {
		return fmt.Errorf("national does not have the designated number (%v)", err)
	}
	s.number = r.ResidentCode
	return nil
}

// linkCode: the CS relays the request for the 符号 (番号法21条の2) and learns
// only its status; the institution receives the 符号 from the national
// server by the 取得番号 (the agency listener's POST /v1/linkcode).
func (s *scenario) linkCode(ctx context.Context) error {
	r, err := s.person(ctx, s.kurume, "符号", "フゴウ", "")
	if err != nil {
		return err
	}
	acq, err := s.kurume.RequestLinkCode(with(ctx, scNumber), r.ResidentCode, DemoAgency)
	if err != nil {
		return err
	}
	if err := s.c.WaitIdle(ctx); err != nil {
		return err
	}
	if st, err := s.kurume.LinkCodeStatus(with(ctx, scNumber), acq); err != nil || st != node.LinkCodeGenerated {
		return fmt.Errorf("the CS's request is %q (%v), want generated", st, err)
	}
	agency := with(ctx, jukinet.SystemActor("agency:"+DemoAgency))
	if code, err := s.nat.DeliverLinkCode(agency, DemoAgency, acq); err != nil || len(code) != 32 {
		return fmt.Errorf("the institution received no 符号 (%v)", err)
	}
	if _, err := s.nat.DeliverLinkCode(with(ctx, jukinet.SystemActor("agency:passport")), "passport", acq); jukinet.ErrorKind(err) != jukinet.KindNotFound {
		return fmt.Errorf("another institution asking with the 取得番号: %v, want not found", err)
	}
	return nil
}

func (s *scenario) cardStatus(ctx context.Context) error {
	r, err := s.person(ctx, s.yama, "券面", "ケンメン", "")
	if err != nil {
		return err
	}
	if _, err := s.issueCard(ctx, s.yama, r.ResidentCode, "DEMO"+s.tag+"Y", "1357"); err != nil {
		return err
	}
	if err := s.c.WaitIdle(ctx); err != nil {
		return err
	}
	st, err := s.nat.CardStatus(with(ctx, scLookup), r.ResidentCode)
	if err != nil || st.CardState != node.CardIssued {
		return fmt.Errorf("national card status %v (%v)", st, err)
	}
	st.CardState, st.CertState, st.Date = node.CardSuspended, node.CertSuspended, jukinet.Date{}
	if err := s.nat.SetCardStatus(with(ctx, jukinet.SystemActor("jpki")), *st); err != nil {
		return err
	}
	if err := s.c.WaitIdle(ctx); err != nil {
		return err
	}
	recs, err := s.yama.Register().Get(with(ctx, scLookup), r.ResidentCode, "demo scenario")
	if err != nil || recs[0].CardHolder {
		return fmt.Errorf("山口市 still marks a card holder after the suspension (%v)", err)
	}
	return nil
}

func (s *scenario) provide(ctx context.Context) error {
	ags := s.nat.Agencies().List()
	if len(ags) == 0 {
		return errSkip
	}
	if s.number == "" {
		return fmt.Errorf("no person from the mynumber flow")
	}
	sys := with(ctx, jukinet.SystemActor("agency-gateway"))
	if _, err := s.nat.Provide(sys, "no-such-agency", ags[0].Tasks[0], []jukinet.ResidentCode{s.number}); jukinet.ErrorKind(err) != jukinet.KindForbidden {
		return fmt.Errorf("an unknown agency got %v, want forbidden", err)
	}
	got, err := s.nat.Provide(sys, ags[0].ID, ags[0].Tasks[0], []jukinet.ResidentCode{s.number})
	if err != nil || len(got) != 1 {
		return fmt.Errorf("provision: %d persons (%v)", len(got), err)
	}
	recs, err := s.nat.SelfDisclosure(with(ctx, scLookup), s.number)
	if err != nil || len(recs) == 0 || recs[len(recs)-1].Agency != ags[0].ID {
		return fmt.Errorf("self disclosure lists %d provisions (%v)", len(recs), err)
	}
	return nil
}
