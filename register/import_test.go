package register_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
	"golang.org/x/mod/sumdb/note"
)

// An import on each engine writes every resident's rows, one identity
// notice per resident for the prefecture carrying what the history keeps,
// one operation-log record for the whole load (a first load is one
// transaction), and a log that verifies as `jukinet oplog verify` checks
// it. Batches of 200 go by COPY on PostgreSQL.
func TestImportWritesRowsNoticesAndAVerifyingLog(t *testing.T) {
	const n = 700
	rows, err := demo.Population(demo.Hofu, n, 11, jukinet.DateOf(now))
	if err != nil {
		t.Fatal(err)
	}
	households := map[string]bool{}
	want := map[string]bool{}
	for _, r := range rows {
		households[r.HouseholdKey] = true
		want[string(hofu)+"/"+string(r.ResidentCode)] = true
	}
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := setup(t, e)
			ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("import"))
			batches := 0
			res, err := f.g.Import(ctx, rows, register.ImportOptions{BatchSize: 200, Progress: func(done, total int) { batches++ }})
			if err != nil {
				t.Fatal(err)
			}
			if res.Imported != n || res.Households != len(households) || batches < 3 {
				t.Fatalf("imported %d in %d households, %d batches; want %d in %d, at least 3 batches", res.Imported, res.Households, batches, n, len(households))
			}
			var cur, hh, pv, iv, hist, imports int
			if err := f.db.Bookkeeping(store.Inspect).QueryRow(`SELECT (SELECT COUNT(*) FROM residents WHERE status = 'current' AND version = 1),
 (SELECT COUNT(*) FROM households), (SELECT COUNT(*) FROM person_versions WHERE version = 1), (SELECT COUNT(*) FROM identity_versions WHERE version = 1),
 (SELECT COUNT(*) FROM identity_history WHERE version = 1 AND reason = $1),
 (SELECT COUNT(*) FROM oplog WHERE operation = $2 AND result = 'ok')`, int(jukinet.ReasonRemakeAdd), string(jukinet.OpResidentImport)).Scan(&cur, &hh, &pv, &iv, &hist, &imports); err != nil {
				t.Fatal(err)
			}
			if cur != n || hh != len(households) || pv != n || iv != n || hist != n || imports != 1 {
				t.Errorf("rows: %d residents, %d households, %d+%d versions, %d history, %d import records; want %d, %d, %d+%d, %d, %d",
					cur, hh, pv, iv, hist, imports, n, len(households), n, n, n, 1)
			}
			checkImportNotices(t, f.db, want)
			verifyLog(t, f.db, 1)
		})
	}
}

// checkImportNotices checks that the outbox holds one identity notice per
// imported person (ordering keys want), version 1, for the prefecture, whose
// body is the person's identity_history entry.
func checkImportNotices(t *testing.T, db *store.DB, want map[string]bool) {
	t.Helper()
	hist := map[string]string{}
	hr, err := db.Bookkeeping(store.Inspect).Query(`SELECT resident_code, info FROM identity_history`)
	if err != nil {
		t.Fatal(err)
	}
	for hr.Next() {
		var code, info string
		if err := hr.Scan(&code, &info); err != nil {
			t.Fatal(err)
		}
		hist[string(hofu)+"/"+code] = info
	}
	hr.Close()
	rs, err := db.Bookkeeping(store.Inspect).Query(`SELECT kind, dest, ordering_key, version, body FROM outbox`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	seen := map[string]bool{}
	for rs.Next() {
		var kind, dest, key string
		var version int64
		var body []byte
		if err := rs.Scan(&kind, &dest, &key, &version, &body); err != nil {
			t.Fatal(err)
		}
		var info jukinet.IdentityInfo
		if err := json.Unmarshal(body, &info); err != nil {
			t.Fatalf("notice %s: %v", key, err)
		}
		if kind != network.KindIdentityNotify.String() || dest != string(hofu.PrefectureCode()) || version != 1 || !want[key] || seen[key] ||
			info.OrderingKey() != key || string(body) != hist[key] {
			t.Fatalf("notice %s: kind %s to %s, version %d, duplicate %v, body equal to its history %v", key, kind, dest, version, seen[key], string(body) == hist[key])
		}
		seen[key] = true
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(want) {
		t.Errorf("%d notices, want one for each of %d persons", len(seen), len(want))
	}
}

// A bad row refuses the whole import with an error naming its line and
// field: nothing is written, not even the valid rows, and the refusal is
// recorded (lines and fields, no value). With SkipInvalid the others are
// imported and the skipped row is recorded.
func TestImportRefusesABadRowWritingNothing(t *testing.T) {
	rows, err := demo.Population(demo.Hofu, 150, 13, jukinet.DateOf(now))
	if err != nil {
		t.Fatal(err)
	}
	bad := rows[40]
	bad.Line = 9999
	bad.ResidentCode = "12345678901" // wrong check digit
	bad.HouseholdKey = "bad"
	bad.Relationship = register.RelationshipHead
	rows = append(rows, bad)
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := setup(t, e)
			ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("import"))
			before := f.totals(t)
			_, err := f.g.Import(ctx, rows, register.ImportOptions{BatchSize: 64})
			var ie *register.ImportError
			if !jukinet.IsKind(err, jukinet.KindInvalid) || !errors.As(err, &ie) || len(ie.Rows) != 1 || ie.Rows[0].Line != 9999 || ie.Rows[0].Field != "resident_code" {
				t.Fatalf("got %v, want the import refused naming line 9999 and resident_code", err)
			}
			if after := f.totals(t); after != before {
				t.Errorf("a refused import wrote rows: %v → %v", before, after)
			}
			details := importRecords(t, f.db)
			if len(details) != 1 || !strings.Contains(details[0], "refused") || !strings.Contains(details[0], "line 9999 resident_code") ||
				strings.Contains(details[0], "12345678901") {
				t.Fatalf("records of the refused import: %q; want one naming line and field without the code", details)
			}
			res, err := f.g.Import(ctx, rows, register.ImportOptions{BatchSize: 64, SkipInvalid: true})
			if err != nil || res.Imported != len(rows)-1 || len(res.Skipped) != 1 || res.Skipped[0].Line != 9999 {
				t.Fatalf("import skipping: %+v, %v; want %d imported and line 9999 skipped", res, err, len(rows)-1)
			}
			if c := f.totals(t); c[0] != before[0]+len(rows)-1 {
				t.Errorf("residents after skipping: %d, want %d", c[0], before[0]+len(rows)-1)
			}
			if details = importRecords(t, f.db); !strings.Contains(strings.Join(details, "|"), "skipped 1 invalid row(s): line 9999 resident_code") {
				t.Errorf("records: %q; want the skipped row recorded", details)
			}
		})
	}
}

