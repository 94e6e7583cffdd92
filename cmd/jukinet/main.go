// Command jukinet runs any node of the Basic Resident Register Network
// (住基ネット), the whole demo network, and the operation-management tools.
// This file only parses the command line and wires packages together; every
// command is a run function testable in-process.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/node"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

type runFunc func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error

type command struct {
	name    string
	summary string
	run     runFunc
}

func commands() []command {
	return []command{
		{"demo", "run the demo network (seeds 防府市 352063 …) under --data DIR", runDemo},
		{"check", "check a code: check mynumber|resident-code|lgcode VALUE", runCheck},
		{"register", "record a resident-register event from JSON on stdin", runRegister},
		{"import", "import residents from CSV", runImport},
		{"export", "export residents as CSV", runExport},
		{"serve", "run one node: serve --config node.toml [--db PATH | --dsn URL]", runServe},
		{"pki", "network CA, node and terminal certificates: pki init|issue", runPKI},
		{"access", "operators' registers, OS password policy, biometric node keys: access register|password-policy|node-key", runAccess},
		{"backup", "consistent copy of a running node's SQLite database: backup --db PATH --out FILE", runBackup},
		{"doctor", "check file permissions and the OS password policy record: doctor --db PATH --keys DIR [--archive DIR]", runDoctor},
		{"network", "a node's queues and delivery evidence: network status|dead-letters|receipt|reconcile --db PATH [--id ID --network network.toml] [--token T --keys DIR]", runNetwork},
		{"oplog", "operation history: oplog checkpoint|verify|prove|verify-proof|query|report|seal|verify-seal|purge", runOplog},
		{"bench", "benchmarks: bench biometric|network|oplog [--engine sqlite|postgres] [--json]", runBench},
		{"gov", "operation management acts (council, rooms, assets, outsourcing…) from JSON on stdin", runGov},
		{"compliance", "evidence per guideline ID: compliance report --db PATH [--json|--format html] [--as-of DATE]", runCompliance},
		{"version", "print the version", runVersion},
	}
}

func main() {
	node.TuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(report(err, os.Stderr))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stderr)
		if len(args) == 0 {
			return usageErr("no command given")
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdin, stdout, stderr)
		}
	}
	printUsage(stderr)
	return usageErr("unknown command %q", args[0])
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: jukinet COMMAND [flags]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nNode-database flags are the same everywhere: --db PATH (SQLite) or --dsn URL (PostgreSQL).")
}

// exitError carries an exit code: 2 for usage errors, 1 for everything else.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf("usage: "+format, args...)}
}

// report prints err for a person and returns the exit code.
func report(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(stderr, "jukinet:", ee.err)
		}
		return ee.code
	}
	if errors.Is(err, errFlagHelp) {
		return 0
	}
	if jukinet.ErrorKind(err) == jukinet.KindInternal || jukinet.ErrorKind(err) == jukinet.KindOther {
		fmt.Fprintln(stderr, "jukinet: error:", err)
		return 1
	}
	fmt.Fprintln(stderr, "jukinet:", err)
	return 1
}

func runVersion(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) != 0 {
		return usageErr("version takes no arguments")
	}
	fmt.Fprintf(stdout, "jukinet %s (policy %s)\n", version, jukinet.PolicyVersion())
	return nil
}
