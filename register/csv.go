package register

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"
)

// CSVHeader is the column order of resident CSV files (import and export).
var CSVHeader = []string{"resident_code", "individual_number", "kanji", "kana", "former_surname", "former_surname_kana",
	"alias", "alias_kana", "birth_date", "sex", "address_text", "address_since", "resident_since", "household_id",
	"relationship", "domicile", "domicile_head", "card_holder"}

// Encoding of a CSV file.
type Encoding string

// The encodings municipal users need: UTF-8, and Shift_JIS for Excel.
const (
	UTF8     Encoding = "utf-8"
	ShiftJIS Encoding = "sjis"
)

// ParseEncoding accepts utf-8/utf8 and sjis/shift_jis/cp932.
func ParseEncoding(s string) (Encoding, error) {
	switch strings.ToLower(s) {
	case "", "utf-8", "utf8":
		return UTF8, nil
	case "sjis", "shift_jis", "shift-jis", "cp932":
		return ShiftJIS, nil
	}
	return "", jukinet.Errorf("register.ParseEncoding", jukinet.KindInvalid, "encoding", "unknown encoding %q: want utf-8 or sjis", s)
}

// ReadCSV parses a resident CSV (with the CSVHeader header line) into import
// rows; rows that cannot be parsed are reported with their line and field.
func ReadCSV(r io.Reader, enc Encoding) ([]ImportRow, []RowError, error) {
	const op = "register.ReadCSV"
	if enc == ShiftJIS {
		r = transform.NewReader(r, japanese.ShiftJIS.NewDecoder())
	} else {
		br := bufio.NewReader(r)
		if b, err := br.Peek(3); err == nil && string(b) == "\ufeff" {
			br.Discard(3) // a BOM written by Excel
		}
		r = br
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("header"), "cannot read the header line", err)
	}
	if len(header) != len(CSVHeader) {
		return nil, nil, jukinet.Errorf(op, jukinet.KindInvalid, "header", "want %d columns %s, got %d", len(CSVHeader), strings.Join(CSVHeader, ","), len(header))
	}
	for i, h := range header {
		if strings.TrimSpace(h) != CSVHeader[i] {
			return nil, nil, jukinet.Errorf(op, jukinet.KindInvalid, "header", "column %d is %q, want %q", i+1, h, CSVHeader[i])
		}
	}
	var rows []ImportRow
	var bad []RowError
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad = append(bad, RowError{Line: pe.Line, Field: "csv", Err: pe.Err.Error()})
				continue
			}
			return nil, nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("csv"), err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(CSVHeader) {
			bad = append(bad, RowError{Line: line, Field: "csv", Err: fmt.Sprintf("want %d columns, got %d", len(CSVHeader), len(rec))})
			continue
		}
		row, err := parseRow(line, rec)
		if err != nil {
			bad = append(bad, RowError{Line: line, Field: jukinet.ErrorField(err), Err: messageOf(err)})
			continue
		}
		rows = append(rows, row)
	}
	return rows, bad, nil
}

func parseRow(line int, rec []string) (ImportRow, error) {
	col := func(name string) string {
		for i, h := range CSVHeader {
			if h == name {
				// A cell an export protected against spreadsheet formulas
				// is read back as it was (jukinet.CSVValue).
				return jukinet.CSVValue(strings.TrimSpace(rec[i]))
			}
		}
		panic("unknown column " + name)
	}
	r := ImportRow{Line: line, AddressText: col("address_text"), HouseholdKey: col("household_id"),
		Relationship: col("relationship"), Domicile: col("domicile"), DomicileHead: col("domicile_head")}
	// Names are taken verbatim (not even trimmed inside): only the cell's
	// surrounding spaces go.
	r.Name = jukinet.Name{Kanji: col("kanji"), Kana: col("kana"), FormerSurname: col("former_surname"),
		FormerSurnameKana: col("former_surname_kana"), Alias: col("alias"), AliasKana: col("alias_kana")}
	var err error
	if r.ResidentCode, err = jukinet.ParseResidentCode(col("resident_code")); err != nil {
		return r, err
	}
	if v := col("individual_number"); v != "" {
		if r.IndividualNumber, err = jukinet.ParseIndividualNumber(v); err != nil {
			return r, err
		}
	}
	for _, d := range []struct {
		name string
		dst  *jukinet.Date
	}{{"birth_date", &r.BirthDate}, {"address_since", &r.AddressSince}, {"resident_since", &r.ResidentSince}} {
		if *d.dst, err = jukinet.ParseDate(d.name, col(d.name)); err != nil {
			return r, err
		}
	}
	if r.Sex, err = jukinet.ParseSex(col("sex")); err != nil {
		return r, err
	}
	switch strings.ToLower(col("card_holder")) {
	case "", "0", "false", "no":
	case "1", "true", "yes":
		r.CardHolder = true
	default:
		return r, jukinet.Errorf("register.ReadCSV", jukinet.KindInvalid, "card_holder", "want 0 or 1, got %q", col("card_holder"))
	}
	return r, nil
}

