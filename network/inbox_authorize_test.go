package network_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// StoreInbox.AuthorizeKey runs before any ordering logic: its refusal
// rejects the envelope (answered, recorded in the inbox and the operation
// log) without running the handler or touching inbox_versions, so the
// key's rightful sender's same version is applied afterwards.
func TestInboxAuthorizeKeyRefusalAdvancesNoVersion(t *testing.T) {
	storetest.Run(t, "350001", func(t *testing.T, db *store.DB) {
		const key = "352063/12345678903"
		applied := 0
		inbox := network.NewStoreInbox(db, map[network.Kind]network.ApplyFunc{network.KindIdentityNotify: func(*store.Tx, *network.Envelope) error {
			applied++
			return nil
		}})
		inbox.AuthorizeKey = func(_ *store.Tx, from string, e *network.Envelope) error {
			if !strings.HasPrefix(e.OrderingKey, from+"/") {
				return jukinet.Errorf("test", jukinet.KindForbidden, "ordering_key", "not a key of %s", from)
			}
			return nil
		}
		deliver := func(from string) network.Outcome {
			t.Helper()
			e, err := network.NewEnvelope(network.KindIdentityNotify, from, "350001", time.Now().UnixMicro(), []byte(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			e.OrderingKey, e.Version = key, 1
			out, err := inbox.Deliver(network.NetworkContext(context.Background()), from, []*network.Envelope{e})
			if err != nil {
				t.Fatal(err)
			}
			return out[0]
		}
		if o := deliver("352012"); o.Status != network.StatusRejected || o.Reason != network.ReasonInvalidBody || !strings.Contains(o.Detail, "not a key of 352012") {
			t.Fatalf("foreign key: %+v, want rejected invalid_body naming the rule", o)
		}
		var versions, rejected int
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM inbox_versions`).Scan(&versions); err != nil {
			t.Fatal(err)
		}
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM inbox WHERE state = 'rejected' AND sender = '352012'`).Scan(&rejected); err != nil {
			t.Fatal(err)
		}
		if applied != 0 || versions != 0 || rejected != 1 {
			t.Errorf("after the refusal: handler ran %d times, %d version rows, %d rejected inbox rows; want 0, 0, 1", applied, versions, rejected)
		}
		logged := storetest.Records(t, db, func(r store.LogRecord) bool {
			return r.Result == "rejected" && strings.Contains(r.Detail, "ordering key not the sender's")
		})
		if len(logged) != 1 {
			t.Errorf("refusal records: %d, want 1", len(logged))
		}
		if o := deliver("352063"); o.Status != network.StatusAccepted || o.Detail != "" || applied != 1 {
			t.Errorf("the rightful sender's version 1: %+v, handler ran %d times; want applied once", o, applied)
		}
	})
}
