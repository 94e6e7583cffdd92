package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
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

// register adds --db, --dsn and --node. The node is the one the database
// records (store.Open); --node, e.g. example, is needed only for a new
// database not named DIR/<node>.db, and is refused when it names another
// node.
func (f *dbFlags) register(fs *flag.FlagSet, example string) {
	fs.StringVar(&f.path, "db", "", "SQLite database file of the node")
	fs.StringVar(&f.dsn, "dsn", "", "PostgreSQL connection URL of the node")
	usage := "node ID (LG code, or \"national\"): default the node the database records; needed for a new database"
	if example != "" {
		usage += ", e.g. " + example
	}
	fs.StringVar(&f.node, "node", "", usage)
}

// open opens the node database; afterwards f.node is its node.
func (f *dbFlags) open(ctx context.Context) (*store.DB, error) {
	if (f.path == "") == (f.dsn == "") {
		return nil, usageErr("give exactly one of --db PATH or --dsn URL")
	}
	node := f.node
	if _, err := os.Stat(f.path); node == "" && f.path != "" && errors.Is(err, fs.ErrNotExist) {
		// A new SQLite file named as the layout names them (DATA/<node>.db).
		base := strings.TrimSuffix(filepath.Base(f.path), filepath.Ext(f.path))
		if base != network.NationalID && !jukinet.ValidLGCode(base) {
			return nil, usageErr("%s does not exist: --node is required to create a node database", f.path)
		}
		node = base
	}
	db, err := store.Open(ctx, store.Config{Path: f.path, DSN: f.dsn, Node: node})
	if err != nil {
		return nil, err
	}
	f.node = db.Node()
	return db, nil
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