func importRecords(t *testing.T, db *store.DB) []string {
	t.Helper()
	rs, err := db.Bookkeeping(store.Inspect).Query(`SELECT leaf FROM oplog WHERE operation = $1 ORDER BY idx`, string(jukinet.OpResidentImport))
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var leaf []byte
		if err := rs.Scan(&leaf); err != nil {
			t.Fatal(err)
		}
		r, err := store.DecodeLogRecord(leaf)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r.Detail)
	}
	return out
}

// verifyLog signs a checkpoint of db's log, cosigned by a witness, and
// verifies the whole log against it as `jukinet oplog verify` does: every
// leaf hash, the root, the signatures, the values stored beside the leaves.
func verifyLog(t *testing.T, db *store.DB, atLeast uint64) {
	t.Helper()
	ctx := context.Background()
	logSigner, logKey := testKey(t, "cs-352063")
	witSigner, witKey := testKey(t, "witness-350001")
	origin := oplog.Origin("jukinet.example", string(hofu))
	l := oplog.NewSQLLog(db)
	w, err := oplog.NewSQLWitness(db, witSigner, map[string]note.Verifier{origin: logKey})
	if err != nil {
		t.Fatal(err)
	}
	c, err := oplog.NewCheckpointer(l, oplog.CheckpointerConfig{Origin: origin, Signer: logSigner, Witness: w})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := c.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := l.Verify(ctx, oplog.Verifier{Origin: origin, Log: logKey, Witnesses: []note.Verifier{witKey}})
	if err != nil || !rep.OK() || rep.Rows != cp.Size || rep.Verified != cp.Size || cp.Size < atLeast {
		t.Fatalf("oplog verify: %+v (failure %v), %v; want all %d rows verified by the checkpoint", rep, rep.Failure, err, cp.Size)
	}
}

// testKey derives a deterministic synthetic Ed25519 key.
func testKey(t *testing.T, name string) (note.Signer, note.Verifier) {
	t.Helper()
	seed := sha256.Sum256([]byte("test key " + name))
	priv := ed25519.NewKeyFromSeed(seed[:])
	s, err := oplog.NewSigner(name, priv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := oplog.NewVerifier(name, priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

// Rows are checked on several goroutines, a chunk of rows each: bad rows
// in different chunks are all reported, in line order, each naming its
// line and field, and nothing is written.
func TestImportReportsBadRowsOfEveryChunk(t *testing.T) {
	rows, err := demo.Population(demo.Hofu, 3000, 19, jukinet.DateOf(now))
	if err != nil {
		t.Fatal(err)
	}
	faults := []struct {
		at    int
		field string
		spoil func(*register.ImportRow)
	}{
		{5, "resident_code", func(r *register.ImportRow) { r.ResidentCode = "12345678901" }},
		{1500, "birth_date", func(r *register.ImportRow) { r.BirthDate = jukinet.DateOf(now).AddDays(3) }},
		{2900, "name.kanji", func(r *register.ImportRow) { r.Name.Kanji = "" }},
	}
	var want []register.RowError
	for _, f := range faults {
		at := f.at
		for rows[at].Relationship == register.RelationshipHead { // a head's fault would refuse its household too
			at++
		}
		f.spoil(&rows[at])
		want = append(want, register.RowError{Line: rows[at].Line, Field: f.field})
	}
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			f := setup(t, e)
			before := f.totals(t)
			ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("import"))
			_, err := f.g.Import(ctx, rows, register.ImportOptions{})
			var ie *register.ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("got %v, want an ImportError", err)
			}
			var got []register.RowError
			for _, r := range ie.Rows {
				got = append(got, register.RowError{Line: r.Line, Field: r.Field})
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("refused rows %v, want %v", got, want)
			}
			if after := f.totals(t); after != before {
				t.Errorf("a refused import wrote rows: %v → %v", before, after)
			}
		})
	}
}
