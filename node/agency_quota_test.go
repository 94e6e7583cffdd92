package node

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

const quotaAgencies = `
[[agency]]
id = "pension"
name = "日本年金機構"
tasks = ["年金給付の支給"]
persons_per_second = 10
persons_per_day = 25
`

// 法30条の9: each agency's quotas of persons per second and per day
// (agencies.toml) are enforced per certificate: a request beyond them is
// refused with 429, nothing is provided, and the refusal is recorded; the
// codes an agency asks for that match nobody are person records, and a
// sweep raises an alert once per hour.
func TestAgencyQuotasAndSweepAlert(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			now := time.Date(2026, 12, 1, 10, 0, 0, 0, jukinet.JST)
			var mu sync.Mutex
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
			db := storetest.OpenWith(t, e, network.NationalID, storetest.Options{Now: clock})
			ag, err := ParseAgencies([]byte(quotaAgencies))
			if err != nil {
				t.Fatal(err)
			}
			nat, err := NewNational(context.Background(), db, NationalConfig{Agencies: ag})
			if err != nil {
				t.Fatal(err)
			}
			p := newAgencyPKI(t)
			var logs []string
			var logMu sync.Mutex
			logf := func(f string, args ...any) {
				logMu.Lock()
				logs = append(logs, fmt.Sprintf(f, args...))
				logMu.Unlock()
			}
			l := startAgencyListener(t, p, nat, AgencyAPIConfig{RatePerSecond: 1000, Now: clock, SweepNotFound: 15, Logf: logf})
			url := "https://" + l.Addr() + AgencyProvidePath
			c := p.client("pension")
			codes := manyCodes(t, 40) // nobody: every code is not found
			ask := func(k, from int) int {
				t.Helper()
				r, err := post(t, c, url, provideBody("年金給付の支給", codes[from:from+k]...))
				if err != nil {
					t.Fatal(err)
				}
				return r.status
			}
			// askRestarted asks a second listener, started as a restarted
			// node's would be: with no usage in memory.
			restarted := startAgencyListener(t, p, nat, AgencyAPIConfig{RatePerSecond: 1000, Now: clock, SweepNotFound: 15, Logf: logf})
			askRestarted := func(k, from int) int {
				t.Helper()
				r, err := post(t, c, "https://"+restarted.Addr()+AgencyProvidePath, provideBody("年金給付の支給", codes[from:from+k]...))
				if err != nil {
					t.Fatal(err)
				}
				return r.status
			}
			count := func(q string, args ...any) int {
				var n int
				if err := db.Bookkeeping(store.Inspect).QueryRow(q, args...).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if s := ask(10, 0); s != 200 {
				t.Fatalf("10 persons within the quota: status %d", s)
			}
			provided := count(`SELECT COUNT(*) FROM flow_provisions`)
			// The same second: the per-second quota (10) is spent.
			if s := ask(5, 10); s != 429 {
				t.Errorf("5 more within the second: status %d, want 429", s)
			}
			if s := ask(11, 10); s != 413 {
				t.Errorf("11 persons in one request (quota 10 a second): status %d, want 413", s)
			}
			advance(time.Second)
			if s := ask(10, 10); s != 200 {
				t.Fatalf("10 more a second later: status %d", s)
			}
			// The day's quota is 25: 20 asked, 10 more are refused.
			advance(time.Second)
			before := count(`SELECT COUNT(*) FROM flow_provisions`)
			if s := ask(10, 20); s != 429 {
				t.Errorf("beyond the day's quota: status %d, want 429", s)
			}
			if n := count(`SELECT COUNT(*) FROM flow_provisions`); n != before || before != 20 {
				t.Errorf("provisions: %d before the refused request, %d after; want 20 and 20", before, n)
			}
			// A restart does not give the agency a fresh day: the restarted
			// listener reads today's 20 from the provision records.
			if s := askRestarted(10, 20); s != 429 {
				t.Errorf("beyond the day's quota after a restart: status %d, want 429", s)
			}
			if n := details(t, db, "refused: pension: "+jukinet.KindRateLimited.String()); n != 3 {
				t.Errorf("quota refusals recorded: %d, want 3", n)
			}
			if n := details(t, db, "refused: pension: "+jukinet.KindTooLarge.String()); n != 1 {
				t.Errorf("batch-size refusals recorded: %d, want 1", n)
			}
			// The next day (JST) the quota is fresh.
			advance(24 * time.Hour)
			if s := ask(5, 30); s != 200 {
				t.Errorf("the next day: status %d, want 200", s)
			}
			if provided != 10 {
				t.Errorf("first request: %d provisions recorded, want 10", provided)
			}
			// Every code asked for is a person record, not found.
			var notFound int
			for _, r := range storetest.Records(t, db, nil) {
				if r.Result == store.ResultNotFound && r.Purpose == "年金給付の支給" && r.Principal == "agency:pension" {
					notFound++
				}
			}
			if notFound != 25 {
				t.Errorf("not-found person records: %d, want 25", notFound)
			}
			// The sweep alert: 20 codes matching nobody in the first hour
			// (threshold 15), once.
			logMu.Lock()
			alerts := 0
			for _, s := range logs {
				if strings.Contains(s, "sweep alert") {
					alerts++
				}
				for _, code := range codes {
					if strings.Contains(s, string(code)) {
						t.Errorf("a log line carries a resident code: %s", s)
					}
				}
			}
			logMu.Unlock()
			if alerts != 1 {
				t.Errorf("sweep alerts logged: %d, want 1 (%q)", alerts, logs)
			}
			if n := details(t, db, "sweep alert: pension: 20 codes"); n != 1 {
				t.Errorf("sweep alerts recorded: %d, want 1", n)
			}
		})
	}
}

// details counts the records whose detail starts with prefix.
func details(t *testing.T, db *store.DB, prefix string) int {
	n := 0
	for _, r := range storetest.Records(t, db, nil) {
		if strings.HasPrefix(r.Detail, prefix) {
			n++
		}
	}
	return n
}

func TestAgencyQuotaConfig(t *testing.T) {
	ag, err := ParseAgencies([]byte(testAgencies))
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := ag.Agency("pension"); a.PersonsPerSecond != DefaultAgencyPersonsPerSecond || a.PersonsPerDay != DefaultAgencyPersonsPerDay {
		t.Errorf("defaults: %+v", a)
	}
	_, err = ParseAgencies([]byte(strings.Replace(quotaAgencies, "persons_per_day = 25", "persons_per_day = -1", 1)))
	if err == nil || !strings.Contains(err.Error(), "persons_per_day") || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("a negative quota: %v, want an error naming the line and the key", err)
	}
}
