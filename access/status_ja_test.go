package access

import (
	"testing"

	"github.com/jukinet/jukinet"
)

// TestEveryStatusHasJapanese: each operator status has a Japanese name for
// the admin console (jukinet.CodeJapanese).
func TestEveryStatusHasJapanese(t *testing.T) {
	for _, s := range []Status{StatusActive, StatusRetired, StatusTransferred} {
		if _, ok := jukinet.CodeJapanese(jukinet.CodesOperator, string(s)); !ok {
			t.Errorf("status %q: no Japanese name", s)
		}
	}
}
