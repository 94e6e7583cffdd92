package register_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/governance"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

var (
	hofu     = jukinet.LGCode("352063")
	clerk    = jukinet.Actor{CollationID: "C-0101", OperatorID: "OP-REC-0101", Authority: jukinet.AuthorityRecord, Terminal: "T-01"}
	looker   = jukinet.Actor{CollationID: "C-0102", OperatorID: "OP-LOOK-0102", Authority: jukinet.AuthorityLookup, Terminal: "T-01"}
	numberer = jukinet.Actor{CollationID: "C-0103", OperatorID: "OP-NUM-0103", Authority: jukinet.AuthorityNumber, Terminal: "T-01"}
	now      = time.Date(2026, 11, 26, 10, 0, 0, 0, jukinet.JST)
)

type seqReader struct{ r *rand.Rand }

func (s seqReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(s.r.UintN(256))
	}
	return len(p), nil
}

type fixture struct {
	db  *store.DB
	g   *register.Register
	ctx context.Context
}

func setup(t *testing.T, e store.Engine) *fixture {
	t.Helper()
	db := storetest.OpenWith(t, e, string(hofu), storetest.Options{Now: func() time.Time { return now }})
	g, err := register.New(db, register.Config{Municipality: hofu, AddressPrefix: "山口県防府市", Codes: register.RandomCodes{Rand: seqReader{rand.New(rand.NewPCG(1, 2))}}})
	if err != nil {
		t.Fatal(err)
	}
	designate(t, db, jukinet.Today(now).AddDays(-30), clerk.CollationID, looker.CollationID, numberer.CollationID, "C-SA")
	return &fixture{db: db, g: g, ctx: jukinet.WithActor(context.Background(), clerk)}
}

