package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/access"
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

// actorFlags say who acts from the console. The command line cannot claim
// an identity (G11.2): with --token it acts as the operator who issued that
// single-use token from their session at a terminal (/console-token),
// verified with the node's keys; without one it is the console principal,
// recorded with the OS user and host and allowed only what the policy
// table grants システム管理 — never personal data (G16-2.1).
type actorFlags struct {
	token string
	keys  string
}

func (f *actorFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.token, "token", "", "single-use console token issued by an operator logged in at a terminal (/console-token); without it: the console principal (システム管理 only, no personal data)")
	fs.StringVar(&f.keys, "keys", "", "the node's key directory (verifies --token; compliance report: its file modes are checked, G12.1)")
	for _, gone := range []string{"collation-id", "operator-id", "authority", "terminal"} {
		fs.Func(gone, "removed: the console cannot name an operator; use --token", func(string) error {
			return errors.New("the console cannot claim an operator's identity: log in at a terminal, issue a console token (/console-token) and pass --token")
		})
	}
}

// context returns ctx carrying the actor of the console on db.
func (f *actorFlags) context(ctx context.Context, db *store.DB) (context.Context, error) {
	osUser, host := consoleIdentity()
	if f.token == "" {
		return jukinet.WithActor(ctx, jukinet.ConsoleActor(osUser, host)), nil
	}
	if f.keys == "" {
		return nil, usageErr("--token needs --keys DIR (the node's key directory) to verify it")
	}
	ring, err := access.LoadNodeKeys(f.keys)
	if err != nil {
		return nil, err
	}
	svc, err := access.New(db, ring, access.Options{})
	if err != nil {
		return nil, err
	}
	a, err := svc.RedeemConsoleToken(ctx, f.token, osUser, host)
	if err != nil {
		return nil, err
	}
	return jukinet.WithActor(ctx, a), nil
}

// consoleIdentity is the OS user and host the console runs as, recorded
// with every act of the console.
func consoleIdentity() (osUser, host string) {
	if u, err := user.Current(); err == nil {
		osUser = u.Username
	} else {
		osUser = os.Getenv("USER")
	}
	host, _ = os.Hostname()
	return osUser, host
}

// openAs opens the node database and resolves the console's actor: the
// context it returns carries that actor for every operation.
func openAs(ctx context.Context, af *actorFlags, df *dbFlags) (context.Context, *store.DB, error) {
	db, err := df.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	actx, err := af.context(ctx, db)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return actx, db, nil
}
