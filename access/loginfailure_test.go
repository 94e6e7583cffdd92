package access

import (
	"context"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// The records of refused logins name what the misuse analysis counts by:
// LoginFailureNamed reads back the 照合ID and terminal that logFailure and
// the throttle wrote, and the attempts of a throttled burst.
func TestLoginFailureNamedReadsTheRecords(t *testing.T) {
	fx := newFixture(t, store.SQLite)
	fx.svc.logFailure(context.Background(), testTerminal, "C-NOBODY", "unknown_id", false)
	fx.svc.logFailure(context.Background(), testTerminal, "bad id!", "unknown_id", false)
	recs := logRecords(t, fx.db, jukinet.OpAccessLoginFailure)
	if len(recs) != 2 {
		t.Fatalf("%d failure records, want 2", len(recs))
	}
	for i, want := range []string{"C-NOBODY", "(invalid)"} {
		c, term, n := LoginFailureNamed(recs[i].Detail)
		if c != want || term != testTerminal || n != 1 {
			t.Errorf("record %q read as %q, %q, %d; want %q, %q, 1", recs[i].Detail, c, term, n, want, testTerminal)
		}
	}
	if _, _, n := LoginFailureNamed("collation_id=C terminal=T reason=throttled key=source:x attempts=190"); n != 190 {
		t.Errorf("a throttled burst of 190 read as %d", n)
	}
}

func FuzzLoginFailureNamed(f *testing.F) {
	f.Add("collation_id=C-1 terminal=T-01 reason=throttled key=source:192.0.2.7 attempts=190")
	f.Add("attempts=-3 attempts=99999999999")
	f.Fuzz(func(t *testing.T, detail string) {
		if _, _, n := LoginFailureNamed(detail); n < 1 || n > maxAttemptsPerRecord {
			t.Fatalf("%q counts for %d attempts", detail, n)
		}
	})
}
