package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

var recorder = jukinet.Actor{CollationID: "C0001", OperatorID: "OP-REC-1", Authority: jukinet.AuthorityRecord, Terminal: "T1"}

func counts(t *testing.T, db *store.DB) (outbox, oplog, head int) {
	t.Helper()
	q := `SELECT (SELECT COUNT(*) FROM outbox), (SELECT COUNT(*) FROM oplog), (SELECT size FROM oplog_head)`
	if err := db.Bookkeeping(store.Inspect).QueryRow(q).Scan(&outbox, &oplog, &head); err != nil {
		t.Fatal(err)
	}
	return
}

// The one write path: state, outbox and log row commit together or not at all (docs/design.md §1.1).
func TestUpdateIsAtomicAtEveryStep(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		ctx := jukinet.WithActor(context.Background(), recorder)
		if _, err := db.Bookkeeping(store.Inspect).Exec(`CREATE TABLE probe (k TEXT PRIMARY KEY)`); err != nil {
			t.Fatal(err)
		}
		write := func(key string) error {
			return db.Update(ctx, store.Op{Operation: jukinet.OpMoveWithin, Subject: "12345678901"}, func(tx *store.Tx) error {
				if _, err := tx.Exec(`INSERT INTO probe (k) VALUES ($1)`, key); err != nil {
					return err
				}
				tx.Send(store.Message{Kind: "identity.notify", To: "350001", OrderingKey: "352063/12345678901", Version: 1, Body: []byte(`{}`)})
				return nil
			})
		}
		for _, step := range []string{"state", "outbox", "oplog", "commit"} {
			db.FailAt(step)
			if err := write("k-" + step); err == nil {
				t.Fatalf("step %s: want an injected failure, got nil", step)
			}
			var n int
			if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM probe`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			ob, ol, head := counts(t, db)
			if n != 0 || ob != 0 || ol != 0 || head != 0 {
				t.Errorf("after failure at %s: probe=%d outbox=%d oplog=%d head=%d, want all 0", step, n, ob, ol, head)
			}
		}
		db.FailAt("")
		if err := write("ok"); err != nil {
			t.Fatal(err)
		}
		ob, ol, head := counts(t, db)
		if ob != 1 || ol != 1 || head != 1 {
			t.Errorf("after success: outbox=%d oplog=%d head=%d, want 1 1 1", ob, ol, head)
		}
	})
}

func TestUpdateDeniesByDefault(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		called := false
		fn := func(tx *store.Tx) error { called = true; return nil }
		err := db.Update(context.Background(), store.Op{Operation: jukinet.OpMoveWithin}, fn)
		if !jukinet.IsKind(err, jukinet.KindUnauthorized) {
			t.Errorf("no actor: got %v, want unauthorized", err)
		}
		lookup := jukinet.Actor{CollationID: "C2", OperatorID: "OP-L", Authority: jukinet.AuthorityLookup, Terminal: "T1"}
		err = db.Update(jukinet.WithActor(context.Background(), lookup), store.Op{Operation: jukinet.OpMoveWithin}, fn)
		if !jukinet.IsKind(err, jukinet.KindForbidden) {
			t.Errorf("lookup authority doing a 転居: got %v, want forbidden", err)
		}
		err = db.Update(jukinet.WithActor(context.Background(), recorder), store.Op{Operation: "no.such.operation"}, fn)
		if !jukinet.IsKind(err, jukinet.KindForbidden) {
			t.Errorf("unknown operation: got %v, want forbidden", err)
		}
		fake := jukinet.Actor{CollationID: "C3", Authority: jukinet.AuthoritySystem}
		err = db.Update(jukinet.WithActor(context.Background(), fake), store.Op{Operation: jukinet.OpNetworkReceive}, fn)
		if !jukinet.IsKind(err, jukinet.KindForbidden) {
			t.Errorf("operator claiming the system authority: got %v, want forbidden", err)
		}
		if called {
			t.Error("fn ran although the operation was refused")
		}
		var refused int
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM oplog WHERE result IN ('unauthorized', 'forbidden')`).Scan(&refused); err != nil {
			t.Fatal(err)
		}
		if refused != 4 {
			t.Errorf("refusals logged: %d, want 4", refused)
		}
	})
}

