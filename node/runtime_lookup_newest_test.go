package node

import (
	"errors"
	"testing"

	"github.com/jukinet/jukinet"
)

// newest answers each code with its row of the greatest updated_at (the
// first of equals, in chunk order), whether or not some code has several
// rows, and fails only when the row it returns did not decode.
func TestNewestPicksEachCodesNewestRow(t *testing.T) {
	row := func(code string, updated int64, version uint64) heldRow {
		return heldRow{code: code, updated: updated, info: jukinet.IdentityInfo{ResidentCode: jukinet.ResidentCode(code), Version: version}}
	}
	bad := func(r heldRow) heldRow { r.err = errors.New("undecodable"); return r }
	for _, c := range []struct {
		name    string
		chunks  [][]heldRow
		want    map[string]uint64 // code → version returned
		wantErr bool
	}{
		{"one row each", [][]heldRow{{row("a", 1, 1), row("b", 5, 2)}, {row("c", 3, 3)}},
			map[string]uint64{"a": 1, "b": 2, "c": 3}, false},
		{"moved, newer first", [][]heldRow{{row("a", 9, 1), row("b", 1, 2), row("a", 2, 3)}},
			map[string]uint64{"a": 1, "b": 2}, false},
		{"moved, newer later", [][]heldRow{{row("a", 2, 1), row("b", 1, 2)}, {row("a", 9, 3)}},
			map[string]uint64{"a": 3, "b": 2}, false},
		{"moved, equal times: the first", [][]heldRow{{row("a", 5, 1)}, {row("a", 5, 2)}},
			map[string]uint64{"a": 1}, false},
		{"undecodable, returned", [][]heldRow{{row("a", 1, 1), bad(row("b", 1, 2))}}, nil, true},
		{"undecodable, older than the returned", [][]heldRow{{row("a", 1, 1), bad(row("b", 1, 2)), row("b", 4, 3)}},
			map[string]uint64{"a": 1, "b": 3}, false},
		{"undecodable, newer than the other", [][]heldRow{{row("b", 1, 2), bad(row("b", 4, 3))}}, nil, true},
	} {
		got, err := newest(c.chunks, 3)
		if (err != nil) != c.wantErr {
			t.Errorf("%s: error %v; want an error: %v", c.name, err, c.wantErr)
			continue
		}
		if c.wantErr {
			if jukinet.ErrorKind(err) != jukinet.KindInternal {
				t.Errorf("%s: %v; want KindInternal", c.name, err)
			}
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: %d records, want %d", c.name, len(got), len(c.want))
		}
		for code, v := range c.want {
			if info, ok := got[code]; !ok || info.Version != v || string(info.ResidentCode) != code {
				t.Errorf("%s: %s = %+v (held %v); want version %d", c.name, code, info, ok, v)
			}
		}
	}
}
