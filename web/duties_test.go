package web

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"github.com/jukinet/jukinet/store"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
)

// TestHTTPNoImpersonationNoSelfApproval walks, over real TLS, the attacks
// on the separation of duties (G13): the アクセス管理 operator tries to put
// their own finger on a clerk's 照合ID and log in as the clerk, and role
// holders try to approve their own authority. Each is refused, the
// operation log has the refusal, and the victim's account is intact.
func TestHTTPNoImpersonationNoSelfApproval(t *testing.T) {
	fx := newGovFixture(t)
	const victim = demo.DemoClerk
	admin := fx.login(t, demo.DemoAccessAdmin, demo.OperatorID(demo.DemoAccessAdmin, jukinet.AuthorityAccessAdmin))
	mine := hex.EncodeToString(func() []byte { r := fx.reader.Genuine(demo.DemoAccessAdmin, 0); return r[:] }())
	refused := func(t *testing.T) int {
		t.Helper()
		var n int
		if err := fx.db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM oplog WHERE operation IN ($1, $2) OR result <> 'ok'`, string(jukinet.OpAccessRefused), string(jukinet.OpGovRefused)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	template := func(t *testing.T, id string) string {
		t.Helper()
		var b []byte
		if err := fx.db.Bookkeeping(store.Inspect).QueryRow(`SELECT template FROM access_templates WHERE collation_id = $1`, id).Scan(&b); err != nil {
			t.Fatal(err)
		}
		return hex.EncodeToString(b)
	}
	before := template(t, victim)

	head := fx.login(t, demo.DemoCitizenHead, opCitizenHead)
	headAdmin := fx.login(t, demo.DemoCitizenHead, demo.OperatorID(demo.DemoCitizenHead, jukinet.AuthorityAccessAdmin))
	// A genuine decision about the admin, to show that even with one the
	// admin cannot give it to themself.
	d := fx.postJSON(t, head, "/api/gov/access-decide", `{"kind":"assign","collation_id":"C-ADMIN","authority":"audit","reason":"監査事務の兼務"}`)
	if d.status != http.StatusOK {
		t.Fatalf("access-decide about the admin: %d %s", d.status, d.body)
	}
	var decision struct{ ID string }
	if err := json.Unmarshal([]byte(d.body), &decision); err != nil || decision.ID == "" {
		t.Fatalf("decision answer %q: %v", d.body, err)
	}

	for _, tc := range []struct {
		name   string
		send   func() answer
		status int
		want   string // in the page or answer
	}{
		{"enrol the admin's finger over the clerk's 照合情報", func() answer {
			return fx.post(t, admin, "/admin/operators/"+victim+"/enroll", url.Values{"reading": {mine}})
		}, http.StatusConflict, "照合情報"},
		{"re-enrol the clerk with the admin's finger as the current reading", func() answer {
			return fx.post(t, admin, "/admin/operators/"+victim+"/reenroll", url.Values{"reading": {mine}, "current_reading": {mine}})
		}, http.StatusUnauthorized, `class="alert" role="alert"`},
		{"replace as lost with the admin as their own second", func() answer {
			return fx.post(t, admin, "/admin/operators/"+victim+"/replace", url.Values{"reading": {mine}, "decision_id": {"D-NONE"}, "second_collation_id": {demo.DemoAccessAdmin}, "second_reading": {mine}})
		}, http.StatusForbidden, `class="alert" role="alert"`},
		{"the admin assigns themself a 操作者ID with a real decision", func() answer {
			return fx.post(t, admin, "/admin/operators/"+demo.DemoAccessAdmin+"/assign", url.Values{"authority": {"audit"}, "scope": {"node"}, "valid_until": {jukinet.Today(fx.db.Now()).AddDays(30).String()}, "decision_id": {decision.ID}})
		}, http.StatusForbidden, "自分"},
		{"the セキュリティ責任者 decides about themself", func() answer {
			return fx.postJSON(t, head, "/api/gov/access-decide", `{"kind":"assign","collation_id":"C-CITIZEN-HEAD","authority":"audit","reason":"兼務"}`)
		}, http.StatusForbidden, "collation_id"},
		{"the セキュリティ責任者, also アクセス管理責任者, assigns to themself", func() answer {
			return fx.post(t, headAdmin, "/admin/operators/"+demo.DemoCitizenHead+"/assign", url.Values{"authority": {"audit"}, "scope": {"node"}, "valid_until": {jukinet.Today(fx.db.Now()).AddDays(30).String()}, "decision_id": {decision.ID}})
		}, http.StatusForbidden, "自分"},
		{"the admin records a decision (not the セキュリティ責任者)", func() answer {
			return fx.postJSON(t, admin, "/api/gov/access-decide", `{"kind":"assign","collation_id":"C-CLERK","authority":"access_admin","reason":"x"}`)
		}, http.StatusForbidden, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := refused(t)
			a := tc.send()
			if a.status != tc.status || !strings.Contains(a.body, tc.want) {
				t.Errorf("got %d, want %d with %q:\n%.600s", a.status, tc.status, tc.want, a.body)
			}
			if refused(t) <= n {
				t.Errorf("the refusal is not in the operation log")
			}
		})
	}
	if template(t, victim) != before {
		t.Errorf("the victim's 照合情報 changed")
	}
	// The admin's finger does not open the victim's account over the reader
	// agent's route; the victim's own does.
	c := fx.client(t)
	if a := fx.post(t, c, "/login/reading", url.Values{"collation_id": {victim}, "reading": {mine}}); a.status != http.StatusUnauthorized {
		t.Errorf("login as the victim with the admin's finger: got %d, want 401", a.status)
	}
	fx.login(t, victim, opClerkLookup)
	var used int
	if err := fx.db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM gov_access_decisions WHERE used_at <> 0`).Scan(&used); err != nil || used != 0 {
		t.Errorf("decisions spent by refused acts: %d (%v)", used, err)
	}
}

// TestHTTPConsoleToken: an operator issues a console token from their
// session over TLS; it stands for that operator once.
func TestHTTPConsoleToken(t *testing.T) {
	fx := newGovFixture(t)
	auditor := fx.login(t, demo.DemoAuditor, opAuditor)
	a := fx.post(t, auditor, "/console-token", url.Values{})
	m := regexp.MustCompile(`<code id="console-token">([A-Za-z0-9_-]{43})</code>`).FindStringSubmatch(a.body)
	if a.status != http.StatusOK || m == nil {
		t.Fatalf("issue: %d, no token in %.400s", a.status, a.body)
	}
	actor, err := fx.auth.RedeemConsoleToken(context.Background(), m[1], "alice", "cs01")
	if err != nil || actor.CollationID != demo.DemoAuditor || actor.OperatorID != opAuditor {
		t.Fatalf("redeem: %+v, %v", actor, err)
	}
	if _, err := fx.auth.RedeemConsoleToken(context.Background(), m[1], "alice", "cs01"); !jukinet.IsKind(err, jukinet.KindUnauthorized) {
		t.Errorf("second redemption: %v, want unauthorized", err)
	}
	if a := fx.post(t, fx.client(t), "/console-token", url.Values{}); a.status != http.StatusUnauthorized {
		t.Errorf("issue without a session: %d, want 401", a.status)
	}
}
