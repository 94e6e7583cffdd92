package web

import (
	"context"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/compliance"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/oplog"
)

// The compliance screen shows the report in Japanese: the headings, every
// rule, the evidence and due sentences and the statuses; no English rule
// is left.
func TestComplianceScreenIsJapanese(t *testing.T) {
	fx := newGovFixture(t)
	sys := fx.login(t, demo.DemoSysAdmin, opSysAdmin)
	got := fx.get(t, sys, "/admin/compliance")
	if got.status != 200 {
		t.Fatalf("GET /admin/compliance: %d\n%s", got.status, got.body)
	}
	body := html.UnescapeString(got.body)
	for _, want := range []string{
		"ガイドライン遵守状況", "充足の条件",
		"過去31日以内に隣接ノードの署名付き受領証を保存 (outbox_receipts)", // G2.1's rule
		"セキュリティ統括責任者：" + demo.DemoDeputyMayor,        // G3's evidence
		"未確認：鍵ディレクトリが与えられていない",                       // G12.1 without the node's facts
		"充足", "根拠なし", "未確認",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the compliance screen lacks %q", want)
		}
	}
	for _, english := range []string{"signed receipt", "in office on", "not checked", "within the past"} {
		if strings.Contains(body, english) {
			t.Errorf("the compliance screen still says %q in English", english)
		}
	}
}

// NewAdminLive's facts reach the report: a key directory whose key others
// may read turns G12.1 from not-checked to evidence-missing, naming the key.
func TestAdminComplianceRunsTheLiveChecks(t *testing.T) {
	fx := newGovFixture(t)
	keys := t.TempDir()
	if err := os.WriteFile(filepath.Join(keys, "node.key"), []byte("k"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: demo.DemoSysAdmin, OperatorID: opSysAdmin, Authority: jukinet.AuthoritySystemAdmin, Terminal: demo.TerminalID})
	g121 := func(a Admin) compliance.Finding {
		rep, err := a.Compliance(ctx, jukinet.Today(fx.db.Now()))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range rep.Findings {
			if f.ID == "G12.1" {
				return f
			}
		}
		t.Fatal("no G12.1")
		return compliance.Finding{}
	}
	if f := g121(NewAdmin(fx.db)); f.Status != compliance.StatusNotChecked {
		t.Errorf("G12.1 without live facts: %s, want not-checked", f.Status)
	}
	live := NewAdminLive(fx.db, oplog.Verifier{}, func() compliance.LiveFacts { return compliance.LiveFacts{KeyDir: keys} })
	if f := g121(live); f.Status != compliance.StatusEvidenceMissing || !strings.Contains(strings.Join(f.Due, "\n"), "node.key") {
		t.Errorf("G12.1 with a key readable by others: %s, due %q; want evidence-missing naming node.key", f.Status, f.Due)
	}
}
