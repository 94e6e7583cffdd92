package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	ossignal "os/signal"
	"regexp"
	"sync"
	"syscall"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
)

// servedLine is what `jukinet serve` prints for a listener: "terminal URL …"
// or "ops URL".
var servedLine = regexp.MustCompile(`^(terminal|ops) (https?://\S+)`)

// runDemoProcesses runs the demo network with every node as its own
// `jukinet serve` OS process, on the configuration demo.LayOut writes under
// dir. It prints "node <ID> terminal <URL> ops <URL>" once each node
// listens, and stops the children (SIGTERM, then SIGKILL after 10 s) when
// ctx ends or one of them exits.
func runDemoProcesses(ctx context.Context, dir string, residents int, seed uint64, stdout, stderr io.Writer) error {
	nodes, seeded, err := demo.LayOut(ctx, dir, residents, seed)
	if err != nil {
		return err
	}
	for _, r := range seeded {
		fmt.Fprintf(stdout, "%s (%s): seeded %d residents (%d already there)\n", r.City, r.Code, r.Imported, r.Existing)
	}
	// Taken before the first child starts: a SIGHUP must never stop the demo.
	hup := make(chan os.Signal, 1)
	ossignal.Notify(hup, syscall.SIGHUP)
	defer ossignal.Stop(hup)
	self, err := os.Executable()
	if err != nil {
		return jukinet.E("demo", jukinet.KindInternal, err)
	}
	type child struct {
		id   string
		cmd  *osexec.Cmd
		done chan error
	}
	var children []*child
	exited := make(chan string, len(nodes))
	stopAll := func() {
		for _, c := range children {
			c.cmd.Process.Signal(syscall.SIGTERM)
		}
		for _, c := range children {
			select {
			case <-c.done:
			case <-time.After(10 * time.Second):
				c.cmd.Process.Kill()
				<-c.done
			}
		}
	}
	var outMu sync.Mutex
	ready := make(chan [3]string, len(nodes))
	for _, n := range nodes {
		cmd := osexec.Command(self, "serve", "--config", n.Config)
		errw, closeErr := prefixWriter(stderr, &outMu, n.Spec.ID)
		cmd.Stderr = errw
		out, err := cmd.StdoutPipe()
		if err != nil {
			stopAll()
			return jukinet.E("demo", jukinet.KindInternal, err)
		}
		if err := cmd.Start(); err != nil {
			closeErr()
			stopAll()
			return jukinet.E("demo", jukinet.KindUnavailable, err)
		}
		c := &child{id: n.Spec.ID, cmd: cmd, done: make(chan error, 1)}
		children = append(children, c)
		go func() {
			var term, ops string
			sent := false
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if m := servedLine.FindStringSubmatch(sc.Text()); m != nil {
					if m[1] == "terminal" {
						term = m[2]
					} else {
						ops = m[2]
					}
					if term != "" && ops != "" && !sent {
						ready <- [3]string{c.id, term, ops}
						sent = true
					}
				}
			}
			err := cmd.Wait()
			closeErr()
			c.done <- err
			exited <- c.id
		}()
	}
	defer stopAll()
	signal := func(sig os.Signal) {
		for _, c := range children {
			c.cmd.Process.Signal(sig)
		}
	}
	return superviseChildren(ctx, dir, len(nodes), ready, exited, hup, signal, stdout)
}

// superviseChildren prints each node's line as it comes ready, then runs
// until ctx ends or a child stops; a SIGHUP to the demo goes on to every
// node, which reloads its CRL, network.toml and agencies.toml (as
// `kill -HUP` on one `jukinet serve` does).
func superviseChildren(ctx context.Context, dir string, nodes int, ready <-chan [3]string, exited <-chan string, hup <-chan os.Signal,
	signal func(os.Signal), stdout io.Writer) error {
	for range nodes {
		select {
		case r := <-ready:
			fmt.Fprintf(stdout, "node %s terminal %s ops %s\n", r[0], r[1], r[2])
		case id := <-exited:
			return jukinet.Errorf("demo", jukinet.KindUnavailable, "", "node %s stopped while starting (its messages are above)", id)
		case <-ctx.Done():
			return nil
		case <-time.After(2 * time.Minute):
			return jukinet.E("demo", jukinet.KindUnavailable, "the nodes did not all start within 2 minutes")
		}
	}
	fmt.Fprintf(stdout, "network description: %s/network.toml; terminal certificates: %s/<node>/terminals/%s/\n", dir, dir, demo.TerminalID)
	fmt.Fprintln(stdout, "running; Ctrl-C stops every node, SIGHUP makes every node reload its CRL and network.toml")
	for {
		select {
		case <-ctx.Done():
			return nil
		case id := <-exited:
			return jukinet.Errorf("demo", jukinet.KindUnavailable, "", "node %s stopped; stopping the others", id)
		case <-hup:
			signal(syscall.SIGHUP)
			fmt.Fprintln(stdout, "SIGHUP passed on to every node")
		}
	}
}

// prefixWriter writes a child's lines to w, each prefixed with its node,
// until closed.
func prefixWriter(w io.Writer, mu *sync.Mutex, id string) (io.Writer, func()) {
	r, pw := io.Pipe()
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			mu.Lock()
			fmt.Fprintf(w, "[%s] %s\n", id, sc.Text())
			mu.Unlock()
		}
		io.Copy(io.Discard, r)
	}()
	return pw, func() { pw.Close() }
}
