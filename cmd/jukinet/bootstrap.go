package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/access"
)

// terminalList collects repeated --terminal ID[,NAME[,LOCATION]] flags.
type terminalList []access.Terminal

func (l *terminalList) String() string { return fmt.Sprint(len(*l)) }
func (l *terminalList) Set(v string) error {
	p := strings.SplitN(v, ",", 3)
	t := access.Terminal{ID: strings.TrimSpace(p[0]), Name: strings.TrimSpace(p[0])}
	if len(p) > 1 {
		t.Name = strings.TrimSpace(p[1])
	}
	if len(p) > 2 {
		t.Location = strings.TrimSpace(p[2])
	}
	*l = append(*l, t)
	return nil
}

// runAccessBootstrap: jukinet access bootstrap --db PATH|--dsn URL [--node ID]
// --keys DIR --terminal ID[,NAME[,LOCATION]]... --collation-id ID --name NAME
// --department DEPT --reading FILE --decision REF
//
// The first operator of a deployed node (access.Service.Bootstrap): the
// terminals with their certificates issued, and the アクセス管理責任者 who
// enrols everyone else at the admin console.
func runAccessBootstrap(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("access bootstrap", stderr)
	var db dbFlags
	db.register(fs, "")
	keys := fs.String("keys", "", "directory of the biometric node key (DATA/<node>)")
	var terms terminalList
	fs.Var(&terms, "terminal", "a terminal to register: ID[,NAME[,LOCATION]] (repeatable)")
	var f access.FirstOperator
	fs.StringVar(&f.CollationID, "collation-id", "", "照合ID of the first operator")
	fs.StringVar(&f.Name, "name", "", "their name")
	fs.StringVar(&f.Department, "department", "", "their department")
	readingFile := fs.String("reading", "", "file with their reading from the node's reader, in hex (docs/reader.md)")
	fs.StringVar(&f.DecisionRef, "decision", "", "reference of the decision appointing them アクセス管理責任者")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *keys == "" || *readingFile == "" {
		return usageErr("--keys and --reading are required")
	}
	raw, err := os.ReadFile(*readingFile)
	if err != nil {
		return jukinet.E("access bootstrap", jukinet.KindNotFound, jukinet.Field("reading"), err)
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(b) != len(f.Reading) {
		return jukinet.Errorf("access bootstrap", jukinet.KindInvalid, "reading", "the reading file must hold %d bytes in hex", len(f.Reading))
	}
	copy(f.Reading[:], b)
	f.Terminals = terms
	ring, err := access.LoadNodeKeys(*keys)
	if err != nil {
		return err
	}
	d, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	svc, err := access.New(d, ring, access.Options{})
	if err != nil {
		return err
	}
	id, err := svc.Bootstrap(ctx, f)
	if err != nil {
		return err
	}
	for _, t := range terms {
		fmt.Fprintf(stdout, "terminal %s registered\n", t.ID)
	}
	fmt.Fprintf(stdout, "operator %s: 操作者ID %s (%s)\n", f.CollationID, id, jukinet.AuthorityAccessAdmin.Japanese())
	return nil
}
