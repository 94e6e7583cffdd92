package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/governance"
)

// runCompliance: jukinet compliance report --db PATH [--json] [--as-of DATE] [--format text|json|html]
func runCompliance(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "report" {
		return usageErr("compliance report --db PATH [--json] [--as-of YYYY-MM-DD] [--format text|json|html]")
	}
	fs := newFlags("compliance report", stderr)
	var dbf dbFlags
	var af actorFlags
	dbf.register(fs, "352063")
	af.register(fs, jukinet.AuthorityGovernance)
	asJSON := fs.Bool("json", false, "print JSON (same as --format json)")
	format := fs.String("format", "text", "text, json or html (printable, for the council)")
	asOfText := fs.String("as-of", "", "report date (default: today, JST)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
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
	rep, err := governance.New(db).ComplianceReport(actx, asOf)
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
	fmt.Fprintf(stdout, "compliance report of node %s as of %s (fiscal year %s, policy %s)\n", rep.Node, rep.AsOf, rep.FiscalYear, rep.PolicyVersion)
	for _, f := range rep.Findings {
		fmt.Fprintf(stdout, "%-8s %-17s %s\n", f.ID, f.Status, f.Title)
		for _, e := range f.Evidence {
			fmt.Fprintf(stdout, "           evidence: %s\n", e)
		}
		for _, d := range f.Due {
			fmt.Fprintf(stdout, "           due:      %s\n", d)
		}
	}
	return nil
}
