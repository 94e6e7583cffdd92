package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/register"
)

// demoNetwork runs the demo network with a terminal on every node, small
// populations, and waits until the national server has every person.
func demoNetwork(t *testing.T) *demo.Network {
	t.Helper()
	ctx := context.Background()
	net, err := demo.StartNetwork(ctx, demo.NetworkConfig{Dir: t.TempDir(), Residents: 12, Seed: 3,
		Terminal: DemoTerminals(nil), Logf: t.Logf})
	if err != nil {
		t.Fatalf("StartNetwork: %v", err)
	}
	t.Cleanup(func() { net.Close() })
	want := 0
	for _, s := range net.Seeded {
		want += s.Imported + s.Existing
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := net.WaitNational(wctx, want, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	return net
}

func waitIdle(t *testing.T, net *demo.Network) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := net.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserSpecialMoveInAndCopy drives two municipalities' terminals: a
// card holder's 転出 at 防府市, their 特例転入 at 久留米市 from the received
// 転出証明書情報 (a wrong PIN first), then a 広域交付 at 久留米市 of another
// 防府市 resident's 住民票の写し, printed. Then the national server's
// self-disclosure and 防府市's log verification.
func TestBrowserSpecialMoveInAndCopy(t *testing.T) {
	s := session{t, browser(t)}
	net := demoNetwork(t)
	hofu := net.Municipality(demo.Hofu.Code)
	clerk := jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: "C-CLERK", OperatorID: "OP-CLERK-lookup", Authority: jukinet.AuthorityLookup, Terminal: "T-01"})
	people, err := hofu.Register().Search(clerk, register.Query{Address: "防府市"}, "test")
	if err != nil || len(people) < 2 {
		t.Fatalf("防府市 residents: %d (%v), want 2 or more", len(people), err)
	}
	// The mover is not a householder (a householder with members cannot move
	// out alone); the other is anyone else.
	mover, other := people[0], people[1]
	for i, p := range people {
		if p.Relationship != register.RelationshipHead {
			mover, other = p, people[(i+1)%len(people)]
			break
		}
	}
	today := jukinet.Today(time.Now())
	hofuURL, kurumeURL := net.TerminalURL(string(demo.Hofu.Code)), net.TerminalURL(string(demo.Kurume.Code))

	// 交付 at the terminal: the holder sets the PIN on the card in the reader.
	s.login(hofuURL, "C-NUMBER", "OP-NUMBER-number", false)
	s.do("個人番号カード交付 at 防府市",
		chromedp.Navigate(hofuURL+"/counter/card-issue"),
		chromedp.WaitVisible(chromedp.ID("f-resident_code")),
		chromedp.SendKeys(chromedp.ID("f-resident_code"), string(mover.ResidentCode)),
		chromedp.SendKeys(chromedp.ID("f-card_serial"), "WEBTEST01"),
		chromedp.SendKeys(chromedp.ID("f-pin"), "2580"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.CSS("p.notice")))
	if recs, err := hofu.Register().Get(clerk, mover.ResidentCode, "test"); err != nil || len(recs) != 1 || !recs[0].CardHolder {
		t.Fatalf("after the 交付 at the terminal, 防府市 does not mark a card holder (%v)", err)
	}

	s.login(hofuURL, "C-CLERK", "OP-CLERK-record", false)
	s.do("転出 at 防府市",
		chromedp.Navigate(hofuURL+"/residents/"+string(mover.ResidentCode)+"/move-out"),
		chromedp.WaitVisible(chromedp.ID("f-planned_date")),
		chromedp.SendKeys(chromedp.ID("f-planned_date"), today.String()),
		chromedp.SendKeys(chromedp.ID("f-destination-lg_code"), string(demo.Kurume.Code)),
		chromedp.SendKeys(chromedp.ID("f-destination-text"), "福岡県久留米市東町2番3号"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.CSS("p.notice")))
	waitIdle(t, net)

	s.login(kurumeURL, "C-ISSUE", "OP-ISSUE-special_move_in", false)
	s.do("certificates at 久留米市",
		chromedp.Navigate(kurumeURL+"/counter/special-move-in"),
		chromedp.WaitVisible(chromedp.ID("certificates")),
		shot("11-special-move-in-list"))
	if list := s.text("#certificates"); !strings.Contains(list, string(mover.ResidentCode)) || !strings.Contains(list, mover.Name.Kanji) {
		t.Fatalf("received certificates at 久留米市: %q, want %s %s", list, mover.ResidentCode, mover.Name.Kanji)
	}
	s.do("特例転入 with a wrong PIN",
		chromedp.Click(chromedp.CSS(`a[href="/counter/special-move-in/`+string(mover.ResidentCode)+`"]`)),
		chromedp.WaitVisible(chromedp.ID("f-card_serial")),
		chromedp.SendKeys(chromedp.ID("f-card_serial"), "WEBTEST01"),
		chromedp.SendKeys(chromedp.ID("f-pin"), "1111"),
		chromedp.SendKeys(chromedp.ID("f-move_in_date"), today.Wareki()),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("f-pin-error")),
		shot("12-special-move-in-pin-error"))
	if msg := s.text("#f-pin-error"); !strings.Contains(msg, "暗証番号が一致しません") {
		t.Errorf("特例転入 with a wrong PIN: error %q next to the PIN, want the wrong-PIN message", msg)
	}
	if v := s.attr("#f-pin", "value"); v != "" {
		t.Errorf("特例転入 form after an error: PIN field value %q, want it empty (never echoed)", v)
	}
	s.do("特例転入",
		chromedp.SendKeys(chromedp.ID("f-pin"), "2580"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.CSS("p.notice")),
		shot("13-special-move-in-done"))
	if notice, rec := s.text("p.notice"), s.text("dl.record"); !strings.Contains(notice, "特例転入") || !strings.Contains(rec, "久留米市東町2番3号") {
		t.Errorf("after 特例転入: notice %q, record %q; want 特例転入 recorded at the new address", notice, rec)
	}

	s.login(kurumeURL, "C-ISSUE", "OP-ISSUE-issue", false)
	s.do("広域交付 request",
		chromedp.Navigate(kurumeURL+"/counter/copy"),
		chromedp.WaitVisible(chromedp.ID("f-residence")),
		chromedp.SendKeys(chromedp.ID("f-residence"), string(demo.Hofu.Code)),
		chromedp.SendKeys(chromedp.ID("f-name-kanji"), other.Name.Kanji),
		chromedp.SendKeys(chromedp.ID("f-birth_date"), other.BirthDate.String()),
		chromedp.Click(chromedp.ID("f-household")),
		chromedp.Click(chromedp.ID("f-all_members")),
		shot("14-kouiki-request"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("copy")),
		shot("15-kouiki-copy"))
	copyText := s.text("#copy")
	for _, want := range []string{"住民票の写し", other.Name.Kanji, other.BirthDate.Wareki(), "相違ないことを証明する", "久留米市長", today.Wareki()} {
		if !strings.Contains(copyText, want) {
			t.Errorf("printed copy lacks %q:\n%s", want, copyText)
		}
	}
	if other.Domicile != "" && strings.Contains(copyText, other.Domicile) {
		t.Errorf("printed copy shows the 本籍 %q, which a wide-area copy never carries (法12条の4):\n%s", other.Domicile, copyText)
	}
	if strings.Contains(copyText, "個人番号") || strings.Contains(copyText, "住民票コード") {
		t.Errorf("printed copy shows the 個人番号 or 住民票コード, not asked for:\n%s", copyText)
	}
	s.do("print layout", emulatePrint(true), shot("16-kouiki-copy-print"), emulatePrint(false))

	// The national server's terminal: self-disclosure under 照会.
	nat := net.National()
	if ags := nat.Agencies().List(); len(ags) > 0 {
		if _, err := nat.Provide(jukinet.WithActor(context.Background(), jukinet.SystemActor("agency-gateway")), ags[0].ID, ags[0].Tasks[0], []jukinet.ResidentCode{other.ResidentCode}); err != nil {
			t.Fatalf("Provide: %v", err)
		}
	}
	natURL := net.TerminalURL("national")
	s.login(natURL, "C-CLERK", "OP-CLERK-lookup", false)
	s.do("self-disclosure",
		chromedp.Navigate(natURL+"/admin/disclosure"),
		chromedp.WaitVisible(chromedp.ID("resident_code")),
		chromedp.SendKeys(chromedp.ID("resident_code"), string(other.ResidentCode)),
		chromedp.Click(chromedp.ID("disclose")),
		chromedp.WaitVisible(chromedp.ID("disclosure")),
		shot("17-national-disclosure"))
	if d := s.text("#disclosure"); !strings.Contains(d, "日本年金機構") && !strings.Contains(d, "pension") {
		t.Errorf("self-disclosure of %s: %q, want the provision to the pension agency", other.ResidentCode, d)
	}

	// 防府市's log: verified against its keys; a proof downloads.
	s.login(hofuURL, "C-AUDIT", "OP-AUDIT-audit", false)
	time.Sleep(300 * time.Millisecond) // one checkpoint interval
	s.do("log status",
		chromedp.Navigate(hofuURL+"/admin/log"),
		chromedp.WaitVisible(chromedp.ID("verify-result")),
		shot("18-admin-log-verify"))
	if v := s.text("#verify-result"); !strings.Contains(v, "検出されませんでした") {
		t.Errorf("log verification at 防府市: %q, want no tampering found", v)
	}
	s.do("report",
		chromedp.Navigate(hofuURL+"/admin/report"),
		chromedp.WaitVisible(chromedp.ID("finding-count")),
		shot("19-admin-report"))
}

// emulatePrint switches the page to the print stylesheet (for a screenshot
// of the printed copy).
func emulatePrint(on bool) chromedp.Action[chromedp.Void] {
	media := ""
	if on {
		media = "print"
	}
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
		return err
	})
}
