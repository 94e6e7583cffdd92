package store

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// An oplog row repeats values of the records it holds in columns of their
// own, for the indexes that queries, reports and the compliance report
// read; only leaf and leaf_hash are hashed into the Merkle tree. So that no
// answer rests on a byte verification does not check, every such value is
// bound to its leaf: `jukinet oplog verify` compares them, row by row, with
// the canonical bytes it hashes (CheckRowColumns), and fails naming the
// index and the column when one disagrees (an insider who dropped the
// triggers and changed a row's collation_id, say).

// RowColumns names the columns of an oplog row that repeat its records'
// values, in the order of RowColumnsSQL's value (after its type tag).
var RowColumns = [...]string{"run", "time", "collation_id", "operator_id", "authority", "terminal", "principal",
	"operation", "subject", "purpose", "result", "policy_version", "client_addr"}

// clientAddrColumn is client_addr's index in RowColumns: the leaf's
// optional last field (LogRecord.ClientAddr), "" when absent.
const clientAddrColumn = 12

// rowColumnSep separates the values of RowColumnsSQL (a value holding it
// makes the check go column by column: ColumnsUnsplit).
const rowColumnSep = 0x1f

// RowColumnsSQL is the expression that gives a row's RowColumns as one
// value: a type tag, then each value, separated by 0x1f. One function call
// per row, because verification reads ten million rows. On SQLite the tag
// is the type of the greatest value, "text" unless a value is a blob (a
// blob of the same bytes as a text compares unequal to it, so a forged
// blob would hide a row from a query while its bytes agree); PostgreSQL's
// columns have their declared types, so the tag is the constant "text".
func RowColumnsSQL(e Engine) string {
	return RowColumnsAfterSQL(e, "")
}

// RowColumnsAfterSQL is RowColumnsSQL after the values in first (SQL
// expressions separated by commas, each followed by 0x1f), still one
// function call: a reader that reads a leaf and these values copies them
// once.
func RowColumnsAfterSQL(e Engine, first string) string {
	if first != "" {
		first += ", "
	}
	if e == Postgres {
		return `concat_ws(chr(31), ` + first + `'text', run, time, collation_id, operator_id, authority, terminal, principal, operation, subject, purpose, result, policy_version, client_addr)`
	}
	return `concat_ws(x'1f', ` + first + `typeof(max(run, time, collation_id, operator_id, authority, terminal, principal, operation, subject, purpose, result, policy_version, client_addr)),` +
		` run, time, collation_id, operator_id, authority, terminal, principal, operation, subject, purpose, result, policy_version, client_addr)`
}

// RowValuesSQL selects a row's RowColumns one by one ($1 its idx), for
// CheckRowValues.
const RowValuesSQL = `SELECT run, time, collation_id, operator_id, authority, terminal, principal, operation, subject, purpose, result, policy_version, client_addr FROM oplog WHERE idx = $1`

// Results of CheckRowColumns besides an index into RowColumns.
const (
	ColumnsAgree   = -1 // every value agrees with the leaf
	ColumnsUnsplit = -2 // the value does not split into the columns: check them one by one (CheckRowValues)
)

// leafFieldNames are the canonical leaf's fields in order (LogRecord.Leaf).
var leafFieldNames = [...]string{`{"v":`, `,"idx":`, `,"time":`, `,"node":`, `,"collation_id":`, `,"operator_id":`,
	`,"authority":`, `,"terminal":`, `,"principal":`, `,"operation":`, `,"subject":`, `,"purpose":`, `,"result":`,
	`,"policy_version":`, `,"number_accessed":`, `,"detail":`}

// Leaf field positions; fieldClientAddr is the optional last field's
// (`,"client_addr":`, written only when not empty), `""` when absent.
const (
	fieldTime       = 2
	fieldSubj       = 10
	fieldClientAddr = len(leafFieldNames)
)

// leafValues are a leaf's fields' raw values (leafFields).
type leafValues [len(leafFieldNames) + 1][]byte

// leafClientAddr is the name of the leaf's optional last field.
const leafClientAddr = `,"client_addr":`

// leafFields splits canonical bytes into their fields' raw values (a
// string's with its quotes); false when they are not a canonical record's.
// It scans once, without allocating: verification calls it for every row.
func leafFields(leaf []byte, out *leafValues) bool {
	b := leaf
	out[fieldClientAddr] = []byte(`""`)
	for k := 0; k < len(out); k++ {
		name := leafClientAddr
		if k < len(leafFieldNames) {
			name = leafFieldNames[k]
		} else if !bytes.HasPrefix(b, []byte(name)) {
			break // absent: an empty client address
		}
		if !bytes.HasPrefix(b, []byte(name)) {
			return false
		}
		b = b[len(name):]
		n := 0
		if len(b) > 0 && b[0] == '"' {
			n = 1
			for n < len(b) && b[n] != '"' {
				if b[n] == '\\' {
					n++
				}
				n++
			}
			if n >= len(b) {
				return false
			}
			n++
		} else {
			for n < len(b) && b[n] != ',' && b[n] != '}' {
				n++
			}
		}
		out[k] = b[:n]
		b = b[n:]
	}
	if string(out[fieldClientAddr]) == `""` && bytes.Contains(leaf, []byte(leafClientAddr+`""`)) {
		return false // Leaf never writes an empty client address
	}
	return len(b) == 1 && b[0] == '}'
}

