package main

import (
	"context"
	"errors"
	"flag"
	"io"

	"github.com/jukinet/jukinet/store"
)

var errFlagHelp = errors.New("help requested")

// newFlags makes a FlagSet that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("jukinet "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args and maps flag errors to usage errors (exit 2).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errFlagHelp
		}
		return usageErr("%v", err)
	}
	return nil
}

// dbFlags are the node-database flags shared by every command.
type dbFlags struct {
	path string
	dsn  string
	node string
}

func (f *dbFlags) register(fs *flag.FlagSet, defaultNode string) {
	fs.StringVar(&f.path, "db", "", "SQLite database file of the node")
	fs.StringVar(&f.dsn, "dsn", "", "PostgreSQL connection URL of the node")
	fs.StringVar(&f.node, "node", defaultNode, "node ID (LG code, or \"national\")")
}

func (f *dbFlags) open(ctx context.Context) (*store.DB, error) {
	if (f.path == "") == (f.dsn == "") {
		return nil, usageErr("give exactly one of --db PATH or --dsn URL")
	}
	return store.Open(ctx, store.Config{Path: f.path, DSN: f.dsn, Node: f.node})
}

// openAs checks the console operator's flags, then opens the node database:
// the context it returns carries that operator for every operation.
func openAs(ctx context.Context, af *actorFlags, df *dbFlags) (context.Context, *store.DB, error) {
	actx, err := af.context(ctx)
	if err != nil {
		return nil, nil, err
	}
	db, err := df.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	return actx, db, nil
}
