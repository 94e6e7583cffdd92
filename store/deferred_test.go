package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

var (
	probeInsert = store.NewDeferred(`INSERT INTO dprobe (k, v, n) VALUES `, 3, ``)
	probeUpsert = store.NewDeferred(`INSERT INTO dprobe (k, v, n) VALUES `, 3,
		` ON CONFLICT (k) DO UPDATE SET v = excluded.v, n = excluded.n WHERE dprobe.n < excluded.n`)
)

// Deferred rows behave as if each were written when deferred: the
// transaction reads them, a repeated key upserts in order on both engines, a
// savepoint rollback drops only later ones, a bad row fails the whole
// Update with nothing written.
func TestDeferredRows(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		ctx := jukinet.WithActor(context.Background(), recorder)
		if _, err := db.Bookkeeping(store.Inspect).Exec(`CREATE TABLE dprobe (k TEXT PRIMARY KEY, v TEXT NOT NULL, n INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		op := store.Op{Operation: jukinet.OpMoveWithin}
		var seen int
		err := db.Update(ctx, op, func(tx *store.Tx) error {
			tx.Defer(probeInsert, "", "a", "1", 1)
			tx.Defer(probeInsert, "", "b", "1", 1)
			// Read your writes: the query runs after the deferred rows.
			if err := tx.QueryRow(`SELECT COUNT(*) FROM dprobe`).Scan(&seen); err != nil {
				return err
			}
			// The same key three times in one batch: applied in order (the
			// older version 2 after 3 does not win).
			tx.Defer(probeUpsert, "c", "c", "v1", 1)
			tx.Defer(probeUpsert, "c", "c", "v3", 3)
			tx.Defer(probeUpsert, "c", "c", "v2", 2)
			mark, err := tx.Savepoint("probe")
			if err != nil {
				return err
			}
			tx.Defer(probeInsert, "", "d", "dropped", 1)
			if err := mark.Rollback(); err != nil {
				return err
			}
			tx.Defer(probeInsert, "", "e", "at commit", 1) // no statement follows
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if seen != 2 {
			t.Errorf("the transaction saw %d of its 2 deferred rows", seen)
		}
		got := map[string]string{}
		rows, err := db.Bookkeeping(store.Inspect).Query(`SELECT k, v FROM dprobe`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				t.Fatal(err)
			}
			got[k] = v
		}
		rows.Close()
		want := map[string]string{"a": "1", "b": "1", "c": "v3", "e": "at commit"}
		if len(got) != len(want) {
			t.Errorf("rows %v; want %v", got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("row %s = %q; want %q (all: %v)", k, got[k], v, got)
			}
		}

		_, logBefore, _ := counts(t, db)
		err = db.Update(ctx, op, func(tx *store.Tx) error {
			tx.Defer(probeInsert, "", "f", "fine", 1)
			tx.Defer(probeInsert, "", "a", "duplicate key", 1)
			return nil
		})
		if err == nil {
			t.Fatal("a deferred row breaking the primary key committed")
		}
		var f int
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM dprobe WHERE k = 'f'`).Scan(&f); err != nil {
			t.Fatal(err)
		}
		if _, logAfter, _ := counts(t, db); f != 0 || logAfter != logBefore {
			t.Errorf("after the failed Update: row f %d, log records %d → %d; want nothing written", f, logBefore, logAfter)
		}
	})
}

