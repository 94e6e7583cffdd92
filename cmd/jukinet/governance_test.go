package main

import (
	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/governance"

	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGovAndComplianceCommands(t *testing.T) {
	dir := t.TempDir()
	db, bioKeys := filepath.Join(dir, "352063.db"), filepath.Join(dir, "biometric-keys")
	seedOperatorsAt(t, db, "352063", bioKeys)
	as := func(id string) []string {
		return tokenArgs(t, db, "352063", bioKeys, 1, id, jukinet.AuthorityGovernance)
	}
	steps := []struct {
		name  string
		stdin string
		args  []string
		code  int
		out   string // substring of stdout (code 0) or stderr
	}{
		{"bootstrap GM", `{"role":"security_general_manager","collation_id":"C-DEPUTY-MAYOR","name":"防府 太郎","from":"2026-04-01"}`,
			[]string{"gov", "assign-role", "--db", db, "--system"}, 0, `"appointed_by": "system:setup"`},
		{"second bootstrap refused", `{"role":"security_general_manager","collation_id":"C-X","name":"x","from":"2026-05-01"}`,
			[]string{"gov", "assign-role", "--db", db, "--system"}, 1, "actor:"},
		{"wrong role refused", `{"role":"system_administrator","collation_id":"C-SYSADM","name":"x","from":"2026-04-01"}`,
			append([]string{"gov", "assign-role", "--db", db}, as("C-SYSADM")...), 1, "does not hold that role"},
		{"GM appoints", `{"role":"system_administrator","collation_id":"C-SYSADM","name":"x","from":"2026-04-01"}`,
			append([]string{"gov", "assign-role", "--db", db}, as("C-DEPUTY-MAYOR")...), 0, `"role": "system_administrator"`},
		{"role history (a read: no input)", ``,
			append([]string{"gov", "roles", "--db", db}, as("C-DEPUTY-MAYOR")...), 0, `"system_administrator"`},
		{"unknown field", `{"role":"asset_manager","bogus":1}`,
			append([]string{"gov", "assign-role", "--db", db}, as("C-DEPUTY-MAYOR")...), 1, "json"},
		{"unknown act", ``, []string{"gov", "dance", "--db", db}, 2, "unknown act"},
		{"bad format", ``, []string{"compliance", "report", "--db", db, "--format", "pdf"}, 2, "--format"},
		{"html", ``, []string{"compliance", "report", "--db", db, "--format", "html"}, 0, "<td>G20</td>"},
		{"text in Japanese", ``, []string{"compliance", "report", "--db", db, "--as-of", "2026-06-01"}, 0,
			"G4       充足 (met)　システム管理者（デジタル推進課長）\n         充足の条件：基準日に在任者がいる (gov_roles)\n         根拠：システム管理者：C-SYSADM"},
		{"html in Japanese", ``, []string{"compliance", "report", "--db", db, "--format", "html", "--as-of", "2026-06-01"}, 0, "<td>G4</td><td>システム管理者（デジタル推進課長）</td><td>基準日に在任者がいる (gov_roles)</td><td>充足</td>"},
	}
	for _, s := range steps {
		code, stdout, stderr := exec(t, s.stdin, s.args...)
		where := stdout
		if s.code != 0 {
			where = stderr
		}
		if code != s.code || !strings.Contains(where, s.out) {
			t.Errorf("%s: jukinet %s: exit %d, stdout %q, stderr %q; want exit %d with %q", s.name, strings.Join(s.args, " "), code, stdout, stderr, s.code, s.out)
		}
	}
	code, stdout, stderr := exec(t, "", "compliance", "report", "--db", db, "--json", "--as-of", "2026-06-01")
	if code != 0 {
		t.Fatalf("compliance --json: exit %d, %s", code, stderr)
	}
	var rep struct {
		AsOf     string `json:"as_of"`
		Findings []struct {
			ID, Status string
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("compliance --json output: %v", err)
	}
	status := map[string]string{}
	for _, f := range rep.Findings {
		status[f.ID] = f.Status
	}
	// G3 needs a meeting the holder chaired; G12.1 is a live check and no key
	// directory was given.
	if rep.AsOf != "2026-06-01" || status["G3"] != "evidence-missing" || status["G4"] != "met" || status["G5"] != "evidence-missing" || status["G12.1"] != "not-checked" || len(rep.Findings) != 47 {
		t.Errorf("report as of %s: G3 %s G4 %s G5 %s G12.1 %s, %d findings; want 2026-06-01, evidence-missing, met, evidence-missing, not-checked, 47",
			rep.AsOf, status["G3"], status["G4"], status["G5"], status["G12.1"], len(rep.Findings))
	}
	// The live check of G12.1 with --keys: met while the key and the database
	// are closed to others, evidence-missing once the key is readable by all.
	keys := filepath.Join(t.TempDir(), "keys")
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(keys, "node.key"), []byte("k"), 0o600); err != nil {
		t.Fatal(err)
	}
	g121 := func() string {
		code, stdout, stderr := exec(t, "", "compliance", "report", "--db", db, "--json", "--keys", keys)
		if code != 0 {
			t.Fatalf("compliance --keys: exit %d, %s", code, stderr)
		}
		var rep struct {
			Findings []struct{ ID, Status string } `json:"findings"`
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		for _, f := range rep.Findings {
			if f.ID == "G12.1" {
				return f.Status
			}
		}
		return ""
	}
	if got := g121(); got != "met" {
		t.Errorf("G12.1 with a closed key directory and database: %s, want met", got)
	}
	if err := os.Chmod(filepath.Join(keys, "node.key"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := g121(); got != "evidence-missing" {
		t.Errorf("G12.1 with a key readable by all: %s, want evidence-missing", got)
	}
}

// TestGovCommandTakesEveryActOfTheRegistry: the command line's acts are the
// registry's (governance.Acts), every one named in the usage with its
// summary and accepted as an act (a bad flag, not an unknown act).
func TestGovCommandTakesEveryActOfTheRegistry(t *testing.T) {
	_, _, usage := exec(t, "", "gov")
	for _, a := range governance.Acts() {
		if !strings.Contains(usage, a.Name) || !strings.Contains(usage, a.Summary) {
			t.Errorf("gov usage does not list %s (%s):\n%s", a.Name, a.Summary, usage)
		}
		code, _, stderr := exec(t, "", "gov", a.Name, "--no-such-flag")
		if code != 2 || strings.Contains(stderr, "unknown act") || !strings.Contains(stderr, "no-such-flag") {
			t.Errorf("gov %s --no-such-flag: exit %d, %q; want the flag refused, the act known", a.Name, code, stderr)
		}
	}
	if n := strings.Count(usage, "\n  "); n != len(governance.Acts()) {
		t.Errorf("gov usage lists %d acts, the registry has %d:\n%s", n, len(governance.Acts()), usage)
	}
}
