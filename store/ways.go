package store

import (
	"context"
	"database/sql"

	"github.com/jukinet/jukinet"
)

// The three ways into a node's database (docs/design.md "Three ways in"):
//
//  1. Update: an operation — its state, its outgoing messages and its
//     operation-log records in one transaction, authorized (docs/design.md §1.1).
//  2. View: an audited read — authorized like Update, and the persons it
//     shows are recorded (tx.Shown, tx.Person) in the operation log
//     (住民基本台帳法30条の29: the record of who read whose data). A
//     refusal is recorded by RecordRefusal.
//  3. Bookkeeping: derived or bookkeeping data outside any operation
//     (checkpoints, witness state, session touch, node metadata, delivery
//     state) and reads of rows that hold no resident's data. Every use
//     names a Purpose, and the purposes, with the reason each may bypass
//     Update and the tables it may touch, are listed in one place:
//     bookkeepingPurposes below.

// View is the audited read: it authorizes op for the actor in ctx as Update
// does, runs fn, whose reads record each person shown (tx.Shown or
// tx.Person), and appends the log records. fn may be nil when the read the
// record stands for runs beside it (a batch read on its own connections, a
// proof built from the log): the record is then the access itself. A View
// sends no message: one queued is an internal error and nothing is written.
func (db *DB) View(ctx context.Context, op Op, fn func(tx *Tx) error) error {
	if fn == nil {
		return db.viewLogOnly(ctx, op)
	}
	return db.Update(ctx, op, readOnly(op, fn))
}

// readOnly is fn refused if it queued a message: a read sends nothing
// (View, ViewIfIdle).
func readOnly(op Op, fn func(tx *Tx) error) func(tx *Tx) error {
	return func(tx *Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if tx.queuedAny() {
			return jukinet.E(string(op.Operation), jukinet.KindInternal, "a read queued a message: use Update")
		}
		return nil
	}
}

// ViewIfIdle is View on the writer's connection, run only if no write
// transaction is running (SQLite; on PostgreSQL it never runs): it reports
// whether it ran. On SQLite only the writer's connection keeps its page
// cache from one transaction to the next — a connection that reads after
// another one's commit starts with an empty cache —, so a read that may
// wait for nobody reads there, warm, and a caller whose read is refused
// here reads beside the writer instead (node.LookupIdentities). An actor
// op is refused to is refused and recorded as by View.
func (db *DB) ViewIfIdle(ctx context.Context, op Op, fn func(tx *Tx) error) (bool, error) {
	if db.engine != SQLite {
		return false, nil
	}
	actor, err := db.authorize(ctx, op)
	if err != nil {
		return false, err
	}
	unlock, ok := db.tryLockWriter()
	if !ok {
		return false, nil
	}
	recs, _, err := db.updateOn(ctx, actor, op, readOnly(op, fn), unlock, true)
	if err != nil {
		return true, err
	}
	db.afterUpdate(ctx, recs, nil)
	return true, nil
}

// RecordRefusal records that op was refused (or, for an operation that
// names a refusal, such as OpGovRefused, that the refusal happened): the
// one helper for refusals a caller decides itself (docs/design.md §1.3:
// refusals are evidence too). It authorizes op as Update does, so an
// actor who may not perform op is recorded as forbidden; nothing but the
// log record, with result "refused" (ResultRefused), is written.
func (db *DB) RecordRefusal(ctx context.Context, op Op) error {
	op.result = ResultRefused
	return db.Update(ctx, op, func(*Tx) error { return nil })
}

// Purpose is why a caller uses the Bookkeeping path; only the purposes
// declared here exist.
type Purpose struct{ name string }

// The purposes of the Bookkeeping path; each one's reason and tables are in
// bookkeepingPurposes.
var (
	Checkpoints = Purpose{"checkpoints"}
	Witness     = Purpose{"witness"}
	Sessions    = Purpose{"sessions"}
	NodeMeta    = Purpose{"node-meta"}
	Delivery    = Purpose{"delivery"}
	LogRead     = Purpose{"log-read"}
	BatchRead   = Purpose{"batch-read"}
	Status      = Purpose{"status"}
	Counts      = Purpose{"counts"}
	Inspect     = Purpose{"inspect"}
)

// bookkeepingPurposes is the one list of the exceptions to Update and View:
// what each purpose covers and why it needs no operation of its own, and
// the tables it may name in SQL (a name ending in "*" is a prefix). The
// root test TestBookkeepingPurposeTables holds every call site to its
// purpose's tables, so a purpose is a boundary, not only a label.
var bookkeepingPurposes = map[Purpose]purposeRule{
	Checkpoints: {
		reason: "the log's tree nodes, checkpoints, cosignatures, seals and purge markers: derived from the records Update " +
			"appended and verified against them; logging them would log the log",
		tables: []string{"oplog_node", "oplog_checkpoint", "oplog_seal", "oplog_purge*"},
	},
	Witness: {
		reason: "the largest checkpoint a witness has seen of each log, its own memory, not a node's business state",
		tables: []string{"witness_state"},
	},
	Sessions: {
		reason: "a session's last_seen moves on every request and the login steps read staff records; the login itself " +
			"and each refusal are logged by Update and RecordRefusal",
		tables: []string{"access_sessions", "access_operators", "access_operator_ids", "access_templates", "access_terminals"},
	},
	NodeMeta: {
		reason: "the node's own keys and markers, created once, no personal data",
		tables: []string{"node_meta"},
	},
	Delivery: {
		reason: "the outbox's and inbox's delivery state (sending, receipts, parked messages): rows Update queued, moved on " +
			"by the sender and receiver, whose business effects run in Update",
		tables: []string{"outbox", "outbox_receipts", "inbox", "inbox_versions"},
	},
	LogRead: {
		reason: "reading the operation log for verification, queries, reports and proofs, whose access is itself recorded " +
			"with View by the caller",
		tables: []string{"oplog", "oplog_*"},
	},
	BatchRead: {
		reason: "a batch read on several connections at once, recorded by the View that runs beside it (node.runtimeLookup)",
		tables: []string{"flow_identity"},
	},
	Status: {
		reason: "reads of rows that hold no resident's data: counts, status pages, health checks and staff records, whose " +
			"pages are authorized by their route's operation",
		tables: []string{"gov_*", "access_*", "outbox", "inbox", "network_refusals", "flow_code_pool", "flow_provisions",
			"flow_copy_requests", "reconcile_runs"},
	},
	Counts: {
		reason: "totals of tables that hold residents' data (how many residents, households, persons at national): " +
			"a count shows no person, so nobody's access is recorded; it may only count",
		tables:     []string{"residents", "households", "identity_history", "flow_identity"},
		countsOnly: true,
	},
	Inspect: {
		reason: "tests, the demo and the load generator inspect rows to wait for and report what happened; never a deployed " +
			"node's path",
		tables: []string{"flow_identity", "flow_identity_history", "outbox", "oplog"},
	},
}

// purposeRule is a Bookkeeping purpose's reason and the tables it may name.
type purposeRule struct {
	reason string
	tables []string
	// countsOnly: every SELECT under the purpose is COUNT(*) or a subquery of
	// them (the root test checks it).
	countsOnly bool
}

// Bookkeeping is the third way in: the handle for derived or bookkeeping
// data and for reads of rows without residents' data, used for purpose p,
// one of those in bookkeepingPurposes. It is not a way to change business
// state or to read a person: those are Update and View.
func (db *DB) Bookkeeping(p Purpose) *sql.DB {
	if _, ok := bookkeepingPurposes[p]; !ok {
		panic("store: undeclared bookkeeping purpose " + p.name)
	}
	return db.sql
}
