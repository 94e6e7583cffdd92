package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/bench"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/pki"
	"github.com/jukinet/jukinet/store"
	"golang.org/x/mod/sumdb/note"
)

// oplogSubcommands: jukinet oplog SUB … (G15 operation history).
func oplogSubcommands() map[string]runFunc {
	return map[string]runFunc{
		"checkpoint":   runOplogCheckpoint,
		"verify":       runOplogVerify,
		"prove":        runOplogProve,
		"export":       runOplogExport,
		"verify-proof": runOplogVerifyProof,
		"query":        runOplogQuery,
		"report":       runOplogReport,
		"seal":         runOplogSeal,
		"verify-seal":  runOplogVerifySeal,
		"purge":        runOplogPurge,
	}
}

func runOplog(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	subs := oplogSubcommands()
	if len(args) == 0 {
		return usageErr("jukinet oplog checkpoint|verify|prove|export|verify-proof|query|report|seal|verify-seal|purge [flags]")
	}
	run, ok := subs[args[0]]
	if !ok {
		return usageErr("unknown oplog command %q", args[0])
	}
	return run(ctx, args[1:], stdin, stdout, stderr)
}

// keyFlags name the log's and the witness's keys. A public key is given as
// a note verifier key "name+hash+base64" or as "NAME=PUB" with PUB as
// `jukinet pki` prints it.
type keyFlags struct {
	domain   string
	logKey   string
	witness  multiFlag
	keyFile  string // the node's signing key (PEM), for commands that sign
	witKeyFn string // the witness's signing key (PEM), in-process witness
	witName  string
	network  string // the network description: keys of the node and its witness
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func (k *keyFlags) registerVerify(fs *flag.FlagSet) {
	fs.StringVar(&k.domain, "domain", "jukinet.example", "domain of the log's origin (origin = DOMAIN/oplog/NODE)")
	fs.StringVar(&k.logKey, "log-key", "", "the log's public key (note verifier key, or NAME=PUB)")
	fs.Var(&k.witness, "witness-key", "a witness's public key (repeatable; note verifier key, or NAME=PUB)")
	fs.StringVar(&k.network, "network", "", "network description (network.toml): the log key is the node's signing key, the witness key its witness's (instead of --log-key/--witness-key)")
}

// networkVerifiers reads the keys of node id's log from the network
// description (node.LogVerifiers).
func (k *keyFlags) networkVerifiers(id string) (note.Verifier, []note.Verifier, error) {
	f, err := os.Open(k.network)
	if err != nil {
		return nil, nil, jukinet.E("oplog", jukinet.KindNotFound, jukinet.Field("network"), "cannot read the network description", err)
	}
	defer f.Close()
	d, err := network.LoadDescription(f)
	if err != nil {
		return nil, nil, err
	}
	lv, wv, err := node.LogVerifiers(d, k.domain, id)
	if err != nil {
		return nil, nil, err
	}
	return lv, []note.Verifier{wv}, nil
}

func (k *keyFlags) registerSign(fs *flag.FlagSet) {
	fs.StringVar(&k.keyFile, "key", "", "the node's Ed25519 signing key (PEM)")
	fs.StringVar(&k.witKeyFn, "witness-signing-key", "", "the prefecture witness's signing key (PEM), run in process")
	fs.StringVar(&k.witName, "witness-name", "witness", "the witness's key name")
}

func parseVerifierKey(s string) (note.Verifier, error) {
	if name, pub, ok := strings.Cut(s, "="); ok {
		k, err := pki.ParsePublicKey(pub)
		if err != nil {
			return nil, usageErr("key %q: %v", s, err)
		}
		return oplog.NewVerifier(name, k)
	}
	v, err := note.NewVerifier(s)
	if err != nil {
		return nil, usageErr("key %q is neither a note verifier key nor NAME=PUB", s)
	}
	return v, nil
}

// verifiers returns the log's and the witnesses' keys; id is the node
// whose log it is ("" when unknown: only with --network it is required).
func (k *keyFlags) verifiers(id string) (note.Verifier, []note.Verifier, error) {
	if k.network != "" {
		if k.logKey != "" || len(k.witness) > 0 {
			return nil, nil, usageErr("give either --network or --log-key/--witness-key")
		}
		if id == "" {
			return nil, nil, usageErr("--network needs the node (--node, or a proof of a log)")
		}
		return k.networkVerifiers(id)
	}
	if k.logKey == "" || len(k.witness) == 0 {
		return nil, nil, usageErr("--log-key and at least one --witness-key (or --network FILE) are required")
	}
	lv, err := parseVerifierKey(k.logKey)
	if err != nil {
		return nil, nil, err
	}
	var ws []note.Verifier
	for _, w := range k.witness {
		v, err := parseVerifierKey(w)
		if err != nil {
			return nil, nil, err
		}
		ws = append(ws, v)
	}
	return lv, ws, nil
}

func loadSigner(path, name string) (note.Signer, ed25519.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, jukinet.E("oplog", jukinet.KindNotFound, jukinet.Field("key"), "cannot read the signing key", err)
	}
	priv, err := pki.ParseSigningKeyPEM(data)
	if err != nil {
		return nil, nil, err
	}
	s, err := oplog.NewSigner(name, priv)
	return s, priv.Public().(ed25519.PublicKey), err
}

