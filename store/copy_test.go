package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// CopyRows writes inside the Update's transaction on both engines (on
// PostgreSQL by COPY on the transaction's connection): the rows are seen by
// the transaction and by no one else before it commits, go with it when it
// fails, and stay with its outbox rows — a bulk outbox, by COPY too — and
// log record when it commits.
func TestCopyRowsIsPartOfTheUpdate(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		ctx := jukinet.WithActor(context.Background(), recorder)
		if _, err := db.Bookkeeping(store.Inspect).Exec(`CREATE TABLE probe (k TEXT PRIMARY KEY, n BIGINT NOT NULL, at BIGINT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		const rows = 300
		probes := func() int {
			var n int
			if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM probe`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		boom := errors.New("boom")
		write := func(fail bool) error {
			return db.Update(ctx, store.Op{Operation: jukinet.OpMoveWithin}, func(tx *store.Tx) error {
				args := make([]any, 0, 3*rows)
				for i := 0; i < rows; i++ {
					args = append(args, fmt.Sprintf("k%04d", i), int64(i), tx.NowMicro())
					tx.Send(store.Message{Kind: "identity.notify", To: "350001", OrderingKey: fmt.Sprintf("352063/%011d", i), Version: 1, Body: []byte(`{}`)})
				}
				if err := tx.CopyRows("probe", []string{"k", "n", "at"}, args); err != nil {
					return err
				}
				var inside, sum int
				if err := tx.QueryRow(`SELECT COUNT(*), SUM(n) FROM probe`).Scan(&inside, &sum); err != nil {
					return err
				}
				if inside != rows || sum != rows*(rows-1)/2 || probes() != 0 {
					t.Errorf("inside the transaction: %d rows summing to %d, %d seen outside; want %d, %d and none", inside, sum, probes(), rows, rows*(rows-1)/2)
				}
				if fail {
					return boom
				}
				return nil
			})
		}
		if err := write(true); !errors.Is(err, boom) {
			t.Fatalf("failing update: %v", err)
		}
		if ob, ol, _ := counts(t, db); probes() != 0 || ob != 0 || ol != 0 {
			t.Fatalf("after a failed update: %d rows, outbox %d, oplog %d; want none", probes(), ob, ol)
		}
		if err := write(false); err != nil {
			t.Fatal(err)
		}
		if ob, ol, _ := counts(t, db); probes() != rows || ob != rows || ol != 1 {
			t.Errorf("after the update: %d rows, outbox %d, oplog %d; want %d, %d, 1", probes(), ob, ol, rows, rows)
		}
	})
}

// CopyRows on PostgreSQL writes its rows as a binary COPY stream of its own
// for text, bytea, integer and boolean columns, and leaves other values to
// pgx: every value reads back as it was given — NULL apart from an empty
// bytea, the extremes of each integer width, text beyond ASCII.
func TestCopyRowsKeepsEveryValuePostgres(t *testing.T) {
	db := storetest.Open(t, store.Postgres, "352063")
	ctx := jukinet.WithActor(context.Background(), recorder)
	if _, err := db.Bookkeeping(store.Inspect).Exec(`CREATE TABLE probe (k TEXT PRIMARY KEY, v VARCHAR(20), b BYTEA, n BIGINT,
 i INTEGER, s SMALLINT, f BOOLEAN, r DOUBLE PRECISION)`); err != nil {
		t.Fatal(err)
	}
	type row struct {
		k string
		v *string
		b []byte
		n int64
		i int32
		s int16
		f bool
		r *float64
	}
	half := 0.5
	want := make([]row, 0, 2*store.CopyMin)
	for j := 0; len(want) < 2*store.CopyMin; j++ {
		v := fmt.Sprintf("防府市%d", j)
		want = append(want,
			row{k: fmt.Sprintf("a%03d", j), v: &v, b: []byte{0, 0xff, byte(j)}, n: math.MaxInt64 - int64(j), i: math.MinInt32, s: math.MaxInt16, f: true},
			row{k: fmt.Sprintf("b%03d", j), b: []byte{}, n: math.MinInt64, i: int32(j), s: -int16(j)})
		if j%2 == 1 {
			want[len(want)-1].b = nil // NULL
		}
	}
	write := func(withFloat bool) error {
		return db.Update(ctx, store.Op{Operation: jukinet.OpMoveWithin}, func(tx *store.Tx) error {
			args := make([]any, 0, 8*len(want))
			for _, r := range want {
				var v, f any
				if r.v != nil {
					v = *r.v
				}
				if withFloat && r.f {
					f = half
				}
				args = append(args, r.k, v, r.b, r.n, int(r.i), int64(r.s), r.f, f)
			}
			if _, err := tx.Exec(`DELETE FROM probe`); err != nil {
				return err
			}
			return tx.CopyRows("probe", []string{"k", "v", "b", "n", "i", "s", "f", "r"}, args)
		})
	}
	for _, withFloat := range []bool{false, true} { // true: the rows go by pgx
		if err := write(withFloat); err != nil {
			t.Fatalf("CopyRows (a float: %v): %v", withFloat, err)
		}
		rows, err := db.Bookkeeping(store.Inspect).Query(`SELECT k, v, b, n, i, s, f, r FROM probe ORDER BY k`)
		if err != nil {
			t.Fatal(err)
		}
		var got []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.k, &r.v, &r.b, &r.n, &r.i, &r.s, &r.f, &r.r); err != nil {
				t.Fatal(err)
			}
			got = append(got, r)
		}
		rows.Close()
		if len(got) != len(want) {
			t.Fatalf("a float %v: %d rows read back; want %d", withFloat, len(got), len(want))
		}
		slices.SortFunc(want, func(a, b row) int { return strings.Compare(a.k, b.k) })
		for j, g := range got {
			w := want[j]
			if g.k != w.k || (g.v == nil) != (w.v == nil) || (g.v != nil && *g.v != *w.v) || (g.b == nil) != (w.b == nil) || !bytes.Equal(g.b, w.b) ||
				g.n != w.n || g.i != w.i || g.s != w.s || g.f != w.f || (g.r != nil) != (withFloat && w.f) {
				t.Fatalf("a float %v: row %d read back as %+v; want %+v", withFloat, j, g, w)
			}
		}
	}
}
