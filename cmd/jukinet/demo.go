package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/jukinet/jukinet/demo"
)

// runDemo: jukinet demo [--data DIR] [--residents N] [--seed S] [--exit] [--scenario] [--processes]
func runDemo(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	dir := fs.String("data", "./jukinet-data", "directory for the nodes' keys, databases and network.toml (0700)")
	n := fs.Int("residents", 10000, "synthetic residents per municipality")
	seed := fs.Uint64("seed", 1, "seed of the synthetic population")
	exit := fs.Bool("exit", false, "stop once every seeded identity notice has reached the national server")
	scenario := fs.Bool("scenario", false, "then drive every flow through the Go API, print PASS/FAIL per flow and exit (0 only if all pass)")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up waiting for convergence after this long")
	processes := fs.Bool("processes", false, "run every node as its own `jukinet serve` process, configured under --data as an operator would")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *n < 0 || *n > 5_000_000 {
		return usageErr("--residents must be between 0 and 5000000")
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *processes {
		if *exit || *scenario {
			return usageErr("--processes runs until Ctrl-C: it takes neither --exit nor --scenario")
		}
		return runDemoProcesses(ctx, *dir, *n, *seed, stdout, stderr)
	}
	start := time.Now()
	operators := map[string][]demo.Operator{}
	cliLog := slog.New(slog.NewTextHandler(stderr, nil))
	net, err := demo.StartNetwork(ctx, demo.NetworkConfig{Dir: *dir, Residents: *n, Seed: *seed,
		Logf:     func(f string, a ...any) { cliLog.Warn(fmt.Sprintf(f, a...)) },
		Terminal: demoTerminals(func(id string, ops []demo.Operator) { operators[id] = ops })})
	if err != nil {
		return err
	}
	defer net.Close()
	for _, s := range net.Specs {
		rt := net.Runtimes[s.ID]
		fmt.Fprintf(stdout, "%-10s %-8s %-13s network %s  terminal %s\n", s.Name, s.ID, s.Role, rt.NetworkAddr(), net.TerminalURL(s.ID))
	}
	if u := net.AgencyURL(); u != "" {
		fmt.Fprintf(stdout, "agency listener (mTLS, agency certificates only): POST %s  (demo agency %q: %s/agencies/%s/)\n", u, demo.DemoAgency, *dir, demo.DemoAgency)
	}
	printOperators(stdout, operators[string(demo.Hofu.Code)])
	fmt.Fprintf(stdout, "network description: %s/network.toml\n", *dir)
	want := 0
	for _, r := range net.Seeded {
		fmt.Fprintf(stdout, "%s (%s): seeded %d residents (%d already there)\n", r.City, r.Code, r.Imported, r.Existing)
		want += r.Imported + r.Existing
	}
	wctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := net.WaitNational(wctx, want, 100*time.Millisecond); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "national server holds the identity information of %d persons after %s\n", want, time.Since(start).Round(time.Millisecond))
	if *scenario {
		failed := 0
		for _, line := range demo.RunScenario(wctx, net) {
			fmt.Fprintln(stdout, line)
			if !strings.HasPrefix(line, "PASS ") {
				failed++
			}
		}
		if failed > 0 {
			return &exitError{code: 1, err: fmt.Errorf("%d flow(s) did not pass", failed)}
		}
		return nil
	}
	if *exit {
		return nil
	}
	fmt.Fprintln(stdout, "running; Ctrl-C stops")
	<-ctx.Done()
	return nil
}

// printOperators lists the demo operators (the same at every node): the
// 照合ID to type at the terminal's login and the authority of each 操作者ID.
func printOperators(w io.Writer, ops []demo.Operator) {
	if len(ops) == 0 {
		return
	}
	fmt.Fprintln(w, "terminal operators (self-signed certificate; log in with the 照合ID and the 仮想リーダー):")
	for _, o := range ops {
		var ids []string
		for i, id := range o.OperatorIDs {
			ids = append(ids, id+" "+o.Authorities[i].Japanese())
		}
		fmt.Fprintf(w, "  %-9s %s（%s）: %s\n", o.CollationID, o.Name, o.Department, strings.Join(ids, ", "))
	}
}
