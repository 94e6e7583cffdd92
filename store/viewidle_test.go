package store_test

import (
	"context"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// ViewIfIdle runs its read, and appends its record, only when no write
// transaction is running and only on SQLite; a busy writer or PostgreSQL
// leaves everything as it was and says so; a refused actor reads nothing
// and the refusal is recorded.
func TestViewIfIdle(t *testing.T) {
	storetest.Run(t, "national", func(t *testing.T, db *store.DB) {
		ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("test"))
		op := store.Op{Operation: jukinet.OpIdentityLookup, Purpose: "case 7", Detail: "idle"}
		count := func() int {
			t.Helper()
			return len(storetest.Records(t, db, func(r store.LogRecord) bool { return r.Detail == "idle" }))
		}
		read := false
		ran, err := db.ViewIfIdle(ctx, op, func(*store.Tx) error { read = true; return nil })
		if err != nil {
			t.Fatal(err)
		}
		if want := db.Engine() == store.SQLite; ran != want || read != want || count() != map[bool]int{true: 1}[want] {
			t.Fatalf("idle writer on %s: ran %v, read %v, %d records; want %v, %v and %d", db.Engine(), ran, read, count(), want, want, map[bool]int{true: 1}[want])
		}
		if db.Engine() != store.SQLite {
			return
		}
		// A write transaction in progress: ViewIfIdle neither waits nor reads.
		inside, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
		go func() {
			done <- db.Update(ctx, store.Op{Operation: jukinet.OpIdentityLookup, Purpose: "case 7"}, func(*store.Tx) error {
				close(inside)
				<-release
				return nil
			})
		}()
		<-inside
		read = false
		ran, err = db.ViewIfIdle(ctx, op, func(*store.Tx) error { read = true; return nil })
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if ran || read || err != nil || count() != 1 {
			t.Errorf("busy writer: ran %v, read %v, %v, %d records; want false, false, nil and still 1", ran, read, err, count())
		}
		clerk := jukinet.Actor{CollationID: "C0001", OperatorID: "OP-7", Authority: jukinet.AuthorityRecord, Terminal: "T-3"}
		read = false
		ran, err = db.ViewIfIdle(jukinet.WithActor(context.Background(), clerk), op, func(*store.Tx) error { read = true; return nil })
		refused := storetest.Records(t, db, func(r store.LogRecord) bool { return r.Detail == "idle" && r.Result == "forbidden" })
		if !jukinet.IsKind(err, jukinet.KindForbidden) || read || len(refused) != 1 || refused[0].CollationID != clerk.CollationID {
			t.Errorf("refused actor: ran %v, read %v, %v, refusals %+v; want KindForbidden, no read, one refusal by %s", ran, read, err, refused, clerk.CollationID)
		}
	})
}
