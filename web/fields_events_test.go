package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/store"
)

// The counter's 国外転入: fields the register refuses together (a name
// without kanji, a birth date in the future, no country, a household
// joined without a 続柄) are all shown at once next to their inputs, and
// nothing is written.
func TestMoveInAbroadFormShowsEveryFieldError(t *testing.T) {
	fx := newFixture(t, 0)
	tok := fx.session(t, "C-CLERK", "OP-CLERK-record")
	residents := func() int {
		var n int
		if err := fx.db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM residents`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	today := jukinet.Today(fx.db.Now())
	form := url.Values{"name.kanji": {""}, "name.kana": {"ヤマグチ タロウ"}, "birth_date": {today.AddDays(5).String()}, "sex": {"1"},
		"previous_address.text": {""}, "move_in_date": {today.String()}, "address_text": {"山口県防府市新田1番1号"},
		"household.id": {"h-1"}, "household.relationship": {""}}
	before := residents()
	status, _, body := post(t, fx.handler, tok, "/counter/move-in-abroad", form)
	if status != http.StatusBadRequest {
		t.Fatalf("POST /counter/move-in-abroad: %d, want 400\n%s", status, body)
	}
	for _, id := range []string{"f-name-kanji-error", "f-birth_date-error", "f-previous_address-text-error", "f-household-relationship-error"} {
		if !strings.Contains(body, `id="`+id+`"`) {
			t.Errorf("no message next to the input (want id %q)", id)
		}
	}
	if after := residents(); after != before {
		t.Errorf("residents %d → %d, want unchanged", before, after)
	}
}

// The 住民票's 世帯変更届 reads every input before it stops: no household, a
// 続柄 of 世帯主 and a date that is not one are shown at once, each next to
// its input, and nothing is written.
func TestHouseholdChangeFormShowsEveryFieldError(t *testing.T) {
	fx := newFixture(t, 0)
	tok := fx.session(t, "C-CLERK", "OP-CLERK-record")
	ctx := jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: "C-CLERK", OperatorID: "OP-CLERK-record", Authority: jukinet.AuthorityRecord, Terminal: demo.TerminalID})
	r := fx.family(t, ctx, "山口県防府市寿町3番3号", 2)[1]
	var before, after int
	count := func(n *int) {
		if err := fx.db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM identity_history`).Scan(n); err != nil {
			t.Fatal(err)
		}
	}
	count(&before)
	status, _, body := post(t, fx.handler, tok, "/residents/"+string(r.ResidentCode)+"/household-change",
		url.Values{"into": {""}, "relationship": {"世帯主"}, "date": {"令和99年13月1日"}})
	if status != http.StatusBadRequest {
		t.Fatalf("POST 世帯変更 with three bad inputs: %d, want 400\n%s", status, excerpt(body))
	}
	for _, id := range []string{"f-into-error", "f-relationship-error", "f-date-error"} {
		if !strings.Contains(body, `id="`+id+`"`) {
			t.Errorf("no message next to the input (want id %q)", id)
		}
	}
	if count(&after); after != before {
		t.Errorf("identity_history %d → %d, want unchanged", before, after)
	}
}