func TestReadNeedsPurpose(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		lookup := jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: "C2", OperatorID: "OP-L", Authority: jukinet.AuthorityLookup, Terminal: "T1"})
		err := db.Update(lookup, store.Op{Operation: jukinet.OpResidentRead, Subject: "12345678901"}, func(*store.Tx) error { return nil })
		if jukinet.ErrorField(err) != "purpose" {
			t.Errorf("read without purpose: got %v, want an error naming purpose", err)
		}
		if err := db.Update(lookup, store.Op{Operation: jukinet.OpResidentRead, Subject: "12345678901", Purpose: "case 2026-118"}, func(*store.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
		var purpose, subject string
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT purpose, subject FROM oplog WHERE operation = 'resident.read'`).Scan(&purpose, &subject); err != nil {
			t.Fatal(err)
		}
		if purpose != "case 2026-118" || subject == "" || subject == "12345678901" {
			t.Errorf("logged purpose %q subject %q: want the case and a token, not the code", purpose, subject)
		}
	})
}

func TestLogIndicesContiguousUnderConcurrency(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("test"))
		errs := make(chan error, 8)
		for w := 0; w < 8; w++ {
			go func() {
				var err error
				for i := 0; i < 25 && err == nil; i++ {
					err = db.Update(ctx, store.Op{Operation: jukinet.OpNetworkReceive}, func(tx *store.Tx) error {
						tx.Log(jukinet.OpNetworkReceive, "", "ok", "extra")
						return nil
					})
				}
				errs <- err
			}()
		}
		for w := 0; w < 8; w++ {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		var n, lo, hi int
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*), MIN(idx), MAX(idx) FROM oplog`).Scan(&n, &lo, &hi); err != nil {
			t.Fatal(err)
		}
		if n != 400 || lo != 0 || hi != 399 {
			t.Errorf("got %d records in [%d,%d], want 400 in [0,399]", n, lo, hi)
		}
		rows, err := db.Bookkeeping(store.Inspect).Query(`SELECT idx, leaf, leaf_hash FROM oplog ORDER BY idx`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var prevTime int64
		for rows.Next() {
			var idx int64
			var leaf, hash []byte
			if err := rows.Scan(&idx, &leaf, &hash); err != nil {
				t.Fatal(err)
			}
			r, err := store.DecodeLogRecord(leaf)
			if err != nil || int64(r.Index) != idx || leafHash(leaf) != string(hash) {
				t.Fatalf("record %d: decoded %+v, err %v, hash ok %v", idx, r, err, leafHash(leaf) == string(hash))
			}
			// Times never decrease along idx (a time range is an idx range,
			// migration 0500), even when a transaction that began earlier
			// commits later.
			if r.Time < prevTime {
				t.Fatalf("record %d: time %d before the previous record's %d", idx, r.Time, prevTime)
			}
			prevTime = r.Time
		}
	})
}

func TestOplogIsAppendOnly(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("test"))
		if err := db.Update(ctx, store.Op{Operation: jukinet.OpNetworkReceive}, func(*store.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Bookkeeping(store.Inspect).Exec(`UPDATE oplog SET result = 'forged'`); err == nil {
			t.Error("UPDATE of oplog succeeded")
		}
		if _, err := db.Bookkeeping(store.Inspect).Exec(`DELETE FROM oplog`); err == nil {
			t.Error("DELETE from oplog succeeded")
		}
	})
}

func TestOpenRejectsBadConfig(t *testing.T) {
	_, err := store.Open(context.Background(), store.Config{Node: "352063"})
	if jukinet.ErrorField(err) != "db" {
		t.Errorf("no database given: got %v, want an error naming db", err)
	}
	_, err = store.Open(context.Background(), store.Config{Path: t.TempDir() + "/x.db"})
	if jukinet.ErrorField(err) != "node" {
		t.Errorf("no node: got %v, want an error naming node", err)
	}
	var e *jukinet.Error
	if !errors.As(err, &e) {
		t.Errorf("want *jukinet.Error, got %T", err)
	}
}

// A path holding '#' or '?' (a subtest's directory "…#01") is the file
// opened, not a file named by what comes before them.
func TestOpenPathWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a#01", "b?c%41")
	path := filepath.Join(dir, "352063.db")
	db, err := store.Open(context.Background(), store.Config{Path: path, Node: "352063"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Bookkeeping(store.Inspect).Exec(`CREATE TABLE probe (k TEXT)`); err != nil {
		t.Fatal(err)
	}
	var file string
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file); err != nil {
		t.Fatal(err)
	}
	if file != path {
		t.Errorf("the database opened is %q, want %q", file, path)
	}
}

// leafHash is store.LeafHash as a string, to compare with a stored hash.
func leafHash(leaf []byte) string {
	h := store.LeafHash(leaf)
	return string(h[:])
}

// A node among thousands in one process opens its SQLite database with a
// small pool and page cache (store.Config.Conns, CacheKiB); the cache is
// the one asked for, and the database works with two connections; one is
// refused (a transaction prepares a shared statement on a second).
func TestOpenSmallPoolAndCache(t *testing.T) {
	dir := t.TempDir()
	if _, err := store.Open(context.Background(), store.Config{Path: filepath.Join(dir, "352063.db"), Node: "352063", Conns: 1}); jukinet.ErrorField(err) != "conns" {
		t.Fatalf("one connection: got %v, want an error naming conns", err)
	}
	db, err := store.Open(context.Background(), store.Config{Path: filepath.Join(dir, "352063.db"), Node: "352063", Conns: 2, CacheKiB: 1024})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var cache int
	if err := db.Bookkeeping(store.Inspect).QueryRow(`PRAGMA cache_size`).Scan(&cache); err != nil {
		t.Fatal(err)
	}
	if cache != -1024 {
		t.Errorf("cache_size %d, want -1024 (1 MiB)", cache)
	}
	ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("test"))
	if err := db.Update(ctx, store.Op{Operation: jukinet.OpNetworkSend, Detail: "probe"}, func(tx *store.Tx) error {
		tx.Send(store.Message{Kind: "identity.notify", To: "350001", Body: []byte(`{}`)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM outbox`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("outbox holds %d rows (%v), want 1", n, err)
	}
}
