package node

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// openMunicipality opens the CS of cfg.Node on cfg and puts it in the test
// network in place of the one there; fresh, it designates the test
// operators (a restored database has them already).
func openMunicipality(t *testing.T, n *testNet, cfg store.Config, fresh bool, mcfg func(*MunicipalityConfig)) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	id := jukinet.LGCode(cfg.Node)
	c := MunicipalityConfig{Municipality: id, DomicileCodes: map[string]jukinet.LGCode{"山口県防府市": hofu, "山口県山口市": yamaguchi, "福岡県久留米市": kurume}}
	if mcfg != nil {
		mcfg(&c)
	}
	m, err := NewMunicipality(db, c)
	if err != nil {
		t.Fatal(err)
	}
	if fresh {
		designateHandlers(t, db, clerk, issuer, special, numbers, looker)
	}
	n.nodes[string(id)].db, n.nodes[string(id)].handlers, n.muni[id] = db, m.Handlers(), m
	return db
}

// restoreDetected are the records of a restore found by the grant counts
// in db's operation log.
func restoreDetected(t *testing.T, db *store.DB) []store.LogRecord {
	t.Helper()
	return storetest.Records(t, db, func(r store.LogRecord) bool {
		return r.Result == store.ResultRefused && strings.HasPrefix(r.Detail, "restore detected")
	})
}

// nthChild registers the i-th test child's birth at m.
func nthChild(t *testing.T, m *Municipality, i int) jukinet.ResidentCode {
	t.Helper()
	return birth(t, m, "子\u3000"+string(rune('あ'+i)), "コ\u3000"+string(rune('ア'+i)), "2026-11-01", "").ResidentCode
}

// A CS restored from a backup nobody marked (the mark of `jukinet backup`
// removed on SQLite; pg_restore alone on PostgreSQL) holds the pool of the
// backup, with the codes it issued since back in it, and fewer grants than
// the national server made to it if it was granted more since. Without the check its next births draw
// those codes again; with it, the start's check draws nothing before the
// national server answers, the answer finds the restore, the stale codes
// are discarded and no code is issued twice.
func TestUnmarkedRestoredCSIssuesNoCodeTwice(t *testing.T) {
	for _, e := range storetest.Engines() {
		for _, tc := range []struct {
			name   string
			batch  int
			births int
		}{
			{"across a grant", 6, 8},  // the backup holds fewer grants than the national server made
			{"within a grant", 20, 3}, // as many grants: the pool's issued codes tell
		} {
			t.Run(string(e)+"/"+tc.name, func(t *testing.T) {
				unmarkedRestoredCS(t, e, tc.batch, tc.births)
			})
		}
	}
}

// unmarkedRestoredCS runs TestUnmarkedRestoredCSIssuesNoCodeTwice on engine
// e: pools of batch codes, births after the backup.
func unmarkedRestoredCS(t *testing.T, e store.Engine, batch, births int) {
	t.Helper()
	mcfg := func(c *MunicipalityConfig) { c.PoolLow, c.PoolBatch = 2, batch }
	n := newTestNetEmptyPools(t, e, mcfg)
	cfg := storetest.Config(t, e, string(hofu))
	cfg.Now = func() time.Time { return testNow }
	live := openMunicipality(t, n, cfg, true, mcfg)
	n.fillPools()
	issued := map[jukinet.ResidentCode]bool{nthChild(t, n.muni[hofu], 0): true}
	n.run()
	restore := backupNodeMarked(t, e, live, cfg, false)
	var afterBackup []jukinet.ResidentCode
	for i := 1; i <= births; i++ {
		c := nthChild(t, n.muni[hofu], i)
		issued[c], afterBackup = true, append(afterBackup, c)
		n.run()
	}
	n.noRejections()

	rc := restore()
	db := openMunicipality(t, n, store.Config{Path: rc.Path, DSN: rc.DSN, Node: string(hofu), Now: cfg.Now}, false, mcfg)
	if v, err := db.Meta(t.Context(), store.BackupTakenKey); err != nil || v != "" {
		t.Fatalf("the restored database is marked: %q, %v; the test needs it unmarked", v, err)
	}
	if stalePool(t, db, afterBackup) == 0 {
		t.Fatal("the backup's pool holds none of the codes issued after it; the test needs some")
	}
	m := n.muni[hofu]
	// The start, as Assemble makes it.
	if err := m.EnsureCodePool(as(jukinet.SystemActor("node-start"))); err != nil {
		t.Fatal(err)
	}
	if err := m.CheckCodePool(as(jukinet.SystemActor("node-start"))); err != nil {
		t.Fatal(err)
	}
	_, err := m.Register().Birth(as(clerk), register.BirthInput{PersonInput: register.PersonInput{Name: jukinet.Name{Kanji: "早\u3000すぎ", Kana: "ハヤ\u3000スギ"},
		BirthDate: mustDate(t, "2026-11-01"), Sex: jukinet.SexMale}, AddressText: townOf(hofu) + "1番1号"})
	if jukinet.ErrorKind(err) != jukinet.KindUnavailable {
		t.Fatalf("birth before the national server answered the start's check: %v, want unavailable", err)
	}
	n.run()
	n.noRejections()
	for i := 9; i < 9+15; i++ {
		c := nthChild(t, m, i)
		if issued[c] {
			t.Fatalf("code %s issued a second time after the restore", c)
		}
		issued[c] = true
		n.run()
	}
	n.noRejections()
	if k := stalePool(t, db, afterBackup); k != 0 {
		t.Errorf("%d codes issued after the backup are still in the pool", k)
	}
	if got := restoreDetected(t, db); len(got) != 1 {
		t.Errorf("records of the restore found at the CS: %d, want 1", len(got))
	}
	if got := restoreDetected(t, n.nodes[network.NationalID].db); len(got) != 0 {
		t.Errorf("the national server took the CS's restore for its own: %v", got[0].Detail)
	}
}