// Every stored log row's columns are its leaf's fields and its hash the
// leaf's hash, whichever way appendLog wrote it (on SQLite the records of a
// transaction bind their shared actor, time and policy version once).
func TestLogColumnsMatchLeaf(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		ctx := jukinet.WithActor(context.Background(), recorder)
		for _, n := range []int{1, 3, 300, 700} {
			if err := db.Update(ctx, store.Op{Operation: jukinet.OpMoveWithin, Subject: "12345678901", Purpose: "case 7"}, func(tx *store.Tx) error {
				for i := 0; i < n; i++ {
					tx.Log(jukinet.OpNetworkReceive, []string{"", "98765432109"}[i%2], []string{"applied", "rejected"}[i%2], "record \"quoted\" <"+string(rune('a'+i%26))+">")
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := db.Bookkeeping(store.Inspect).Query(`SELECT idx, time, collation_id, operator_id, authority, terminal, principal, operation, subject, purpose, result, policy_version, leaf, leaf_hash FROM oplog ORDER BY idx`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		count := 0
		for rows.Next() {
			var c store.LogRecord
			var idx int64
			var leaf, hash []byte
			if err := rows.Scan(&idx, &c.Time, &c.CollationID, &c.OperatorID, &c.Authority, &c.Terminal, &c.Principal,
				&c.Operation, &c.Subject, &c.Purpose, &c.Result, &c.PolicyVersion, &leaf, &hash); err != nil {
				t.Fatal(err)
			}
			r, err := store.DecodeLogRecord(leaf)
			if err != nil {
				t.Fatalf("idx %d: %v", idx, err)
			}
			if uint64(idx) != r.Index || c.Time != r.Time || c.CollationID != r.CollationID || c.OperatorID != r.OperatorID ||
				c.Authority != r.Authority || c.Terminal != r.Terminal || c.Principal != r.Principal || c.Operation != r.Operation ||
				c.Subject != r.Subject || c.Purpose != r.Purpose || c.Result != r.Result || c.PolicyVersion != r.PolicyVersion {
				t.Fatalf("idx %d: columns %+v differ from the leaf %+v", idx, c, r)
			}
			if string(hash) != leafHash(leaf) {
				t.Fatalf("idx %d: leaf_hash is not the leaf's hash", idx)
			}
			count++
		}
		if want := 4 + 1 + 3 + 300 + 700; count != want {
			t.Errorf("%d rows; want %d", count, want)
		}
	})
}

// InsertRowsSharing writes the same rows as InsertRows, whether the shared
// columns hold one value (bound once on SQLite) or not (plain path), with an
// upsert suffix, NULL and empty blobs kept apart, across statement chunks.
func TestInsertRowsSharing(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		ctx := jukinet.WithActor(context.Background(), recorder)
		blobType := "BLOB"
		if db.Engine() == store.Postgres {
			blobType = "BYTEA"
		}
		if _, err := db.Bookkeeping(store.Inspect).Exec(`CREATE TABLE sprobe (k TEXT PRIMARY KEY, kind TEXT NOT NULL, n INTEGER NOT NULL, b ` + blobType + `)`); err != nil {
			t.Fatal(err)
		}
		cols := []string{"k", "kind", "n", "b"}
		rows := func(prefix string, n int, kind func(int) string, blob func(int) []byte) []any {
			var a []any
			for i := 0; i < n; i++ {
				var b any
				if x := blob(i); x != nil {
					b = x
				}
				a = append(a, fmt.Sprintf("%s%04d", prefix, i), kind(i), int64(i), b)
			}
			return a
		}
		same := func(int) string { return "same" }
		alt := func(i int) string { return []string{"even", "odd"}[i%2] }
		empty := func(int) []byte { return []byte{} }
		null := func(int) []byte { return nil }
		err := db.Update(ctx, store.Op{Operation: jukinet.OpMoveWithin}, func(tx *store.Tx) error {
			for _, c := range []struct {
				prefix string
				n      int
				kind   func(int) string
				blob   func(int) []byte
			}{{"a", 700, same, empty}, {"b", 5, alt, null}, {"c", 3, same, null}} {
				if err := tx.InsertRowsSharing("sprobe", cols, []int{1, 3}, rows(c.prefix, c.n, c.kind, c.blob), ""); err != nil {
					return err
				}
			}
			// Upsert through the shared path: the second write of a0000..a0009 wins.
			return tx.InsertRowsSharing("sprobe", cols, []int{1}, rows("a", 10, func(int) string { return "again" }, empty),
				` ON CONFLICT (k) DO UPDATE SET kind = excluded.kind`)
		})
		if err != nil {
			t.Fatal(err)
		}
		check := func(q string, want int) {
			t.Helper()
			var n int
			if err := db.Bookkeeping(store.Inspect).QueryRow(q).Scan(&n); err != nil || n != want {
				t.Errorf("%s = %d (%v); want %d", q, n, err, want)
			}
		}
		check(`SELECT COUNT(*) FROM sprobe`, 708)
		check(`SELECT COUNT(*) FROM sprobe WHERE kind = 'same' AND b IS NOT NULL AND length(b) = 0`, 690)
		check(`SELECT COUNT(*) FROM sprobe WHERE kind = 'again'`, 10)
		check(`SELECT COUNT(*) FROM sprobe WHERE k LIKE 'b%' AND b IS NULL AND kind = CASE WHEN n % 2 = 0 THEN 'even' ELSE 'odd' END`, 5)
		check(`SELECT COUNT(*) FROM sprobe WHERE k LIKE 'c%' AND b IS NULL AND kind = 'same'`, 3)
		check(`SELECT COALESCE(SUM(n), 0) FROM sprobe WHERE k LIKE 'a%'`, 699*700/2)
	})
}

// With shared nil, InsertRowsSharing finds the columns that hold one value
// in every row itself; the rows are the same as InsertRows writes.
func TestInsertRowsSharingDetects(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		ctx := jukinet.WithActor(context.Background(), recorder)
		if _, err := db.Bookkeeping(store.Inspect).Exec(`CREATE TABLE dprobe2 (k TEXT PRIMARY KEY, a TEXT NOT NULL, b INTEGER NOT NULL, c TEXT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		var args []any
		for i := 0; i < 500; i++ {
			args = append(args, fmt.Sprintf("k%03d", i), "same", int64(7), fmt.Sprintf("c%d", i%3))
		}
		if err := db.Update(ctx, store.Op{Operation: jukinet.OpMoveWithin}, func(tx *store.Tx) error {
			return tx.InsertRowsSharing("dprobe2", []string{"k", "a", "b", "c"}, nil, args, "")
		}); err != nil {
			t.Fatal(err)
		}
		var n, sum int
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN a = 'same' AND b = 7 AND c = 'c' || (CAST(substr(k, 2) AS INTEGER) % 3) THEN 1 ELSE 0 END), 0) FROM dprobe2`).Scan(&n, &sum); err != nil {
			t.Fatal(err)
		}
		if n != 500 || sum != 500 {
			t.Errorf("%d rows, %d as written; want 500, 500", n, sum)
		}
	})
}
