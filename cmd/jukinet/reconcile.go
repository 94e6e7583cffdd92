package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/node"
)

// runNetworkReconcile implements `jukinet network reconcile`: the CS
// 整合性確認 of a municipality's node against its prefecture's copy
// (docs/operations.md). It queues the request in the node's database; the
// running node (`jukinet serve`) delivers it, and applies the answer: the
// notices that differ are sent again through its outbox. It acts as the
// operator of --token only (G11.2: who started it is on record); it prints
// counts, never a person.
func runNetworkReconcile(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("network reconcile", stderr)
	var df dbFlags
	df.register(fs, "352063")
	var af actorFlags
	af.register(fs)
	prefecture := fs.String("prefecture", "", "the prefecture server's node ID (default: the municipality's prefecture code)")
	wait := fs.Duration("wait", 0, "wait this long for the prefecture's answer (the node must be running); 0: do not wait")
	run := fs.String("run", "", "show run ID (started before) instead of starting one")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if af.token == "" {
		return usageErr("network reconcile acts as an operator: log in at a terminal, issue a console token (/console-token) and pass --token and --keys")
	}
	actx, db, err := openAs(ctx, &af, &df)
	if err != nil {
		return err
	}
	defer db.Close()
	code := jukinet.LGCode(df.node)
	if !jukinet.ValidLGCode(df.node) || code.IsPrefecture() {
		return usageErr("network reconcile: node %s is not a municipality's CS", df.node)
	}
	m, err := node.NewMunicipality(db, node.MunicipalityConfig{Municipality: code, Prefecture: *prefecture})
	if err != nil {
		return err
	}
	id := *run
	if id == "" {
		if id, err = m.Reconcile(actx); err != nil {
			return err
		}
	}
	st, err := m.ReconcileStatus(ctx, id)
	if err == nil && *wait > 0 {
		wctx, cancel := context.WithTimeout(ctx, *wait)
		st, err = m.AwaitReconcile(wctx, id, 200*time.Millisecond)
		cancel()
	}
	if err != nil && !(jukinet.ErrorKind(err) == jukinet.KindUnavailable && *wait > 0) {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	printReconcile(stdout, st)
	return nil
}

func printReconcile(w io.Writer, st node.ReconcileRun) {
	fmt.Fprintf(w, "reconcile %s against %s: %d persons in %d buckets compared\n", st.ID, st.Peer, st.Persons, st.Buckets)
	if !st.Done {
		fmt.Fprintf(w, "waiting for the answer (%d of %d parts): the running node delivers the request; see it later with --run %s\n",
			st.PartsReceived, st.Parts, st.ID)
		return
	}
	fmt.Fprintf(w, "answered: %d buckets differed; %d persons resent (%d notices)\n", st.DifferingBuckets, st.ResentPersons, st.Messages)
	if st.PeerOnly > 0 {
		fmt.Fprintf(w, "%d persons are held by the prefecture and have no record here (a CS restored from an older backup): re-enter their 届出\n", st.PeerOnly)
	}
	if st.Unresolved > 0 {
		fmt.Fprintf(w, "%d persons could not be resent: notices the prefecture lacks are not recorded here\n", st.Unresolved)
	}
}
