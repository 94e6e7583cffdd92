package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/access"
)

const accessUsage = `usage:
  jukinet access register        --db PATH|--dsn URL [--format csv|html] [--register collation|operator|history] [actor flags]
  jukinet access password-policy set  --db PATH|--dsn URL --min-length N --char-classes N --rotation-days N --lockout N [actor flags]
  jukinet access password-policy show --db PATH|--dsn URL
  jukinet access node-key init|rotate --keys DIR
  jukinet access bootstrap --db PATH|--dsn URL [--node ID] --keys DIR --terminal ID[,NAME[,LOCATION]]... --collation-id ID --name NAME --department DEPT --reading FILE --decision REF
`

// runAccess implements `jukinet access`: the 管理簿 of 照合ID and 操作者ID
// (G13.4), the OS password policy record (G12.2) and the node's biometric
// key files.
func runAccess(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, accessUsage)
		return usageErr("access needs a subcommand")
	}
	switch args[0] {
	case "register":
		return runAccessRegister(ctx, args[1:], stdout, stderr)
	case "password-policy":
		if len(args) < 2 {
			fmt.Fprint(stderr, accessUsage)
			return usageErr("password-policy needs set or show")
		}
		switch args[1] {
		case "set":
			return runPasswordPolicySet(ctx, args[2:], stdout, stderr)
		case "show":
			return runPasswordPolicyShow(ctx, args[2:], stdout, stderr)
		}
		return usageErr("password-policy %q: want set or show", args[1])
	case "node-key":
		return runNodeKey(args[1:], stdout, stderr)
	case "bootstrap":
		return runAccessBootstrap(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, accessUsage)
		return nil
	}
	fmt.Fprint(stderr, accessUsage)
	return usageErr("unknown access subcommand %q", args[0])
}

func runAccessRegister(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("access register", stderr)
	var db dbFlags
	var af actorFlags
	db.register(fs, "352063")
	af.register(fs)
	format := fs.String("format", "html", "csv or html")
	which := fs.String("register", access.CSVOperator, "for csv: collation, operator or history")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *format != "csv" && *format != "html" {
		return usageErr("--format must be csv or html, not %q", *format)
	}
	actx, d, err := openAs(ctx, &af, &db)
	if err != nil {
		return err
	}
	defer d.Close()
	book, err := access.Registers(actx, d)
	if err != nil {
		return err
	}
	if *format == "html" {
		return book.WriteHTML(stdout)
	}
	return book.WriteCSV(stdout, *which)
}

func runPasswordPolicySet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("access password-policy set", stderr)
	var db dbFlags
	var af actorFlags
	db.register(fs, "352063")
	af.register(fs)
	var p access.PasswordPolicy
	fs.IntVar(&p.MinLength, "min-length", 0, "minimum OS password length")
	fs.IntVar(&p.CharClasses, "char-classes", 0, "character classes required (1–4)")
	fs.IntVar(&p.RotationDays, "rotation-days", 0, "forced rotation in days (0: none)")
	fs.IntVar(&p.LockoutThreshold, "lockout", 0, "failed logins before the OS locks an account (0: never)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	actx, d, err := openAs(ctx, &af, &db)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := access.SetPasswordPolicy(actx, d, p); err != nil {
		return err
	}
	for _, dev := range p.Deviations() {
		fmt.Fprintln(stdout, "warning:", dev)
	}
	fmt.Fprintln(stdout, "recorded")
	return nil
}

func runPasswordPolicyShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("access password-policy show", stderr)
	var db dbFlags
	db.register(fs, "352063")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	d, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	p, ok, err := access.GetPasswordPolicy(ctx, d)
	if err != nil {
		return err
	}
	if !ok {
		return jukinet.E("access password-policy", jukinet.KindNotFound, "no OS password policy is recorded (G12.2)")
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

func runNodeKey(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "init" && args[0] != "rotate") {
		return usageErr("node-key needs init or rotate")
	}
	fs := newFlags("access node-key "+args[0], stderr)
	dir := fs.String("keys", "", "the node's key directory")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *dir == "" {
		return usageErr("--keys DIR is required")
	}
	var ring access.KeyRing
	var err error
	if args[0] == "init" {
		ring, err = access.LoadOrCreateNodeKey(*dir)
	} else {
		ring, err = access.RotateNodeKey(*dir)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "biometric node key: current %v, versions %v\n", ring.Current(), ring.Versions())
	return nil
}
