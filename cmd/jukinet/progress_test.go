package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: what a user's terminal looks like
// to the program.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("ptsname: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pts: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// On a terminal the bar shows the label and the count; written to a file or
// a buffer, progress writes nothing.
func TestProgressOnlyOnATerminal(t *testing.T) {
	master, slave := openPTY(t)
	p := newProgress(slave, "verify")
	p.update64(500, 1000)
	time.Sleep(150 * time.Millisecond) // past the bar's throttle
	p.update64(1000, 1000)
	p.done()
	got := make(chan string, 1)
	go func() { // ends when the test closes master
		var all []byte
		buf := make([]byte, 4096)
		for !strings.Contains(string(all), "1000/1000") {
			n, err := master.Read(buf)
			all = append(all, buf[:n]...)
			if err != nil {
				break
			}
		}
		got <- string(all)
	}()
	select {
	case out := <-got:
		if !strings.Contains(out, "verify") || !strings.Contains(out, "1000/1000") {
			t.Errorf("terminal output %q, want the label and 1000/1000", out)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no bar on the terminal")
	}

	var buf bytes.Buffer
	p = newProgress(&buf, "verify")
	p.update64(1, 2)
	p.done()
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p = newProgress(f, "verify")
	p.update64(1, 2)
	p.done()
	if info, _ := f.Stat(); buf.Len() != 0 || info.Size() != 0 {
		t.Errorf("not a terminal: wrote %q to a buffer and %d bytes to a file, want nothing", buf.String(), info.Size())
	}
}

// The bench spinner draws on a terminal and stops cleanly; elsewhere it
// writes nothing.
func TestSpinnerOnlyOnATerminal(t *testing.T) {
	master, slave := openPTY(t)
	s := newSpinner(slave, "bench demo")
	time.Sleep(600 * time.Millisecond)
	s.stop()
	got := make(chan string, 1)
	go func() { // ends when the test closes master
		buf := make([]byte, 4096)
		n, _ := master.Read(buf)
		got <- string(buf[:n])
	}()
	select {
	case out := <-got:
		if !strings.Contains(out, "bench demo") {
			t.Errorf("terminal output %q, want the label", out)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no spinner on the terminal")
	}
	var buf bytes.Buffer
	s = newSpinner(&buf, "bench demo")
	time.Sleep(300 * time.Millisecond)
	s.stop()
	if buf.Len() != 0 {
		t.Errorf("not a terminal: wrote %q", buf.String())
	}
}
