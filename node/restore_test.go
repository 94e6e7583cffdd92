package node

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
)

// A CS restored from a backup (jukinet backup, store.DB.Backup) holds the
// resident-code pool as it was at the backup, with the codes issued since
// then back in it. The restored node issues no code before it has started,
// and at start it discards the pool and asks for a fresh grant: no code is
// issued twice. SQLite only: the backup command copies SQLite databases.
func TestRestoredBackupIssuesNoCodeTwice(t *testing.T) {
	n := newTestNet(t, store.SQLite, func(c *MunicipalityConfig) { c.PoolLow, c.PoolBatch = 2, 12 })
	m := n.muni[hofu]
	live := n.nodes[string(hofu)].db
	issued := map[jukinet.ResidentCode]bool{}
	child := func(m *Municipality, i int) *register.Resident {
		return birth(t, m, "子\u3000"+string(rune('あ'+i)), "コ\u3000"+string(rune('ア'+i)), "2026-11-01", "")
	}
	issued[child(m, 0).ResidentCode] = true
	n.run()
	out := filepath.Join(t.TempDir(), "352063-backup.db")
	if err := live.Backup(t.Context(), out); err != nil {
		t.Fatal(err)
	}
	var afterBackup []jukinet.ResidentCode
	for i := 1; i <= 5; i++ {
		c := child(m, i).ResidentCode
		issued[c], afterBackup = true, append(afterBackup, c)
		n.run()
	}
	n.noRejections()

	// The restore: the node's database is the backup again.
	db, err := store.Open(t.Context(), store.Config{Path: out, Node: string(hofu), Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	restored, err := NewMunicipality(db, MunicipalityConfig{Municipality: hofu, PoolLow: 2, PoolBatch: 12,
		DomicileCodes: map[string]jukinet.LGCode{"山口県防府市": hofu, "山口県山口市": yamaguchi, "福岡県久留米市": kurume}})
	if err != nil {
		t.Fatal(err)
	}
	stale := 0
	for _, c := range afterBackup {
		var k int
		if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM flow_code_pool WHERE code = $1`, string(c)).Scan(&k); err != nil {
			t.Fatal(err)
		}
		stale += k
	}
	if stale != len(afterBackup) {
		t.Fatalf("the backup's pool holds %d of the %d codes issued after it; the test needs all", stale, len(afterBackup))
	}
	if _, err := restored.Register().Birth(as(clerk), register.BirthInput{PersonInput: register.PersonInput{Name: jukinet.Name{Kanji: "早\u3000すぎ", Kana: "ハヤ\u3000スギ"},
		BirthDate: mustDate(t, "2026-11-01"), Sex: jukinet.SexMale}, AddressText: townOf(hofu) + "1番1号"}); jukinet.ErrorKind(err) != jukinet.KindUnavailable {
		t.Fatalf("birth on the restored database before the node started: %v, want unavailable", err)
	}
	if err := restored.EnsureCodePool(as(jukinet.SystemActor("node-start"))); err != nil {
		t.Fatal(err)
	}
	if left, err := restored.PoolSize(t.Context()); err != nil || left != 0 {
		t.Fatalf("pool after the restored node started: %d, %v; want the stale codes discarded", left, err)
	}
	if v, err := db.Meta(t.Context(), store.BackupTakenKey); err != nil || v != "" {
		t.Errorf("the backup marker is still there after the start: %q, %v", v, err)
	}
	n.nodes[string(hofu)].db, n.nodes[string(hofu)].handlers, n.muni[hofu] = db, restored.Handlers(), restored
	n.run()
	n.noRejections()
	for i := 6; i < 6+15; i++ {
		c := child(restored, i).ResidentCode
		if issued[c] {
			t.Fatalf("code %s issued a second time after the restore", c)
		}
		issued[c] = true
		n.run()
	}
	n.noRejections()
	// A second start finds no marker and keeps its pool.
	before, _ := restored.PoolSize(t.Context())
	if err := restored.EnsureCodePool(as(jukinet.SystemActor("node-start"))); err != nil {
		t.Fatal(err)
	}
	if after, _ := restored.PoolSize(t.Context()); after != before {
		t.Errorf("a second start changed the pool: %d → %d", before, after)
	}
}