// designate appoints a 本人確認情報管理責任者 who designates ids to handle
// identity information from from (G16-2.1): the register refuses anyone else.
func designate(t testing.TB, db *store.DB, from jukinet.Date, ids ...string) {
	t.Helper()
	g := governance.New(db)
	ctx := context.Background()
	gm := jukinet.WithActor(ctx, jukinet.Actor{CollationID: "C-GM", OperatorID: "OP-GM", Authority: jukinet.AuthorityGovernance, Terminal: "T-01"})
	if _, err := g.AssignRole(jukinet.WithActor(ctx, governance.BootstrapActor), governance.Assignment{Role: governance.RoleGeneralManager, CollationID: "C-GM", Name: "統括", From: from}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.AssignRole(gm, governance.Assignment{Role: governance.RoleIdentityInfoManager, CollationID: "C-IIM", Name: "本人確認情報管理", From: from}); err != nil {
		t.Fatal(err)
	}
	iim := jukinet.WithActor(ctx, jukinet.Actor{CollationID: "C-IIM", OperatorID: "OP-IIM", Authority: jukinet.AuthorityIdentityManager, Terminal: "T-01"})
	for _, id := range ids {
		if _, err := g.DesignateHandler(iim, governance.HandlerDesignation{CollationID: id, Name: id, Scope: "住民記録", From: from}); err != nil {
			t.Fatal(err)
		}
	}
}

func date(t *testing.T, s string) jukinet.Date {
	t.Helper()
	d, err := jukinet.ParseDate("date", s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func name(kanji, kana string) jukinet.Name { return jukinet.Name{Kanji: kanji, Kana: kana} }

// notices returns the identity notices in the outbox, in order.
func (f *fixture) notices(t *testing.T) []jukinet.IdentityInfo {
	t.Helper()
	rows, err := f.db.Bookkeeping(store.Inspect).Query(`SELECT dest, kind, ordering_key, version, body FROM outbox WHERE kind = 'identity.notify' ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []jukinet.IdentityInfo
	for rows.Next() {
		var dest, kind, key string
		var version int64
		var body []byte
		if err := rows.Scan(&dest, &kind, &key, &version, &body); err != nil {
			t.Fatal(err)
		}
		var info jukinet.IdentityInfo
		if err := json.Unmarshal(body, &info); err != nil {
			t.Fatal(err)
		}
		if dest != "350001" || key != info.OrderingKey() || uint64(version) != info.Version {
			t.Errorf("notice row: dest %s key %s version %d; want 350001, %s, %d", dest, key, version, info.OrderingKey(), info.Version)
		}
		out = append(out, info)
	}
	return out
}

func (f *fixture) logCount(t *testing.T, op jukinet.Operation) int {
	t.Helper()
	var n int
	if err := f.db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM oplog WHERE operation = $1 AND result = 'ok'`, string(op)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fixture) moveIn(t *testing.T, kanji, kana, addr string) *register.Resident {
	t.Helper()
	code, _ := jukinet.NewResidentCode(seqReader{rand.New(rand.NewPCG(uint64(len(kanji)), uint64(len(addr))))})
	r, err := f.g.MoveInDomestic(f.ctx, register.MoveInInput{
		PersonInput:  register.PersonInput{Name: name(kanji, kana), BirthDate: date(t, "1985-04-02"), Sex: jukinet.SexFemale, Domicile: "山口県防府市松崎町1番地", DomicileHead: kanji},
		ResidentCode: code, MoveInDate: date(t, "2026-11-20"), PlannedMoveOut: date(t, "2026-11-15"),
		PreviousAddress: jukinet.Address{LGCode: "352012", Text: "山口県山口市亀山町2番1号"}, AddressText: addr, CardHolder: true,
	})
	if err != nil {
		t.Fatalf("move-in: %v", err)
	}
	return r
}

// Every event type goes through the single write path on both engines and
// produces its identity notice (記載/消除/修正) and its log row.
func TestEveryEventProducesNoticeAndLog(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := setup(t, e)
			head := f.moveIn(t, "山田\u3000花子", "ヤマダ\u3000ハナコ", "山口県防府市松崎町1丁目2番3号")
			baby, err := f.g.Birth(f.ctx, register.BirthInput{PersonInput: register.PersonInput{Name: name("山田\u3000陽翔", "ヤマダ\u3000ハルト"),
				BirthDate: date(t, "2026-11-01"), Sex: jukinet.SexMale}, Household: register.HouseholdChoice{ID: head.HouseholdID, Relationship: "子"}})
			if err != nil {
				t.Fatalf("birth: %v", err)
			}
			abroad, err := f.g.MoveInFromAbroad(f.ctx, register.MoveInInput{PersonInput: register.PersonInput{Name: name("山田\u3000健", "ヤマダ\u3000ケン"),
				BirthDate: date(t, "1983-01-05"), Sex: jukinet.SexMale}, MoveInDate: date(t, "2026-11-21"),
				PreviousAddress: jukinet.Address{Text: "アメリカ合衆国"}, Household: register.HouseholdChoice{ID: head.HouseholdID, Relationship: "夫"}})
			if err != nil {
				t.Fatalf("move-in from abroad: %v", err)
			}
			moved, err := f.g.MoveWithin(f.ctx, register.MoveWithinInput{ResidentCode: head.ResidentCode, AddressText: "山口県防府市天神1丁目1番1号", Date: date(t, "2026-11-24")})
			if err != nil || len(moved) != 3 {
				t.Fatalf("move-within: %v (%d moved, want 3)", err, len(moved))
			}
			// silent: the event changes no 本人確認情報 and sends no notice (法30条の6).
			steps := []struct {
				op     jukinet.Operation
				run    func() error
				silent bool
			}{
				{jukinet.OpNameChange, func() error {
					_, err := f.g.NameChange(f.ctx, head.ResidentCode, name("佐藤\u3000花子", "サトウ\u3000ハナコ"), date(t, "2026-11-24"))
					return err
				}, false},
				{jukinet.OpFormerSurname, func() error {
					_, err := f.g.SetFormerSurname(f.ctx, head.ResidentCode, "山田", "ヤマダ", date(t, "2026-11-24"))
					return err
				}, false},
				{jukinet.OpAlias, func() error {
					_, err := f.g.SetAlias(f.ctx, abroad.ResidentCode, "ケン・ヤマダ", "ケン\u3000ヤマダ", date(t, "2026-11-24"))
					return err
				}, false},
				{jukinet.OpHouseholdSplit, func() error {
					_, err := f.g.HouseholdSplit(f.ctx, register.HouseholdSplitInput{Members: []jukinet.ResidentCode{abroad.ResidentCode}, NewHead: abroad.ResidentCode, Date: date(t, "2026-11-24")})
					return err
				}, true},
				{jukinet.OpHouseholdChange, func() error {
					_, err := f.g.HouseholdChange(f.ctx, register.HouseholdChangeInput{ResidentCode: baby.ResidentCode, Into: mustResident(t, f, abroad.ResidentCode).HouseholdID, Relationship: "子", Date: date(t, "2026-11-24")})
					return err
				}, true},
				{jukinet.OpHouseholdMerge, func() error {
					_, err := f.g.HouseholdMerge(f.ctx, register.HouseholdMergeInput{From: mustResident(t, f, abroad.ResidentCode).HouseholdID, Into: head.HouseholdID,
						Relationships: map[jukinet.ResidentCode]string{abroad.ResidentCode: "夫", baby.ResidentCode: "子"}, Date: date(t, "2026-11-25")})
					return err
				}, true},
				{jukinet.OpHouseholderChange, func() error {
					_, err := f.g.HouseholderChange(f.ctx, register.HouseholderChangeInput{HouseholdID: head.HouseholdID, NewHead: abroad.ResidentCode,
						Relationships: map[jukinet.ResidentCode]string{head.ResidentCode: "妻"}, Date: date(t, "2026-11-25")})
					return err
				}, true},
				{jukinet.OpExOfficioCorrect, func() error {
					addr := "山口県防府市天神1丁目1番1号 天神ハイツ101"
					_, err := f.g.ExOfficioCorrect(f.ctx, register.ChangeInput{ResidentCode: head.ResidentCode, AddressText: &addr, Date: date(t, "2026-11-25")})
					return err
				}, false},
				{jukinet.OpExOfficioCorrect, func() error {
					domicile := "山口県防府市寿町7番"
					_, err := f.g.ExOfficioCorrect(f.ctx, register.ChangeInput{ResidentCode: head.ResidentCode, Domicile: &domicile, Date: date(t, "2026-11-25")})
					return err
				}, true},
				{jukinet.OpClericalCorrection, func() error {
					d := date(t, "1985-04-03")
					_, err := f.g.ClericalCorrection(f.ctx, register.ChangeInput{ResidentCode: head.ResidentCode, BirthDate: &d, Date: date(t, "2026-11-25")})
					return err
				}, false},
				{jukinet.OpExOfficioAdd, func() error {
					_, err := f.g.ExOfficioAdd(f.ctx, register.ExOfficioAddInput{Reason: jukinet.ReasonNaturalizationAdd, MoveInInput: register.MoveInInput{
						PersonInput: register.PersonInput{Name: name("王\u3000明", "ワン\u3000ミン"), BirthDate: date(t, "1990-06-01"), Sex: jukinet.SexMale},
						MoveInDate:  date(t, "2026-11-25"), AddressText: "山口県防府市華城中央2丁目1番1号"}})
					return err
				}, false},
				{jukinet.OpIndividualNumberSet, func() error {
					_, err := f.g.DesignateIndividualNumber(jukinet.WithActor(context.Background(), numberer), baby.ResidentCode, "123456789018", jukinet.ReasonIndividualNumberExOfficioAdd, date(t, "2026-11-25"))
					return err
				}, false},
				{jukinet.OpResidentCodeChange, func() error {
					_, err := f.g.ChangeResidentCode(f.ctx, abroad.ResidentCode, date(t, "2026-11-25"))
					return err
				}, false},
				{jukinet.OpMoveOut, func() error {
					_, err := f.g.MoveOut(f.ctx, register.MoveOutInput{ResidentCode: head.ResidentCode, PlannedDate: date(t, "2026-12-01"),
						Destination: jukinet.Address{LGCode: "402036", Text: "福岡県久留米市城南町1番1号"}})
					return err
				}, false},
				{jukinet.OpDeath, func() error {
					_, err := f.g.Death(f.ctx, register.DeathInput{ResidentCode: baby.ResidentCode, Date: date(t, "2026-11-26")})
					return err
				}, false},
				{jukinet.OpExOfficioRemove, func() error {
					var code jukinet.ResidentCode
					if err := f.db.Bookkeeping(store.Inspect).QueryRow(`SELECT resident_code FROM residents WHERE kanji = '王　明'`).Scan(&code); err != nil {
						t.Fatal(err)
					}
					_, err := f.g.ExOfficioRemove(f.ctx, code, date(t, "2026-11-26"), 0)
					return err
				}, false},
			}
			for _, s := range steps {
				before := len(f.notices(t))
				if err := s.run(); err != nil {
					t.Fatalf("%s: %v", s.op, err)
				}
				switch got := len(f.notices(t)); {
				case s.silent && got != before:
					t.Errorf("%s changes no identity information: %d notice(s) queued, want none", s.op, got-before)
				case !s.silent && got <= before:
					t.Errorf("%s: no identity notice queued (%d before, %d after)", s.op, before, got)
				}
				if f.logCount(t, s.op) == 0 {
					t.Errorf("%s: no operation-log record", s.op)
				}
			}
			// Versions per person are contiguous from 1: receivers can order and detect gaps.
			last := map[string]uint64{}
			classes := map[jukinet.ChangeClass]int{}
			for _, n := range f.notices(t) {
				if n.Version != last[n.OrderingKey()]+1 {
					t.Errorf("%s: version %d after %d", n.OrderingKey(), n.Version, last[n.OrderingKey()])
				}
				last[n.OrderingKey()] = n.Version
				classes[n.Change.Reason.Class()]++
			}
			if classes[jukinet.ClassAdd] == 0 || classes[jukinet.ClassRemove] == 0 || classes[jukinet.ClassChange] == 0 {
				t.Errorf("classes seen %v: want 記載, 消除 and 修正", classes)
			}
			// The 除票 is kept.
			recs, err := f.g.Get(jukinet.WithActor(context.Background(), looker), head.ResidentCode, "case 2026-0001")
			if err != nil || len(recs) != 1 || recs[0].Status != register.StatusRemoved || recs[0].Removal.Destination.LGCode != "402036" {
				t.Errorf("removed record of the head: %+v, %v", recs, err)
			}
		})
	}
}

func mustResident(t *testing.T, f *fixture, code jukinet.ResidentCode) register.Resident {
	t.Helper()
	recs, err := f.g.Get(jukinet.WithActor(context.Background(), looker), code, "test")
	if err != nil {
		t.Fatal(err)
	}
	return recs[0]
}

// The dates of a move as the law has them: a 転入 before the planned 転出 date
// is recorded (no article forbids moving earlier than planned); a 転出届 filed
// more than 14 days after the move is recorded, not refused, and the log marks
// it late for the notice to the summary court (法24条, 法52条2項).
func TestMoveDatesAsTheLawHasThem(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := setup(t, e)
			early, err := f.g.MoveInDomestic(f.ctx, register.MoveInInput{PersonInput: register.PersonInput{Name: name("早川\u3000一", "ハヤカワ\u3000ハジメ"), BirthDate: date(t, "1980-01-01"), Sex: jukinet.SexMale},
				ResidentCode: "23456789013", MoveInDate: date(t, "2026-10-01"), PlannedMoveOut: date(t, "2026-10-05"),
				PreviousAddress: jukinet.Address{LGCode: "352012", Text: "山口県山口市中央1番1号"}, AddressText: "山口県防府市新田1番1号"})
			if err != nil {
				t.Fatalf("move-in five days before the planned move-out: %v; want it recorded", err)
			}
			report := jukinet.Today(now)
			moved := report.AddDays(-20)
			if _, err := f.g.MoveOut(f.ctx, register.MoveOutInput{ResidentCode: early.ResidentCode, PlannedDate: moved, ReportDate: report,
				Destination: jukinet.Address{LGCode: "402036", Text: "福岡県久留米市城南町1番1号"}}); err != nil {
				t.Fatalf("move-out reported 20 days after the move: %v; want it recorded", err)
			}
			recs := storetest.Records(t, f.db, func(r store.LogRecord) bool { return r.Operation == string(jukinet.OpMoveOut) && r.Result == "ok" })
			if len(recs) != 1 || !strings.Contains(recs[0].Detail, "late report: filed 20 days after the move") {
				t.Errorf("log records of the late move-out %+v; want one marked late", recs)
			}
		})
	}
}

