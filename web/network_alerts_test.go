package web

import (
	"github.com/jukinet/jukinet/store"
	"strings"
	"testing"

	"github.com/jukinet/jukinet/demo"
)

// A dead letter — a message the receiver refused — is an alert on the
// network-status screen: its ID, kind, destination and reason, at the top.
func TestNetworkStatusAlertsDeadLetters(t *testing.T) {
	fx := newGovFixture(t)
	sys := fx.login(t, demo.DemoSysAdmin, opSysAdmin)
	if got := fx.get(t, sys, "/admin/network"); got.status != 200 || strings.Contains(got.body, `id="network-alerts"`) {
		t.Fatalf("network status without dead letters: %d, alert shown %v; want 200 and no alert", got.status, strings.Contains(got.body, `id="network-alerts"`))
	}
	const id = "01a24c53-36a2-7c4d-b2f0-f24fba58034c"
	now := fx.db.Now().UnixMicro()
	if _, err := fx.db.Bookkeeping(store.Inspect).Exec(`INSERT INTO outbox (id, kind, dest, body, created_at, state, attempts, last_error, done_at)
		VALUES ($1, 'movein.notice', '402036', $2, $3, 'rejected', 1, 'refused: municipality.movein.notice: resident_code: no record', $4)`,
		id, []byte(`{}`), now, now); err != nil {
		t.Fatal(err)
	}
	got := fx.get(t, sys, "/admin/network")
	at := strings.Index(got.body, `id="network-alerts"`)
	if got.status != 200 || at < 0 {
		t.Fatalf("network status with a dead letter: %d, no alert:\n%s", got.status, got.body)
	}
	alert, _, _ := strings.Cut(got.body[at:], "</div>")
	for _, want := range []string{id, "転入通知", "402036", "受信側の記録により拒否（municipality.movein.notice", "未達の通知が 1 件"} {
		if !strings.Contains(alert, want) {
			t.Errorf("alert lacks %q:\n%s", want, alert)
		}
	}
}