// CheckRowColumns compares a row's repeated values (cols, the value of
// RowColumnsSQL) with leaf. A plain row (run 1): leaf is its record's
// canonical bytes, and every value is the record's. A run row (run n ≥ 2,
// logrun.go): leaf is its first record's canonical bytes; time, 照合ID,
// 操作者ID, authority, terminal, principal, operation and policy_version
// are the values the run shares (the operator's for the persons a request
// showed, empty for a system principal's), the other columns are empty. It returns the index in RowColumns of the first value
// that disagrees, ColumnsAgree, or ColumnsUnsplit. A string column agrees
// when it encodes to the leaf's bytes (appendJSONString). buf is scratch
// space kept between calls.
func CheckRowColumns(leaf []byte, run int, cols []byte, buf *[]byte) int {
	var parts [1 + len(RowColumns)][]byte
	n := 0
	for n < len(parts)-1 {
		i := bytes.IndexByte(cols, rowColumnSep)
		if i < 0 {
			break
		}
		parts[n], cols = cols[:i], cols[i+1:]
		n++
	}
	if n != len(parts)-1 || bytes.IndexByte(cols, rowColumnSep) >= 0 || string(parts[0]) != "text" {
		return ColumnsUnsplit
	}
	parts[n] = cols
	var f leafValues
	if !leafFields(leaf, &f) {
		return 0 // no canonical record to compare with (the row is named)
	}
	if r, err := strconv.ParseInt(string(parts[1]), 10, 64); err != nil || r != int64(run) || len(parts[1]) > 1 && parts[1][0] == '0' {
		return 0
	}
	if !bytes.Equal(parts[2], f[fieldTime]) {
		return 1
	}
	for c := 2; c < len(RowColumns); c++ {
		want := columnValue(&f, c)
		if run > 1 && !runColumnShared[c] {
			want = []byte(`""`)
		}
		if !encodesTo(parts[1+c], want, buf) {
			return c
		}
	}
	return ColumnsAgree
}

// encodesTo reports whether appendJSONString(v) is want (a quoted string
// of canonical bytes): directly when v's bytes are written as they are
// (almost every value), else by encoding it in buf.
func encodesTo(v, want []byte, buf *[]byte) bool {
	plain := true
	for _, c := range v {
		if !jsonPlain[c] {
			plain = false
			break
		}
	}
	if plain {
		return len(want) == len(v)+2 && want[0] == '"' && want[len(want)-1] == '"' && bytes.Equal(want[1:len(want)-1], v)
	}
	*buf = appendJSONString((*buf)[:0], string(v))
	return bytes.Equal(*buf, want)
}

// columnValue is the leaf's raw value for RowColumns[c] (c ≥ 2).
func columnValue(f *leafValues, c int) []byte {
	if c == clientAddrColumn {
		return f[fieldClientAddr]
	}
	return f[fieldTime+c]
}

// runColumnShared marks the RowColumns a run row repeats (the others are
// empty): time, collation_id, operator_id, authority, terminal, principal,
// operation, policy_version, client_addr (an operator's person run comes
// from one request, so one client address).
var runColumnShared = [len(RowColumns)]bool{1: true, 2: true, 3: true, 4: true, 5: true, 6: true, 7: true, 11: true, clientAddrColumn: true}

// CheckRowValues is CheckRowColumns with the values read one by one (the
// row of RowValuesSQL scanned into values of type any): run and time must
// be integers, the others strings.
func CheckRowValues(leaf []byte, run int, vals []any) int {
	if len(vals) != len(RowColumns) {
		return 0
	}
	var f leafValues
	if !leafFields(leaf, &f) {
		return 0
	}
	if v, ok := vals[0].(int64); !ok || v != int64(run) {
		return 0
	}
	if v, ok := vals[1].(int64); !ok || strconv.FormatInt(v, 10) != string(f[fieldTime]) {
		return 1
	}
	for c := 2; c < len(RowColumns); c++ {
		want := columnValue(&f, c)
		if run > 1 && !runColumnShared[c] {
			want = []byte(`""`)
		}
		s, ok := vals[c].(string)
		if !ok || string(appendJSONString(nil, s)) != string(want) {
			return c
		}
	}
	return ColumnsAgree
}

// LeafSubject is the subject of a record's canonical bytes; false when
// they are not a canonical record's.
func LeafSubject(leaf []byte) (string, bool) {
	var f leafValues
	if !leafFields(leaf, &f) {
		return "", false
	}
	raw := f[fieldSubj]
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// LeafTime is the time of a record's canonical bytes; false when they are
// not a canonical record's.
func LeafTime(leaf []byte) (int64, bool) {
	var f leafValues
	if !leafFields(leaf, &f) {
		return 0, false
	}
	t, err := strconv.ParseInt(string(f[fieldTime]), 10, 64)
	return t, err == nil
}
