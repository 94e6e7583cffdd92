package oplog_test

import (
	"bytes"
	"context"
	"github.com/jukinet/jukinet/store"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/store/storetest"
)

func TestSealAndPurge(t *testing.T) {
	admin := jukinet.Actor{CollationID: "ADM", OperatorID: "ADM1", Authority: jukinet.AuthorityAccessAdmin, Terminal: "T-ADM"}
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := newFixture(t, e)
			ctx := context.Background()
			// Records in 2018-01, 2018-02 and 2018-03.
			for _, m := range []time.Month{1, 2, 3} {
				f.clock.set(time.Date(2018, m, 10, 10, 0, 0, 0, jukinet.JST))
				f.appendRecords(t, operator, 100, "case")
			}
			f.clock.set(time.Date(2018, 4, 2, 10, 0, 0, 0, jukinet.JST))
			f.checkpoint(t)
			audit := jukinet.WithActor(ctx, auditor)
			var archives = map[string][]byte{}
			for _, m := range []string{"2018-01", "2018-02"} {
				var buf bytes.Buffer
				s, err := oplog.SealMonth(audit, f.log, m, &buf, f.logSigner, f.logKey, f.witKey)
				if err != nil {
					t.Fatalf("seal %s: %v", m, err)
				}
				if s.Count != 100 {
					t.Errorf("seal %s: %d records, want 100", m, s.Count)
				}
				got, err := oplog.VerifySeal(bytes.NewReader(buf.Bytes()), f.logKey, f.witKey)
				if err != nil || got.Month != m {
					t.Errorf("verify seal %s: %+v, %v", m, got, err)
				}
				archives[m] = buf.Bytes()
			}
			if _, err := oplog.SealMonth(audit, f.log, "2018-04", &bytes.Buffer{}, f.logSigner, f.logKey, f.witKey); jukinet.ErrorKind(err) != jukinet.KindConflict {
				t.Errorf("seal of the running month: got %v, want conflict", err)
			}

			purge := jukinet.WithActor(ctx, admin)
			// Young: 2025 minus 7 years is 2018-03-xx, so 2018-04 is too young.
			f.clock.set(time.Date(2025, 3, 15, 10, 0, 0, 0, jukinet.JST))
			if _, err := oplog.Purge(purge, f.log, "2018-04"); jukinet.ErrorKind(err) != jukinet.KindForbidden {
				t.Errorf("purge younger than 7 years: got %v, want forbidden", err)
			}
			f.clock.set(time.Date(2026, 1, 5, 10, 0, 0, 0, jukinet.JST))
			if _, err := oplog.Purge(purge, f.log, "2018-04"); jukinet.ErrorKind(err) != jukinet.KindConflict {
				t.Errorf("purge of an unsealed month (2018-03): got %v, want conflict", err)
			}
			if _, err := oplog.Purge(jukinet.WithActor(ctx, auditor), f.log, "2018-03"); jukinet.ErrorKind(err) != jukinet.KindForbidden {
				t.Errorf("purge by an auditor: got %v, want forbidden", err)
			}
			res, err := oplog.Purge(purge, f.log, "2018-03")
			if err != nil {
				t.Fatalf("purge of sealed months older than 7 years: %v", err)
			}
			if res.From != 0 || res.Before != 200 || len(res.Months) != 2 {
				t.Errorf("purge: %+v, want [0, 200) of 2 months", res)
			}
			var n int
			if err := f.db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM oplog WHERE idx < 200`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("%d purged rows remain", n)
			}
			var detail []byte
			if err := f.db.Bookkeeping(store.Inspect).QueryRow(`SELECT leaf FROM oplog WHERE operation = 'oplog.purge'`).Scan(&detail); err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(detail, []byte("2018-01 first=0 count=100")) {
				t.Errorf("purge record %s does not name the seals", detail)
			}
			if _, err := f.db.Bookkeeping(store.Inspect).Exec(`DELETE FROM oplog WHERE idx = 250`); err == nil {
				t.Error("DELETE outside a purge succeeded")
			}
			f.checkpoint(t)
			if r := f.verify(t); !r.OK() {
				t.Fatalf("verify after purge: %v", r.Failure)
			}
			if _, err := oplog.Prove(ctx, f.log, 250); err != nil {
				t.Errorf("prove a retained record after purge: %v", err)
			}
			// The archives still verify on their own.
			if _, err := oplog.VerifySeal(bytes.NewReader(archives["2018-01"]), f.logKey, f.witKey); err != nil {
				t.Errorf("archive after purge: %v", err)
			}
			if _, err := oplog.Purge(purge, f.log, "2018-03"); jukinet.ErrorKind(err) != jukinet.KindNotFound {
				t.Errorf("second purge: got %v, want not found", err)
			}
		})
	}
}
