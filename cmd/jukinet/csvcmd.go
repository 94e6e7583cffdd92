package main

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/schollz/progressbar/v3"
	"io"
	"os"
	"strings"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/register"
	"golang.org/x/term"
)

// runImport: jukinet import --db PATH [--encoding sjis] [--skip-invalid] FILE.csv
func runImport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("import", stderr)
	var dbf dbFlags
	var af actorFlags
	dbf.register(fs, "352063")
	af.register(fs)
	encName := fs.String("encoding", "utf-8", "CSV encoding: utf-8 or sjis (Shift_JIS)")
	skip := fs.Bool("skip-invalid", false, "import the valid rows and report the invalid ones (default: refuse the whole file)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("jukinet import --db PATH [--encoding sjis] [--skip-invalid] FILE.csv (- for stdin)")
	}
	enc, err := register.ParseEncoding(*encName)
	if err != nil {
		return usageErr("%v", err)
	}
	in := stdin
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	rows, bad, err := register.ReadCSV(in, enc)
	if err != nil {
		return err
	}
	actx, db, err := openAs(ctx, &af, &dbf)
	if err != nil {
		return err
	}
	defer db.Close()
	g, err := register.New(db, register.Config{Municipality: jukinet.LGCode(db.Node())})
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		// Rows the CSV reader refused are refused imports too: recorded.
		if err := g.RecordImportRefusal(actx, bad, *skip); err != nil {
			return err
		}
		if !*skip {
			return &register.ImportError{Rows: bad}
		}
	}
	bar := newProgress(stderr, "import")
	res, err := g.Import(actx, rows, register.ImportOptions{SkipInvalid: *skip, Progress: bar.update})
	bar.done()
	if err != nil {
		return err
	}
	res.Skipped = append(bad, res.Skipped...)
	if *asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	fmt.Fprintf(stdout, "imported %d residents in %d households\n", res.Imported, res.Households)
	for _, s := range res.Skipped {
		fmt.Fprintf(stdout, "skipped line %d: %s: %s\n", s.Line, s.Field, s.Err)
	}
	return nil
}

// runExport: jukinet export --db PATH [--encoding sjis] --purpose P [FILE.csv]
func runExport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("export", stderr)
	var dbf dbFlags
	var af actorFlags
	dbf.register(fs, "352063")
	af.register(fs)
	encName := fs.String("encoding", "utf-8", "CSV encoding: utf-8 or sjis (Shift_JIS)")
	purpose := fs.String("purpose", "", "purpose or case number of the export (required; logged)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usageErr("jukinet export --db PATH --purpose P [--encoding sjis] [FILE.csv]")
	}
	if strings.TrimSpace(*purpose) == "" {
		return usageErr("--purpose is required: an export of personal data is logged with its purpose")
	}
	enc, err := register.ParseEncoding(*encName)
	if err != nil {
		return usageErr("%v", err)
	}
	actx, db, err := openAs(ctx, &af, &dbf)
	if err != nil {
		return err
	}
	defer db.Close()
	g, err := register.New(db, register.Config{Municipality: jukinet.LGCode(db.Node())})
	if err != nil {
		return err
	}
	out := stdout
	if fs.NArg() == 1 {
		// Personal data: the file is readable by its owner only (G12.1).
		f, err := os.OpenFile(fs.Arg(0), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}
	w, err := register.NewCSVWriter(out, enc)
	if err != nil {
		return err
	}
	n, err := g.Export(actx, *purpose, w.Write)
	if jukinet.IsKind(err, jukinet.KindForbidden) && af.token == "" {
		return fmt.Errorf("%w (an export of personal data needs an operator: log in at a terminal, issue a console token and pass --token and --keys)", err)
	}
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if fs.NArg() == 1 {
		fmt.Fprintf(stderr, "exported %d residents to %s\n", n, fs.Arg(0))
	}
	return nil
}

// progress draws a bar (progressbar) on a terminal and nothing elsewhere:
// logs and pipes stay clean (term.IsTerminal).
type progress struct {
	w   io.Writer
	bar *progressbar.ProgressBar // nil when w is not a terminal
}

func newProgress(w io.Writer, label string) *progress {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return &progress{}
	}
	return &progress{w: w, bar: progressbar.NewOptions64(-1, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(label),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("rows"),
		progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionSetWidth(30))}
}

// update sets the bar to done of total (register.ImportOptions.Progress).
func (p *progress) update(done, total int) { p.update64(uint64(done), uint64(total)) }

func (p *progress) update64(done, total uint64) {
	if p.bar == nil || total == 0 {
		return
	}
	if p.bar.GetMax64() != int64(total) {
		p.bar.ChangeMax64(int64(total))
	}
	p.bar.Set64(int64(done))
}

func (p *progress) done() {
	if p.bar != nil {
		p.bar.Finish()
		fmt.Fprintln(p.w)
	}
}

// newByteProgress is a progress that counts bytes written through writer,
// for work whose total is not known ahead (a spinner with a byte count).
func newByteProgress(w io.Writer, label string) *progress {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return &progress{}
	}
	return &progress{w: w, bar: progressbar.NewOptions64(-1, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(label),
		progressbar.OptionShowBytes(true), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionSpinnerType(14),
		progressbar.OptionSetSpinnerChangeInterval(0))} // redrawn by the writes only
}

// writer returns out, counting on the bar what is written to it.
func (p *progress) writer(out io.Writer) io.Writer {
	if p.bar == nil {
		return out
	}
	return io.MultiWriter(out, p.bar)
}

// spinner redraws an indeterminate bar with the elapsed time until stop, on
// a terminal only; its goroutine is owned by the spinner.
type spinner struct {
	p    *progress
	quit chan struct{}
	done chan struct{}
}

func newSpinner(w io.Writer, label string) *spinner {
	s := &spinner{p: &progress{}, quit: make(chan struct{}), done: make(chan struct{})}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		s.p = &progress{w: w, bar: progressbar.NewOptions64(-1, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(label),
			progressbar.OptionSetElapsedTime(true), progressbar.OptionSpinnerType(14), progressbar.OptionThrottle(200*time.Millisecond),
			// No redraw goroutine of the library's (it reads the bar unlocked): ours, below.
			progressbar.OptionSetSpinnerChangeInterval(0))}
	}
	go func() {
		defer close(s.done)
		if s.p.bar == nil {
			<-s.quit
			return
		}
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.quit:
				return
			case <-t.C:
				s.p.bar.Add(0)
			}
		}
	}()
	return s
}

func (s *spinner) stop() {
	close(s.quit)
	<-s.done
	s.p.done()
}
