package store

import (
	"bytes"
	"encoding/json"
	"testing"
)

// leafCases are records whose strings need every kind of escape.
var leafCases = []LogRecord{
	{V: 1, Index: 0, Time: 0},
	{V: 1, Index: 18446744073709551615, Time: -5, Node: "352063", Operation: "network.receive", Result: "ok", Detail: "identity.notify 0190… from 352063"},
	{V: 1, Detail: "<a href=\"x\">&amp;</a>\\ \b\f\n\r\t\x00\x1f\x7f", Purpose: "住民票 第12号", NumberAccessed: true},
	{V: 1, Detail: "bad \xff\xfe utf-8 \u2028 \u2029 \U0001F600", Subject: "\xc3"},
	{V: 1, Terminal: "T01", CollationID: "C-1", ClientAddr: "[2001:db8::1]:50123"},
}

func TestLeafIsJSONMarshal(t *testing.T) {
	for i, r := range leafCases {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Leaf(); !bytes.Equal(got, want) {
			t.Errorf("case %d: Leaf() = %s, want json.Marshal's %s", i, got, want)
		}
	}
}

// FuzzLeaf checks the hand-written encoder against encoding/json and that
// DecodeLogRecord reads it back.
func FuzzLeaf(f *testing.F) {
	for _, r := range leafCases {
		f.Add(r.Detail, r.Purpose, r.Time, r.Index, r.NumberAccessed)
	}
	f.Fuzz(func(t *testing.T, detail, purpose string, at int64, idx uint64, number bool) {
		r := LogRecord{V: 1, Index: idx, Time: at, Node: "national", Operation: "x", Detail: detail, Purpose: purpose, NumberAccessed: number}
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		got := r.Leaf()
		if !bytes.Equal(got, want) {
			t.Fatalf("Leaf(%q, %q) = %s, want %s", detail, purpose, got, want)
		}
		if _, err := DecodeLogRecord(got); err != nil {
			t.Fatalf("DecodeLogRecord(%s): %v", got, err)
		}
	})
}

func BenchmarkLeaf(b *testing.B) {
	r := LogRecord{V: 1, Index: 123456, Time: 1700000000000000, Node: "350001", Principal: "network", Operation: "network.receive",
		Result: "applied", PolicyVersion: "0123456789abcdef", Detail: "identity.notify 01900000-0000-7000-8000-000000000000 from 352063"}
	for b.Loop() {
		r.Leaf()
	}
}
