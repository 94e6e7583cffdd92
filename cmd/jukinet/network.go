package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
)

// runNetwork implements `jukinet network status|dead-letters|receipt|reconcile`: a
// node's queues and the evidence of its deliveries, read from its database.
// They read queue metadata only (kinds, IDs, destinations, states, reasons),
// never a message body, as the terminal's status page does.
func runNetwork(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageErr("network: give status, dead-letters, receipt or reconcile")
	}
	sub, args := args[0], args[1:]
	if sub == "reconcile" {
		return runNetworkReconcile(ctx, args, stdout, stderr)
	}
	fset := newFlags("network "+sub, stderr)
	var df dbFlags
	df.register(fset, "352063")
	asJSON := fset.Bool("json", false, "print JSON")
	limit := fset.Int("limit", 100, "dead-letters: at most this many, newest first")
	id := fset.String("id", "", "receipt: the outbox message ID")
	desc := fset.String("network", "", "receipt: the network description (network.toml) whose keys verify the receipt")
	since := fset.Duration("since", 24*time.Hour, "status: show the listener's refusals of this long past")
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	db, err := df.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	var out printOut = func(v any, text func()) error {
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(v)
		}
		text()
		return nil
	}
	switch sub {
	case "status":
		return networkStatus(ctx, db, *since, stdout, out)
	case "dead-letters":
		return networkDeadLetters(ctx, db, *limit, stdout, out)
	case "receipt":
		return networkReceipt(ctx, db, *id, *desc, stdout, out)
	}
	return usageErr("network: unknown subcommand %q (status, dead-letters, receipt)", sub)
}

// printOut prints v as JSON (--json) or else runs text.
type printOut func(v any, text func()) error

// networkStatus prints the outbox and inbox queues, the dead letters that
// raised an alert and the listener's refusals of the last since.
func networkStatus(ctx context.Context, db *store.DB, since time.Duration, stdout io.Writer, out printOut) error {
	st, err := network.QueueStatus(ctx, db)
	if err != nil {
		return err
	}
	refused, err := network.Refusals(ctx, db, time.Now().Add(-since))
	if err != nil {
		return err
	}
	v := struct {
		network.StatusReport
		Refusals []network.RefusalCount `json:"refusals"` // by peer and reason, the most frequent first
	}{st, refused}
	return out(v, func() {
		for _, a := range st.Alerts {
			fmt.Fprintf(stdout, "ALERT dead letter %s  %s to %s at %s: %s\n", a.ID, a.Kind, a.Dest, time.UnixMicro(a.DoneAt).Format(time.RFC3339), a.Error)
		}
		for _, d := range st.Outbox {
			fmt.Fprintf(stdout, "outbox to %-8s pending %6d  rejected %4d", d.Dest, d.Pending, d.Rejected)
			if d.Pending > 0 {
				fmt.Fprintf(stdout, "  oldest %s", d.OldestPending.Round(time.Millisecond))
			}
			if d.LastError != "" {
				fmt.Fprintf(stdout, "  last error: %s", d.LastError)
			}
			fmt.Fprintln(stdout)
		}
		if len(st.Outbox) == 0 {
			fmt.Fprintln(stdout, "outbox: nothing pending, nothing rejected")
		}
		if st.Retrying > 0 {
			fmt.Fprintf(stdout, "outbox: %d message(s) waiting to be retried (the receiver failed to apply them)\n", st.Retrying)
		}
		fmt.Fprintf(stdout, "inbox: %d received, %d parked (waiting for an earlier version)\n", st.InboxTotal, st.InboxParked)
		if len(refused) == 0 {
			fmt.Fprintf(stdout, "refused: nothing in the last %s\n", since)
		}
		for _, r := range refused {
			fmt.Fprintf(stdout, "refused %-40s %-22s %8d  %s – %s\n", r.Peer, r.Reason, r.Count,
				r.First.In(jukinet.JST).Format(time.DateTime), r.Last.In(jukinet.JST).Format(time.DateTime))
		}
	})
}

// networkDeadLetters prints at most limit dead letters, newest first.
func networkDeadLetters(ctx context.Context, db *store.DB, limit int, stdout io.Writer, out printOut) error {
	rows, err := network.DeadLetters(ctx, db, limit)
	if err != nil {
		return err
	}
	return out(rows, func() {
		for _, r := range rows {
			fmt.Fprintf(stdout, "%s  %s  %s to %s: %s\n", time.UnixMicro(r.DoneAt).Format(time.RFC3339), r.ID, r.Kind, r.Dest, r.Error)
		}
		fmt.Fprintf(stdout, "%d dead letter(s)\n", len(rows))
	})
}

// networkReceipt prints the stored receipt of message id and, when desc
// names a network description, verifies its signature with the keys there.
func networkReceipt(ctx context.Context, db *store.DB, id, desc string, stdout io.Writer, out printOut) error {
	if id == "" {
		return usageErr("network receipt: give --id MESSAGE-ID")
	}
	rc, err := network.StoredReceipt(ctx, db, id)
	if err != nil {
		return err
	}
	view := receiptView{MessageID: rc.MessageID.String(), Status: rc.Status.String(), Receiver: rc.Receiver,
		Time: time.UnixMicro(rc.Time).Format(time.RFC3339Nano), Detail: rc.Detail, Signer: rc.Sig.Signer,
		BatchSize: rc.Sig.BatchSize, LeafIndex: rc.Sig.LeafIndex, Root: hex.EncodeToString(rc.Sig.Root)}
	if rc.Status == network.StatusRejected {
		view.Reason = rc.Reason.String()
	}
	var verr error
	if desc != "" {
		f, err := os.Open(desc)
		if err != nil {
			return usageErr("network receipt: %v", err)
		}
		d, err := network.LoadDescription(f)
		f.Close()
		if err != nil {
			return err
		}
		verr = network.VerifyReceipts([]*network.Receipt{rc}, d.Keys())
		view.Verified = verr == nil
	}
	if err := out(view, func() {
		fmt.Fprintf(stdout, "message %s: %s by %s at %s", view.MessageID, view.Status, view.Receiver, view.Time)
		if view.Reason != "" {
			fmt.Fprintf(stdout, " (%s: %s)", view.Reason, view.Detail)
		}
		fmt.Fprintf(stdout, "\nsigned by %s: leaf %d of a batch of %d, root %s\n", view.Signer, view.LeafIndex, view.BatchSize, view.Root)
		switch {
		case desc == "":
			fmt.Fprintln(stdout, "not verified (give --network network.toml to check the signature)")
		case verr == nil:
			fmt.Fprintln(stdout, "verified: the signature is the receiver's")
		}
	}); err != nil {
		return err
	}
	if verr != nil {
		return &exitError{code: 1, err: fmt.Errorf("network receipt: does not verify: %w", verr)}
	}
	return nil
}

// receiptView is a stored receipt as `network receipt` prints it.
type receiptView struct {
	MessageID string `json:"message_id"`
	Status    string `json:"status"`
	Reason    string `json:"reason,omitempty"`
	Detail    string `json:"detail,omitempty"`
	Receiver  string `json:"receiver"`
	Time      string `json:"time"`
	Signer    string `json:"signer"`
	BatchSize uint64 `json:"batch_size"`
	LeafIndex uint64 `json:"leaf_index"`
	Root      string `json:"root"`
	Verified  bool   `json:"verified"`
}
