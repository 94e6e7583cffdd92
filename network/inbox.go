package network

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// ApplyFunc applies one received envelope inside the receiving node's
// transaction (node.Handler has this signature). Its error decides the
// envelope's outcome alone, never the batch's (see handlerOutcome): a
// business refusal (KindInvalid, KindTooLarge, KindNotFound, KindConflict,
// KindForbidden, KindExpired) rejects it for good; any other error is an
// internal failure, answered "retry later" for that envelope only. Either way
// its effects are rolled back.
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
// batch in ONE transaction (group commit), every envelope in its own
// savepoint so that its failure is its own.
//
// Ordering: for an ordered kind, version applied+1 is applied (then any
// parked successors); a later version is parked (accepted, applied when the
// gap fills); a version at or below the applied one is kept as history
// (accepted and recorded, never applied over newer data). Only an applied
// envelope advances its key's version: a rejected or failed one never does,
// so the person's later messages wait behind it (G2.2 accuracy) and a peer
// cannot skip a person's versions by sending one that fails.
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

// Deliver implements Inbox.
func (in *StoreInbox) Deliver(ctx context.Context, from string, envs []*Envelope) ([]Outcome, error) {
	outcomes := make([]Outcome, len(envs))
	run := func(savepoints bool) error {
		return in.db.Update(NetworkContext(ctx), store.Op{Operation: jukinet.OpNetworkReceive,
			Detail: fmt.Sprintf("batch of %d from %s", len(envs), from)}, func(tx *store.Tx) error {
			d := &delivery{in: in, tx: tx, from: from, envs: envs, outcomes: outcomes, savepoints: savepoints}
			return d.run()
		})
	}
	// Optimistically without a savepoint per envelope (two statements each);
	// the first handler error rolls the whole transaction back and the batch
	// runs again with them, so a failed envelope's effects are still undone.
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

// RetryParkedBatch bounds the keys one RetryParked transaction drains.
const RetryParkedBatch = 500

// RetryParked applies the parked envelopes that are next in their key's
// order — their predecessor was applied, but their own handler failed
// internally then (drain leaves them parked) — and the ones parked behind
// them. The sender was told "accepted, parked" and will not send them again,
// so the receiver retries them itself: the node runtime calls this
// periodically. It returns how many envelopes it settled; when none could
// be, nothing is written (not even a log record).
func (in *StoreInbox) RetryParked(ctx context.Context) (int, error) {
	const op = "network.StoreInbox.RetryParked"
	rows, err := in.db.Bookkeeping(store.Delivery).QueryContext(ctx, `SELECT DISTINCT p.ordering_key FROM inbox p JOIN inbox_versions v ON v.ordering_key = p.ordering_key
		WHERE p.state = 'parked' AND p.version = v.applied + 1 LIMIT $1`, RetryParkedBatch)
	if err != nil {
		return 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	var keys []any
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return 0, jukinet.E(op, jukinet.KindInternal, err)
		}
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	if len(keys) == 0 {
		return 0, nil
	}
	settled := 0
	err = in.db.Update(NetworkContext(ctx), store.Op{Operation: jukinet.OpNetworkReceive,
		Detail: fmt.Sprintf("retry the parked envelopes of %d ordering keys", len(keys))}, func(tx *store.Tx) error {
		d := &delivery{in: in, tx: tx, savepoints: true}
		if err := d.loadState(nil, keys); err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		for _, k := range keys {
			if err := d.drain(k.(string)); err != nil {
				return err
			}
		}
		if settled = len(d.unparked); settled == 0 {
			return errNothingSettled
		}
		return d.write()
	})
	if errors.Is(err, errNothingSettled) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return settled, nil
}

// errNothingSettled rolls back a RetryParked that settled nothing.
var errNothingSettled = errors.New("network.StoreInbox.RetryParked: nothing settled")

// errNeedSavepoints stops an optimistic delivery at its first handler error.
var errNeedSavepoints = errors.New("network.StoreInbox: a handler failed: deliver again with savepoints")

// handlerOutcome is the outcome of an envelope whose handler returned err.
// A business refusal is final: the sender dead-letters the message with the
// reason (G2.2 continuity: the link goes on). Anything else is the
// receiver's own failure: the envelope is answered "internal, retry later",
// recorded nowhere here, and the sender retries it alone (bounded) while the
// rest of the batch goes on.
func handlerOutcome(err error) Outcome {
	switch jukinet.ErrorKind(err) {
	case jukinet.KindInvalid, jukinet.KindTooLarge:
		return Outcome{Status: StatusRejected, Reason: ReasonInvalidBody, Detail: handlerDetail(err)}
	case jukinet.KindNotFound, jukinet.KindConflict, jukinet.KindForbidden, jukinet.KindExpired:
		return Outcome{Status: StatusRejected, Reason: ReasonRefused, Detail: handlerDetail(err)}
	}
	return Outcome{Status: StatusRejected, Reason: ReasonInternal, Detail: "the receiver failed to apply it; retry later"}
}

// handlerDetail is a handler error's text for the receipt, without long
// digit runs: a handler's message may quote a 住民票コード or 個人番号, and
// the receipt is kept and shown at the sender (G16-2.1: no leakage).
func handlerDetail(err error) string {
	d := []byte(detail(err))
	out := d[:0]
	for i := 0; i < len(d); {
		j := i
		for j < len(d) && d[j] >= '0' && d[j] <= '9' {
			j++
		}
		if j-i >= 10 {
			out = append(out, '*')
			i = j
			continue
		}
		if j > i {
			out = append(out, d[i:j]...)
			i = j
			continue
		}
		out = append(out, d[i])
		i++
	}
	return string(out)
}

// failureSummary names where a handler failed and how (operation and error
// kind), for the receiver's log record: not the message, which may quote a
// resident code.
func failureSummary(err error) string {
	op := "handler"
	var je *jukinet.Error
	if errors.As(err, &je) && je.Op != "" {
		op = je.Op
	}
	return op + " failed (" + jukinet.ErrorKind(err).String() + ")"
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

// settledParked is a stored parked row that was applied or rejected now.
type settledParked struct {
	id, state, reason string
}

// earlier is what the inbox recorded for a message ID before.
type earlier struct{ state, reason string }

// delivery is one batch's pass through the inbox, inside its transaction.
type delivery struct {
	in         *StoreInbox
	tx         *store.Tx
	from       string // the peer that sent the batch (its certificate identity)
	envs       []*Envelope
	outcomes   []Outcome
	savepoints bool

	seen     map[string]earlier              // earlier receipts of these IDs
	applied  map[string]uint64               // applied version per ordering key
	touched  map[string]bool                 // keys whose version advanced
	parked   map[string]map[uint64]parkedEnv // parked envelopes per key and version
	rows     []inboxRow                      // rows to insert
	unparked []settledParked                 // stored parked rows settled now
	cause    string                          // failureSummary of the last internal failure
}

const deliverOp = "network.StoreInbox.Deliver"

func (d *delivery) run() error {
	d.tx.ExpectLogs(len(d.envs)) // a record per message
	if err := d.load(); err != nil {
		return jukinet.E(deliverOp, jukinet.KindInternal, err)
	}
	for i, e := range d.envs {
		o, err := d.handle(e)
		if err != nil {
			return err
		}
		d.outcomes[i] = o
	}
	return d.write()
}

// load reads the earlier receipts of the batch's IDs, and the applied
// version and parked envelopes of its ordering keys.
func (d *delivery) load() error {
	ids := make([]any, len(d.envs))
	keySet := map[string]bool{}
	var keys []any
	for i, e := range d.envs {
		ids[i] = e.ID.String()
		if e.OrderingKey != "" && !keySet[e.OrderingKey] {
			keySet[e.OrderingKey] = true
			keys = append(keys, e.OrderingKey)
		}
	}
	return d.loadState(ids, keys)
}

// loadState reads the earlier receipts of message IDs ids, and the applied
// version and parked envelopes of ordering keys keys.
func (d *delivery) loadState(ids, keys []any) error {
	d.seen = map[string]earlier{}
	d.applied = map[string]uint64{}
	d.touched = map[string]bool{}
	d.parked = map[string]map[uint64]parkedEnv{}
	if err := queryIn(d.tx, `SELECT message_id, state, reason FROM inbox WHERE message_id IN `, ids, func(scan func(...any) error) error {
		var id string
		var e earlier
		if err := scan(&id, &e.state, &e.reason); err != nil {
			return err
		}
		d.seen[id] = e
		return nil
	}); err != nil {
		return err
	}
	if err := queryIn(d.tx, `SELECT ordering_key, applied FROM inbox_versions WHERE ordering_key IN `, keys, func(scan func(...any) error) error {
		var k string
		var v int64
		if err := scan(&k, &v); err != nil {
			return err
		}
		d.applied[k] = uint64(v)
		return nil
	}); err != nil {
		return err
	}
	return queryIn(d.tx, `SELECT envelope FROM inbox WHERE state = 'parked' AND ordering_key IN `, keys, func(scan func(...any) error) error {
		var b []byte
		if err := scan(&b); err != nil {
			return err
		}
		e, err := DecodeEnvelope(b)
		if err != nil {
			return err
		}
		d.park(e, parkedEnv{env: e, stored: true})
		return nil
	})
}

func (d *delivery) park(e *Envelope, p parkedEnv) {
	if d.parked[e.OrderingKey] == nil {
		d.parked[e.OrderingKey] = map[uint64]parkedEnv{}
	}
	d.parked[e.OrderingKey][e.Version] = p
}

// handle decides one envelope: duplicate, refused kind, or by its ordering.
// An error fails the batch (nothing of it is kept).
func (d *delivery) handle(e *Envelope) (Outcome, error) {
	if prev, ok := d.seen[e.ID.String()]; ok {
		d.logMsg(e, "duplicate", "")
		if prev.state == inboxRejected {
			r, _ := ParseReason(prev.reason)
			return Outcome{Status: StatusRejected, Reason: r, Detail: "rejected before"}, nil
		}
		return Outcome{Status: StatusDuplicate}, nil
	}
	if _, ok := d.in.handlers[e.Kind]; !ok {
		d.rows = append(d.rows, inboxRow{env: e, state: inboxRejected, reason: ReasonForbiddenKind.String()})
		d.logMsg(e, "rejected", "no handler")
		return Outcome{Status: StatusRejected, Reason: ReasonForbiddenKind, Detail: "this node has no handler for " + e.Kind.String()}, nil
	}
	// An ordering key the sender is not responsible for is refused before
	// any version logic: it never advances (or parks at) anyone's version.
	if d.in.AuthorizeKey != nil {
		if err := d.in.AuthorizeKey(d.tx, d.from, e); err != nil {
			if k := jukinet.ErrorKind(err); k != jukinet.KindInvalid && k != jukinet.KindForbidden && k != jukinet.KindConflict {
				return Outcome{}, err
			}
			reason := ReasonInvalidBody
			if e.Kind == KindIdentityRelay {
				reason = ReasonRelayMismatch
			}
			d.rows = append(d.rows, inboxRow{env: e, state: inboxRejected, reason: reason.String()})
			d.logMsg(e, "rejected", "ordering key not the sender's: "+detail(err))
			return Outcome{Status: StatusRejected, Reason: reason, Detail: detail(err)}, nil
		}
	}
	if e.Version == 0 {
		return d.applyNew(e)
	}
	cur := d.applied[e.OrderingKey]
	switch {
	case e.Version <= cur:
		d.rows = append(d.rows, inboxRow{env: e, state: inboxHistory})
		d.logMsg(e, "history", fmt.Sprintf("version %d ≤ applied %d", e.Version, cur))
		return Outcome{Status: StatusAccepted, Detail: "kept as history: a newer version is applied"}, nil
	case e.Version > cur+1:
		return d.parkNew(e, cur)
	}
	o, err := d.applyNew(e)
	if err != nil || o.Status != StatusAccepted {
		return o, err
	}
	d.advance(e.OrderingKey, e.Version)
	return o, d.drain(e.OrderingKey)
}

// parkNew parks e until the versions before it are applied.
func (d *delivery) parkNew(e *Envelope, cur uint64) (Outcome, error) {
	if _, dup := d.parked[e.OrderingKey][e.Version]; dup {
		// Another message already holds this version: keep this one as history.
		d.rows = append(d.rows, inboxRow{env: e, state: inboxHistory})
		d.logMsg(e, "history", "version already parked")
		return Outcome{Status: StatusAccepted, Detail: "kept as history: this version is already parked"}, nil
	}
	b, err := EncodeEnvelope(e)
	if err != nil {
		return Outcome{}, jukinet.E(deliverOp, jukinet.KindInternal, err)
	}
	d.park(e, parkedEnv{env: e, row: len(d.rows)})
	d.rows = append(d.rows, inboxRow{env: e, state: inboxParked, envBytes: b})
	d.logMsg(e, "parked", fmt.Sprintf("version %d, applied %d", e.Version, cur))
	return Outcome{Status: StatusAccepted, Detail: "parked until the earlier versions arrive"}, nil
}

// applyNew applies an envelope of this batch and records its row: applied
// or rejected. One that failed internally gets no row, so that the sender's
// retry is not taken for a duplicate.
func (d *delivery) applyNew(e *Envelope) (Outcome, error) {
	o, err := d.apply(e)
	if err != nil {
		return o, err
	}
	switch {
	case o.Status == StatusAccepted:
		d.rows = append(d.rows, inboxRow{env: e, state: inboxApplied, applied: true})
		d.logMsg(e, "applied", "")
	case o.Reason == ReasonInternal:
		d.logMsg(e, "failed", "retry later: "+d.cause)
	default:
		d.rows = append(d.rows, inboxRow{env: e, state: inboxRejected, reason: o.Reason.String(), applied: true})
		d.logMsg(e, "rejected", o.Reason.String())
	}
	return o, nil
}

func (d *delivery) advance(key string, v uint64) {
	d.applied[key] = v
	d.touched[key] = true
}

// drain applies the parked successors of key's applied version, up to the
// first that is not applied: a rejected one is settled (its sender was told
// "parked" before; the rejection is in this inbox), a failed one stays parked
// for RetryParked.
func (d *delivery) drain(key string) error {
	for {
		next := d.applied[key] + 1
		p, ok := d.parked[key][next]
		if !ok {
			return nil
		}
		o, err := d.apply(p.env)
		if err != nil {
			return err
		}
		if o.Reason == ReasonInternal {
			d.logMsg(p.env, "failed", "(parked) stays parked for a retry: "+d.cause)
			return nil
		}
		delete(d.parked[key], next)
		state, reason, result := inboxApplied, "", "applied"
		if o.Status == StatusRejected {
			state, reason, result = inboxRejected, o.Reason.String(), "rejected"
		}
		d.logMsg(p.env, result, "(was parked)")
		if p.stored {
			d.unparked = append(d.unparked, settledParked{id: p.env.ID.String(), state: state, reason: reason})
		} else {
			r := &d.rows[p.row]
			r.state, r.reason, r.envBytes, r.applied = state, reason, nil, true
		}
		if o.Status == StatusRejected {
			return nil
		}
		d.advance(key, next)
	}
}

// apply runs e's handler (in a savepoint when d.savepoints) and returns its
// outcome; an error fails the batch.
func (d *delivery) apply(e *Envelope) (Outcome, error) {
	h := d.in.handlers[e.Kind]
	if !d.savepoints {
		if err := h(d.tx, e); err != nil {
			return Outcome{}, errNeedSavepoints
		}
		return Outcome{Status: StatusAccepted}, nil
	}
	mark, err := d.tx.Savepoint("inbox_envelope")
	if err != nil {
		return Outcome{}, jukinet.E(deliverOp, jukinet.KindInternal, err)
	}
	if herr := h(d.tx, e); herr != nil {
		// Undo the handler's rows, queued messages and log records. If even
		// that fails the transaction is unusable: the batch fails.
		if err := mark.Rollback(); err != nil {
			return Outcome{}, jukinet.E(deliverOp, jukinet.KindInternal, err)
		}
		o := handlerOutcome(herr)
		if o.Reason == ReasonInternal {
			d.cause = failureSummary(herr)
		}
		return o, nil
	}
	if err := mark.Release(); err != nil {
		return Outcome{}, jukinet.E(deliverOp, jukinet.KindInternal, err)
	}
	return Outcome{Status: StatusAccepted}, nil
}

// logMsg writes the one record of a received message, with the person and
// the note its handler gave (store.Tx.Note).
func (d *delivery) logMsg(e *Envelope, result, note string) {
	subject, said := d.tx.TakeNote()
	s := e.Kind.String() + " " + e.ID.String() + " from " + e.From
	if note != "" {
		s += " " + note
	}
	if said != "" {
		s += ": " + said
	}
	d.tx.Log(jukinet.OpNetworkReceive, subject, result, s)
}

// write inserts the batch's inbox rows, settles the stored parked rows that
// were applied and saves the advanced versions.
func (d *delivery) write() error {
	now := d.tx.NowMicro()
	args := make([]any, 0, len(d.rows)*10)
	for _, r := range d.rows {
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
	if err := d.tx.InsertRows(`INSERT INTO inbox (message_id, kind, sender, ordering_key, version, state, reason, envelope, received_at, applied_at) VALUES `, 10, args); err != nil {
		return jukinet.E(deliverOp, jukinet.KindInternal, "inbox", err)
	}
	for _, u := range d.unparked {
		if _, err := d.tx.Exec(`UPDATE inbox SET state = $1, reason = $2, envelope = NULL, applied_at = $3 WHERE message_id = $4`, u.state, u.reason, now, u.id); err != nil {
			return jukinet.E(deliverOp, jukinet.KindInternal, "inbox", err)
		}
	}
	vargs := make([]any, 0, 2*len(d.touched))
	for k := range d.touched {
		vargs = append(vargs, k, int64(d.applied[k]))
	}
	if err := d.tx.InsertRows(`INSERT INTO inbox_versions (ordering_key, applied) VALUES `, 2, vargs, ` ON CONFLICT (ordering_key) DO UPDATE SET applied = excluded.applied`); err != nil {
		return jukinet.E(deliverOp, jukinet.KindInternal, "inbox_versions", err)
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

// AppliedVersions returns the applied version of every ordering key that
// starts with prefix (e.g. "352063/": one municipality's persons), as the
// inbox orders them: a sender that resends must continue from these (the
// CS 整合性確認 reads them at the prefecture).
func AppliedVersions(tx *store.Tx, prefix string) (map[string]uint64, error) {
	const op = "network.AppliedVersions"
	// Every character of prefix matches itself: reject LIKE's wildcards.
	if strings.ContainsAny(prefix, `%_\`) {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "prefix", "must not contain %%, _ or \\")
	}
	rows, err := tx.Query(`SELECT ordering_key, applied FROM inbox_versions WHERE ordering_key LIKE $1`, prefix+"%")
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	defer rows.Close()
	out := map[string]uint64{}
	for rows.Next() {
		var k string
		var v int64
		if err := rows.Scan(&k, &v); err != nil {
			return nil, jukinet.E(op, jukinet.KindInternal, err)
		}
		out[k] = uint64(v)
	}
	if err := rows.Err(); err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	return out, nil
}

// AppliedVersion returns the applied version of ordering key key (0 when
// none was applied).
func AppliedVersion(tx *store.Tx, key string) (uint64, error) {
	var v int64
	err := tx.QueryRow(`SELECT applied FROM inbox_versions WHERE ordering_key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, jukinet.E("network.AppliedVersion", jukinet.KindInternal, err)
	}
	return uint64(v), nil
}

// AdvanceApplied records that the receiver's handler applied the state of
// version v of key by other means than the key's own messages (a restored
// national server's catch-up, node: identity.resync): the key's applied
// version becomes v unless it is already past it, and its parked envelopes
// at or below v become history, as they would had they arrived now. The
// parked successor of v is applied by RetryParked.
func AdvanceApplied(tx *store.Tx, key string, v uint64) error {
	const op = "network.AdvanceApplied"
	if _, err := tx.Exec(`INSERT INTO inbox_versions (ordering_key, applied) VALUES ($1, $2)
 ON CONFLICT (ordering_key) DO UPDATE SET applied = excluded.applied WHERE inbox_versions.applied < excluded.applied`, key, int64(v)); err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	if _, err := tx.Exec(`UPDATE inbox SET state = 'history', envelope = NULL WHERE state = 'parked' AND ordering_key = $1 AND version <= $2`, key, int64(v)); err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	return nil
}