// Export streams every current resident to fn. An export is a bulk read of
// personal data: it is logged as one operation with its purpose (G15), and
// only an authenticated operator may make one (the console principal and
// system principals may not). Errors: KindInvalid (purpose), KindForbidden.
func (g *Register) Export(ctx context.Context, purpose string, fn func(Resident) error) (int, error) {
	const op = "register.Export"
	n := 0
	if strings.TrimSpace(purpose) == "" {
		return 0, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("purpose"), "an export of personal data requires a purpose or case number")
	}
	if a, ok := jukinet.ActorFrom(ctx); ok && !a.IsOperator() {
		// Through the store, so that the refusal is logged.
		err := g.db.Update(ctx, store.Op{Operation: jukinet.OpResidentExport, Purpose: purpose}, func(*store.Tx) error {
			return jukinet.E(op, jukinet.KindForbidden, jukinet.Field("actor"), "an export of personal data requires an authenticated operator")
		})
		if err == nil || !jukinet.IsKind(err, jukinet.KindForbidden) {
			err = jukinet.E(op, jukinet.KindForbidden, jukinet.Field("actor"), "an export of personal data requires an authenticated operator")
		}
		return 0, err
	}
	err := g.db.Update(ctx, store.Op{Operation: jukinet.OpResidentExport, Purpose: purpose, NumberAccessed: true}, func(tx *store.Tx) error {
		rows, err := tx.Query(`SELECT ` + residentColumns + ` FROM residents WHERE status = 'current' ORDER BY household_id, relationship <> '世帯主', record_id`)
		if err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanResident(rows)
			if err != nil {
				return jukinet.E(op, jukinet.KindInternal, err)
			}
			if err := fn(*r); err != nil {
				return err
			}
			// Every exported person is a record (G11.2); the records of
			// one export are runs (4,096 records a row at most).
			tx.Shown(string(r.ResidentCode), itemsExport, r.IndividualNumber != "")
			n++
		}
		if err := rows.Err(); err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		tx.SetDetail(fmt.Sprintf("exported %d residents", n))
		return nil
	})
	return n, err
}

// CSVWriter writes residents as CSV in an encoding.
type CSVWriter struct {
	w    *csv.Writer
	enc  Encoding
	line int
}

// NewCSVWriter writes the header and returns the writer.
func NewCSVWriter(w io.Writer, enc Encoding) (*CSVWriter, error) {
	cw := &CSVWriter{w: csv.NewWriter(w), enc: enc}
	cw.w.UseCRLF = enc == ShiftJIS // what Excel on Windows expects
	return cw, cw.write(CSVHeader)
}

func (cw *CSVWriter) write(rec []string) error {
	cw.line++
	for i, v := range rec {
		rec[i] = jukinet.CSVCell(v) // no cell a spreadsheet runs as a formula
	}
	if cw.enc == ShiftJIS {
		enc := japanese.ShiftJIS.NewEncoder()
		for i, v := range rec {
			s, _, err := transform.String(enc, v)
			if err != nil {
				return jukinet.Errorf("register.CSVWriter", jukinet.KindInvalid, CSVHeader[i],
					"line %d: a character cannot be written in Shift_JIS: export with --encoding utf-8", cw.line)
			}
			rec[i] = s
		}
	}
	return cw.w.Write(rec)
}

// Write writes one resident.
func (cw *CSVWriter) Write(r Resident) error {
	card := "0"
	if r.CardHolder {
		card = "1"
	}
	return cw.write([]string{string(r.ResidentCode), string(r.IndividualNumber), r.Name.Kanji, r.Name.Kana,
		r.Name.FormerSurname, r.Name.FormerSurnameKana, r.Name.Alias, r.Name.AliasKana, r.BirthDate.String(),
		r.Sex.String(), r.Address.Text, r.AddressSince.String(), r.ResidentSince.String(), r.HouseholdID,
		r.Relationship, r.Domicile, r.DomicileHead, card})
}

// Flush flushes the writer.
func (cw *CSVWriter) Flush() error {
	cw.w.Flush()
	return cw.w.Error()
}
