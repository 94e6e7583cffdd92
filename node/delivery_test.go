package node_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// engineNet starts the demo network (real mutual TLS between the nodes) on
// engine e with persons residents seeded at 防府市, and waits until their
// identity information is at the national server.
func engineNet(t *testing.T, e store.Engine, persons int) *demo.Network {
	t.Helper()
	ctx := context.Background()
	n, err := demo.StartNetwork(ctx, demo.NetworkConfig{Dir: t.TempDir(), OutboxBatch: 500,
		Open: func(ctx context.Context, id string) (*store.DB, error) {
			return store.Open(ctx, storetest.Config(t, e, id))
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	if _, err := demo.SeedMunicipality(ctx, n.DBs[hofu], demo.Hofu, persons, 7); err != nil {
		t.Fatal(err)
	}
	waitCount(t, n.DBs[network.NationalID], persons, 60*time.Second, `SELECT COUNT(*) FROM flow_identity`)
	return n
}

// TestUnknownMoveInDoesNotBlockTheLink: a 転入 at 久留米市 for a resident code
// with a valid check digit that 防府市 never issued sends 防府市 a 転入通知 it
// cannot record. 防府市 refuses that one message with a signed receipt
// (reason refused) and applies the rest of the link's traffic: a 広域交付
// request made just after it is answered, and no batch from 久留米市 to
// 防府市 ever fails or waits for a retry. At 久留米市 the notice is a dead
// letter, and the network status shows it as an alert.
func TestUnknownMoveInDoesNotBlockTheLink(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := engineNet(t, e, 3)
			ctx := context.Background()
			// The demo's designated counter staff (G16-2.1).
			clerk := jukinet.WithActor(ctx, jukinet.Actor{CollationID: demo.DemoClerk, OperatorID: demo.OperatorID(demo.DemoClerk, jukinet.AuthorityRecord), Authority: jukinet.AuthorityRecord, Terminal: demo.TerminalID})
			issuer := jukinet.WithActor(ctx, jukinet.Actor{CollationID: demo.DemoIssuer, OperatorID: demo.OperatorID(demo.DemoIssuer, jukinet.AuthorityIssue), Authority: jukinet.AuthorityIssue, Terminal: demo.TerminalID})
			cd, err := jukinet.ResidentCodeCheckDigit("9876543210")
			if err != nil {
				t.Fatal(err)
			}
			never := jukinet.ResidentCode("9876543210" + string(cd))
			today := jukinet.Today(time.Now())
			ku := n.Municipality(kurume)
			if _, err := ku.Register().MoveInDomestic(clerk, register.MoveInInput{
				PersonInput: register.PersonInput{Name: jukinet.Name{Kanji: "架空\u3000太郎", Kana: "カクウ\u3000タロウ"},
					BirthDate: today.AddDays(-365 * 30), Sex: jukinet.SexMale},
				ResidentCode: never, MoveInDate: today, PlannedMoveOut: today,
				PreviousAddress: jukinet.Address{LGCode: hofu, Text: "山口県防府市松崎町1番1号"}, AddressText: "福岡県久留米市城南町1番1号"}); err != nil {
				t.Fatal(err)
			}
			person := identityOf(t, n.DBs[hofu])
			id, err := ku.RequestCopy(issuer, node.CopyRequestInput{Residence: hofu, Name: person.Name, BirthDate: person.BirthDate, Items: node.CopyItems{Household: true}})
			if err != nil {
				t.Fatal(err)
			}
			wctx, cancel := context.WithTimeout(issuer, 60*time.Second)
			defer cancel()
			rec, err := ku.AwaitCopy(wctx, id)
			if err != nil || rec.Name != person.Name {
				t.Fatalf("AwaitCopy after the unknown move-in: %+v, %v; want the record of %s", rec, err, person.Name.Kanji)
			}

			db := n.DBs[kurume]
			waitCount(t, db, 0, 30*time.Second, `SELECT COUNT(*) FROM outbox WHERE state = 'pending'`)
			var noticeID, lastErr string
			var attempts int
			if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT id, last_error, attempts FROM outbox WHERE kind = 'movein.notice' AND state = 'rejected'`).Scan(&noticeID, &lastErr, &attempts); err != nil {
				t.Fatalf("the move-in notice is not a dead letter at 久留米市: %v", err)
			}
			if !strings.HasPrefix(lastErr, "refused") || strings.Contains(lastErr, string(never)) || attempts != 1 {
				t.Errorf("dead letter: error %q after %d attempts; want reason refused, no resident code, one attempt", lastErr, attempts)
			}
			rc, err := network.StoredReceipt(ctx, db, noticeID)
			if err != nil || rc.Status != network.StatusRejected || rc.Reason != network.ReasonRefused || rc.Receiver != hofu {
				t.Fatalf("receipt of the notice: %+v, %v; want 防府市's rejection, reason refused", rc, err)
			}
			if err := network.VerifyReceipts([]*network.Receipt{rc}, n.Description.Keys()); err != nil {
				t.Errorf("the rejection receipt does not verify: %v", err)
			}
			if got := count(t, db, `SELECT COUNT(*) FROM outbox WHERE dest = $1 AND attempts <> 1`, hofu); got != 0 {
				t.Errorf("%d messages from 久留米市 to 防府市 took more than one attempt; want 0 (the link never failed)", got)
			}
			st, err := network.QueueStatus(ctx, db)
			if err != nil || len(st.Alerts) != 1 || st.Alerts[0].ID != noticeID || st.Alerts[0].Kind != "movein.notice" {
				t.Errorf("QueueStatus alerts = %+v, %v; want the move-in notice", st.Alerts, err)
			}
			if got := count(t, n.DBs[hofu], `SELECT COUNT(*) FROM inbox WHERE message_id = $1 AND state = 'rejected' AND reason = 'refused'`, noticeID); got != 1 {
				t.Errorf("防府市's inbox rows of the refused notice: %d, want 1 (rejected, refused)", got)
			}
		})
	}
}

// identityOf returns one resident of the municipality on db.
func identityOf(t *testing.T, db *store.DB) jukinet.IdentityInfo {
	t.Helper()
	var s string
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT info FROM identity_history WHERE version = 1 ORDER BY resident_code LIMIT 1`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	var info jukinet.IdentityInfo
	if err := json.Unmarshal([]byte(s), &info); err != nil {
		t.Fatal(err)
	}
	return info
}

// BenchmarkDrainAfterPeerReturn measures how soon a backlog moves once its
// peer is back: the prefecture (山口県) is down for 60 s while 防府市 queues
// 2,000 identity notices for it (200 persons × versions 2–11), so that
// 防府市's sender has failed for a while; then the prefecture returns. The
// figure is the seconds from its return until all 2,000 are at the national
// server (s_return_to_national), and the longest gap, while it was down,
// between two failed attempts of 防府市 (s_max_probe_gap).
// Run with -benchtime=1x: one iteration is a whole network.
func BenchmarkDrainAfterPeerReturn(b *testing.B) {
	const persons, last, outage = 200, 11, 60 * time.Second
	for range b.N {
		b.StopTimer()
		ctx := context.Background()
		n, err := demo.StartNetwork(ctx, demo.NetworkConfig{Dir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := demo.SeedMunicipality(ctx, n.DBs[hofu], demo.Hofu, persons, 7); err != nil {
			b.Fatal(err)
		}
		nat := n.DBs[network.NationalID]
		poll(b, nat, persons, time.Minute, `SELECT COUNT(*) FROM flow_identity_history`)
		poll(b, n.DBs[hofu], 0, time.Minute, `SELECT COUNT(*) FROM outbox WHERE state = 'pending'`)
		infos := make([]jukinet.IdentityInfo, 0, persons)
		rows, err := n.DBs[hofu].Bookkeeping(store.Inspect).Query(`SELECT info FROM identity_history WHERE version = 1 ORDER BY resident_code`)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var s string
			var info jukinet.IdentityInfo
			if err := rows.Scan(&s); err != nil {
				b.Fatal(err)
			}
			if err := json.Unmarshal([]byte(s), &info); err != nil {
				b.Fatal(err)
			}
			infos = append(infos, info)
		}
		rows.Close()
		if err := n.Stop(yamaPref, false); err != nil {
			b.Fatal(err)
		}
		queueVersions(b, n.DBs[hofu], infos, 2, last)
		// Sample 防府市's failed attempts while the prefecture is down.
		var gaps []time.Time
		prev := -1
		end := time.Now().Add(outage)
		for time.Now().Before(end) {
			var a int
			if err := n.DBs[hofu].Bookkeeping(store.Inspect).QueryRow(`SELECT COALESCE(MAX(attempts), 0) FROM outbox WHERE state = 'pending'`).Scan(&a); err != nil {
				b.Fatal(err)
			}
			if a != prev {
				gaps, prev = append(gaps, time.Now()), a
			}
			time.Sleep(20 * time.Millisecond)
		}
		gaps = append(gaps, time.Now())
		var maxGap time.Duration
		for i := 2; i < len(gaps); i++ { // from the second failure to the return
			maxGap = max(maxGap, gaps[i].Sub(gaps[i-1]))
		}
		b.StartTimer()
		back := time.Now()
		if err := n.Restart(ctx, yamaPref); err != nil {
			b.Fatal(err)
		}
		poll(b, nat, persons*last, 5*time.Minute, `SELECT COUNT(*) FROM flow_identity_history`)
		drained := time.Since(back)
		b.StopTimer()
		b.ReportMetric(drained.Seconds(), "s_return_to_national")
		b.ReportMetric(maxGap.Seconds(), "s_max_probe_gap")
		b.ReportMetric(float64(prev), "attempts_while_down")
		n.Close()
	}
}

// poll waits until q on db answers want.
func poll(tb testing.TB, db *store.DB, want int, timeout time.Duration, q string) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var got int
		if err := db.Bookkeeping(store.Inspect).QueryRow(q).Scan(&got); err != nil {
			tb.Fatal(err)
		}
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s = %d after %s, want %d", q, got, timeout, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
