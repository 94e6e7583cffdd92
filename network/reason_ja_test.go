package network

import (
	"testing"

	"github.com/jukinet/jukinet"
)

// TestEveryReasonHasJapanese: every receipt reason and handshake refusal a
// screen may show has a Japanese name in the one table (jukinet.CodeJapanese).
func TestEveryReasonHasJapanese(t *testing.T) {
	n := 0
	for r := Reason(0); r.Valid(); r++ {
		n++
		if ja, ok := jukinet.CodeJapanese(jukinet.CodesReason, r.String()); !ok || ja == r.String() {
			t.Errorf("reason %d %q: no Japanese name", r, r)
		}
	}
	if n < 16 {
		t.Fatalf("walked %d reasons, want the 16 or more there are", n)
	}
	for _, code := range []string{RefusalTLSUnknownAuthority, RefusalTLSNoCertificate, RefusalTLSBadCertificate, RefusalTLSHandshake} {
		if _, ok := jukinet.CodeJapanese(jukinet.CodesReason, code); !ok {
			t.Errorf("handshake refusal %q: no Japanese name", code)
		}
	}
}