// verifierKey prints a key as a note verifier key string.
func verifierKey(name string, pub ed25519.PublicKey) string {
	k, _ := note.NewEd25519VerifierKey(name, pub)
	return k
}

func runOplogCheckpoint(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("oplog checkpoint", stderr)
	var df dbFlags
	var kf keyFlags
	df.register(fs, "")
	kf.registerVerify(fs)
	kf.registerSign(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if kf.keyFile == "" || kf.witKeyFn == "" {
		return usageErr("--key and --witness-signing-key are required")
	}
	db, err := df.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	origin := oplog.Origin(kf.domain, df.node)
	signer, pub, err := loadSigner(kf.keyFile, origin)
	if err != nil {
		return err
	}
	witSigner, witPub, err := loadSigner(kf.witKeyFn, kf.witName)
	if err != nil {
		return err
	}
	logV, _ := oplog.NewVerifier(origin, pub)
	w, err := oplog.NewSQLWitness(db, witSigner, map[string]note.Verifier{origin: logV})
	if err != nil {
		return err
	}
	cp, err := oplog.NewCheckpointer(oplog.NewSQLLog(db), oplog.CheckpointerConfig{Origin: origin, Signer: signer, Witness: w})
	if err != nil {
		return err
	}
	c, err := cp.Checkpoint(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "checkpoint size %d cosigned %v\nlog key     %s\nwitness key %s\n", c.Size, c.Cosigned, verifierKey(origin, pub), verifierKey(kf.witName, witPub))
	return nil
}

func runOplogVerify(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("oplog verify", stderr)
	var df dbFlags
	var kf keyFlags
	df.register(fs, "")
	kf.registerVerify(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	db, err := df.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	lv, ws, err := kf.verifiers(df.node)
	if err != nil {
		return err
	}
	l := oplog.NewSQLLog(db)
	start := time.Now()
	bar := newProgress(stderr, "verify")
	size, err := l.Size(ctx)
	if err != nil {
		return err
	}
	r, err := l.Verify(ctx, oplog.Verifier{Origin: oplog.Origin(kf.domain, df.node), Log: lv, Witnesses: ws,
		Progress: func(rows uint64) { bar.update64(rows, size) }})
	bar.done()
	if err != nil {
		return err
	}
	pending, err := l.PendingCheckpoints(ctx)
	if err != nil {
		return err
	}
	if f := r.Failure; f != nil {
		column := ""
		if f.Table != "" {
			column = fmt.Sprintf(": column %s.%s", f.Table, f.Column)
		}
		fmt.Fprintf(stdout, "TAMPERED: first bad index %d: %s%s: %s\n", f.Index, f.Reason, column, f.Detail)
		return &exitError{code: 1, err: fmt.Errorf("operation log verification failed at index %d: %s%s", f.Index, f.Reason, column)}
	}
	fmt.Fprintf(stdout, "ok: %d rows, %d cosigned checkpoints, rows [.., %d) proven, %d rows after the last checkpoint, %d checkpoints pending cosignature, %.1fs\n",
		r.Rows, r.Checkpoints, r.Verified, r.Rows-min(r.Rows, r.Verified), pending, time.Since(start).Seconds())
	return nil
}

func runOplogProve(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("oplog prove", stderr)
	var df dbFlags
	var af actorFlags
	df.register(fs, "")
	af.register(fs)
	index := fs.Int64("index", -1, "the record's log index")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *index < 0 {
		return usageErr("--index N is required")
	}
	actx, db, err := openAs(ctx, &af, &df)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.View(actx, store.Op{Operation: jukinet.OpOplogProve, Detail: fmt.Sprintf("prove %d", *index)}, nil); err != nil {
		return err
	}
	p, err := oplog.Prove(ctx, oplog.NewSQLLog(db), uint64(*index))
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// runOplogExport writes every record the latest cosigned checkpoint
// commits to as JSON lines, then the tree head (docs/oplog.md "Export"):
// an auditor recomputes the root with any RFC 6962 implementation. The
// export is itself a logged act (audit or access_admin).
func runOplogExport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("oplog export", stderr)
	var df dbFlags
	var af actorFlags
	df.register(fs, "")
	af.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	actx, db, err := openAs(ctx, &af, &df)
	if err != nil {
		return err
	}
	defer db.Close()
	l := oplog.NewSQLLog(db)
	cp, ok, err := l.LatestCheckpoint(ctx, true)
	if err != nil {
		return err
	}
	detail := "export: no cosigned checkpoint"
	if ok {
		detail = fmt.Sprintf("export [0, %d)", cp.Size)
	}
	if err := db.View(actx, store.Op{Operation: jukinet.OpOplogExport, Detail: detail}, nil); err != nil {
		return err
	}
	head, err := oplog.Export(ctx, l, stdout)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	fmt.Fprintf(stderr, "exported %d records, root %s\n", head.TreeSize, head.Root)
	return nil
}

func runOplogVerifyProof(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usageErr("jukinet oplog verify-proof FILE --log-key … --witness-key …")
	}
	file := args[0]
	fs := newFlags("oplog verify-proof", stderr)
	var kf keyFlags
	kf.registerVerify(fs)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return jukinet.E("oplog verify-proof", jukinet.KindNotFound, jukinet.Field("file"), err)
	}
	var p oplog.Proof
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	// With --network the node is the one the proof's checkpoint names.
	origin, _, _ := strings.Cut(string(p.Checkpoint), "\n")
	id := ""
	if rest, ok := strings.CutPrefix(origin, kf.domain+oplog.OriginPrefix); ok {
		id = rest
	}
	lv, ws, err := kf.verifiers(id)
	if err != nil {
		return err
	}
	if err := oplog.VerifyProof(p, append([]note.Verifier{lv}, ws...)...); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ok: record %d is in the log of size %d\n", p.Index, p.Size)
	return nil
}

