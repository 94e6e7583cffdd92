package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"path/filepath"
	"strings"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/pki"
)

const pkiUsage = `usage:
  jukinet pki init  --dir DIR [--name NAME] [--validity DURATION] [--force]
  jukinet pki issue --dir DIR --node ID [--host HOST]... [--validity DURATION] [--force]
  jukinet pki issue --dir DIR --terminal NODE/TERMINAL [--validity DURATION] [--force]
  jukinet pki revoke --dir DIR (--node ID | --terminal NODE/TERMINAL | --agency ID | --cert FILE | --serial HEX)...
                     [--reason N] [--next-update DURATION]
`

// runPKI implements `jukinet pki`: create the network CA and issue node and
// terminal certificates into a PKI directory (layout in package pki). Usage
// errors are KindInvalid with op "pki".
func runPKI(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, pkiUsage)
		return jukinet.E("pki", jukinet.KindInvalid, "usage: jukinet pki init|issue|revoke …")
	}
	switch args[0] {
	case "init":
		return runPKIInit(args[1:], stdout, stderr)
	case "issue":
		return runPKIIssue(args[1:], stdout, stderr)
	case "revoke":
		return runPKIRevoke(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, pkiUsage)
		return nil
	}
	fmt.Fprint(stderr, pkiUsage)
	return jukinet.Errorf("pki", jukinet.KindInvalid, "", "usage: unknown subcommand %q (want init, issue or revoke)", args[0])
}

// hostList collects repeated --host flags.
type hostList []string

func (h *hostList) String() string     { return strings.Join(*h, ",") }
func (h *hostList) Set(v string) error { *h = append(*h, v); return nil }

// parsePKIFlags parses args with fs; errHelp reports -h.
func parsePKIFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	err = fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return true, nil
	}
	if err != nil {
		return false, jukinet.E("pki", jukinet.KindInvalid, "usage: "+err.Error())
	}
	if fs.NArg() > 0 {
		return false, jukinet.Errorf("pki", jukinet.KindInvalid, "", "usage: unexpected argument %q", fs.Arg(0))
	}
	return false, nil
}

func newPKIFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("jukinet pki "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, pkiUsage)
		fs.PrintDefaults()
	}
	return fs
}

func runPKIInit(args []string, stdout, stderr io.Writer) error {
	fs := newPKIFlagSet("init", stderr)
	dir := fs.String("dir", "", "PKI directory (created with mode 0700)")
	name := fs.String("name", "jukinet network CA", "CA common name")
	validity := fs.Duration("validity", pki.DefaultCAValidity, "CA lifetime")
	force := fs.Bool("force", false, "replace an existing CA (every certificate it issued stops verifying)")
	if help, err := parsePKIFlags(fs, args); help || err != nil {
		return err
	}
	if *dir == "" {
		return jukinet.E("pki", jukinet.KindInvalid, jukinet.Field("dir"), "usage: --dir is required")
	}
	ca, err := pki.Init(*dir, pki.Options{Name: *name, Validity: *validity, Overwrite: *force})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created CA %q in %s (expires %s)\n", ca.Cert.Subject.CommonName, *dir, formatExpiry(ca.NotAfter()))
	return nil
}

func runPKIIssue(args []string, stdout, stderr io.Writer) error {
	fs := newPKIFlagSet("issue", stderr)
	dir := fs.String("dir", "", "PKI directory holding ca.crt and ca.key")
	node := fs.String("node", "", "node ID to issue a node certificate and signing key for (e.g. 352063, national)")
	terminal := fs.String("terminal", "", "NODE/TERMINAL to issue a terminal certificate for")
	var hosts hostList
	fs.Var(&hosts, "host", "IP address or DNS name for the node certificate (repeatable)")
	validity := fs.Duration("validity", pki.DefaultCertValidity, "certificate lifetime")
	force := fs.Bool("force", false, "replace existing files (a new signing key must be published again)")
	if help, err := parsePKIFlags(fs, args); help || err != nil {
		return err
	}
	if *dir == "" {
		return jukinet.E("pki", jukinet.KindInvalid, jukinet.Field("dir"), "usage: --dir is required")
	}
	opts := pki.Options{Validity: *validity, Overwrite: *force}
	switch {
	case *node != "" && *terminal != "":
		return jukinet.E("pki", jukinet.KindInvalid, "usage: give --node or --terminal, not both")
	case *node != "":
		creds, err := pki.IssueNodeFiles(*dir, *node, hosts, opts)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "issued node %s in %s (expires %s)\n", creds.NodeID,
			filepath.Join(*dir, creds.NodeID), formatExpiry(creds.NotAfter()))
		// The line the network description needs.
		fmt.Fprintf(stdout, "public_key = %q\n", pki.FormatPublicKey(creds.SigningPublicKey()))
		return nil
	case *terminal != "":
		if len(hosts) > 0 {
			return jukinet.E("pki", jukinet.KindInvalid, jukinet.Field("host"), "usage: --host applies to node certificates only")
		}
		nodeID, termID, ok := strings.Cut(*terminal, "/")
		if !ok {
			return jukinet.E("pki", jukinet.KindInvalid, jukinet.Field("terminal"), "usage: --terminal must be NODE/TERMINAL, e.g. 352063/T01")
		}
		creds, err := pki.IssueTerminalFiles(*dir, nodeID, termID, opts)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "issued terminal %s/%s in %s (expires %s)\n", creds.NodeID, creds.TerminalID,
			filepath.Join(*dir, creds.NodeID, pki.TerminalsDir, creds.TerminalID), formatExpiry(creds.NotAfter()))
		return nil
	}
	return jukinet.E("pki", jukinet.KindInvalid, "usage: give --node ID or --terminal NODE/TERMINAL")
}

