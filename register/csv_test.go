package register_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

const header = "resident_code,individual_number,kanji,kana,former_surname,former_surname_kana,alias,alias_kana,birth_date,sex,address_text,address_since,resident_since,household_id,relationship,domicile,domicile_head,card_holder\n"

func TestReadCSVReportsEachBadRow(t *testing.T) {
	in := header +
		"12345678903,123456789018,山田　花子,ヤマダ　ハナコ,,,,,1985-04-02,female,山口県防府市松崎町1丁目2番3号,2020-01-01,2020-01-01,H1,世帯主,,,1\n" +
		"12345678904,,山田　太郎,ヤマダ　タロウ,,,,,1985-04-02,male,山口県防府市松崎町1丁目2番3号,2020-01-01,2020-01-01,H1,夫,,,0\n" +
		"23456789013,,山田　次郎,ヤマダ　ジロウ,,,,,1985-04-02,x,山口県防府市松崎町1丁目2番3号,2020-01-01,2020-01-01,H1,子,,,0\n" +
		"23456789013,,山田　次郎\n"
	rows, bad, err := register.ReadCSV(strings.NewReader(in), register.UTF8)
	if err != nil {
		t.Fatal(err)
	}
	want := []register.RowError{{Line: 3, Field: "resident_code"}, {Line: 4, Field: "sex"}, {Line: 5, Field: "csv"}}
	if len(rows) != 1 || len(bad) != len(want) {
		t.Fatalf("got %d rows and errors %+v; want 1 row and %d errors", len(rows), bad, len(want))
	}
	for i, w := range want {
		if bad[i].Line != w.Line || bad[i].Field != w.Field || bad[i].Err == "" {
			t.Errorf("error %d: got %+v, want line %d field %s with a message", i, bad[i], w.Line, w.Field)
		}
	}
}

func TestReadCSVRefusesWrongHeader(t *testing.T) {
	_, _, err := register.ReadCSV(strings.NewReader("code,name\n1,2\n"), register.UTF8)
	if jukinet.ErrorField(err) != "header" {
		t.Errorf("got %v, want an error naming header", err)
	}
}

// An import whose row conflicts with the register (a code already
// registered) is refused on that field and writes nothing of its batch. The
// import commits batch by batch (Import), so batches before the conflicting
// one would stay; this import is one batch.
func TestImportConflictWritesNothing(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := setup(t, e)
			head := f.moveIn(t, "山田\u3000花子", "ヤマダ\u3000ハナコ", "山口県防府市松崎町1丁目2番3号")
			rows := []register.ImportRow{{Line: 2, ResidentCode: head.ResidentCode, Name: name("別人\u3000一", "ベツジン\u3000ハジメ"),
				BirthDate: date(t, "1970-01-01"), Sex: jukinet.SexMale, AddressText: "山口県防府市新田1番1号", AddressSince: date(t, "2000-01-01"),
				ResidentSince: date(t, "2000-01-01"), HouseholdKey: "X", Relationship: "世帯主"}}
			before := f.totals(t)
			_, err := f.g.Import(jukinet.WithActor(context.Background(), jukinet.SystemActor("test")), rows, register.ImportOptions{})
			if !jukinet.IsKind(err, jukinet.KindConflict) || jukinet.ErrorField(err) != "resident_code" {
				t.Errorf("got %v, want a conflict on resident_code", err)
			}
			if after := f.totals(t); after != before {
				t.Errorf("written: %v → %v", before, after)
			}
		})
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add(header + "12345678903,123456789018,山田　花子,ヤマダ　ハナコ,,,,,1985-04-02,female,山口県防府市松崎町1丁目2番3号,2020-01-01,2020-01-01,H1,世帯主,,,1\n")
	f.Add(header + "\"unterminated\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		rows, bad, err := register.ReadCSV(strings.NewReader(in), register.UTF8)
		if err != nil {
			if rows != nil || bad != nil {
				t.Fatalf("error %v with results", err)
			}
			return
		}
		for _, r := range rows {
			if _, err := jukinet.ParseResidentCode(string(r.ResidentCode)); err != nil {
				t.Fatalf("accepted row with bad code: %v", err)
			}
		}
		for _, b := range bad {
			if b.Line <= 0 || b.Field == "" {
				t.Fatalf("row error without line or field: %+v", b)
			}
		}
	})
}