// parseTime accepts RFC 3339 or a JST date YYYY-MM-DD.
func parseTime(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, jukinet.JST); err == nil {
		return t, nil
	}
	return time.Time{}, usageErr("--%s %q is neither RFC 3339 nor YYYY-MM-DD", name, s)
}

func runOplogQuery(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("oplog query", stderr)
	var df dbFlags
	var af actorFlags
	df.register(fs, "")
	af.register(fs)
	var f oplog.Filter
	fs.StringVar(&f.CollationID, "operator", "", "照合ID of the operator")
	fs.StringVar(&f.Resident, "resident", "", "resident code (matched through its log token)")
	fs.StringVar(&f.Operation, "operation", "", "operation name")
	fs.StringVar(&f.Terminal, "on-terminal", "", "terminal ID the records were made on")
	fs.StringVar(&f.Result, "result", "", "result (ok, forbidden, …)")
	from := fs.String("from", "", "from (RFC 3339 or YYYY-MM-DD JST)")
	to := fs.String("to", "", "to, exclusive")
	fs.IntVar(&f.Limit, "limit", 1000, "at most this many records")
	asJSON := fs.Bool("json", false, "JSON output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var err error
	if f.From, err = parseTime("from", *from); err != nil {
		return err
	}
	if f.To, err = parseTime("to", *to); err != nil {
		return err
	}
	actx, db, err := openAs(ctx, &af, &df)
	if err != nil {
		return err
	}
	defer db.Close()
	es, err := oplog.Query(actx, db, f)
	if err != nil {
		return err
	}
	if *asJSON {
		if es == nil {
			es = []oplog.Entry{}
		}
		return json.NewEncoder(stdout).Encode(es)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "IDX\tTIME\t照合ID\tTERMINAL\tOPERATION\tSUBJECT\tPURPOSE\tRESULT")
	for _, e := range es {
		who := e.CollationID
		if e.Principal != "" {
			who = "system:" + e.Principal
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Index, e.Time.Format("2006-01-02 15:04:05"), who, e.Terminal, e.Operation, e.Subject, e.Purpose, e.Result)
	}
	return tw.Flush()
}

func runOplogReport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("oplog report", stderr)
	var df dbFlags
	var af actorFlags
	df.register(fs, "")
	af.register(fs)
	from := fs.String("from", "", "from (RFC 3339 or YYYY-MM-DD JST), required")
	to := fs.String("to", "", "to, exclusive, required")
	var cfg oplog.ReportConfig
	fs.IntVar(&cfg.BulkSubjects, "bulk", 30, "more distinct residents per operator per hour is a finding")
	fs.IntVar(&cfg.LoginFailures, "login-failures", 3, "this many failed logins within an hour is a finding")
	asJSON := fs.Bool("json", false, "JSON output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var err error
	if cfg.From, err = parseTime("from", *from); err != nil {
		return err
	}
	if cfg.To, err = parseTime("to", *to); err != nil {
		return err
	}
	if cfg.From.IsZero() || cfg.To.IsZero() {
		return usageErr("--from and --to are required")
	}
	actx, db, err := openAs(ctx, &af, &df)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := oplog.Analyse(actx, db, cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(rep)
	}
	fmt.Fprintf(stdout, "%d records from %s to %s: %d findings\n", rep.Records, rep.From.Format(time.RFC3339), rep.To.Format(time.RFC3339), len(rep.Findings))
	for _, n := range rep.Notes {
		fmt.Fprintln(stdout, "note:", n)
	}
	for _, f := range rep.Findings {
		fmt.Fprintf(stdout, "%-15s %-10s %s; evidence: %v\n", f.Kind, f.CollationID, f.Detail, f.Indices)
	}
	return nil
}

func runOplogSeal(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("oplog seal", stderr)
	var df dbFlags
	var af actorFlags
	var kf keyFlags
	df.register(fs, "")
	af.register(fs)
	kf.registerVerify(fs)
	fs.StringVar(&kf.keyFile, "key", "", "the node's Ed25519 signing key (PEM)")
	month := fs.String("month", "", "the month to seal, YYYY-MM (JST)")
	out := fs.String("out", "", "archive file to write (mode 0600)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *month == "" || *out == "" || kf.keyFile == "" {
		return usageErr("--month, --out and --key are required")
	}
	actx, db, err := openAs(ctx, &af, &df)
	if err != nil {
		return err
	}
	defer db.Close()
	lv, ws, err := kf.verifiers(df.node)
	if err != nil {
		return err
	}
	signer, _, err := loadSigner(kf.keyFile, oplog.Origin(kf.domain, df.node))
	if err != nil {
		return err
	}
	file, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return jukinet.E("oplog seal", jukinet.KindConflict, jukinet.Field("out"), "cannot create the archive (it must not exist yet)", err)
	}
	// The archive's size is known only at the end: the bar counts bytes.
	bar := newByteProgress(stderr, "seal "+*month)
	s, err := oplog.SealMonth(actx, oplog.NewSQLLog(db), *month, bar.writer(file), signer, append([]note.Verifier{lv}, ws...)...)
	bar.done()
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(*out)
		return err
	}
	fmt.Fprintf(stdout, "sealed %s: records [%d, %d) under checkpoint %d → %s\n", s.Month, s.First, s.First+s.Count, s.CheckpointSize, *out)
	return nil
}