func formatExpiry(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// runPKIRevoke adds certificates to the network's CRL (DIR/crl.pem, signed by
// the CA in DIR). Nodes load it at start and on SIGHUP; copy it to each
// node's data directory first when nodes do not share DIR.
func runPKIRevoke(args []string, stdout, stderr io.Writer) error {
	fs := newPKIFlagSet("revoke", stderr)
	dir := fs.String("dir", "", "PKI directory holding ca.crt, ca.key and crl.pem")
	var nodes, terminals, agencies, certs, serials hostList
	fs.Var(&nodes, "node", "revoke the node certificate DIR/ID/node.crt (repeatable)")
	fs.Var(&terminals, "terminal", "revoke the terminal certificate of NODE/TERMINAL (repeatable)")
	fs.Var(&agencies, "agency", "revoke the agency certificate DIR/agencies/ID/agency.crt (repeatable)")
	fs.Var(&certs, "cert", "revoke the certificate in FILE (repeatable)")
	fs.Var(&serials, "serial", "revoke the serial number HEX (repeatable)")
	reason := fs.Int("reason", 0, "RFC 5280 reason code (0 unspecified, 1 keyCompromise, 4 superseded, 5 cessationOfOperation)")
	next := fs.Duration("next-update", pki.DefaultCRLValidity, "how far ahead the list's NextUpdate lies")
	if help, err := parsePKIFlags(fs, args); help || err != nil {
		return err
	}
	if *dir == "" {
		return jukinet.E("pki", jukinet.KindInvalid, jukinet.Field("dir"), "usage: --dir is required")
	}
	if *reason < 0 || *reason > 10 || *reason == 7 {
		return jukinet.E("pki", jukinet.KindInvalid, jukinet.Field("reason"), "usage: --reason must be an RFC 5280 reason code (0–10 except 7)")
	}
	for _, id := range nodes {
		if err := pki.ValidateNodeID(id); err != nil {
			return jukinet.E("pki", jukinet.Field("node"), err)
		}
		certs = append(certs, filepath.Join(*dir, id, pki.NodeCertFile))
	}
	for _, t := range terminals {
		nodeID, termID, ok := strings.Cut(t, "/")
		if !ok || pki.ValidateNodeID(nodeID) != nil || pki.ValidateTerminalID(termID) != nil {
			return jukinet.E("pki", jukinet.KindInvalid, jukinet.Field("terminal"), "usage: --terminal must be NODE/TERMINAL, e.g. 352063/T01")
		}
		certs = append(certs, filepath.Join(*dir, nodeID, pki.TerminalsDir, termID, pki.TerminalCertFile))
	}
	for _, id := range agencies {
		if err := pki.ValidateAgencyID(id); err != nil {
			return jukinet.E("pki", jukinet.Field("agency"), err)
		}
		certs = append(certs, filepath.Join(*dir, pki.AgenciesDir, id, pki.AgencyCertFile))
	}
	var list []*big.Int
	for _, path := range certs {
		c, err := pki.ReadCertificateFile(path)
		if err != nil {
			return err
		}
		list = append(list, c.SerialNumber)
	}
	for _, h := range serials {
		n, ok := new(big.Int).SetString(strings.TrimPrefix(strings.ReplaceAll(strings.ToLower(h), ":", ""), "0x"), 16)
		if !ok || n.Sign() <= 0 {
			return jukinet.Errorf("pki", jukinet.KindInvalid, "serial", "usage: --serial %q is not a positive hexadecimal number", h)
		}
		list = append(list, n)
	}
	if len(list) == 0 {
		return jukinet.E("pki", jukinet.KindInvalid, "usage: name at least one certificate (--node, --terminal, --agency, --cert or --serial)")
	}
	rl, err := pki.RevokeFiles(*dir, list, *reason, pki.Options{Validity: *next})
	if err != nil {
		return err
	}
	for _, s := range list {
		fmt.Fprintf(stdout, "revoked serial %x\n", s)
	}
	fmt.Fprintf(stdout, "wrote %s: CRL %s, %d revoked, next update %s\n", filepath.Join(*dir, pki.CRLFile),
		rl.Number, len(rl.RevokedCertificateEntries), formatExpiry(rl.NextUpdate))
	fmt.Fprintln(stdout, "nodes apply it on SIGHUP (kill -HUP) or restart")
	return nil
}
