package node

import (
	"context"
	"crypto/ed25519"
	crand "crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// A national server restored from a backup forgets the codes it granted
// after the backup. Its draws here repeat (the same seeded source before and
// after the restore), so the codes it granted after the backup are the very
// ones it would draw again: without the recovery it grants them to the next
// municipality that asks. With it, pool requests are deferred (a refusal in
// the log) until every municipality has reported the codes it holds, and
// then no code granted before the restore is granted again. SQLite is
// restored from `jukinet backup`, PostgreSQL with pg_dump / pg_restore and
// --mark-restored.
func TestRestoredNationalGrantsNoCodeTwice(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNetEmptyPools(t, e, func(c *MunicipalityConfig) { c.PoolLow, c.PoolBatch = 2, 6 })
			const seed = 7
			cfg := storetest.Config(t, e, network.NationalID)
			cfg.Now = func() time.Time { return testNow }
			natDB := openNational(t, n, cfg, seed)
			n.fillPools()
			restore := backupNode(t, e, natDB, cfg)

			// After the backup: 防府市 issues codes and is granted more.
			for i := range 8 {
				birth(t, n.muni[hofu], "子\u3000"+string(rune('あ'+i)), "コ\u3000"+string(rune('ア'+i)), "2026-11-01", "")
				n.run()
			}
			n.noRejections()
			before := grantedCodes(t, natDB, "")
			if len(grantedCodes(t, natDB, string(hofu))) <= 6 {
				t.Fatal("防府市 was granted no codes after the backup; the test needs some")
			}

			restored := restore()
			natDB = openNational(t, n, store.Config{Path: restored.Path, DSN: restored.DSN, Node: network.NationalID, Now: cfg.Now}, seed)
			if err := n.national.RecoverGrantedCodes(as(jukinet.SystemActor("node-start")), []jukinet.LGCode{hofu, yamaguchi, kurume}); err != nil {
				t.Fatal(err)
			}
			if v, err := natDB.Meta(t.Context(), store.BackupTakenKey); err != nil || v != "" {
				t.Errorf("the restore mark after the start: %q, %v", v, err)
			}
			var startSeq int64
			if err := natDB.Bookkeeping(store.Inspect).QueryRow(`SELECT COALESCE(MAX(seq), 0) FROM outbox`).Scan(&startSeq); err != nil {
				t.Fatal(err)
			}

			// 山口市 and 防府市 ask for codes before the reports arrive.
			emptyPoolOf(t, n.nodes[string(yamaguchi)].db)
			for _, m := range []jukinet.LGCode{yamaguchi, hofu} {
				if err := n.muni[m].RequestCodePool(as(jukinet.SystemActor("test"))); err != nil {
					t.Fatal(err)
				}
			}
			n.runHolding(func(kind, _ string) bool { return kind == network.KindResidentCodeReport.String() })
			n.noRejections()
			if got := grantsSince(t, natDB, startSeq); len(got) != 0 {
				t.Fatalf("granted %d codes before every municipality reported", len(got))
			}
			refusals := storetest.Records(t, natDB, func(r store.LogRecord) bool {
				return r.Operation == string(jukinet.OpCodePoolRequest) && r.Result == store.ResultRefused && strings.Contains(r.Detail, "deferred")
			})
			if len(refusals) != 2 {
				t.Errorf("deferred grants in the national log: %d, want 2 (山口市, 防府市)", len(refusals))
			}
			_, err := n.muni[yamaguchi].Register().Birth(as(clerk), register.BirthInput{PersonInput: register.PersonInput{Name: jukinet.Name{Kanji: "待\u3000まつ", Kana: "マチ\u3000マツ"},
				BirthDate: mustDate(t, "2026-11-01"), Sex: jukinet.SexMale}, AddressText: townOf(yamaguchi) + "1番1号"})
			if jukinet.ErrorKind(err) != jukinet.KindUnavailable || !strings.Contains(err.Error(), "restored from a backup") {
				t.Errorf("birth while the national server recovers: %v, want unavailable naming the restore", err)
			}

			n.run()
			n.noRejections()
			again := grantsSince(t, natDB, startSeq)
			for _, m := range []jukinet.LGCode{yamaguchi, hofu} {
				if len(again[m]) == 0 {
					t.Errorf("%s was granted nothing after the reports", m)
				}
			}
			for m, codes := range again {
				for _, c := range codes {
					if before[c] != "" {
						t.Errorf("code %s granted to %s after the restore was granted to %s before it", c, m, before[c])
					}
				}
			}
			if v, err := natDB.Meta(t.Context(), codesRecoveryKey); err != nil || v != "" {
				t.Errorf("recovery still in progress after every report: %q, %v", v, err)
			}
		})
	}
}

