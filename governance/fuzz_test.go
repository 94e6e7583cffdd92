package governance_test

import (
	"encoding/json"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/governance"
)

// FuzzCheckClauses: the G19 check never panics, accepts exactly the inputs
// with each of the five clause types once, each with a reference, and names
// every missing clause.
func FuzzCheckClauses(f *testing.F) {
	good, _ := json.Marshal(allClauses())
	f.Add(good)
	f.Add([]byte(`[{"type":"subcontracting","reference":"第5条"}]`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var cl []governance.Clause
		if json.Unmarshal(data, &cl) != nil {
			return
		}
		err := governance.CheckClauses(cl)
		seen := map[governance.ClauseType]int{}
		okRefs := true
		for _, c := range cl {
			seen[c.Type]++
			if len(c.Reference) == 0 || len(c.Reference) > 2000 {
				okRefs = false
			}
		}
		want := len(cl) == 5 && okRefs
		for _, c := range governance.RequiredClauses() {
			if seen[c] != 1 {
				want = false
			}
		}
		if err == nil && !want {
			t.Errorf("CheckClauses(%s) accepted an incomplete contract", data)
		}
		if err != nil && jukinet.ErrorField(err) == "" {
			t.Errorf("CheckClauses(%s): %v names no field", data, err)
		}
		// Every missing clause is named at once, not only the first.
		named := map[string]bool{}
		for _, e := range jukinet.AllFieldErrors(err) {
			named[e.Field] = true
		}
		for _, c := range governance.RequiredClauses() {
			if seen[c] == 0 && !named["clauses."+string(c)] {
				t.Errorf("CheckClauses(%s): missing clause %s not named in %v", data, c, err)
			}
		}
	})
}

// FuzzDecodeMeeting: meeting JSON (the CLI input) decodes or fails cleanly.
func FuzzDecodeMeeting(f *testing.F) {
	f.Add([]byte(`{"held_on":"2026-05-01","title":"t","members":[{"role":"security_general_manager","present":true}],"items":[{"category":"audit","title":"x"}]}`))
	f.Add([]byte(`{"held_on":"令和8年5月1日"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var m governance.Meeting
		if json.Unmarshal(data, &m) != nil {
			return
		}
		if _, err := json.Marshal(m); err != nil {
			t.Errorf("re-marshal of %s: %v", data, err)
		}
	})
}
