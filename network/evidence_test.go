package network

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// The compliance report's facts of the links: zero without receipts and
// deliveries; counted in their periods, by peer and by kind, once the rows
// exist (inserted as the sender leaves them: delivered messages, receipt
// lists).
func TestEvidenceOfTheLinks(t *testing.T) {
	storetest.Run(t, hofu, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q := db.Bookkeeping(store.Delivery)
		t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
		hour := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
		if r, err := ReceiptsBetween(ctx, q, hour(-24), hour(24)); r != (Receipts{}) || err != nil {
			t.Errorf("ReceiptsBetween without receipts = %+v, %v; want zero", r, err)
		}
		if k, err := DeliveredBetween(ctx, q, hour(-24), hour(24)); len(k) != 0 || err != nil {
			t.Errorf("DeliveredBetween without deliveries = %v, %v; want none", k, err)
		}
		for _, x := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO outbox (id, kind, dest, body, created_at, state, done_at) VALUES ('m-1', $1, '35', $2, $3, 'delivered', $3)`, []any{KindIdentityNotify.String(), []byte{1}, hour(0).UnixMicro()}},
			{`INSERT INTO outbox (id, kind, dest, body, created_at, state, done_at) VALUES ('m-2', $1, '35', $2, $3, 'delivered', $3)`, []any{KindIdentityNotify.String(), []byte{1}, hour(1).UnixMicro()}},
			{`INSERT INTO outbox (id, kind, dest, body, created_at, state, done_at) VALUES ('m-3', $1, '352012', $2, $3, 'delivered', $3)`, []any{KindMoveInNotice.String(), []byte{1}, hour(2).UnixMicro()}},
			{`INSERT INTO outbox (id, kind, dest, body, created_at, state) VALUES ('m-4', $1, '35', $2, $3, 'pending')`, []any{KindIdentityNotify.String(), []byte{1}, hour(3).UnixMicro()}},
			{`INSERT INTO outbox (id, kind, dest, body, created_at, state, done_at) VALUES ('m-5', $1, '35', $2, $3, 'delivered', $3)`, []any{KindIdentityNotify.String(), []byte{1}, hour(48).UnixMicro()}},
			{`INSERT INTO outbox_receipts (dest, first_seq, last_seq, received_at, receipts) VALUES ('35', 1, 2, $1, $2)`, []any{hour(1).UnixMicro(), []byte{1}}},
			{`INSERT INTO outbox_receipts (dest, first_seq, last_seq, received_at, receipts) VALUES ('352012', 1, 1, $1, $2)`, []any{hour(2).UnixMicro(), []byte{1}}},
			{`INSERT INTO outbox_receipts (dest, first_seq, last_seq, received_at, receipts) VALUES ('35', 3, 3, $1, $2)`, []any{hour(48).UnixMicro(), []byte{1}}},
		} {
			if _, err := db.Bookkeeping(store.Inspect).Exec(x.sql, x.args...); err != nil {
				t.Fatalf("%s: %v", x.sql, err)
			}
		}
		r, err := ReceiptsBetween(ctx, q, hour(-24), hour(24))
		if err != nil || r.Lists != 2 || r.Peers != 2 || !r.Last.Equal(hour(2)) {
			t.Errorf("ReceiptsBetween = %+v, %v; want 2 lists from 2 peers, the last at %s", r, err, hour(2))
		}
		k, err := DeliveredBetween(ctx, q, hour(-24), hour(24))
		want := []KindCount{{KindIdentityNotify.String(), 2}, {KindMoveInNotice.String(), 1}}
		if KindMoveInNotice.String() < KindIdentityNotify.String() {
			want[0], want[1] = want[1], want[0]
		}
		if err != nil || !reflect.DeepEqual(k, want) {
			t.Errorf("DeliveredBetween = %v, %v; want %v (the pending and the later message not counted)", k, err, want)
		}
		if r, err := ReceiptsBetween(ctx, q, hour(3), hour(24)); r != (Receipts{}) || err != nil {
			t.Errorf("ReceiptsBetween after the lists = %+v, %v; want zero", r, err)
		}
	})
}
