package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/compliance"
)

// runCompliance: jukinet compliance report --db PATH [--json] [--as-of DATE] [--format text|json|html]
// [--keys DIR] [--listen ADDR] [--terminal-listen ADDR]. The live checks
// (G2.4, G2.5, G12.1) run only on the facts given; without them they are
// reported not-checked.
func runCompliance(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "report" {
		return usageErr("compliance report --db PATH [--json] [--as-of YYYY-MM-DD] [--format text|json|html] [--keys DIR] [--listen ADDR] [--terminal-listen ADDR]")
	}
	fs := newFlags("compliance report", stderr)
	var dbf dbFlags
	var af actorFlags
	dbf.register(fs, "352063")
	af.register(fs)
	asJSON := fs.Bool("json", false, "print JSON (same as --format json)")
	format := fs.String("format", "text", "text, json or html (printable, for the council)")
	asOfText := fs.String("as-of", "", "report date (default: today, JST)")
	var live compliance.LiveFacts
	fs.StringVar(&live.NetworkAddr, "listen", "", "the node's network listener host:port (G2.4: probed without a client certificate; G2.5)")
	fs.StringVar(&live.TerminalAddr, "terminal-listen", "", "the terminal listener host:port (G2.5: apart from the network listener)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	// --keys (actorFlags) is the node's key directory: it verifies a console
	// token and its file modes are checked (G12.1).
	live.KeyDir = af.keys
	if *asJSON {
		*format = "json"
	}
	if *format != "text" && *format != "json" && *format != "html" {
		return usageErr("--format %q is not one of text, json, html", *format)
	}
	var asOf jukinet.Date
	if *asOfText != "" {
		d, err := jukinet.ParseDate("as-of", *asOfText)
		if err != nil {
			return usageErr("%v", err)
		}
		asOf = d
	}
	actx, db, err := openAs(ctx, &af, &dbf)
	if err != nil {
		return err
	}
	defer db.Close()
	live.DBPath = dbf.path
	rep, err := compliance.Generate(actx, db, asOf, live)
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "html":
		return rep.WriteHTML(stdout)
	}
	// The report is for the municipality's staff: Japanese, with the status
	// code beside its Japanese name for scripts that grep the text.
	fmt.Fprintf(stdout, "遵守状況報告　団体 %s　基準日 %s　年度 %s　ポリシー %s\n", rep.Node, rep.AsOf, rep.FiscalYear, rep.PolicyVersion)
	for _, f := range rep.Findings {
		ja, _ := jukinet.CodeJapanese(jukinet.CodesCompliance, string(f.Status))
		fmt.Fprintf(stdout, "%-8s %s (%s)　%s\n", f.ID, ja, f.Status, f.Title)
		fmt.Fprintf(stdout, "         充足の条件：%s\n", f.Rule)
		for _, e := range f.Evidence {
			fmt.Fprintf(stdout, "         根拠：%s\n", e)
		}
		for _, d := range f.Due {
			fmt.Fprintf(stdout, "         期限・未了：%s\n", d)
		}
	}
	return nil
}
