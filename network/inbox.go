package network

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// ApplyFunc applies one received envelope inside the receiving node's
// transaction (node.Handler has this signature). An error of kind
// KindInvalid or KindConflict rejects the envelope (ReasonInvalidBody) and
// rolls back its effects; any other error fails the whole batch.
type ApplyFunc func(tx *store.Tx, env *Envelope) error

// NetworkActor is the system principal of message delivery and receipt.
var networkActor = jukinet.SystemActor("network")

// NetworkContext returns ctx carrying the "network" system actor, the actor
// of every inbox and outbox transaction.
func NetworkContext(ctx context.Context) context.Context {
	return jukinet.WithActor(ctx, networkActor)
}

// Inbox states (table inbox).
const (
	inboxApplied  = "applied"
	inboxParked   = "parked"
	inboxHistory  = "history"
	inboxRejected = "rejected"
)

// StoreInbox is the Inbox of a node over its store.DB: it deduplicates by
// message ID, orders per person by (OrderingKey, Version) and applies each
// batch in ONE transaction (group commit, DESIGN.md §4).
//
// Ordering: for an ordered kind, version applied+1 is applied (then any
// parked successors); a later version is parked (accepted, applied when the
// gap fills); a version at or below the applied one is kept as history
// (accepted and recorded, never applied over newer data). A rejected
// envelope still advances its key's version, so that one bad message cannot
// block a person's later ones (it is in the sender's dead-letter list).
type StoreInbox struct {
	db       *store.DB
	handlers map[Kind]ApplyFunc
	// AuthorizeKey, if set, says whether from may send e with its ordering
	// key and version (the node package decides: a key is bound to its
	// sender). It runs before any ordering or version logic; a KindInvalid,
	// KindForbidden or KindConflict error rejects e without touching
	// inbox_versions (ReasonRelayMismatch for a relay, else
	// ReasonInvalidBody, with the error as detail); any other error fails the
	// batch. Set it before the first Deliver.
	AuthorizeKey func(tx *store.Tx, from string, e *Envelope) error
	observe      func(envs []*Envelope, outcomes []Outcome)
}

// Observe makes the inbox call f with each committed batch and its
// outcomes (the ops metrics count them by kind and status). Call it before
// the first Deliver; f runs on the delivery path and must be cheap.
func (in *StoreInbox) Observe(f func(envs []*Envelope, outcomes []Outcome)) { in.observe = f }

// NewStoreInbox returns the inbox of db with the given handlers; a kind
// without a handler is refused (deny by default).
func NewStoreInbox(db *store.DB, handlers map[Kind]ApplyFunc) *StoreInbox {
	h := make(map[Kind]ApplyFunc, len(handlers))
	for k, f := range handlers {
		h[k] = f
	}
	return &StoreInbox{db: db, handlers: h}
}

// inboxRow is a row to insert into the inbox.
type inboxRow struct {
	env      *Envelope
	state    string
	reason   string
	envBytes []byte // parked only
	applied  bool
}

// parkedEnv is a parked envelope waiting for its predecessor.
type parkedEnv struct {
	env    *Envelope
	stored bool // already a parked row in the table (else one of this batch)
	row    int  // index into rows when !stored
}

// Deliver implements Inbox.
func (in *StoreInbox) Deliver(ctx context.Context, from string, envs []*Envelope) ([]Outcome, error) {
	outcomes := make([]Outcome, len(envs))
	run := func(savepoints bool) error {
		return in.db.Update(NetworkContext(ctx), store.Op{Operation: jukinet.OpNetworkReceive,
			Detail: fmt.Sprintf("batch of %d from %s", len(envs), from)}, func(tx *store.Tx) error {
			return in.deliver(tx, from, envs, outcomes, savepoints)
		})
	}
	// Optimistically without a savepoint per envelope (two statements each);
	// the first rejection rolls the whole transaction back and the batch runs
	// again with them, so a rejected envelope's effects are still undone.
	err := run(false)
	if errors.Is(err, errNeedSavepoints) {
		clear(outcomes)
		err = run(true)
	}
	if err != nil {
		return nil, err
	}
	if in.observe != nil {
		in.observe(envs, outcomes)
	}
	return outcomes, nil
}

