package web

import (
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/store"
)

// TestLogStatusTamperJapanese: the log's verification page reports an
// untouched log as such, and a record whose leaf was changed in the
// database by its Japanese reason and the record's number, without the
// command line's English reason.
func TestLogStatusTamperJapanese(t *testing.T) {
	fx := newFixture(t, 5)
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	origin := oplog.Origin("jukinet.example", string(demo.Hofu.Code))
	logKey, err := oplog.NewVerifier(origin, pub)
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Config{Terminal: demo.TerminalID, Title: demo.Hofu.Name, Auth: fx.auth, Counter: fx.reg, Operators: fx.auth,
		Admin: NewAdminVerified(fx.db, oplog.Verifier{Origin: origin, Log: logKey}), Demo: true, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	handler := demo.VirtualReader(h, fx.reader)
	tok := fx.session(t, "C-AUDIT", "OP-AUDIT-audit")
	get := func() (int, string) {
		req := httptest.NewRequest("GET", "https://terminal/admin/log", nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: tok})
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, req)
		return w.Code, visibleText(w.Body.String())
	}
	if code, body := get(); code != http.StatusOK || !strings.Contains(body, "改ざんは検出されませんでした") {
		t.Fatalf("an untouched log: %d %q", code, body)
	}
	// The insider with the database file drops the guard and changes a
	// record's leaf (SQLite: the fixture's engine).
	if _, err := fx.db.Bookkeeping(store.Inspect).Exec(`DROP TRIGGER oplog_no_update`); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.db.Bookkeeping(store.Inspect).Exec(`UPDATE oplog SET leaf = leaf || 'x' WHERE idx = 3`); err != nil {
		t.Fatal(err)
	}
	code, body := get()
	if code != http.StatusOK || !strings.Contains(body, "改ざんを検出しました: 記録 3 以降") || !strings.Contains(body, oplog.ReasonChangedLeaf.Japanese()) {
		t.Errorf("a changed leaf: %d %q; want the record and %q", code, body, oplog.ReasonChangedLeaf.Japanese())
	}
	if strings.Contains(body, oplog.ReasonChangedLeaf.String()) || englishStatus.MatchString(body) {
		t.Errorf("a changed leaf: English on the page: %q", body)
	}
}