func TestSearchIsWidthAndKanaInsensitive(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := setup(t, e)
			f.moveIn(t, "山田\u3000花子", "ヤマダ\u3000ハナコ", "山口県防府市松崎町1丁目2番3号")
			ctx := jukinet.WithActor(context.Background(), looker)
			for _, q := range []register.Query{{Kana: "やまだ"}, {Kana: "ﾔﾏﾀﾞ ﾊﾅｺ"}, {Kanji: "山田"}, {Address: "松崎町１丁目"}, {BirthDate: date(t, "1985-04-02")}} {
				got, err := f.g.Search(ctx, q, "counter")
				if err != nil || len(got) != 1 {
					t.Errorf("search %+v: %d results, %v; want 1", q, len(got), err)
				}
			}
			if got, _ := f.g.Search(ctx, register.Query{Kana: "スズキ"}, "counter"); len(got) != 0 {
				t.Errorf("search スズキ: %d results, want 0", len(got))
			}
			if _, err := f.g.Search(ctx, register.Query{}, "counter"); jukinet.ErrorField(err) != "query" {
				t.Errorf("empty search: %v, want an error naming query", err)
			}
			var n int
			if err := f.db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM oplog WHERE operation = 'resident.search' AND purpose = 'counter' AND result = 'ok'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 6 {
				t.Errorf("searches logged: %d, want 6", n)
			}
			// The five searches that found her each recorded her.
			shown := 0
			for _, r := range storetest.Records(t, f.db, nil) {
				if r.Result == store.ResultShown {
					shown++
				}
			}
			if shown != 5 {
				t.Errorf("persons shown recorded: %d, want 5", shown)
			}
		})
	}
}

// A name that a spreadsheet would run as a formula is exported with a
// single quote in front (no cell of the file begins with '=', '+', '-',
// '@', tab or CR) and imported back exactly.
func TestCSVExportNeutralisesFormulas(t *testing.T) {
	for _, enc := range []register.Encoding{register.UTF8, register.ShiftJIS} {
		var buf bytes.Buffer
		w, err := register.NewCSVWriter(&buf, enc)
		if err != nil {
			t.Fatal(err)
		}
		born := date(t, "1985-04-02")
		r := register.Resident{ResidentCode: "12345678903", Name: jukinet.Name{Kanji: `=HYPERLINK("http://evil.example/","山田")`, Kana: "ヤマダ\u3000ハナコ", Alias: "@SUM(1)", AliasKana: "アット"},
			BirthDate: born, AddressSince: born, ResidentSince: born, HouseholdID: "H1",
			Sex: jukinet.SexFemale, Address: jukinet.Address{Text: "-山口県防府市松崎町1丁目2番3号"}, Relationship: "世帯主"}
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		recs, err := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs {
			for i, cell := range rec {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("%s: column %s is a formula: %q", enc, register.CSVHeader[i], cell)
				}
			}
		}
		rows, bad, err := register.ReadCSV(bytes.NewReader(buf.Bytes()), enc)
		if err != nil || len(rows) != 1 {
			t.Fatalf("%s: read back: %d rows, %v %+v", enc, len(rows), err, bad)
		}
		if got := rows[0]; got.Name.Kanji != r.Name.Kanji || got.Name.Alias != r.Name.Alias || got.AddressText != r.Address.Text {
			t.Errorf("%s: read back %q %q %q, want %q %q %q", enc, got.Name.Kanji, got.Name.Alias, got.AddressText, r.Name.Kanji, r.Name.Alias, r.Address.Text)
		}
	}
}
