package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jukinet/jukinet/demo"
)

// TestBrowserServeDemo logs in with a headless Chromium through 防府市's
// node started by `jukinet serve` in the demo setting (node.toml from
// demo.LayOut, demo = true): the browser presents no certificate (so the
// terminal is the demo's certificate-less T-01), the page says it is a demo,
// and the 仮想リーダー logs the clerk in.
func TestBrowserServeDemo(t *testing.T) {
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		browserMissing(t, fmt.Sprintf("browser tests need %s: %v", chromium, err))
	}
	data := t.TempDir()
	if _, _, err := demo.LayOut(context.Background(), data, 5, 1); err != nil {
		t.Fatal(err)
	}
	term, _, _ := startServe(t, filepath.Join(data, string(demo.Hofu.Code)+".toml"))

	actx, cancelA := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(chromium), chromedp.Headless,
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.IgnoreCertErrors, chromedp.UserDataDir(t.TempDir()))
	defer cancelA()
	ctx, cancelC := chromedp.NewContext(actx)
	defer cancelC()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(term+"/login"),
		chromedp.WaitVisible(chromedp.ID("demo-banner")),
		chromedp.SendKeys(chromedp.ID("collation_id"), "C-CLERK"),
		chromedp.Click(chromedp.ID("virtual-reader")),
		chromedp.WaitVisible(chromedp.ID("choose")),
		chromedp.Click(chromedp.CSS(`input[value="OP-CLERK-lookup"]`)),
		chromedp.Click(chromedp.ID("choose")),
		chromedp.WaitVisible(chromedp.CSS("ul.menu")),
	); err != nil {
		page, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("login at %s: %v\npage:\n%s", term, err, page)
	}
	who, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("header .who")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(who, "OP-CLERK-lookup") || !strings.Contains(who, "端末 T-01") {
		t.Errorf("header after login: %q, want OP-CLERK-lookup on terminal T-01", who)
	}
	banner, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("demo-banner")))
	if err != nil || !strings.Contains(banner, "デモ環境") {
		t.Errorf("demo banner on the menu: %q (%v)", banner, err)
	}
}