func runOplogVerifySeal(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usageErr("jukinet oplog verify-seal FILE --log-key … --witness-key …")
	}
	fs := newFlags("oplog verify-seal", stderr)
	var kf keyFlags
	kf.registerVerify(fs)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	lv, ws, err := kf.verifiers("")
	if err != nil {
		return err
	}
	f, err := os.Open(args[0])
	if err != nil {
		return jukinet.E("oplog verify-seal", jukinet.KindNotFound, jukinet.Field("file"), err)
	}
	defer f.Close()
	s, err := oplog.VerifySeal(f, lv, ws...)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ok: %s of %s, records [%d, %d), checkpoint %d\n", s.Month, s.Origin, s.First, s.First+s.Count, s.CheckpointSize)
	return nil
}

func runOplogPurge(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("oplog purge", stderr)
	var df dbFlags
	var af actorFlags
	df.register(fs, "")
	af.register(fs)
	before := fs.String("before", "", "purge sealed months before YYYY-MM (at least 7 years ago)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *before == "" {
		return usageErr("--before YYYY-MM is required")
	}
	actx, db, err := openAs(ctx, &af, &df)
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := oplog.Purge(actx, oplog.NewSQLLog(db), *before)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "purged records [%d, %d) of months %s\n", r.From, r.Before, strings.Join(r.Months, ", "))
	return nil
}

