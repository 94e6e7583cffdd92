package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

var looker = jukinet.Actor{CollationID: "C0002", OperatorID: "OP-LOOK-1", Authority: jukinet.AuthorityLookup, Terminal: "T2"}

type storedRow struct{ idx, run int64 }

func oplogRows(t *testing.T, db *store.DB) []storedRow {
	t.Helper()
	rows, err := db.Bookkeeping(store.Inspect).Query(`SELECT idx, run FROM oplog ORDER BY idx`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []storedRow
	for rows.Next() {
		var r storedRow
		if err := rows.Scan(&r.idx, &r.run); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// G15: a system principal's per-message records are stored as
// runs — cut where the operation changes and at multiples of RunAlign —
// with their residents in oplog_resident; the main record and an
// operator's records keep rows of their own; and every record reads back
// exactly as it was appended.
func TestRecordRuns(t *testing.T) {
	storetest.Run(t, "350001", func(t *testing.T, db *store.DB) {
		var appended []store.LogRecord
		db.OnLog(func(_ context.Context, recs []store.LogRecord) { appended = append(appended, recs...) })
		sys := jukinet.WithActor(context.Background(), jukinet.SystemActor("network"))
		logN := func(ctx context.Context, n int, op func(i int) jukinet.Operation) {
			t.Helper()
			main := store.Op{Operation: jukinet.OpNetworkReceive, Detail: "batch"}
			if a, _ := jukinet.ActorFrom(ctx); !a.IsSystem() {
				main = store.Op{Operation: jukinet.OpResidentRead, Purpose: "case 1"}
			}
			if err := db.Update(ctx, main, func(tx *store.Tx) error {
				for i := 0; i < n; i++ {
					subject := ""
					if i%3 != 0 {
						subject = fmt.Sprintf("%011d", 40000000000+i)
					}
					tx.Log(op(i), subject, "applied", fmt.Sprintf("message %d", i))
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		receive := func(int) jukinet.Operation { return jukinet.OpNetworkReceive }
		logN(sys, 3000, receive) // records 0..3000: main, run 1..3000
		logN(sys, 2000, receive) // 3001..5001: main, runs 3002..4095 and 4096..5001
		logN(sys, 1, receive)    // 5002, 5003: a run of one is a plain row
		logN(sys, 6, func(i int) jukinet.Operation {
			return []jukinet.Operation{jukinet.OpNetworkReceive, jukinet.OpNetworkDeliveryResult}[i/3]
		}) // 5004..5010
		logN(jukinet.WithActor(context.Background(), looker), 4, func(int) jukinet.Operation { return jukinet.OpResidentRead }) // an operator's records: rows of their own
		want := []storedRow{{0, 1}, {1, 3000}, {3001, 1}, {3002, 1094}, {4096, 906}, {5002, 1}, {5003, 1}, {5004, 1}, {5005, 3}, {5008, 3},
			{5011, 1}, {5012, 1}, {5013, 1}, {5014, 1}, {5015, 1}}
		got := oplogRows(t, db)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("rows (idx, run):\n got %v\nwant %v", got, want)
		}
		stored := storetest.Records(t, db, nil)
		if len(stored) != len(appended) {
			t.Fatalf("%d records stored, %d appended", len(stored), len(appended))
		}
		for i := range stored {
			a, s := appended[i], stored[i]
			if string(s.Leaf()) != string(a.Leaf()) || string(s.Hash) != string(a.Hash) || leafHash(a.Leaf()) != string(a.Hash) {
				t.Fatalf("record %d reads back as %s, appended %s", i, s.Leaf(), a.Leaf())
			}
		}
		// The residents of records inside runs, and only those.
		var residents, inRuns int
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM oplog_resident`).Scan(&residents); err != nil {
			t.Fatal(err)
		}
		for _, r := range stored {
			holder := got[0]
			for _, row := range got {
				if uint64(row.idx) <= r.Index {
					holder = row
				}
			}
			if holder.run > 1 && r.Subject != "" {
				inRuns++
				var n int
				if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM oplog_resident WHERE subject_key = $1 AND idx = $2`, store.SubjectKey(r.Subject), int64(r.Index)).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != 1 {
					t.Errorf("record %d (in a run) is not in oplog_resident", r.Index)
				}
			}
		}
		if residents != inRuns || inRuns == 0 {
			t.Errorf("oplog_resident has %d rows, want %d", residents, inRuns)
		}
		if _, err := db.Bookkeeping(store.Inspect).Exec(`DELETE FROM oplog_resident`); err == nil {
			t.Error("DELETE from oplog_resident succeeded")
		}
		if _, err := db.Bookkeeping(store.Inspect).Exec(`UPDATE oplog_resident SET subject_key = 1`); err == nil {
			t.Error("UPDATE of oplog_resident succeeded")
		}
	})
}

// FuzzRunRecords: any bytes in a run row's columns are read without a
// panic, every record is given exactly once in order, and a run read
// without error encodes back to the same bytes in its layout (one encoding
// only).
func FuzzRunRecords(f *testing.F) {
	recs := []store.LogRecord{
		{V: 1, Time: 1764100000000000, Node: "350001", Authority: "system", Principal: "network", Operation: "network.receive",
			Subject: "33284a4061f97bf3bcaf3b82", Result: "applied", PolicyVersion: "p1", Detail: "identity.notify 01a2-35f5-7a82 from 352063"},
		{V: 1, Time: 1764100000000000, Node: "350001", Authority: "system", Principal: "network", Operation: "network.receive",
			Subject: "tok", Result: "applied", PolicyVersion: "p1", Detail: "identity.notify 01a2-35f5-7a9a from 352063"},
		{V: 1, Time: 1764100000000000, Node: "350001", Authority: "system", Principal: "network", Operation: "network.receive",
			Subject: "tok", Result: "rejected", PolicyVersion: "p1", NumberAccessed: true, Detail: "d <&> \u2028"},
	}
	f.Add(store.EncodeRun(recs), make([]byte, 96), uint64(7), 3)
	f.Add(store.EncodeRunFull(recs), make([]byte, 96), uint64(7), 3)
	f.Add([]byte("\x01\xff\xff\xff\xff\x0f"), []byte{}, uint64(0), 1)
	f.Add([]byte("\x02\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x1c\x00\x00\x00"), []byte{}, uint64(0), 1)
	f.Fuzz(func(t *testing.T, leaves, hashes []byte, first uint64, n int) {
		if n < 1 || n > 1<<12 || first > 1<<62 {
			return
		}
		next := 0
		var got []store.LogRecord
		// Invalid UTF-8 is kept as stored (the canonical bytes escape it as
		// \ufffd), so only records without it decode back to the same strings.
		valid := true
		err := store.RunRecords(first, leaves, hashes, n, func(i int, leaf, hash []byte) bool {
			if i != next {
				t.Fatalf("record %d given after %d", i, next-1)
			}
			next++
			if hash != nil && len(hash) != 32 {
				t.Fatalf("hash of %d bytes", len(hash))
			}
			if leaf != nil {
				r, err := store.DecodeLogRecord(leaf)
				if err != nil {
					t.Fatalf("record %d rebuilt as %q: %v", i, leaf, err)
				}
				if r.Index != first+uint64(i) {
					t.Fatalf("record %d rebuilt with index %d", i, r.Index)
				}
				if bytes.Contains(leaf, []byte(`\ufffd`)) {
					valid = false
				} else if string(r.Leaf()) != string(leaf) {
					t.Fatalf("record %d rebuilt as %q, its canonical bytes are %q", i, leaf, r.Leaf())
				}
				got = append(got, r)
			}
			return true
		})
		if next != n {
			t.Fatalf("%d records given, want %d", next, n)
		}
		if err != nil || !valid {
			return
		}
		if string(store.EncodeRun(got)) != string(leaves) {
			t.Fatalf("a run read without error does not encode back as stored:\n%x\n%x", leaves, store.EncodeRun(got))
		}
	})
}

// FuzzEncodeRun: any records' run, read back, gives each
// record's canonical bytes exactly (invalid UTF-8 and characters JSON
// escapes included).
func FuzzEncodeRun(f *testing.F) {
	f.Add("350001", "network", "network.receive", "p1", "tok", "applied", "d <&> \u2028", "", true, uint64(5), int64(1764100000000000), 3)
	f.Add("\xff", "", "", "", "\x00", "\"", "\xed\xa0\x80", "c", false, uint64(0), int64(-1), 0)
	f.Add("352063", "network", "network.delivery_result", "p1", "", "accepted", "identity.notify 01a217dd-35f5-7a82-9c57-b62713715f51 to 350001", "", false, uint64(4095), int64(0), 40)
	f.Fuzz(func(t *testing.T, node, principal, operation, policy, subject, result, detail, purpose string, number bool, first uint64, at int64, cut int) {
		if first > 1<<62 {
			return
		}
		cut = min(max(cut, 0), len(detail))
		// Subjects and details that repeat, share a prefix or a suffix with
		// the one before, or do not.
		subjects := []string{subject, subject, "0123456789abcdef01234567", subject + "x", "0123456789abcdef01234567", ""}
		details := []string{detail, detail, detail[:cut] + "7" + detail[cut:], detail[:cut] + "8" + detail[cut:], detail + detail, "", detail}
		recs := make([]store.LogRecord, 7)
		for i := range recs {
			recs[i] = store.LogRecord{V: 1, Index: first + uint64(i), Time: at, Node: node, Authority: "system", Principal: principal,
				Operation: operation, Subject: subjects[i%len(subjects)], Purpose: purpose + strings.Repeat("p", i/3), Result: result + strings.Repeat("r", i%2),
				PolicyVersion: policy, NumberAccessed: number && i != 1, Detail: details[i]}
		}
		err := store.RunRecords(first, store.EncodeRun(recs), make([]byte, 32*len(recs)), len(recs), func(i int, leaf, _ []byte) bool {
			if string(leaf) != string(recs[i].Leaf()) {
				t.Fatalf("record %d read back as %q, want %q", i, leaf, recs[i].Leaf())
			}
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// A network batch's run keeps a record in far fewer bytes than its
// canonical bytes (each record against the one before). A run an older
// version wrote in layout 1 (every value in full) is refused by readers and
// rewritten by migration 0860 into the current layout, each record's
// canonical bytes and hash unchanged; a layout-1 row whose records do not
// match their stored hashes is left as it is, for verify to name.
func TestRunLayouts(t *testing.T) {
	storetest.Run(t, "350001", func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var appended []store.LogRecord
		db.OnLog(func(_ context.Context, recs []store.LogRecord) { appended = append(appended, recs...) })
		sys := jukinet.WithActor(ctx, jukinet.SystemActor("network"))
		const n = 2000
		batch := func(from string) {
			if err := db.Update(sys, store.Op{Operation: jukinet.OpNetworkReceive, Detail: "batch"}, func(tx *store.Tx) error {
				for i := 0; i < n; i++ {
					// Message ids as UUIDv7 of one millisecond: a shared
					// prefix, a random tail.
					id := fmt.Sprintf("01a217dd-35f5-7%03x-9%03x-%012x", i%4096, (i*7919)%4096, uint64(i)*0x9e3779b97f4a7c15>>16)
					tx.Log(jukinet.OpNetworkReceive, fmt.Sprintf("%011d", 40000000000+i*7), "applied", "identity.notify "+id+" from "+from+": identity remake_add")
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		batch("352063")
		batch("352064")
		stored := func(idx uint64) (run int64, leaves, hashes []byte) {
			if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT run, leaf, leaf_hash FROM oplog WHERE idx = $1`, int64(idx)).Scan(&run, &leaves, &hashes); err != nil {
				t.Fatal(err)
			}
			return run, leaves, hashes
		}
		run, leaves, _ := stored(1)
		canonical := 0
		for _, r := range appended[1 : n+1] {
			canonical += len(r.Leaf())
		}
		if run != n || len(leaves) > 50*n {
			t.Errorf("run of %d records in %d bytes (%d a record; canonical bytes %d a record), want ≤ 50 a record",
				run, len(leaves), len(leaves)/n, canonical/n)
		}
		t.Logf("%d records: %d bytes a record (canonical bytes %d)", n, len(leaves)/n, canonical/n)
		// Both runs as an older version wrote them; the second one also
		// tampered (a record's result changed).
		full := store.EncodeRunFull(appended[1 : n+1])
		if leaves[0] != 2 || full[0] != 1 || len(full) < 2*len(leaves) {
			t.Errorf("layouts %d (%d bytes) and %d (%d bytes)", leaves[0], len(leaves), full[0], len(full))
		}
		second := n + 2
		forged := append([]store.LogRecord(nil), appended[second:second+n]...)
		forged[5].Result = "refused"
		if err := db.SetLeafAsideGuard(ctx, 1, full); err != nil {
			t.Fatal(err)
		}
		if err := db.SetLeafAsideGuard(ctx, uint64(second), store.EncodeRunFull(forged)); err != nil {
			t.Fatal(err)
		}
		_, leaves, hashes := stored(1)
		if err := store.RunRecords(1, leaves, hashes, n, func(int, []byte, []byte) bool { return true }); !errors.Is(err, store.ErrBadRun) {
			t.Fatalf("a layout-1 run read with error %v, want ErrBadRun", err)
		}
		if err := db.Reapply(ctx, "0860_oplog_run_layout.sql"); err != nil {
			t.Fatal(err)
		}
		if _, leaves, _ := stored(1); leaves[0] != 2 {
			t.Errorf("the intact layout-1 run is in layout %d after the migration, want 2", leaves[0])
		}
		if _, leaves, _ := stored(uint64(second)); leaves[0] != 1 {
			t.Errorf("the tampered layout-1 run is in layout %d after the migration, want it left as it was (1)", leaves[0])
		}
		_, leaves, hashes = stored(1)
		read := 0
		err := store.RunRecords(1, leaves, hashes, n, func(i int, leaf, hash []byte) bool {
			lh := store.LeafHash(leaf)
			if a := appended[1+i]; string(leaf) != string(a.Leaf()) || string(hash) != string(a.Hash) || string(lh[:]) != string(hash) {
				t.Fatalf("record %d reads back after the migration as %s, appended %s", 1+i, leaf, a.Leaf())
			}
			read++
			return true
		})
		if err != nil || read != n {
			t.Fatalf("%d records read back after the migration (%v), want %d", read, err, n)
		}
		// The append-only guard is back.
		if _, err := db.Bookkeeping(store.Inspect).Exec(`UPDATE oplog SET leaf = leaf WHERE idx = 1`); err == nil {
			t.Error("an UPDATE of oplog succeeded after the migration: the append-only guard was not restored")
		}
	})
}

// A layout-2 run written another way than the one it must be — a value
// written out that a flag could have said, a detail's prefix not the
// longest — is refused, so a run has one encoding only.
func TestRunLayoutOneEncoding(t *testing.T) {
	recs := []store.LogRecord{
		{V: 1, Time: 1, Node: "350001", Authority: "system", Principal: "network", Operation: "network.receive", Result: "applied", Detail: "m-1 from x"},
		{V: 1, Time: 1, Node: "350001", Authority: "system", Principal: "network", Operation: "network.receive", Result: "applied", Detail: "m-2 from x"},
	}
	good := store.EncodeRun(recs)
	if err := store.RunRecords(0, good, nil, 2, func(int, []byte, []byte) bool { return true }); err != nil {
		t.Fatalf("the encoder's own run: %v", err)
	}
	// The second record: flags (subject, purpose and result the first
	// one's), then its detail as the first's 2-byte prefix "m-", 7-byte
	// suffix " from x" and the 1-byte middle "2".
	at := len(good) - 5
	if rec2 := good[at:]; string(rec2) != "\x1c\x02\x07\x012" {
		t.Fatalf("second record encoded as %x, want 1c 02 07 01 32", rec2)
	}
	for _, tc := range []struct {
		name string
		edit func(b []byte) []byte
	}{
		{"result written out though it is the previous record's", func(b []byte) []byte {
			return append(b[:at:at], append([]byte{0x0c, 7}, "applied\x02\x07\x012"...)...)
		}},
		{"prefix shorter than it can be", func(b []byte) []byte {
			return append(b[:at:at], 0x1c, 1, 7, 2, '-', '2')
		}},
		{"suffix shorter than it can be", func(b []byte) []byte {
			return append(b[:at:at], 0x1c, 2, 6, 2, '2', ' ')
		}},
		{"unknown flag", func(b []byte) []byte {
			c := append([]byte(nil), b...)
			c[at] |= 0x80
			return c
		}},
		{"subject same and a token at once", func(b []byte) []byte {
			c := append([]byte(nil), b...)
			c[at] |= 0x02
			return c
		}},
		{"prefix and suffix longer than the previous detail", func(b []byte) []byte {
			return append(b[:at:at], 0x1c, 9, 7, 1, '2')
		}},
		{"prefix and suffix adding up past 2^64", func(b []byte) []byte {
			return append(b[:at:at], 0x1c, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 2, 1, '2')
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := tc.edit(good)
			err := store.RunRecords(0, bad, nil, 2, func(int, []byte, []byte) bool { return true })
			if !errors.Is(err, store.ErrBadRun) {
				t.Fatalf("run %x read with %v, want ErrBadRun", bad, err)
			}
		})
	}
	// Layout 3 holds a client address after the shared values, only when
	// there is one: an empty one written out is refused.
	withAddr := append([]store.LogRecord(nil), recs...)
	for i := range withAddr {
		withAddr[i].ClientAddr, withAddr[i].Index = "x", uint64(i)
	}
	l3 := store.EncodeRun(withAddr)
	if err := store.RunRecords(0, l3, nil, 2, func(i int, leaf, _ []byte) bool {
		if string(leaf) != string(withAddr[i].Leaf()) {
			t.Errorf("layout 3 record %d read back as %s", i, leaf)
		}
		return true
	}); err != nil || l3[0] != 3 {
		t.Fatalf("a run with a client address: layout %d, %v", l3[0], err)
	}
	k := 1
	for l3[k] == good[k] {
		k++
	}
	empty := append(append(append([]byte{3}, good[1:k]...), 0), good[k:]...)
	if err := store.RunRecords(0, empty, nil, 2, func(int, []byte, []byte) bool { return true }); !errors.Is(err, store.ErrBadRun) {
		t.Errorf("layout 3 with an empty client address read with %v, want ErrBadRun", err)
	}
}

// G11.2: every person a request shows is a record of its own, with the
// request's operation and purpose; the records of one request are one run
// row after the main record, whose operator and terminal columns are the
// operator's (the indexes find them), while an operator's other records
// stay rows of their own.
func TestShownPersonsAreOneRun(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		ctx := jukinet.WithActor(context.Background(), looker)
		codes := make([]string, 50)
		for i := range codes {
			codes[i] = fmt.Sprintf("%011d", 40000000000+i)
		}
		if err := db.Update(ctx, store.Op{Operation: jukinet.OpResidentSearch, Purpose: "case 7"}, func(tx *store.Tx) error {
			for i, c := range codes {
				tx.Shown(c, "name,birth_date,address,resident_code", i == 3)
			}
			tx.Log(jukinet.OpResidentSearch, "", "ok", "another record") // not a person: a row of its own
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		got := oplogRows(t, db)
		if want := []storedRow{{0, 1}, {1, 50}, {51, 1}}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("rows (idx, run): got %v, want %v", got, want)
		}
		var coll, term string
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT collation_id, terminal FROM oplog WHERE idx = 1`).Scan(&coll, &term); err != nil {
			t.Fatal(err)
		}
		if coll != looker.CollationID || term != looker.Terminal {
			t.Errorf("run row's operator columns: %q %q, want %q %q", coll, term, looker.CollationID, looker.Terminal)
		}
		recs := storetest.Records(t, db, nil)
		for i, c := range codes {
			r := recs[1+i]
			if r.Subject != db.SubjectToken(c) || r.Purpose != "case 7" || r.Result != store.ResultShown ||
				r.Operation != string(jukinet.OpResidentSearch) || r.CollationID != looker.CollationID || r.NumberAccessed != (i == 3) {
				t.Errorf("record %d: %+v", 1+i, r)
			}
		}
		var n int
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM oplog_resident`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 50 {
			t.Errorf("oplog_resident holds %d persons, want 50", n)
		}
	})
}

// The persons a request showed are one run with the request's client
// address (G2.5): the run stores it once, every record's leaf is rebuilt
// with it, and the run row's client_addr column agrees with the leaves.
// A run row claiming another address, or none, disagrees.
func TestPersonRunCarriesClientAddr(t *testing.T) {
	storetest.Run(t, "352063", func(t *testing.T, db *store.DB) {
		const addr = "[2001:db8::7]:50123"
		ctx := jukinet.WithClientAddr(jukinet.WithActor(context.Background(), looker), addr)
		if err := db.Update(ctx, store.Op{Operation: jukinet.OpResidentSearch, Purpose: "case 8"}, func(tx *store.Tx) error {
			for i := 0; i < 5; i++ {
				tx.Shown(fmt.Sprintf("%011d", 40000000000+i), "name", false)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if got, want := oplogRows(t, db), []storedRow{{0, 1}, {1, 5}}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("rows (idx, run): got %v, want %v", got, want)
		}
		recs := storetest.Records(t, db, nil)
		for i, r := range recs {
			if r.ClientAddr != addr {
				t.Errorf("record %d rebuilt with client address %q, want %q", i, r.ClientAddr, addr)
			}
		}
		var leaves, cols []byte
		var run int
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT leaf, run, `+store.RowColumnsSQL(db.Engine())+` FROM oplog WHERE idx = 1`).Scan(&leaves, &run, &cols); err != nil {
			t.Fatal(err)
		}
		first, err := store.RunLeafAt(1, leaves, run, 0)
		if err != nil {
			t.Fatal(err)
		}
		var buf []byte
		if c := store.CheckRowColumns(first, run, cols, &buf); c != store.ColumnsAgree {
			t.Errorf("the run row's column %d disagrees with its leaves", c)
		}
		// An insider drops the append-only trigger and changes the column.
		drop := `DROP TRIGGER oplog_no_update`
		if db.Engine() == store.Postgres {
			drop = `DROP TRIGGER oplog_no_update ON oplog`
		}
		if _, err := db.Bookkeeping(store.Inspect).Exec(drop); err != nil {
			t.Fatal(err)
		}
		for _, other := range []string{"", "192.0.2.1:1"} {
			if _, err := db.Bookkeeping(store.Inspect).Exec(`UPDATE oplog SET client_addr = $1 WHERE idx = 1`, other); err != nil {
				t.Fatal(err)
			}
			if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT ` + store.RowColumnsSQL(db.Engine()) + ` FROM oplog WHERE idx = 1`).Scan(&cols); err != nil {
				t.Fatal(err)
			}
			if c := store.CheckRowColumns(first, run, cols, &buf); c == store.ColumnsAgree {
				t.Errorf("a run row with client_addr %q agrees with leaves naming %q", other, addr)
			}
		}
	})
}
