package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/register"
)

// A clerk with the recording authority sets a 支援措置 at the terminal; the
// search flags the person and the 住民票 warns not to give the address; a
// lookup operator cannot set one; the clerk lifts it.
func TestSupportMeasureAtTheCounter(t *testing.T) {
	fx := newFixture(t, 0)
	clerk := jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: "C-CLERK", OperatorID: "OP-CLERK-record", Authority: jukinet.AuthorityRecord, Terminal: demo.TerminalID})
	r := fx.family(t, clerk, "山口県防府市寿町5番5号", 1)[0]
	rec := fx.session(t, "C-CLERK", "OP-CLERK-record")
	look := fx.session(t, "C-CLERK", "OP-CLERK-lookup")
	today := jukinet.Today(time.Now())
	form := url.Values{"kind": {"dv"}, "requester": {"世帯 花子"}, "start": {today.String()}, "end": {today.AddDays(200).String()}}
	path := "/residents/" + string(r.ResidentCode) + "/support"
	if code, _, _ := post(t, fx.handler, look, path, form); code == http.StatusSeeOther {
		t.Fatalf("a lookup operator set a support measure")
	}
	bad := url.Values{"kind": {"dv"}, "requester": {"世帯 花子"}, "start": {today.String()}, "end": {today.AddDays(400).String()}}
	if code, _, body := post(t, fx.handler, rec, path, bad); code == http.StatusSeeOther || !strings.Contains(body, `id="f-end-error"`) {
		t.Errorf("a measure of 400 days: %d; want a refusal beside the end date\n%s", code, excerpt(body))
	}
	if code, _, body := post(t, fx.handler, rec, path, form); code != http.StatusSeeOther {
		t.Fatalf("POST support measure: %d\n%s", code, excerpt(body))
	}
	_, _, body := get(t, fx.handler, look, "/residents?kanji="+url.QueryEscape("世帯")+"&purpose=test")
	if !strings.Contains(body, `id="support-`+string(r.ResidentCode)+`"`) {
		t.Errorf("search results do not flag the protected person\n%s", excerpt(body))
	}
	_, _, body = get(t, fx.handler, look, "/residents/"+string(r.ResidentCode)+"?purpose=test")
	if !strings.Contains(body, `id="support-measure"`) {
		t.Errorf("the 住民票 does not warn of the support measure\n%s", excerpt(body))
	}
	if code, _, body := post(t, fx.handler, rec, "/residents/"+string(r.ResidentCode)+"/support-lift", url.Values{"reason": {"申出の取下げ"}}); code != http.StatusSeeOther {
		t.Fatalf("POST lift: %d\n%s", code, excerpt(body))
	}
	if _, _, body := get(t, fx.handler, look, "/residents/"+string(r.ResidentCode)+"?purpose=test"); strings.Contains(body, `id="support-measure"`) {
		t.Errorf("the warning stays after the measure was lifted")
	}
}

// 転入通知未着者一覧 at the terminal: a person moved out 40 days ago whose
// 転入通知 never came is listed; the list needs a purpose.
func TestMoveInOverdueList(t *testing.T) {
	fx := newFixture(t, 30)
	clerk := jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: "C-CLERK", OperatorID: "OP-CLERK-record", Authority: jukinet.AuthorityRecord, Terminal: demo.TerminalID})
	today := jukinet.Today(time.Now())
	people, err := fx.reg.Search(clerk, register.Query{Address: "防府市"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	var r register.Resident
	for _, p := range people {
		if p.Relationship != register.RelationshipHead && p.ResidentSince.Before(today.AddDays(-40)) {
			r = p
			break
		}
	}
	if r.ResidentCode == "" {
		t.Fatal("no seeded resident who can move out alone")
	}
	if _, err := fx.reg.MoveOut(clerk, register.MoveOutInput{ResidentCode: r.ResidentCode, PlannedDate: today.AddDays(-40),
		Destination: jukinet.Address{LGCode: "402036", Text: "福岡県久留米市城南町1番1号"}}); err != nil {
		t.Fatal(err)
	}
	look := fx.session(t, "C-CLERK", "OP-CLERK-lookup")
	if code, _, _ := get(t, fx.handler, look, "/counter/movein-overdue?purpose="); code != http.StatusBadRequest {
		t.Errorf("list without a purpose: %d; want 400", code)
	}
	code, _, body := get(t, fx.handler, look, "/counter/movein-overdue?purpose="+url.QueryEscape("追跡調査"))
	if code != http.StatusOK || !strings.Contains(body, `id="overdue-results"`) || !strings.Contains(body, string(r.ResidentCode)) {
		t.Errorf("overdue list: %d; want the person listed\n%s", code, excerpt(body))
	}
}
