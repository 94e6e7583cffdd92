package jukinet

import "strings"

// CSV cells and spreadsheets: a cell that begins with '=', '+', '-', '@',
// a tab or a carriage return is taken for a formula by Excel and its
// kind (CSV injection): a name "=HYPERLINK(…)" next to a 個人番号 in an
// export would run when the file is opened. Exports write such a cell with
// a single quote in front — the mark spreadsheet users know for "text" —
// and imports take it off again, so a round trip is exact: the quote is
// added exactly when the value without its leading quotes begins with one
// of those characters, and removed under the same condition.

// CSVCell returns v as it is written in a CSV cell.
func CSVCell(v string) string {
	if formulaStart(v) {
		return "'" + v
	}
	return v
}

// CSVValue returns the value of a cell written by CSVCell (a cell written
// otherwise is returned as it is unless it has the same form).
func CSVValue(cell string) string {
	if strings.HasPrefix(cell, "'") && formulaStart(cell) {
		return cell[1:]
	}
	return cell
}

func formulaStart(v string) bool {
	v = strings.TrimLeft(v, "'")
	return v != "" && strings.IndexByte("=+-@\t\r", v[0]) >= 0
}
