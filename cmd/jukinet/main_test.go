package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
)

// exec runs the command in-process and returns its exit code and output.
func exec(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	code = report(err, &errb)
	return code, out.String(), errb.String()
}

func TestCheckExamplesAndEveryOneDigitChange(t *testing.T) {
	for _, c := range []struct{ kind, value string }{
		{"mynumber", "123456789018"}, {"mynumber", "983205673214"}, {"lgcode", "352063"}, {"lgcode", "131016"},
	} {
		if code, _, stderr := exec(t, "", "check", c.kind, c.value); code != 0 {
			t.Errorf("check %s %s: exit %d (%s), want 0", c.kind, c.value, code, stderr)
		}
		for i := range c.value {
			for d := byte('0'); d <= '9'; d++ {
				if d == c.value[i] {
					continue
				}
				v := []byte(c.value)
				v[i] = d
				code, _, stderr := exec(t, "", "check", c.kind, string(v))
				if code != 1 || stderr == "" {
					t.Errorf("check %s %s: exit %d, stderr %q; want 1 with a reason", c.kind, v, code, stderr)
				}
			}
		}
	}
}

func TestCheckUsage(t *testing.T) {
	for _, args := range [][]string{{"check"}, {"check", "mynumber"}, {"check", "passport", "1"}, {"no-such-command"}, {}} {
		if code, _, _ := exec(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

const csvHeader = "resident_code,individual_number,kanji,kana,former_surname,former_surname_kana,alias,alias_kana,birth_date,sex,address_text,address_since,resident_since,household_id,relationship,domicile,domicile_head,card_holder\n"

func TestImportRefusesBadRowsUnlessSkipping(t *testing.T) {
	db, keys := governedNode(t)
	dir := t.TempDir()
	sys := func() []string { return tokenArgs(t, db, "352063", keys, 1, "C-SYSADM", jukinet.AuthoritySystemAdmin) }
	good := "12345678903,123456789018,山田　花子,ヤマダ　ハナコ,,,,,1985-04-02,female,山口県防府市松崎町1丁目2番3号,2020-01-01,2020-01-01,H1,世帯主,山口県防府市松崎町1番地,山田　花子,1\n"
	bad := "23456789013,,山田　太郎,ヤマダ　タロウ,,,,,1985-13-02,male,山口県防府市松崎町1丁目2番3号,2020-01-01,2020-01-01,H2,世帯主,,,0\n"
	file := filepath.Join(dir, "in.csv")
	os.WriteFile(file, []byte(csvHeader+good+bad), 0o600)

	code, _, stderr := exec(t, "", append(append([]string{"import", "--db", db}, sys()...), file)...)
	if code != 1 || !strings.Contains(stderr, "line 3") || !strings.Contains(stderr, "birth_date") {
		t.Fatalf("import with a bad row: exit %d, stderr %q; want 1 naming line 3 and birth_date", code, stderr)
	}
	code, out, stderr := exec(t, "", append([]string{"export", "--db", db, "--purpose", "test"}, sys()...)...)
	if code != 0 || strings.Count(out, "\n") != 1 {
		t.Fatalf("after a refused import the register must be empty: exit %d, %q %q", code, out, stderr)
	}
	code, out, stderr = exec(t, "", append(append([]string{"import", "--db", db, "--skip-invalid"}, sys()...), file)...)
	if code != 0 || !strings.Contains(out, "imported 1 residents") || !strings.Contains(out, "skipped line 3: birth_date") {
		t.Fatalf("import --skip-invalid: exit %d, out %q, err %q", code, out, stderr)
	}
}

func TestExportImportRoundTripShiftJIS(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := exec(t, "", "demo", "--data", dir, "--residents", "300", "--exit"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	out := filepath.Join(dir, "out.csv")
	// The synthetic names (including 髙, 﨑 and U+FA19) are all in Shift_JIS
	// (CP932): the export must succeed.
	hofu := filepath.Join(dir, "352063.db")
	tok := tokenArgs(t, hofu, "352063", filepath.Join(dir, "352063"), demo.ReaderSeed, "C-SYSADM", jukinet.AuthoritySystemAdmin)
	code, _, stderr := exec(t, "", append(append([]string{"export", "--db", hofu, "--purpose", "round trip", "--encoding", "sjis"}, tok...), out)...)
	if code != 0 {
		t.Fatalf("export sjis: exit %d: %s", code, stderr)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
		t.Errorf("export file mode %v, want 0600", fi.Mode().Perm())
	}
	copyDB, copyKeys := governedNode(t)
	code, res, stderr := exec(t, "", append(append([]string{"import", "--db", copyDB, "--encoding", "sjis", "--json"}, tokenArgs(t, copyDB, "352063", copyKeys, 1, "C-SYSADM", jukinet.AuthoritySystemAdmin)...), out)...)
	if code != 0 {
		t.Fatalf("re-import: %s", stderr)
	}
	var r struct{ Imported int }
	json.Unmarshal([]byte(res), &r)
	if r.Imported != 300 {
		t.Errorf("re-imported %d, want 300", r.Imported)
	}
}

func TestRegisterEventFromJSON(t *testing.T) {
	db, keys := governedNode(t)
	clerk := func(a jukinet.Authority) []string { return tokenArgs(t, db, "352063", keys, 1, "C-CLERK", a) }
	// A database with no resident-code pool granted by the national server
	// cannot make a new code (法30条の2): a birth is refused, nothing drawn locally.
	in := `{"name":{"kanji":"防府　太郎","kana":"ホウフ　タロウ"},"birth_date":"2026-11-01","sex":"male","address_text":"山口県防府市寿町7番1号"}`
	if code, _, stderr := exec(t, in, append([]string{"register", "birth", "--db", db}, clerk(jukinet.AuthorityRecord)...)...); code != 1 || !strings.Contains(stderr, "pool") {
		t.Fatalf("birth without a code pool: exit %d, %q; want a refusal naming the pool", code, stderr)
	}
	code, out, stderr := exec(t, moveIn(t, "防府　太郎", "ホウフ　タロウ"), append([]string{"register", "move-in", "--db", db}, clerk(jukinet.AuthorityRecord)...)...)
	if code != 0 {
		t.Fatalf("move-in: exit %d: %s", code, stderr)
	}
	var r struct {
		ResidentCode string `json:"resident_code"`
		Version      int    `json:"version"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || len(r.ResidentCode) != 11 || r.Version != 1 {
		t.Fatalf("move-in output %q: %v", out, err)
	}
	code, _, stderr = exec(t, `{"resident_code":"`+r.ResidentCode+`","date":"2026-11-20"}`, append([]string{"register", "death", "--db", db}, clerk(jukinet.AuthorityLookup)...)...)
	if code != 1 || !strings.Contains(stderr, "not allowed") {
		t.Errorf("death by a lookup authority: exit %d, %q; want refusal", code, stderr)
	}
	code, _, stderr = exec(t, `{"resident_code":"`+r.ResidentCode+`","dat":"2026-11-20"}`, append([]string{"register", "death", "--db", db}, clerk(jukinet.AuthorityRecord)...)...)
	if code != 1 || !strings.Contains(stderr, "json") {
		t.Errorf("unknown JSON field: exit %d, %q; want an error naming json", code, stderr)
	}
}

// benchJSON runs `jukinet bench WHAT ARGS… --json` and returns its one
// JSON object.
func benchJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	code, out, stderr := exec(t, "", append(append([]string{"bench"}, args...), "--json")...)
	if code != 0 {
		t.Fatalf("bench %v: exit %d: %s", args, code, stderr)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("output is not one JSON object: %v: %q", err, out)
	}
	return r
}

func TestBenchBiometricJSON(t *testing.T) {
	r := benchJSON(t, "biometric", "--quick")
	for _, k := range []string{"frr_at_20pct", "far_at_40pct", "verify_ms"} {
		if _, ok := r[k].(float64); !ok {
			t.Errorf("figure %s missing or not a number in %v", k, r)
		}
	}
	if r["far_at_40pct"].(float64) > 1e-6 || r["frr_at_20pct"].(float64) > 0.005 {
		t.Errorf("accuracy outside the targets: %v", r)
	}
}

// bench oplog --json prints the figures (append_per_s,
// verify_per_s) and those of record runs, each a positive rate.
func TestBenchOplogJSON(t *testing.T) {
	r := benchJSON(t, "oplog", "--quick")
	for _, k := range []string{"append_per_s", "verify_per_s", "append_run_per_s", "verify_run_per_s"} {
		if v, ok := r[k].(float64); !ok || v <= 0 {
			t.Errorf("figure %s missing or not a positive number in %v", k, r)
		}
	}
	if n, _ := r["verify_run_records"].(float64); n < 30000 {
		t.Errorf("the log of runs verified %v records, want at least 30,000", r["verify_run_records"])
	}
}

// jukinet demo --scenario drives every flow over the real loopback network
// and exits 0 only if each one passed.
func TestDemoScenarioPassesEveryFlow(t *testing.T) {
	code, out, stderr := exec(t, "", "demo", "--data", t.TempDir(), "--residents", "200", "--scenario")
	if code != 0 {
		t.Fatalf("demo --scenario: exit %d\n%s\n%s", code, out, stderr)
	}
	for _, flow := range []string{"identity.notify", "movein.notice", "特例転入 of a household", "copy.request", "annex.notice", "mynumber", "linkcode", "card.status", "rescode.pool", "national.provide", "support.measure"} {
		if !strings.Contains(out, "PASS "+flow) {
			t.Errorf("no PASS line for %s in:\n%s", flow, out)
		}
	}
}

// A name that Shift_JIS cannot hold (𠮷, U+20BB7) is refused in a Shift_JIS
// export with a message naming the column, instead of being altered.
func TestExportShiftJISRefusesUnencodableName(t *testing.T) {
	db, keys := governedNode(t)
	dir := t.TempDir()
	tok := func(id string, a jukinet.Authority) []string { return tokenArgs(t, db, "352063", keys, 1, id, a) }
	if code, _, stderr := exec(t, moveIn(t, "𠮷田　一", "ヨシダ　ハジメ"), append([]string{"register", "move-in", "--db", db}, tok("C-CLERK", jukinet.AuthorityRecord)...)...); code != 0 {
		t.Fatalf("move-in: %s", stderr)
	}
	code, _, stderr := exec(t, "", append(append([]string{"export", "--db", db, "--purpose", "test", "--encoding", "sjis"}, tok("C-SYSADM", jukinet.AuthoritySystemAdmin)...), filepath.Join(dir, "out.csv"))...)
	if code != 1 || !strings.Contains(stderr, "kanji") || !strings.Contains(stderr, "Shift_JIS") {
		t.Errorf("export of 𠮷 in Shift_JIS: exit %d, %q; want 1 naming kanji and Shift_JIS", code, stderr)
	}
	if code, out, _ := exec(t, "", append([]string{"export", "--db", db, "--purpose", "test"}, tok("C-SYSADM", jukinet.AuthoritySystemAdmin)...)...); code != 0 || !strings.Contains(out, "\U00020BB7") {
		t.Errorf("UTF-8 export must keep 𠮷 verbatim: exit %d", code)
	}
}

// moveIn is the JSON of a 国内転入 from 久留米市 to 防府市 of a person with a
// fresh resident code.
func moveIn(t *testing.T, kanji, kana string) string {
	t.Helper()
	code, err := jukinet.NewResidentCode(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return `{"name":{"kanji":"` + kanji + `","kana":"` + kana + `"},"birth_date":"1990-11-01","sex":"male","resident_code":"` + string(code) +
		`","move_in_date":"2026-11-20","previous_address":{"lg_code":"402036","text":"福岡県久留米市城南町1番1号"},"address_text":"山口県防府市寿町7番1号"}`
}

// import, export and register take the node from the database itself: a
// database of 山口市 (352012) opened without --node stores and reads its
// rows as 山口市's, and --node naming another node is refused with nothing
// written (not stored under 防府市's code as the old default did).
func TestCommandsTakeTheNodeFromTheDatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "yamaguchi.db")
	row := "12345678903,,山口　花子,ヤマグチ　ハナコ,,,,,1985-04-02,female,山口県山口市亀山町1番1号,2020-01-01,2020-01-01,H1,世帯主,,,0\n"
	file := filepath.Join(dir, "in.csv")
	os.WriteFile(file, []byte(csvHeader+row), 0o600)
	if code, _, stderr := exec(t, "", "import", "--db", db, file); code != 2 && code != 1 || !strings.Contains(stderr, "node") {
		t.Fatalf("import into a new database with no node: exit %d, %q; want a refusal naming node", code, stderr)
	}
	// 山口市's operators and their designations (G16-2.1); each command
	// below acts with a console token of one of them.
	keys := filepath.Join(dir, "keys")
	seedOperatorsAt(t, db, "352012", keys)
	handlersAt(t, db, "352012")
	as := func(id string, a jukinet.Authority) []string { return tokenArgs(t, db, "352012", keys, 1, id, a) }
	if code, _, stderr := exec(t, "", append(append([]string{"import", "--db", db, "--node", "352012"}, as("C-SYSADM", jukinet.AuthoritySystemAdmin)...), file)...); code != 0 {
		t.Fatalf("import --node 352012: exit %d: %s", code, stderr)
	}
	if code, _, stderr := exec(t, "", append(append([]string{"import", "--db", db, "--node", "352063"}, as("C-SYSADM", jukinet.AuthoritySystemAdmin)...), file)...); code == 0 || !strings.Contains(stderr, "belongs to node 352012") {
		t.Errorf("import --node 352063 into 352012's database: exit %d, %q; want a refusal", code, stderr)
	}
	code, out, stderr := exec(t, "", append([]string{"export", "--db", db, "--purpose", "test"}, as("C-SYSADM", jukinet.AuthoritySystemAdmin)...)...)
	if code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(out, "山口　花子") {
		t.Fatalf("export without --node: exit %d, %q %q; want the one resident", code, out, stderr)
	}
	// A 転入 to 山口市's address is 山口市's to record (another city's address is refused).
	in := strings.ReplaceAll(moveIn(t, "山口　次郎", "ヤマグチ　ジロウ"), "山口県防府市寿町7番1号", "山口県山口市亀山町1番1号")
	code, res, stderr := exec(t, in, append([]string{"register", "move-in", "--db", db}, as("C-CLERK", jukinet.AuthorityRecord)...)...)
	if code != 0 || !regexp.MustCompile(`"lg_code": "352012",\s+"text": "山口県山口市`).MatchString(res) {
		t.Errorf("move-in without --node: exit %d, %s %s; want a resident of 352012", code, res, stderr)
	}
}

// register --network resolves a 本籍 as serve does, from the network
// description: a 転入 to 防府市 of a person whose 本籍 is in 山口市 queues the
// 附票 notice to 352012; without --network no municipality is known for it.
func TestRegisterResolvesDomicileFromNetwork(t *testing.T) {
	dir := t.TempDir()
	const key = "ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	desc := "[[node]]\nid = \"national\"\nkind = \"national\"\nname = \"全国サーバ\"\nnetwork_addr = \"127.0.0.1:1\"\nsigning_key = \"" + key + "\"\n" +
		"[[node]]\nid = \"350001\"\nkind = \"prefecture\"\nname = \"山口県\"\nnetwork_addr = \"127.0.0.1:2\"\nsigning_key = \"" + key + "\"\n" +
		"[[node]]\nid = \"352063\"\nkind = \"municipality\"\nname = \"防府市\"\nprefecture = \"350001\"\nnetwork_addr = \"127.0.0.1:3\"\nsigning_key = \"" + key + "\"\n" +
		"[[node]]\nid = \"352012\"\nkind = \"municipality\"\nname = \"山口市\"\nprefecture = \"350001\"\nnetwork_addr = \"127.0.0.1:4\"\nsigning_key = \"" + key + "\"\n"
	netFile := filepath.Join(dir, "network.toml")
	os.WriteFile(netFile, []byte(desc), 0o600)
	withDomicile := func(kanji, kana string) string {
		return strings.Replace(moveIn(t, kanji, kana), `"sex":"male",`, `"sex":"male","domicile":"山口県山口市亀山町1番地","domicile_head":"`+kanji+`",`, 1)
	}
	annexNotices := func(db string) int {
		t.Helper()
		s, err := sql.Open("sqlite", db)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var n int
		if err := s.QueryRow(`SELECT COUNT(*) FROM outbox WHERE kind = 'annex.notice' AND dest = '352012'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	with, without := filepath.Join(dir, "a", "352063.db"), filepath.Join(dir, "b", "352063.db")
	clerk := func(db string) []string {
		keys := filepath.Join(filepath.Dir(db), "keys")
		if _, err := os.Stat(keys); err != nil {
			os.MkdirAll(filepath.Dir(db), 0o700)
			seedOperatorsAt(t, db, "352063", keys)
			governNode(t, db)
		}
		return tokenArgs(t, db, "352063", keys, 1, "C-CLERK", jukinet.AuthorityRecord)
	}
	if code, _, stderr := exec(t, withDomicile("防府　一郎", "ホウフ　イチロウ"), append([]string{"register", "move-in", "--db", with, "--network", netFile}, clerk(with)...)...); code != 0 {
		t.Fatalf("move-in --network: exit %d: %s", code, stderr)
	}
	if code, _, stderr := exec(t, withDomicile("防府　二郎", "ホウフ　ジロウ"), append([]string{"register", "move-in", "--db", without}, clerk(without)...)...); code != 0 {
		t.Fatalf("move-in: exit %d: %s", code, stderr)
	}
	if got := annexNotices(with); got != 1 {
		t.Errorf("with --network: %d 附票 notices to 352012, want 1", got)
	}
	if got := annexNotices(without); got != 0 {
		t.Errorf("without --network: %d 附票 notices to 352012, want 0", got)
	}
}
