package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jukinet/jukinet/network"
)

// The network-status screen shows the listener's refusals by peer and
// reason (in Japanese), as written by the node's RefusalLog.
func TestNetworkScreenShowsRefusals(t *testing.T) {
	fx := newFixture(t, 0)
	l := network.NewRefusalLog(fx.db, nil, nil)
	for range 3 {
		l.Refused("CN=rogue at 192.0.2.9", network.RefusalTLSUnknownAuthority, "x509: certificate signed by unknown authority")
	}
	l.Refused("352012", "forbidden_kind", "kind not allowed")
	if err := l.Flush(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	tok := fx.session(t, "C-SYSADM", "OP-SYSADM-system_admin")
	req := httptest.NewRequest("GET", "https://terminal/admin/network", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: tok})
	w := httptest.NewRecorder()
	fx.handler.ServeHTTP(w, req)
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("GET /admin/network: %d %s", w.Code, body)
	}
	for _, want := range []string{"<td>CN=rogue at 192.0.2.9</td><td>別の認証局の証明書</td><td>3</td>", "<td>352012</td><td>この送信元からは受け付けない種別</td><td>1</td>"} {
		if !strings.Contains(body, want) {
			t.Errorf("the network screen lacks %q", want)
		}
	}
}