// 転入通知未着者一覧: a 転出 whose 転入通知 has not come 30 days after the
// planned date is listed; one whose notice came, or that is recent, is not.
func TestMoveInNoticesOverdue(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := setup(t, e)
			today := jukinet.Today(now)
			out := func(kanji, kana string, planned jukinet.Date) *register.Resident {
				r := f.moveIn(t, kanji, kana, "山口県防府市新田"+kana+"号")
				if _, err := f.g.MoveOut(f.ctx, register.MoveOutInput{ResidentCode: r.ResidentCode, PlannedDate: planned, ReportDate: planned,
					Destination: jukinet.Address{LGCode: "402036", Text: "福岡県久留米市城南町1番1号"}}); err != nil {
					t.Fatal(err)
				}
				return r
			}
			old := out("未着\u3000一", "ミチャク\u3000イチ", date(t, "2026-11-20"))
			_ = out("最近\u3000二", "サイキン\u3000ニ", date(t, "2026-11-26"))
			got, err := f.g.MoveInNoticesOverdue(jukinet.WithActor(context.Background(), looker), today.AddDays(30), "follow-up")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].ResidentCode != old.ResidentCode {
				t.Fatalf("overdue 30 days after %v: %d listed; want only the one planned for 2026-11-20", today, len(got))
			}
			// The notice arrives: the person leaves the list.
			sys := jukinet.WithActor(context.Background(), jukinet.SystemActor("network"))
			if err := f.db.Update(sys, store.Op{Operation: jukinet.OpNetworkReceive}, func(tx *store.Tx) error {
				_, err := f.g.RecordMoveInNoticeTx(tx, old.ResidentCode, today, jukinet.Address{LGCode: "402036", Text: "福岡県久留米市城南町1番1号"}, date(t, "2026-11-21"))
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if got, err := f.g.MoveInNoticesOverdue(jukinet.WithActor(context.Background(), looker), today.AddDays(30), "follow-up"); err != nil || len(got) != 0 {
				t.Errorf("after the notice: %d listed (%v); want none", len(got), err)
			}
		})
	}
}
