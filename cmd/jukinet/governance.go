package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/governance"
)

// runGov: jukinet gov ACT --db PATH [actor flags] < input.json
func runGov(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	acts := governance.Acts()
	sort.Slice(acts, func(i, j int) bool { return acts[i].Name < acts[j].Name })
	names := make([]string, len(acts))
	for i, a := range acts {
		names[i] = a.Name
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, "usage: jukinet gov ACT --db PATH --token T --keys DIR < input.json (--system: the first セキュリティ統括責任者 only)\nacts:")
		for _, a := range acts {
			fmt.Fprintf(stderr, "  %-20s %s\n", a.Name, a.Summary)
		}
		return usageErr("no act given")
	}
	act, found := governance.ActByName(args[0])
	if !found {
		return usageErr("unknown act %q (one of: %s)", args[0], strings.Join(names, ", "))
	}
	fs := newFlags("gov "+args[0], stderr)
	var dbf dbFlags
	var af actorFlags
	dbf.register(fs, "352063")
	af.register(fs)
	system := fs.Bool("system", false, "act as the setup system principal (only for the first セキュリティ統括責任者)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	db, err := dbf.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	actx := jukinet.WithActor(ctx, governance.BootstrapActor)
	if !*system {
		if actx, err = af.context(ctx, db); err != nil {
			return err
		}
	}
	in := act.Input()
	if !act.Read { // a read takes no input
		dec := json.NewDecoder(stdin)
		dec.DisallowUnknownFields()
		if err := dec.Decode(in); err != nil {
			return jukinet.E("gov", jukinet.KindInvalid, jukinet.Field("json"), "cannot decode the input", err)
		}
	}
	out, err := act.Do(actx, governance.New(db), in)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
