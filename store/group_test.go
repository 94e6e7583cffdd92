package store_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// queueViews starts a log-only View per detail, one after the other once
// the one before waits for the writer, and returns their errors' channel.
func queueViews(t *testing.T, db *store.DB, ctx context.Context, details []string) <-chan error {
	t.Helper()
	errs := make(chan error, len(details))
	for i, d := range details {
		go func() {
			errs <- db.View(ctx, store.Op{Operation: jukinet.OpIdentityLookup, Purpose: "case 9", Detail: d}, nil)
		}()
		for db.WaitingLogOnly() != i+1 {
			runtime.Gosched()
		}
	}
	return errs
}

// Log-only Views that wait for the writer commit in one transaction, in
// the order they came, each record as its own transaction would have
// written it; each caller returns once its record is committed. A refused
// actor among them is refused alone, and recorded.
func TestLogOnlyViewsCommitInOneGroup(t *testing.T) {
	storetest.Run(t, "national", func(t *testing.T, db *store.DB) {
		ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("test"))
		details := []string{"group 0", "group 1", "group 2", "group 3"}
		db.LogGroups() // install the hooks
		release := db.HoldWriter()
		errs := queueViews(t, db, ctx, details)
		clerk := jukinet.Actor{CollationID: "C0001", OperatorID: "OP-7", Authority: jukinet.AuthorityRecord, Terminal: "T-3"}
		refused := make(chan error, 1)
		go func() {
			// On SQLite the refusal's record waits for the writer too, in
			// a transaction of its own.
			refused <- db.View(jukinet.WithActor(ctx, clerk), store.Op{Operation: jukinet.OpIdentityLookup, Purpose: "case 9", Detail: "group refused"}, nil)
		}()
		release()
		for range details {
			if err := <-errs; err != nil {
				t.Errorf("view: %v", err)
			}
		}
		if err := <-refused; !jukinet.IsKind(err, jukinet.KindForbidden) {
			t.Errorf("refused actor: %v, want KindForbidden", err)
		}
		recs := storetest.Records(t, db, func(r store.LogRecord) bool {
			return strings.HasPrefix(r.Detail, "group ") && r.Detail != "group refused"
		})
		var got []string
		for _, r := range recs {
			got = append(got, fmt.Sprintf("%s %d", r.Detail, r.Index-recs[0].Index))
		}
		want := []string{"group 0 0", "group 1 1", "group 2 2", "group 3 3"}
		if !slices.Equal(got, want) {
			t.Errorf("records (detail, index from the first): %q, want %q", got, want)
		}
		if groups := db.LogGroups(); !slices.Equal(groups, []int{len(details)}) {
			t.Errorf("groups committed: %v, want one of %d", groups, len(details))
		}
		forbidden := storetest.Records(t, db, func(r store.LogRecord) bool { return r.Detail == "group refused" })
		if len(forbidden) != 1 || forbidden[0].Result != "forbidden" || forbidden[0].CollationID != clerk.CollationID {
			t.Errorf("refusal records: %+v, want one, forbidden, by %s", forbidden, clerk.CollationID)
		}
	})
}

// A group whose commit fails fails every caller, and writes none of them.
func TestLogOnlyGroupFailsWhole(t *testing.T) {
	storetest.Run(t, "national", func(t *testing.T, db *store.DB) {
		ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("test"))
		for _, step := range []string{"oplog", "commit"} {
			db.FailAt(step)
			release := db.HoldWriter()
			errs := queueViews(t, db, ctx, []string{"doomed 0", "doomed 1", "doomed 2"})
			release()
			for range 3 {
				if err := <-errs; !jukinet.IsKind(err, jukinet.KindInternal) {
					t.Errorf("failure at %s: a caller got %v, want the injected KindInternal", step, err)
				}
			}
			if recs := storetest.Records(t, db, func(r store.LogRecord) bool { return strings.HasPrefix(r.Detail, "doomed ") }); len(recs) != 0 {
				t.Errorf("failure at %s: %d records written, want none", step, len(recs))
			}
		}
		db.FailAt("")
		if err := db.View(ctx, store.Op{Operation: jukinet.OpIdentityLookup, Purpose: "case 9", Detail: "after"}, nil); err != nil {
			t.Fatal(err)
		}
		_, ol, head := counts(t, db)
		if ol != 1 || head != 1 {
			t.Errorf("after the failed groups and one view: oplog=%d head=%d, want 1 1", ol, head)
		}
	})
}

// A ViewIfIdle read that yields between its parts commits the log-only
// records waiting for the writer there and then, before its own, and reads
// on afterwards; with nobody waiting, Yield does nothing.
func TestYieldCommitsWaitingViews(t *testing.T) {
	storetest.Run(t, "national", func(t *testing.T, db *store.DB) {
		if db.Engine() != store.SQLite {
			t.Skip("ViewIfIdle runs on SQLite only")
		}
		ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("test"))
		count := func(detail string) int {
			return len(storetest.Records(t, db, func(r store.LogRecord) bool { return r.Detail == detail }))
		}
		var errs <-chan error
		var during int
		ran, err := db.ViewIfIdle(ctx, store.Op{Operation: jukinet.OpIdentityLookup, Purpose: "case 9", Detail: "reader"}, func(tx *store.Tx) error {
			if err := tx.Yield(); err != nil { // nobody waiting
				return err
			}
			errs = queueViews(t, db, ctx, []string{"beside 0", "beside 1"})
			if err := tx.Yield(); err != nil {
				return err
			}
			during = count("beside 0") + count("beside 1")
			var n int
			return tx.QueryRow(`SELECT COUNT(*) FROM oplog`).Scan(&n)
		})
		if !ran || err != nil {
			t.Fatalf("ViewIfIdle: ran %v, %v", ran, err)
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Errorf("view beside: %v", err)
			}
		}
		if during != 2 {
			t.Errorf("records of the waiting views committed by Yield, seen inside the read: %d, want 2", during)
		}
		recs := storetest.Records(t, db, func(r store.LogRecord) bool { return r.Detail == "reader" || strings.HasPrefix(r.Detail, "beside ") })
		var order []string
		for _, r := range recs {
			order = append(order, r.Detail)
		}
		if want := []string{"beside 0", "beside 1", "reader"}; !slices.Equal(order, want) {
			t.Errorf("log order %q, want %q", order, want)
		}
	})
}
