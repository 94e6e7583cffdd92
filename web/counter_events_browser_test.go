package web

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
)

// TestBrowserHouseholdSplit records a 世帯分離 of two members with the
// keyboard: a chosen member without a 続柄 is refused next to that input;
// then the 住民票 shows a pending 個人番号 request, and the 国外転入 form
// refuses a missing country next to its field.
func TestBrowserHouseholdSplit(t *testing.T) {
	s := session{t, browser(t)}
	fx := newFixture(t, 0)
	clerk := jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: "C-CLERK", OperatorID: "OP-CLERK-record", Authority: jukinet.AuthorityRecord, Terminal: demo.TerminalID})
	numberer := jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: "C-NUMBER", OperatorID: "OP-NUMBER-number", Authority: jukinet.AuthorityNumber, Terminal: demo.TerminalID})
	fam := fx.family(t, clerk, "山口県防府市寿町1番1号", 3)
	srv := httptest.NewTLSServer(fx.handler)
	defer srv.Close()

	s.login(srv.URL, "C-CLERK", "OP-CLERK-record", false)
	sibling := fieldIDOf("relationship." + string(fam[2].ResidentCode))
	s.do("refused 世帯分離",
		chromedp.Navigate(srv.URL+"/residents/"+string(fam[1].ResidentCode)+"/split"),
		chromedp.WaitVisible(chromedp.ID("f-date")),
		chromedp.SendKeys(chromedp.ID("f-date"), jukinet.Today(time.Now()).Wareki()),
		chromedp.Click(chromedp.ID(fieldIDOf("member."+string(fam[2].ResidentCode)))),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID(sibling+"-error")),
		shot("23-split-error"))
	if msg, by := s.text("#"+sibling+"-error"), s.attr("#"+sibling, "aria-describedby"); !strings.Contains(msg, "続柄") || !strings.Contains(by, sibling+"-error") {
		t.Errorf("世帯分離 without the 続柄: error %q, aria-describedby %q; want a message tied to the field", msg, by)
	}
	s.do("世帯分離",
		chromedp.SendKeys(chromedp.ID(sibling), "兄"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.CSS("p.notice")),
		shot("24-split-done"))
	if notice, rec := s.text("p.notice"), s.text("dl.record"); !strings.Contains(notice, "世帯分離届") || !strings.Contains(rec, "世帯主") {
		t.Errorf("after 世帯分離: notice %q, record %q; want 世帯分離届 recorded and 世帯主", notice, rec)
	}

	if err := fx.reg.RequestIndividualNumber(numberer, fam[0].ResidentCode, jukinet.ReasonIndividualNumberExOfficioAdd, jukinet.Date{}); err != nil {
		t.Fatal(err)
	}
	s.do("pending 個人番号",
		chromedp.Navigate(srv.URL+"/residents/"+string(fam[0].ResidentCode)+"?"+url.Values{"purpose": {"個人番号の指定状況の確認"}}.Encode()),
		chromedp.WaitVisible(chromedp.ID("number-request")),
		chromedp.ScrollIntoView(chromedp.ID("number-request")),
		shot("25-number-pending"))
	if st := s.text("#number-state"); !strings.Contains(st, "請求中") {
		t.Errorf("個人番号 after a request: %q, want 請求中", st)
	}

	s.do("refused 国外転入",
		chromedp.Navigate(srv.URL+"/counter/move-in-abroad"),
		chromedp.WaitVisible(chromedp.ID("f-name-kanji")),
		chromedp.SendKeys(chromedp.ID("f-name-kanji"), "海外 次郎"),
		chromedp.SendKeys(chromedp.ID("f-name-kana"), "カイガイ ジロウ"),
		chromedp.SendKeys(chromedp.ID("f-birth_date"), "平成2年3月4日"),
		chromedp.SetValue(chromedp.ID("f-sex"), "1"),
		chromedp.SendKeys(chromedp.ID("f-move_in_date"), jukinet.Today(time.Now()).Wareki()),
		chromedp.SendKeys(chromedp.ID("f-address_text"), "山口県防府市寿町2番2号"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("f-previous_address-text-error")),
		chromedp.Sleep(300*time.Millisecond), // htmx scrolls a boosted page to the top after the swap
		chromedp.ScrollIntoView(chromedp.ID("f-previous_address-text")),
		shot("26-move-in-abroad-error"))
}