// openNational opens the national server on cfg with a seeded code source
// and puts it in the test network.
func openNational(t *testing.T, n *testNet, cfg store.Config, seed uint64) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var s [32]byte
	s[0] = byte(seed)
	if n.national, err = NewNational(context.Background(), db, NationalConfig{CodeRand: rand.NewChaCha8(s)}); err != nil {
		t.Fatal(err)
	}
	n.nodes[network.NationalID].db, n.nodes[network.NationalID].handlers = db, n.national.Handlers()
	return db
}

// backupNode backs up db as an operator would; restore closes db, puts the
// backup in its place, marked restored, and returns where it is.
func backupNode(t *testing.T, e store.Engine, db *store.DB, cfg store.Config) (restore func() store.Config) {
	return backupNodeMarked(t, e, db, cfg, true)
}

// backupNodeMarked is backupNode; unmarked, the restored database carries
// no mark (SQLite: the mark of `jukinet backup` removed; PostgreSQL:
// pg_restore without `--mark-restored`), as after a restore nobody marked.
func backupNodeMarked(t *testing.T, e store.Engine, db *store.DB, cfg store.Config, mark bool) (restore func() store.Config) {
	t.Helper()
	if cfg.Node == "" {
		cfg.Node = network.NationalID
	}
	if e == store.SQLite {
		out := filepath.Join(t.TempDir(), cfg.Node+"-backup.db")
		if err := db.Backup(t.Context(), out); err != nil {
			t.Fatal(err)
		}
		if !mark {
			unmark(t, store.Config{Path: out, Node: cfg.Node})
		}
		return func() store.Config { db.Close(); return store.Config{Path: out} }
	}
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(tool + " is not installed")
		}
	}
	u, err := url.Parse(cfg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	base := os.Getenv(storetest.EnvPostgres)
	dump := filepath.Join(t.TempDir(), "national.dump")
	if b, err := exec.Command("pg_dump", "--format=custom", "--schema="+schema, "--file="+dump, "--dbname="+base).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v: %s", err, b)
	}
	return func() store.Config {
		db.Close()
		admin, err := sql.Open("pgx", base)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Fatal(err)
		}
		if b, err := exec.Command("pg_restore", "--dbname="+base, dump).CombinedOutput(); err != nil {
			t.Fatalf("pg_restore: %v: %s", err, b)
		}
		if !mark {
			return store.Config{DSN: cfg.DSN}
		}
		restored, err := store.Open(t.Context(), store.Config{DSN: cfg.DSN, Node: cfg.Node})
		if err != nil {
			t.Fatal(err)
		}
		defer restored.Close()
		if err := restored.MarkRestored(t.Context()); err != nil {
			t.Fatal(err)
		}
		return store.Config{DSN: cfg.DSN}
	}
}

// grantedCodes maps each code in the national's flow_codes_granted to its
// municipality (only those of m when m is not "").
func grantedCodes(t *testing.T, db *store.DB, m string) map[jukinet.ResidentCode]string {
	t.Helper()
	rows, err := db.Bookkeeping(store.Inspect).Query(`SELECT code, municipality FROM flow_codes_granted`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[jukinet.ResidentCode]string{}
	for rows.Next() {
		var c, muni string
		if err := rows.Scan(&c, &muni); err != nil {
			t.Fatal(err)
		}
		if m == "" || muni == m {
			out[jukinet.ResidentCode(c)] = muni
		}
	}
	return out
}

// grantsSince are the codes of the grants the national queued after seq.
func grantsSince(t *testing.T, db *store.DB, seq int64) map[jukinet.LGCode][]jukinet.ResidentCode {
	t.Helper()
	rows, err := db.Bookkeeping(store.Inspect).Query(`SELECT COALESCE(envelope, body) FROM outbox WHERE kind = $1 AND seq > $2`, network.KindResidentCodePoolGrant.String(), seq)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[jukinet.LGCode][]jukinet.ResidentCode{}
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			t.Fatal(err)
		}
		var g CodePoolGrant
		if err := Decode(&network.Envelope{Body: body}, &g); err != nil {
			t.Fatal(err)
		}
		out[g.Municipality] = append(out[g.Municipality], g.Codes...)
	}
	return out
}