// benchOplog: jukinet bench oplog [--records N] [--json] (SQLite).
func benchOplog(ctx context.Context, o benchOptions) (any, string, error) {
	if o.engine != "sqlite" {
		return nil, "", usageErr("bench oplog runs on --engine sqlite only so far")
	}
	dir, err := os.MkdirTemp("", "jukinet-bench-oplog-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(dir)
	cfg := bench.OplogConfig{Dir: dir, Records: o.records}
	if o.quick {
		cfg.AppendRecords = 10000
		cfg.RunRecords = 30000
		if cfg.Records == 0 {
			cfg.Records = 30000
		}
	}
	f, err := bench.Oplog(ctx, cfg)
	if err != nil {
		return nil, "", err
	}
	table := fmt.Sprintf("operation log (%s, %d records)\n  append (durable, 1,000/tx)  %12.0f records/s  (target ≥ 50,000; %.1f µs CPU each; a row per record)\n  append as record runs       %12.0f records/s  (%.1f µs CPU each; a system principal's per-message records)\n  bulk fill                   %12.0f records/s\n  first checkpoint            %12.2f s\n  incremental checkpoint      %12.1f ms (10,000 records)\n  verify                      %12.0f records/s  (target ≥ 1,000,000; %.2f µs CPU each)\n  query by resident           %12.2f ms (%d rows; target < 50)\n  verify, record runs         %12.0f records/s  (%.2f µs CPU each; a network node's log of %d records)\n",
		f.Engine, f.Records, f.AppendPerS, f.AppendCPUUs, f.AppendRunPerS, f.AppendRunCPUUs, f.FillPerS, f.CheckpointFullS, f.CheckpointIncrMS, f.VerifyPerS, f.VerifyCPUUs, f.QueryByResidentMS, f.QueryByResidentRows, f.VerifyRunPerS, f.VerifyRunCPUUs, f.VerifyRunRecords)
	return f, table, nil
}
