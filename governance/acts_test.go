package governance_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/governance"
)

// TestActsRegistry: the registry names each act once, with an operation of
// the policy, both summaries, and an input that decodes the empty object
// (a fresh value each time, so two requests never share one).
func TestActsRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range governance.Acts() {
		if a.Name == "" || seen[a.Name] || a.Title == "" || a.Summary == "" {
			t.Errorf("act %+v: want a unique name, a title and a summary", a)
		}
		seen[a.Name] = true
		if !slices.Contains(jukinet.Operations(), a.Op) {
			t.Errorf("act %s: operation %q is not in the policy", a.Name, a.Op)
		}
		if a.System && !slices.Equal(jukinet.AllowedAuthorities(a.Op), []jukinet.Authority{jukinet.AuthoritySystem}) {
			t.Errorf("act %s is a system act, but its operation %s is allowed to %v", a.Name, a.Op, jukinet.AllowedAuthorities(a.Op))
		}
		in1, in2 := a.Input(), a.Input()
		if reflect.TypeOf(in1).Kind() != reflect.Pointer || reflect.TypeOf(in1).Elem().Size() > 0 && in1 == in2 {
			t.Errorf("act %s: Input returns %T twice the same, want a new pointer each call", a.Name, in1)
		}
		if err := json.Unmarshal([]byte(`{}`), in1); err != nil {
			t.Errorf("act %s: its input does not decode {}: %v", a.Name, err)
		}
		if got, ok := governance.ActByName(a.Name); !ok || got.Name != a.Name {
			t.Errorf("ActByName(%q) = %v, %v", a.Name, got.Name, ok)
		}
	}
	for _, name := range []string{"assign-role", "access-decide", "room-badge", "roles", "follow-up-done"} {
		if !seen[name] {
			t.Errorf("the registry has no act %q", name)
		}
	}
	if _, ok := governance.ActByName("dance"); ok {
		t.Error(`ActByName("dance") found an act`)
	}
}