// stalePool counts the codes of codes in db's pool.
func stalePool(t *testing.T, db *store.DB, codes []jukinet.ResidentCode) int {
	t.Helper()
	stale := 0
	for _, c := range codes {
		var k int
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM flow_code_pool WHERE code = $1`, string(c)).Scan(&k); err != nil {
			t.Fatal(err)
		}
		stale += k
	}
	return stale
}

// A national server restored from a backup nobody marked has forgotten the
// grants it made to 防府市 after the backup; its draws repeat (the same
// seeded source), so without the check it grants those very codes to the
// next municipality that asks. With it, the start's check grants nothing
// before every municipality has answered; 防府市's answer (more grants than
// the server made) finds the restore, the recovery of decisions 0014 and
// 0015 runs, and no code granted before the restore is granted again.
func TestUnmarkedRestoredNationalGrantsNoCodeTwice(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNetEmptyPools(t, e, func(c *MunicipalityConfig) { c.PoolLow, c.PoolBatch = 2, 6 })
			const seed = 7
			cfg := storetest.Config(t, e, network.NationalID)
			cfg.Now = func() time.Time { return testNow }
			natDB := openNational(t, n, cfg, seed)
			n.fillPools()
			restore := backupNodeMarked(t, e, natDB, cfg, false)
			for i := range 8 {
				nthChild(t, n.muni[hofu], i)
				n.run()
			}
			n.noRejections()
			before := grantedCodes(t, natDB, "")

			restored := restore()
			natDB = openNational(t, n, store.Config{Path: restored.Path, DSN: restored.DSN, Node: network.NationalID, Now: cfg.Now}, seed)
			munis := []jukinet.LGCode{hofu, yamaguchi, kurume}
			// The start, as Assemble makes it: no mark, so no recovery yet.
			if err := n.national.RecoverGrantedCodes(as(jukinet.SystemActor("node-start")), munis); err != nil {
				t.Fatal(err)
			}
			if err := n.national.CheckGrantCounts(as(jukinet.SystemActor("node-start")), munis); err != nil {
				t.Fatal(err)
			}
			var startSeq int64
			if err := natDB.Bookkeeping(store.Inspect).QueryRow(`SELECT COALESCE(MAX(seq), 0) FROM outbox`).Scan(&startSeq); err != nil {
				t.Fatal(err)
			}
			// 山口市, which holds as many grants as the server knows, asks for
			// codes before the answers to the check arrive.
			emptyPoolOf(t, n.nodes[string(yamaguchi)].db)
			if err := n.muni[yamaguchi].RequestCodePool(as(jukinet.SystemActor("test"))); err != nil {
				t.Fatal(err)
			}
			n.runHolding(func(kind, _ string) bool { return kind == network.KindResidentCodeTally.String() })
			if got := grantsSince(t, natDB, startSeq); len(got) != 0 {
				t.Fatalf("granted %d codes before every municipality answered the check", len(got))
			}

			n.run()
			n.noRejections()
			again := grantsSince(t, natDB, startSeq)
			if len(again[yamaguchi]) == 0 {
				t.Errorf("%s was granted nothing after the recovery", yamaguchi)
			}
			for m, codes := range again {
				for _, c := range codes {
					if before[c] != "" {
						t.Errorf("code %s granted to %s after the restore was granted to %s before it", c, m, before[c])
					}
				}
			}
			found := restoreDetected(t, natDB)
			if len(found) != 1 || !strings.Contains(found[0].Detail, string(hofu)) {
				t.Errorf("records of the restore found at the national server: %v, want one naming %s", found, hofu)
			}
			for _, k := range []string{codesRecoveryKey, codesTallyKey, identityResyncKey} {
				if v, err := natDB.Meta(t.Context(), k); err != nil || (v != "") != (k == identityResyncKey) {
					t.Errorf("%s after the recovery: %q, %v", k, v, err)
				}
			}
			// 防府市 holds no grant the server does not know any more: a
			// second start finds nothing.
			if err := n.national.CheckGrantCounts(as(jukinet.SystemActor("node-start")), munis); err != nil {
				t.Fatal(err)
			}
			n.run()
			n.noRejections()
			if got := restoreDetected(t, natDB); len(got) != 1 {
				t.Errorf("records of a restore after a second start: %d, want the 1 of the first", len(got))
			}
		})
	}
}

// Every node restarts in a running network — the municipalities first, one
// CS's pool request and the grant answering it crossing its start's check,
// then the national server with a pool request waiting for the answers:
// nothing is taken for a restore, no pool is discarded, and codes are drawn
// and granted again.
func TestGrantCountsNoFalseAlarm(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, func(c *MunicipalityConfig) { c.PoolLow, c.PoolBatch = 2, 6 })
			for i := range 6 {
				nthChild(t, n.muni[hofu], i)
				n.run()
			}
			munis := []jukinet.LGCode{hofu, yamaguchi, kurume}
			sizes := map[jukinet.LGCode]int{}
			for _, id := range munis {
				m := n.muni[id]
				if id == hofu {
					if err := m.RequestCodePool(as(jukinet.SystemActor("test"))); err != nil {
						t.Fatal(err)
					}
				}
				if err := m.CheckCodePool(as(jukinet.SystemActor("node-start"))); err != nil {
					t.Fatal(err)
				}
				sizes[id], _ = m.PoolSize(t.Context())
			}
			n.run()
			// … then the national server, with a pool request waiting for
			// every municipality's answer.
			if err := n.national.CheckGrantCounts(as(jukinet.SystemActor("node-start")), munis); err != nil {
				t.Fatal(err)
			}
			if err := n.muni[yamaguchi].RequestCodePool(as(jukinet.SystemActor("test"))); err != nil {
				t.Fatal(err)
			}
			n.run()
			n.noRejections()
			for id, nd := range n.nodes {
				if got := restoreDetected(t, nd.db); len(got) != 0 {
					t.Errorf("%s found a restore: %s", id, got[0].Detail)
				}
			}
			for _, id := range munis {
				if after, _ := n.muni[id].PoolSize(t.Context()); after < sizes[id] {
					t.Errorf("%s's pool went from %d to %d", id, sizes[id], after)
				}
				if v, err := n.nodes[string(id)].db.Meta(t.Context(), codesCheckKey); err != nil || v != "" {
					t.Errorf("%s's check still pending: %q, %v", id, v, err)
				}
			}
			if v, err := n.nodes[network.NationalID].db.Meta(t.Context(), codesTallyKey); err != nil || v != "" {
				t.Errorf("the national server's check still pending: %q, %v", v, err)
			}
			for i := 6; i < 12; i++ {
				nthChild(t, n.muni[hofu], i)
				n.run()
			}
			n.noRejections()
		})
	}
}

// A grant whose count skips grants this CS never received finds the
// restore even when no start's check did (a pool request queued before the
// check brought the count up to date): the stale pool goes, the grant's
// codes stay. The next grant in order finds nothing.
func TestGrantSkippingCountsFindsRestore(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			db, m := n.nodes[string(hofu)].db, n.muni[hofu]
			grant := func(grants int64, first10 string) {
				t.Helper()
				body, err := json.Marshal(CodePoolGrant{Municipality: hofu, Codes: []jukinet.ResidentCode{codeOf(t, first10)}, Grants: grants})
				if err != nil {
					t.Fatal(err)
				}
				env := n.envelope(n.nodes[network.NationalID], network.KindResidentCodePoolGrant, string(hofu), "", 0, body)
				if err := db.Update(as(jukinet.SystemActor("network")), store.Op{Operation: jukinet.OpNetworkReceive}, func(tx *store.Tx) error {
					return m.municipalityCodePoolGrant(tx, env)
				}); err != nil {
					t.Fatal(err)
				}
			}
			grant(2, "9999999990") // the next grant after fillPools' first: in order
			if got := restoreDetected(t, db); len(got) != 0 {
				t.Fatalf("a grant in order found a restore: %s", got[0].Detail)
			}
			before, _ := m.PoolSize(t.Context())
			grant(4, "9999999980") // grant 3 never arrived here
			if got := restoreDetected(t, db); len(got) != 1 {
				t.Fatalf("records of the restore after a grant that skips one: %d, want 1", len(got))
			}
			if after, _ := m.PoolSize(t.Context()); before < 2 || after != 1 {
				t.Errorf("pool %d before, %d after the grant that skips one; want the grant's 1 code only", before, after)
			}
		})
	}
}

func TestCodeTallyBodiesValidate(t *testing.T) {
	run := "0195f3a1-7c2e-7b3d-8a4f-1234567890ab"
	for _, tc := range []struct {
		name  string
		err   error
		field string
	}{
		{"tally without run", CodeTally{Municipality: hofu}.Validate(), "run"},
		{"tally of a prefecture", CodeTally{Run: run, Municipality: "350001"}.Validate(), "municipality"},
		{"tally below zero", CodeTally{Run: run, Municipality: hofu, Grants: -1}.Validate(), "grants"},
		{"tally beyond the code space", CodeTally{Run: run, Municipality: hofu, Grants: maxGrants + 1}.Validate(), "grants"},
		{"request without run", CodeTallyRequest{}.Validate(), "run"},
		{"pool request below zero", CodePoolRequest{Municipality: hofu, Count: 1, Grants: -1}.Validate(), "grants"},
		{"grant below zero", CodePoolGrant{Municipality: hofu, Codes: []jukinet.ResidentCode{codeOf(t, "1234567890")}, Grants: -1}.Validate(), "grants"},
		{"report below zero", CodeReport{Run: run, Municipality: hofu, Part: 1, Parts: 1, Grants: -1}.Validate(), "grants"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if jukinet.ErrorKind(tc.err) != jukinet.KindInvalid || jukinet.ErrorField(tc.err) != tc.field {
				t.Errorf("Validate = %v (field %q); want invalid %s", tc.err, jukinet.ErrorField(tc.err), tc.field)
			}
		})
	}
	if err := (CodeTally{Run: run, Municipality: hofu, Grants: 3}).Validate(); err != nil {
		t.Errorf("Validate(valid tally) = %v, want nil", err)
	}
}

func FuzzCodeTallyDecode(f *testing.F) {
	f.Add([]byte(`{"run":"0195f3a1-7c2e-7b3d-8a4f-1234567890ab","municipality":"352063","grants":3}`))
	f.Add([]byte(`{"run":"0195f3a1-7c2e-7b3d-8a4f-1234567890ab"}`))
	f.Add([]byte(`{"run":"x","municipality":"350001","grants":-1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		env := &network.Envelope{Kind: network.KindResidentCodeTally, From: "352063", Body: body}
		var b CodeTally
		if Decode(env, &b) == nil && b.Validate() == nil {
			if b.Grants < 0 || b.Grants > maxGrants || b.Municipality.IsPrefecture() || !jukinet.ValidLGCode(string(b.Municipality)) {
				t.Fatalf("a tally %+v validated", b)
			}
		}
		var q CodeTallyRequest
		if Decode(env, &q) == nil && q.Validate() == nil && q.Run == "" {
			t.Fatalf("a request without run validated: %+v", q)
		}
	})
}

// unmark removes the mark `jukinet backup` wrote in the copy at cfg, as an
// operator restoring it by hand would leave it unmarked.
func unmark(t *testing.T, cfg store.Config) {
	t.Helper()
	db, err := store.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(as(jukinet.SystemActor("test")), store.Op{Operation: jukinet.OpCodePoolRequest, Detail: "test: the backup's mark removed"}, func(tx *store.Tx) error {
		return tx.DeleteMeta(store.BackupTakenKey)
	}); err != nil {
		t.Fatal(err)
	}
}
