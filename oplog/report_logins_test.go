package oplog_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/access"
	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/store/storetest"
)

// Failed logins as the access service records them — as the system, the
// attempted 照合ID and terminal in the detail — are what the misuse
// analysis counts (G8, G14): three at one terminal within an hour are a
// finding naming that 照合ID and terminal; two are not.
func TestReportCountsTheServicesFailedLogins(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			for _, tc := range []struct {
				attempts int
				want     bool
			}{{2, false}, {3, true}} {
				f := newFixture(t, e)
				key, err := biometric.NewNodeKey(1, rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				ring, err := access.NewKeyRing(key)
				if err != nil {
					t.Fatal(err)
				}
				svc, err := access.New(f.db, ring, access.Options{LoginTerminalBurst: 1000, LoginSourceBurst: 1000})
				if err != nil {
					t.Fatal(err)
				}
				reader := biometric.NewSyntheticReader(7, 0.1)
				start := f.clock.now()
				for range tc.attempts {
					if _, err := svc.Verify(context.Background(), "T-07", "C-NOBODY", reader.RandomReading()); err == nil {
						t.Fatal("a login with an unknown 照合ID at an unregistered terminal was accepted")
					}
				}
				rep, err := oplog.Analyse(jukinet.WithActor(context.Background(), auditor), f.db, oplog.ReportConfig{From: start.Add(-time.Hour), To: start.Add(time.Hour)})
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, fd := range rep.Findings {
					if fd.Kind == oplog.FindingLoginFailures {
						found = true
						if fd.CollationID != "C-NOBODY" || fd.Terminal != "T-07" || len(fd.Indices) != tc.attempts {
							t.Errorf("finding %+v: want 照合ID C-NOBODY, terminal T-07 and the %d records", fd, tc.attempts)
						}
					}
				}
				if found != tc.want {
					t.Errorf("%d failed logins: finding %v, want %v (findings %+v)", tc.attempts, found, tc.want, rep.Findings)
				}
			}
		})
	}
}