// emptyPoolOf drops a municipality's unused codes, as if it had issued them.
func emptyPoolOf(t *testing.T, db *store.DB) {
	t.Helper()
	if _, err := db.Bookkeeping(store.Inspect).Exec(`DELETE FROM flow_code_pool`); err != nil {
		t.Fatal(err)
	}
}

func TestCodeReportBodiesValidate(t *testing.T) {
	run := "0195f3a1-7c2e-7b3d-8a4f-1234567890ab"
	good := codeOf(t, "1234567890")
	bad := good[:10] + jukinet.ResidentCode(rune('0'+(good[10]-'0'+1)%10))
	for _, tc := range []struct {
		name  string
		err   error
		field string
	}{
		{"request without run", CodeReportRequest{Restored: "x"}.Validate(), "run"},
		{"request without time", CodeReportRequest{Run: run}.Validate(), "restored"},
		{"report without run", CodeReport{Municipality: hofu, Part: 1, Parts: 1}.Validate(), "run"},
		{"report of a prefecture", CodeReport{Run: run, Municipality: "350001", Part: 1, Parts: 1}.Validate(), "municipality"},
		{"report without parts", CodeReport{Run: run, Municipality: hofu, Part: 1}.Validate(), "parts"},
		{"report part after parts", CodeReport{Run: run, Municipality: hofu, Part: 3, Parts: 2}.Validate(), "part"},
		{"report with a bad code", CodeReport{Run: run, Municipality: hofu, Part: 1, Parts: 1, Codes: []jukinet.ResidentCode{bad}}.Validate(), "codes[0]"},
		{"report with a code twice", CodeReport{Run: run, Municipality: hofu, Part: 1, Parts: 1, Codes: []jukinet.ResidentCode{good, good}}.Validate(), "codes[1]"},
		{"report too long", CodeReport{Run: run, Municipality: hofu, Part: 1, Parts: 1, Codes: make([]jukinet.ResidentCode, MaxCodeReport+1)}.Validate(), "codes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if jukinet.ErrorKind(tc.err) != jukinet.KindInvalid || jukinet.ErrorField(tc.err) != tc.field {
				t.Errorf("Validate = %v (field %q); want invalid %s", tc.err, jukinet.ErrorField(tc.err), tc.field)
			}
		})
	}
	if err := (CodeReport{Run: run, Municipality: hofu, Part: 1, Parts: 1, Codes: []jukinet.ResidentCode{good}}).Validate(); err != nil {
		t.Errorf("Validate(valid report) = %v, want nil", err)
	}
	if err := (CodeReport{Run: run, Municipality: hofu, Part: 1, Parts: 1}).Validate(); err != nil {
		t.Errorf("Validate(empty report) = %v, want nil", err)
	}
}