// errNeedSavepoints stops an optimistic delivery at its first rejection.
var errNeedSavepoints = errors.New("network.StoreInbox: an envelope was rejected: deliver again with savepoints")

func (in *StoreInbox) deliver(tx *store.Tx, from string, envs []*Envelope, outcomes []Outcome, savepoints bool) error {
	const op = "network.StoreInbox.Deliver"
	tx.ExpectLogs(len(envs)) // a record per message
	ids := make([]any, len(envs))
	keySet := map[string]bool{}
	var keys []any
	for i, e := range envs {
		ids[i] = e.ID.String()
		if e.OrderingKey != "" && !keySet[e.OrderingKey] {
			keySet[e.OrderingKey] = true
			keys = append(keys, e.OrderingKey)
		}
	}
	// Earlier receipts of these IDs.
	seen := map[string][2]string{} // id → state, reason
	if err := queryIn(tx, `SELECT message_id, state, reason FROM inbox WHERE message_id IN `, ids, func(scan func(...any) error) error {
		var id, st, rs string
		if err := scan(&id, &st, &rs); err != nil {
			return err
		}
		seen[id] = [2]string{st, rs}
		return nil
	}); err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	applied := map[string]uint64{}
	touched := map[string]bool{}
	if err := queryIn(tx, `SELECT ordering_key, applied FROM inbox_versions WHERE ordering_key IN `, keys, func(scan func(...any) error) error {
		var k string
		var v int64
		if err := scan(&k, &v); err != nil {
			return err
		}
		applied[k] = uint64(v)
		return nil
	}); err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	parked := map[string]map[uint64]parkedEnv{}
	if err := queryIn(tx, `SELECT envelope FROM inbox WHERE state = 'parked' AND ordering_key IN `, keys, func(scan func(...any) error) error {
		var b []byte
		if err := scan(&b); err != nil {
			return err
		}
		e, err := DecodeEnvelope(b)
		if err != nil {
			return err
		}
		if parked[e.OrderingKey] == nil {
			parked[e.OrderingKey] = map[uint64]parkedEnv{}
		}
		parked[e.OrderingKey][e.Version] = parkedEnv{env: e, stored: true}
		return nil
	}); err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}

	var rows []inboxRow
	var unparked []any // message IDs of stored parked rows now applied
	// apply runs env's handler in a savepoint; it reports the rejection
	// outcome, or an error that fails the batch.
	apply := func(e *Envelope) (Outcome, error) {
		h := in.handlers[e.Kind]
		if !savepoints {
			if err := h(tx, e); err != nil {
				if k := jukinet.ErrorKind(err); k != jukinet.KindInvalid && k != jukinet.KindConflict {
					return Outcome{}, err
				}
				return Outcome{}, errNeedSavepoints
			}
			return Outcome{Status: StatusAccepted}, nil
		}
		mark, err := tx.Savepoint("inbox_envelope")
		if err != nil {
			return Outcome{}, jukinet.E(op, jukinet.KindInternal, err)
		}
		if err := h(tx, e); err != nil {
			if k := jukinet.ErrorKind(err); k != jukinet.KindInvalid && k != jukinet.KindConflict {
				return Outcome{}, err
			}
			// Undo the handler's rows, queued messages and log records.
			if rerr := mark.Rollback(); rerr != nil {
				return Outcome{}, jukinet.E(op, jukinet.KindInternal, rerr)
			}
			return Outcome{Status: StatusRejected, Reason: ReasonInvalidBody, Detail: detail(err)}, nil
		}
		if err := mark.Release(); err != nil {
			return Outcome{}, jukinet.E(op, jukinet.KindInternal, err)
		}
		return Outcome{Status: StatusAccepted}, nil
	}
	// logMsg writes the one record of a received message, with the person
	// and the note its handler gave (store.Tx.Note).
	logMsg := func(e *Envelope, result, note string) {
		subject, said := tx.TakeNote()
		d := e.Kind.String() + " " + e.ID.String() + " from " + e.From
		if note != "" {
			d += " " + note
		}
		if said != "" {
			d += ": " + said
		}
		tx.Log(jukinet.OpNetworkReceive, subject, result, d)
	}
	// drain applies the parked successors of key after version v.
	drain := func(key string) error {
		for {
			next := applied[key] + 1
			p, ok := parked[key][next]
			if !ok {
				return nil
			}
			delete(parked[key], next)
			o, err := apply(p.env)
			if err != nil {
				return err
			}
			applied[key] = next
			touched[key] = true
			result := "applied"
			if o.Status == StatusRejected {
				result = "rejected"
			}
			logMsg(p.env, result, "(was parked)")
			if p.stored {
				unparked = append(unparked, p.env.ID.String(), result)
			} else {
				r := &rows[p.row]
				r.state, r.envBytes, r.applied = inboxApplied, nil, true
				if o.Status == StatusRejected {
					r.state, r.reason = inboxRejected, ReasonInvalidBody.String()
				}
			}
		}
	}
	for i, e := range envs {
		if prev, ok := seen[e.ID.String()]; ok {
			if prev[0] == inboxRejected {
				r, _ := ParseReason(prev[1])
				outcomes[i] = Outcome{Status: StatusRejected, Reason: r, Detail: "rejected before"}
			} else {
				outcomes[i] = Outcome{Status: StatusDuplicate}
			}
			logMsg(e, "duplicate", "")
			continue
		}
		if _, ok := in.handlers[e.Kind]; !ok {
			outcomes[i] = Outcome{Status: StatusRejected, Reason: ReasonForbiddenKind, Detail: "this node has no handler for " + e.Kind.String()}
			rows = append(rows, inboxRow{env: e, state: inboxRejected, reason: ReasonForbiddenKind.String()})
			logMsg(e, "rejected", "no handler")
			continue
		}
		if in.AuthorizeKey != nil {
			if err := in.AuthorizeKey(tx, from, e); err != nil {
				if k := jukinet.ErrorKind(err); k != jukinet.KindInvalid && k != jukinet.KindForbidden && k != jukinet.KindConflict {
					return err
				}
				reason := ReasonInvalidBody
				if e.Kind == KindIdentityRelay {
					reason = ReasonRelayMismatch
				}
				outcomes[i] = Outcome{Status: StatusRejected, Reason: reason, Detail: detail(err)}
				rows = append(rows, inboxRow{env: e, state: inboxRejected, reason: reason.String()})
				logMsg(e, "rejected", "ordering key not the sender's: "+detail(err))
				continue
			}
		}
		if e.Version == 0 {
			o, err := apply(e)
			if err != nil {
				return err
			}
			outcomes[i] = o
			row := inboxRow{env: e, state: inboxApplied, applied: true}
			if o.Status == StatusRejected {
				row.state, row.reason = inboxRejected, o.Reason.String()
				logMsg(e, "rejected", o.Reason.String())
			} else {
				logMsg(e, "applied", "")
			}
			rows = append(rows, row)
			continue
		}
		key := e.OrderingKey
		cur := applied[key]
		switch {
		case e.Version <= cur:
			outcomes[i] = Outcome{Status: StatusAccepted, Detail: "kept as history: a newer version is applied"}
			rows = append(rows, inboxRow{env: e, state: inboxHistory})
			logMsg(e, "history", fmt.Sprintf("version %d ≤ applied %d", e.Version, cur))
		case e.Version > cur+1:
			if _, dup := parked[key][e.Version]; dup {
				// Another message already holds this version: keep this one as history.
				outcomes[i] = Outcome{Status: StatusAccepted, Detail: "kept as history: this version is already parked"}
				rows = append(rows, inboxRow{env: e, state: inboxHistory})
				logMsg(e, "history", "version already parked")
				continue
			}
			b, err := EncodeEnvelope(e)
			if err != nil {
				return jukinet.E(op, jukinet.KindInternal, err)
			}
			if parked[key] == nil {
				parked[key] = map[uint64]parkedEnv{}
			}
			parked[key][e.Version] = parkedEnv{env: e, row: len(rows)}
			rows = append(rows, inboxRow{env: e, state: inboxParked, envBytes: b})
			outcomes[i] = Outcome{Status: StatusAccepted, Detail: "parked until the earlier versions arrive"}
			logMsg(e, "parked", fmt.Sprintf("version %d, applied %d", e.Version, cur))
		default:
			o, err := apply(e)
			if err != nil {
				return err
			}
			outcomes[i] = o
			applied[key] = e.Version
			touched[key] = true
			row := inboxRow{env: e, state: inboxApplied, applied: true}
			if o.Status == StatusRejected {
				row.state, row.reason = inboxRejected, o.Reason.String()
				logMsg(e, "rejected", o.Reason.String())
			} else {
				logMsg(e, "applied", "")
			}
			rows = append(rows, row)
			if err := drain(key); err != nil {
				return err
			}
		}
	}
	now := tx.NowMicro()
	args := make([]any, 0, len(rows)*10)
	for _, r := range rows {
		var env any
		if r.envBytes != nil {
			env = r.envBytes
		}
		var at int64
		if r.applied {
			at = now
		}
		args = append(args, r.env.ID.String(), r.env.Kind.String(), r.env.From, r.env.OrderingKey, int64(r.env.Version), r.state, r.reason, env, now, at)
	}
	if err := tx.InsertRows(`INSERT INTO inbox (message_id, kind, sender, ordering_key, version, state, reason, envelope, received_at, applied_at) VALUES `, 10, args); err != nil {
		return jukinet.E(op, jukinet.KindInternal, "inbox", err)
	}
	for i := 0; i < len(unparked); i += 2 {
		state, reason := inboxApplied, ""
		if unparked[i+1] == "rejected" {
			state, reason = inboxRejected, ReasonInvalidBody.String()
		}
		if _, err := tx.Exec(`UPDATE inbox SET state = $1, reason = $2, envelope = NULL, applied_at = $3 WHERE message_id = $4`, state, reason, now, unparked[i]); err != nil {
			return jukinet.E(op, jukinet.KindInternal, "inbox", err)
		}
	}
	vargs := make([]any, 0, 2*len(touched))
	for k := range touched {
		vargs = append(vargs, k, int64(applied[k]))
	}
	if err := tx.InsertRows(`INSERT INTO inbox_versions (ordering_key, applied) VALUES `, 2, vargs, ` ON CONFLICT (ordering_key) DO UPDATE SET applied = excluded.applied`); err != nil {
		return jukinet.E(op, jukinet.KindInternal, "inbox_versions", err)
	}
	return nil
}

// queryIn runs prefix + "(…)" over vals in chunks, calling row for each result row.
func queryIn(tx *store.Tx, prefix string, vals []any, row func(scan func(...any) error) error) error {
	const chunk = 500
	for start := 0; start < len(vals); start += chunk {
		end := min(start+chunk, len(vals))
		var q strings.Builder
		q.WriteString(prefix)
		q.WriteByte('(')
		for i := start; i < end; i++ {
			if i > start {
				q.WriteByte(',')
			}
			if tx.Engine() == store.SQLite {
				q.WriteByte('?') // see store.Tx.InsertRows: "$N" is slow on SQLite
			} else {
				fmt.Fprintf(&q, "$%d", i-start+1)
			}
		}
		q.WriteByte(')')
		rows, err := tx.Query(q.String(), vals[start:end]...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := row(rows.Scan); err != nil {
				rows.Close()
				return err
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}
