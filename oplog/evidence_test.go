package oplog_test

import (
	"context"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// logAs appends one successful record of op by a.
func logAs(t *testing.T, db *store.DB, a jukinet.Actor, op jukinet.Operation) {
	t.Helper()
	if err := db.Update(jukinet.WithActor(context.Background(), a), store.Op{Operation: op}, func(*store.Tx) error { return nil }); err != nil {
		t.Fatalf("%s: %v", op, err)
	}
}

// The compliance report's facts of the log: zero on an empty log; the
// records, logins, analyses and cosigned checkpoints counted in their
// periods once they exist.
func TestEvidenceOfTheLog(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, e)
			q := f.db.Bookkeeping(store.LogRead)
			start := f.clock.now()
			day := func(d int) time.Time { return start.AddDate(0, 0, d) }
			if k, err := oplog.RecordsKept(ctx, q); k != (oplog.Kept{}) || err != nil {
				t.Errorf("RecordsKept on an empty log = %+v, %v; want zero", k, err)
			}
			if n, err := oplog.BiometricLogins(ctx, q, day(-1), day(1)); n != 0 || err != nil {
				t.Errorf("BiometricLogins on an empty log = %d, %v; want 0", n, err)
			}
			if n, err := oplog.MisuseAnalyses(ctx, q, day(-1), day(1)); n != 0 || err != nil {
				t.Errorf("MisuseAnalyses on an empty log = %d, %v; want 0", n, err)
			}
			if c, err := oplog.CosignedCheckpoints(ctx, q, day(-1), day(1)); c != (oplog.Cosigned{}) || err != nil {
				t.Errorf("CosignedCheckpoints on an empty log = %+v, %v; want zero", c, err)
			}

			f.appendRecords(t, operator, 10, "case 1")
			logAs(t, f.db, operator, jukinet.OpAccessLogin)
			logAs(t, f.db, operator, jukinet.OpAccessLogin)
			f.clock.set(day(2))
			logAs(t, f.db, jukinet.Actor{CollationID: "C-AUDIT", OperatorID: "OP-AUDIT", Authority: jukinet.AuthorityAudit, Terminal: "T1"}, jukinet.OpOplogReport)
			cp := f.checkpoint(t)
			if !cp.Cosigned || cp.Size != 13 {
				t.Fatalf("checkpoint: %+v, want 13 records cosigned", cp)
			}
			k, err := oplog.RecordsKept(ctx, q)
			if err != nil || k.Size != 13 || k.OldestIndex != 0 || !k.OldestAt.Equal(start) {
				t.Errorf("RecordsKept = %+v, %v; want 13 records, the oldest #0 at %s", k, err, start)
			}
			for _, c := range []struct {
				what     string
				count    func(context.Context, store.Reader, time.Time, time.Time) (int, error)
				from, to time.Time
				want     int
			}{
				{"logins on the first day", oplog.BiometricLogins, day(0), day(1), 2},
				{"logins before the first day", oplog.BiometricLogins, day(-1), day(0), 0},
				{"logins on the third day", oplog.BiometricLogins, day(2), day(3), 0},
				{"analyses on the third day", oplog.MisuseAnalyses, day(2), day(3), 1},
				{"analyses on the first day", oplog.MisuseAnalyses, day(0), day(1), 0},
			} {
				if n, err := c.count(ctx, q, c.from, c.to); n != c.want || err != nil {
					t.Errorf("%s: %d, %v; want %d", c.what, n, err, c.want)
				}
			}
			if c, err := oplog.CosignedCheckpoints(ctx, q, day(2), day(3)); c.Count != 1 || c.LatestSize != 13 || err != nil {
				t.Errorf("CosignedCheckpoints on the third day = %+v, %v; want 1 at size 13", c, err)
			}
			if c, err := oplog.CosignedCheckpoints(ctx, q, day(0), day(1)); c.Count != 0 || c.LatestSize != 0 || err != nil {
				t.Errorf("CosignedCheckpoints on the first day = %+v, %v; want none", c, err)
			}
		})
	}
}
