package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
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