func FuzzCodeReportDecode(f *testing.F) {
	f.Add([]byte(`{"run":"0195f3a1-7c2e-7b3d-8a4f-1234567890ab","municipality":"352063","part":1,"parts":1,"codes":["12345678901"]}`))
	f.Add([]byte(`{"run":"0195f3a1-7c2e-7b3d-8a4f-1234567890ab","restored":"2026-12-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		env := &network.Envelope{Kind: network.KindResidentCodeReport, From: "352063", Body: body}
		var r CodeReport
		if Decode(env, &r) == nil && r.Validate() == nil {
			seen := map[jukinet.ResidentCode]bool{}
			for _, c := range r.Codes {
				if !jukinet.ValidResidentCode(string(c)) || seen[c] {
					t.Fatalf("a report with code %q (repeated: %v) validated", c, seen[c])
				}
				seen[c] = true
			}
			if r.Part < 1 || r.Part > r.Parts || len(r.Codes) > MaxCodeReport {
				t.Fatalf("a report part %d of %d with %d codes validated", r.Part, r.Parts, len(r.Codes))
			}
		}
		var q CodeReportRequest
		if Decode(env, &q) == nil && q.Validate() == nil && (q.Run == "" || q.Restored == "") {
			t.Fatalf("a request without run or time validated: %+v", q)
		}
	})
}

// TestAssembleRestoredNationalAsksEveryMunicipality: a node assembled as the
// national server on a marked database asks every municipality of the
// network description for its codes, and only then; an unmarked one asks
// nobody for its codes, but every municipality for its count of grants.
func TestAssembleRestoredNationalAsksEveryMunicipality(t *testing.T) {
	var b strings.Builder
	var nationalKey ed25519.PrivateKey
	for i, x := range []struct{ id, kind, pref string }{
		{network.NationalID, "national", ""}, {"350001", "prefecture", ""}, {string(hofu), "municipality", "350001"},
		{string(yamaguchi), "municipality", "350001"}, {"400009", "prefecture", ""}, {string(kurume), "municipality", "400009"},
	} {
		pub, priv, err := ed25519.GenerateKey(crand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if x.id == network.NationalID {
			nationalKey = priv
		}
		fmt.Fprintf(&b, "[[node]]\nid = %q\nkind = %q\nname = \"n%d\"\n", x.id, x.kind, i)
		if x.pref != "" {
			fmt.Fprintf(&b, "prefecture = %q\n", x.pref)
		}
		fmt.Fprintf(&b, "network_addr = \"127.0.0.1:%d\"\nsigning_key = \"ed25519:%s\"\n\n", 7000+i, base64.StdEncoding.EncodeToString(pub))
	}
	desc, err := network.LoadDescription(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			db := openNode(t, e, network.NationalID)
			askedOf := func(kind network.Kind) []string {
				t.Helper()
				var to []string
				rows, err := db.Bookkeeping(store.Inspect).Query(`SELECT dest FROM outbox WHERE kind = $1 ORDER BY dest`, kind.String())
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				for rows.Next() {
					var d string
					if err := rows.Scan(&d); err != nil {
						t.Fatal(err)
					}
					to = append(to, d)
				}
				return to
			}
			asked := func() []string { return askedOf(network.KindResidentCodeReportAsk) }
			assemble := func() {
				t.Helper()
				if _, err := Assemble(t.Context(), AssemblyConfig{DB: db, Description: desc, SigningKey: nationalKey}); err != nil {
					t.Fatal(err)
				}
			}
			assemble()
			if got := asked(); len(got) != 0 {
				t.Fatalf("an unmarked national server asked %v", got)
			}
			// Unmarked, it asks every municipality for its count of grants
			// and grants nothing before the answers.
			if got := askedOf(network.KindResidentCodeTallyAsk); len(got) != 3 {
				t.Errorf("an unmarked national server asked %v for their grants, want the 3 municipalities", got)
			}
			if run, err := db.Meta(t.Context(), codesTallyKey); err != nil || run == "" {
				t.Errorf("no check of the grants in progress after the start: %q, %v", run, err)
			}
			if err := db.MarkRestored(t.Context()); err != nil {
				t.Fatal(err)
			}
			assemble()
			if got, want := strings.Join(asked(), " "), strings.Join([]string{string(yamaguchi), string(hofu), string(kurume)}, " "); got != want {
				t.Errorf("asked %q, want %q", got, want)
			}
			if run, err := db.Meta(t.Context(), codesRecoveryKey); err != nil || run == "" {
				t.Errorf("no recovery in progress after the start: %q, %v", run, err)
			}
			assemble() // a second start asks nobody again
			if got := asked(); len(got) != 3 {
				t.Errorf("after a second start %d requests, want the 3 of the first", len(got))
			}
		})
	}
}
