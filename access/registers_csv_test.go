package access

import (
	"bytes"
	"encoding/csv"
	"testing"
)

// G13.4: the 管理簿 CSV writes no cell a spreadsheet runs as a formula.
func TestRegisterCSVNeutralisesFormulas(t *testing.T) {
	book := RegisterBook{
		Operators: []Operator{{CollationID: "C-X", Name: `=HYPERLINK("http://evil.example/","x")`, Department: "+市民課", Status: StatusActive}},
		History:   []HistoryEntry{{Register: "collation", ID: "C-X", Event: "enrolled", Detail: "@x", Actor: "-a"}},
	}
	for _, which := range []string{CSVCollation, CSVHistory} {
		var buf bytes.Buffer
		if err := book.WriteCSV(&buf, which); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs[1:] {
			for _, cell := range rec {
				if cell != "" && bytes.ContainsRune([]byte("=+-@\t\r"), rune(cell[0])) {
					t.Errorf("%s: cell %q is a formula", which, cell)
				}
			}
		}
		if which == CSVCollation && recs[1][1] != `'=HYPERLINK("http://evil.example/","x")` {
			t.Errorf("name cell %q, want the quote in front", recs[1][1])
		}
	}
}
