package governance

import (
	"testing"

	"github.com/jukinet/jukinet"
)

// TestEveryStatusHasJapanese: each status of the compliance report has a
// Japanese name for the screen (jukinet.CodeJapanese).
func TestEveryStatusHasJapanese(t *testing.T) {
	for _, s := range []Status{StatusMet, StatusEvidenceMissing, StatusOverdue, StatusNotChecked} {
		if _, ok := jukinet.CodeJapanese(string(s)); !ok {
			t.Errorf("status %q: no Japanese name", s)
		}
	}
}
