package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jukinet/jukinet/demo"
)

// runDemo: jukinet demo [--data DIR] [--residents N] [--seed S] [--exit]
func runDemo(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	dir := fs.String("data", "./jukinet-data", "directory for the nodes' keys, databases and network.toml (0700)")
	n := fs.Int("residents", 10000, "synthetic residents per municipality")
	seed := fs.Uint64("seed", 1, "seed of the synthetic population")
	exit := fs.Bool("exit", false, "stop once every seeded identity notice has reached the national server")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up waiting for convergence after this long")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *n < 0 || *n > 5_000_000 {
		return usageErr("--residents must be between 0 and 5000000")
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	net, err := demo.StartNetwork(ctx, demo.NetworkConfig{Dir: *dir, Residents: *n, Seed: *seed,
		Logf: func(f string, a ...any) { fmt.Fprintf(stderr, f+"\n", a...) }})
	if err != nil {
		return err
	}
	defer net.Close()
	for _, s := range net.Specs {
		rt := net.Runtimes[s.ID]
		fmt.Fprintf(stdout, "%-10s %-8s %-13s network %s\n", s.Name, s.ID, s.Role, rt.NetworkAddr())
	}
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
	if *exit {
		return nil
	}
	fmt.Fprintln(stdout, "running; Ctrl-C stops")
	<-ctx.Done()
	return nil
}
