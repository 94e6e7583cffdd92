package register_test

import (
	"context"
	"github.com/jukinet/jukinet/store"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store/storetest"
)

// A 個人番号の指定請求 stays pending until the number is designated: the
// request names the outbox message that carries it; a newer request replaces
// an older one; designation clears it; a refused request leaves none.
func TestNumberRequestPending(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := setup(t, e)
			ctx := jukinet.WithActor(context.Background(), numberer)
			r := f.moveIn(t, "番号\u3000花子", "バンゴウ\u3000ハナコ", "山口県防府市松崎町1丁目2番3号")
			pending := func() *registerRequest {
				t.Helper()
				p, err := f.g.PendingNumberRequest(ctx, r.ResidentCode, "test")
				if err != nil {
					t.Fatalf("PendingNumberRequest(%s): %v", r.ResidentCode, err)
				}
				if p == nil {
					return nil
				}
				return &registerRequest{p.Reason, p.Date.String(), p.MessageID, p.RequestedAt.IsZero()}
			}
			// The 転入 carried no number: it asked the national server for the
			// person's number itself (the answer is the number they have).
			if p := pending(); p == nil || p.reason != jukinet.ReasonIndividualNumberExOfficioAdd || p.date != "2026-11-20" {
				t.Fatalf("after a 転入 without a number: got %+v, want a request of 個人番号の職権記載 dated the move-in", p)
			}
			if err := f.g.RequestIndividualNumber(ctx, r.ResidentCode, jukinet.ReasonIndividualNumberChangeRequest, date(t, "2026-11-25")); err != nil {
				t.Fatalf("request: %v", err)
			}
			first := pending()
			if first == nil || first.reason != jukinet.ReasonIndividualNumberChangeRequest || first.date != "2026-11-25" || first.zeroTime {
				t.Fatalf("after a 変更請求 of 2026-11-25: got %+v, want that reason and date", first)
			}
			var kind string
			if err := f.db.Bookkeeping(store.Inspect).QueryRow(`SELECT kind FROM outbox WHERE id = $1`, first.messageID).Scan(&kind); err != nil || kind != "mynumber.request" {
				t.Errorf("outbox message %s: kind %q (%v), want mynumber.request", first.messageID, kind, err)
			}
			if err := f.g.RequestIndividualNumber(ctx, r.ResidentCode, jukinet.ReasonIndividualNumberExOfficioCorrection, date(t, "2026-11-26")); err != nil {
				t.Fatalf("second request: %v", err)
			}
			second := pending()
			if second == nil || second.reason != jukinet.ReasonIndividualNumberExOfficioCorrection || second.messageID == first.messageID {
				t.Errorf("after a second request: got %+v, want the 職権修正 with a new message (first %s)", second, first.messageID)
			}
			if _, err := f.g.DesignateIndividualNumber(ctx, r.ResidentCode, "123456789018", jukinet.ReasonIndividualNumberExOfficioCorrection, date(t, "2026-11-26")); err != nil {
				t.Fatalf("designate: %v", err)
			}
			if p := pending(); p != nil {
				t.Errorf("after designation: got %+v, want none", p)
			}
			if err := f.g.RequestIndividualNumber(ctx, r.ResidentCode, jukinet.ReasonMoveWithin, date(t, "2026-11-26")); err == nil {
				t.Errorf("request with reason %s: got no error, want KindInvalid", jukinet.ReasonMoveWithin)
			}
			if p := pending(); p != nil {
				t.Errorf("after a refused request: got %+v, want none", p)
			}
			if _, err := f.g.PendingNumberRequest(ctx, "123", "test"); !jukinet.IsKind(err, jukinet.KindInvalid) {
				t.Errorf("PendingNumberRequest(123): got %v, want KindInvalid", err)
			}
		})
	}
}

type registerRequest struct {
	reason    jukinet.ChangeReason
	date      string
	messageID string
	zeroTime  bool
}
