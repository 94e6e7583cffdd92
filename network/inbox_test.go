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

// A rejected envelope of a batch leaves nothing behind: not its handler's
// rows, nor the messages it queued, nor the log records it wrote — while the
// good envelopes beside it are applied (docs/design.md §1.1, §1.2).
func TestInboxRejectionUndoesHandlerEffects(t *testing.T) {
	storetest.Run(t, "350001", func(t *testing.T, db *store.DB) {
		if _, err := db.Bookkeeping(store.Inspect).Exec(`CREATE TABLE probe (id TEXT PRIMARY KEY)`); err != nil {
			t.Fatal(err)
		}
		handler := func(tx *store.Tx, env *network.Envelope) error {
			if _, err := tx.Exec(`INSERT INTO probe (id) VALUES ($1)`, env.ID.String()); err != nil {
				return err
			}
			tx.Send(store.Message{Kind: network.KindIdentityRelay.String(), To: network.NationalID, Body: []byte(`{}`)})
			tx.Log(jukinet.OpNetworkReceive, "", "ok", "handler note "+string(env.Body))
			if string(env.Body) == `"bad"` {
				return jukinet.E("test", jukinet.KindInvalid, jukinet.Field("body"), "refused after writing")
			}
			return nil
		}
		inbox := network.NewStoreInbox(db, map[network.Kind]network.ApplyFunc{network.KindIdentityNotify: handler})
		var envs []*network.Envelope
		for _, body := range []string{`"good-1"`, `"bad"`, `"good-2"`} {
			e, err := network.NewEnvelope(network.KindIdentityNotify, "352063", "350001", time.Now().UnixMicro(), []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			envs = append(envs, e)
		}
		out, err := inbox.Deliver(network.NetworkContext(context.Background()), "352063", envs)
		if err != nil {
			t.Fatal(err)
		}
		want := []network.Status{network.StatusAccepted, network.StatusRejected, network.StatusAccepted}
		for i := range want {
			if out[i].Status != want[i] {
				t.Errorf("envelope %d: status %v, want %v", i, out[i].Status, want[i])
			}
		}
		var probes, relays, notes, badNotes int
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM probe`).Scan(&probes); err != nil {
			t.Fatal(err)
		}
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM outbox`).Scan(&relays); err != nil {
			t.Fatal(err)
		}
		for _, r := range storetest.Records(t, db, nil) {
			if strings.HasPrefix(r.Detail, "handler note") {
				notes++
				if strings.Contains(r.Detail, "bad") {
					badNotes++
				}
			}
		}
		if probes != 2 || relays != 2 || notes != 2 || badNotes != 0 {
			t.Errorf("after one rejection in three: %d rows, %d queued messages, %d handler records (%d of the rejected); want 2, 2, 2, 0",
				probes, relays, notes, badNotes)
		}
	})
}

// A received message is one operation-log record, and it names the person
// its handler touched (store.Tx.Note): the log answers "who received what
// about whom" without a second record per message.
func TestInboxRecordCarriesHandlersSubject(t *testing.T) {
	storetest.Run(t, "350001", func(t *testing.T, db *store.DB) {
		const code = "12345678903"
		handler := func(tx *store.Tx, env *network.Envelope) error {
			tx.Note(code, "identity move_within")
			return nil
		}
		inbox := network.NewStoreInbox(db, map[network.Kind]network.ApplyFunc{network.KindIdentityNotify: handler})
		e, err := network.NewEnvelope(network.KindIdentityNotify, "352063", "350001", time.Now().UnixMicro(), []byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inbox.Deliver(network.NetworkContext(context.Background()), "352063", []*network.Envelope{e}); err != nil {
			t.Fatal(err)
		}
		var n int
		var detail string
		for _, r := range storetest.Records(t, db, func(r store.LogRecord) bool { return r.Subject == db.SubjectToken(code) }) {
			n++
			detail = r.Detail
		}
		if n != 1 || !strings.Contains(detail, e.ID.String()) || !strings.Contains(detail, "identity move_within") {
			t.Errorf("records about the person: %d, detail %q; want 1 naming the message and the handler's note", n, detail)
		}
	})
}
