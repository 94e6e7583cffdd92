package node

import "github.com/jukinet/jukinet/store"

// On SQLite flow_identity is a rowid table whose rowid (row_key) is the
// person's 住民票コード (11 digits) followed by the municipality code
// (6 digits), read as one integer: a person's rows are one range of the
// table's only b-tree, so a lookup by resident code descends one b-tree and
// reads one leaf page, and an update writes one random page instead of two
// (an autoindex beside the table). The largest key, 10^17−1, fits in 63 bits.
// PostgreSQL keeps its (resident_code, municipality) primary key
// (docs/decisions/0009-identity-rowid-key.md).
const (
	identityCodeDigits = 11
	identityMuniDigits = 6
	identityMuniSpan   = 1_000_000 // 10^identityMuniDigits
)

// identityRowKey returns the row_key of the flow_identity row of a person at
// a municipality. Errors: KindInvalid naming resident_code or municipality
// when it is not all ASCII digits of its length (the value is not quoted).
func identityRowKey(code, municipality string) (int64, error) {
	c, ok := digitsValue(code, identityCodeDigits)
	if !ok {
		return 0, invalid("node.identityRowKey", "resident_code", "a resident code is %d ASCII digits", identityCodeDigits)
	}
	m, ok := digitsValue(municipality, identityMuniDigits)
	if !ok {
		return 0, invalid("node.identityRowKey", "municipality", "a municipality code is %d ASCII digits", identityMuniDigits)
	}
	return c*identityMuniSpan + m, nil
}

// identityCodeRange returns the first and last row_key of a resident code's
// rows; ok is false when code is not 11 ASCII digits (no row has it).
func identityCodeRange(code string) (lo, hi int64, ok bool) {
	c, ok := digitsValue(code, identityCodeDigits)
	if !ok {
		return 0, 0, false
	}
	return c * identityMuniSpan, c*identityMuniSpan + identityMuniSpan - 1, true
}

// digitsValue reads s as a number if it is exactly n ASCII digits.
func digitsValue(s string, n int) (int64, bool) {
	if len(s) != n {
		return 0, false
	}
	var v int64
	for i := 0; i < n; i++ {
		d := s[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		v = v*10 + int64(d-'0')
	}
	return v, true
}

// identitySQL is a statement on flow_identity in each engine's form.
type identitySQL struct{ sqlite, postgres string }

// of returns the statement for engine e.
func (s identitySQL) of(e store.Engine) string {
	if e == store.SQLite {
		return s.sqlite
	}
	return s.postgres
}

// byCode is the condition "alias's rows of the resident code given as
// parameter p (text)" per engine: on SQLite a range of row_key (the key
// computed in SQL from the text; a text that is not a code matches nothing,
// by the equality beside it), on PostgreSQL the primary key's prefix.
func byCode(alias, p string) identitySQL {
	k := `CAST(` + p + ` AS INTEGER)*1000000`
	return identitySQL{
		sqlite:   alias + `.row_key BETWEEN ` + k + ` AND ` + k + `+999999 AND ` + alias + `.resident_code = ` + p,
		postgres: alias + `.resident_code = ` + p,
	}
}

// byCodeAndMunicipality is byCode for one row: code p, municipality pm.
func byCodeAndMunicipality(alias, p, pm string) identitySQL {
	return identitySQL{
		sqlite: alias + `.row_key = CAST(` + p + ` AS INTEGER)*1000000+CAST(` + pm + ` AS INTEGER) AND ` +
			alias + `.resident_code = ` + p + ` AND ` + alias + `.municipality = ` + pm,
		postgres: alias + `.resident_code = ` + p + ` AND ` + alias + `.municipality = ` + pm,
	}
}

// wrap returns s with prefix and suffix around both forms.
func (s identitySQL) wrap(prefix, suffix string) identitySQL {
	return identitySQL{sqlite: prefix + s.sqlite + suffix, postgres: prefix + s.postgres + suffix}
}
