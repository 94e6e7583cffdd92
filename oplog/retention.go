package oplog

import (
	"context"
	"strconv"
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/transparency-dev/merkle/compact"
)

// RetentionYears is how long the operation history stays in the database
// and analysable (G15: 7 years).
const RetentionYears = 7

// PurgeResult says what a purge deleted.
type PurgeResult struct {
	From, Before uint64   // indices [From, Before) were deleted
	Months       []string // the sealed months they belonged to
}

// Purge deletes the rows of every month before `before` ("YYYY-MM") by a
// logged act under the access_admin authority (the actor in ctx). It refuses
// (KindForbidden) when `before` is less than 7 years before the database's
// clock, and (KindConflict) when a month to delete has no seal. The guard
// trigger is lifted only inside the purge's transaction, for indices below
// the bound (table oplog_purge_allowed). The purge keeps each deleted
// record's leaf hash (also of the records inside runs) and the tree state at
// the bound, from which verify starts; the log record names each seal. It
// deletes the records' oplog_resident rows too, and refuses (KindInternal,
// KindConflict) a damaged table rather than purge part of it.
func Purge(ctx context.Context, l *SQLLog, before string) (PurgeResult, error) {
	const op = "oplog.Purge"
	bound, _, err := MonthBounds(before)
	if err != nil {
		return PurgeResult{}, jukinet.E(op, err)
	}
	now := l.db.Now()
	if bound.After(now.In(jukinet.JST).AddDate(-RetentionYears, 0, 0)) {
		return PurgeResult{}, jukinet.Errorf(op, jukinet.KindForbidden, "before",
			"records younger than %d years cannot be deleted: --before %s is after %s", RetentionYears, before, now.In(jukinet.JST).AddDate(-RetentionYears, 0, 0).Format("2006-01-02"))
	}
	var res PurgeResult
	if start, err := l.PurgeStart(ctx); err != nil {
		return res, err
	} else if start != nil {
		res.From = start.Size()
	}
	if res.Before, err = l.firstIndexAt(ctx, l.db.Bookkeeping(store.LogRead), bound); err != nil {
		return res, err
	}
	if res.Before <= res.From {
		return res, jukinet.Errorf(op, jukinet.KindNotFound, "before", "nothing before %s is left to purge", before)
	}
	// Every row to delete must lie in a sealed month, contiguously.
	rows, err := l.db.Bookkeeping(store.LogRead).QueryContext(ctx, `SELECT month, first_idx, count FROM oplog_seal WHERE first_idx + count > $1 AND first_idx < $2 ORDER BY first_idx`, int64(res.From), int64(res.Before))
	if err != nil {
		return res, jukinet.E(op, jukinet.KindInternal, err)
	}
	covered := res.From
	var details []string
	for rows.Next() {
		var month string
		var first, count int64
		if err := rows.Scan(&month, &first, &count); err != nil {
			rows.Close()
			return res, jukinet.E(op, jukinet.KindInternal, err)
		}
		if uint64(first) > covered {
			break
		}
		covered = max(covered, uint64(first+count))
		res.Months = append(res.Months, month)
	}
	rows.Close()
	if covered < res.Before {
		return res, jukinet.Errorf(op, jukinet.KindConflict, "before", "index %d (before %s) is in no sealed month: seal every month first", covered, before)
	}
	for _, m := range res.Months {
		var d string
		if err := l.db.Bookkeeping(store.LogRead).QueryRowContext(ctx, `SELECT month || ' first=' || first_idx || ' count=' || count FROM oplog_seal WHERE month = $1`, m).Scan(&d); err == nil {
			details = append(details, d)
		}
	}
	// The tree of [0, Before), from stored nodes and leaf hashes.
	ids := compact.RangeNodes(0, res.Before, nil)
	hashes := make([][]byte, len(ids))
	for i, id := range ids {
		h, err := subtreeHash(ctx, l, id)
		if err != nil {
			return res, jukinet.E(op, jukinet.KindInternal, "cannot rebuild the tree at the purge bound", err)
		}
		hashes[i] = h[:]
	}
	r, err := rangeFactory.NewRange(0, res.Before, hashes)
	if err != nil {
		return res, jukinet.E(op, jukinet.KindInternal, err)
	}
	state, _ := (&Tree{r: r}).MarshalBinary()
	detail := "purge [" + itoa(res.From) + ", " + itoa(res.Before) + ") sealed: " + strings.Join(details, "; ")
	err = l.db.Update(ctx, store.Op{Operation: jukinet.OpOplogPurge, Detail: detail}, func(tx *store.Tx) error {
		if err := keepPurgedHashes(tx, res.From, res.Before, purgeChunk); err != nil {
			return err
		}
		steps := []struct {
			q    string
			args []any
		}{
			{`INSERT INTO oplog_purge_allowed (before_idx) VALUES ($1)`, []any{int64(res.Before)}},
			{`DELETE FROM oplog WHERE idx < $1`, []any{int64(res.Before)}},
			// The residents of the purged records inside runs go with them.
			{`DELETE FROM oplog_resident WHERE idx < $1`, []any{int64(res.Before)}},
			{`DELETE FROM oplog_purge_allowed`, nil},
			{`INSERT INTO oplog_purge (before_idx, tree, months, created_at) VALUES ($1, $2, $3, $4)`, []any{int64(res.Before), state, strings.Join(res.Months, ","), tx.NowMicro()}},
		}
		for _, s := range steps {
			if _, err := tx.Exec(s.q, s.args...); err != nil {
				return jukinet.E(op, jukinet.KindInternal, err)
			}
		}
		return nil
	})
	if err != nil {
		return PurgeResult{}, err
	}
	return res, nil
}

// purgeChunk is the index range keepPurgedHashes reads at a time: the rows
// are read whole before their hashes are written (one connection cannot run
// a statement while a query's rows are open on PostgreSQL), so a chunk
// bounds the memory a purge of millions of records takes.
const purgeChunk = 16 * store.RunAlign

// keepPurgedHashes copies the leaf hash of every record of [from, before)
// into oplog_purged_hash, one row per record — a run row holds the hashes
// of its run's records one after the other (store/logrun.go) — reading
// chunk indices at a time (a run may end past a chunk). It refuses a
// table whose rows do not hold exactly the records [from, before): a missing
// index, a run whose hash column is not 32 bytes per record, or a run
// crossing the bound (a run's records share one time, so a month bound is a
// run start; only a damaged table has one across it). The rows are
// deleted only after this, in the same transaction: a purge never leaves
// half a run, nor a record whose hash is not kept.
func keepPurgedHashes(tx *store.Tx, from, before, chunk uint64) error {
	const op = "oplog.Purge"
	next := from // the index the next row must start at
	for next < before {
		hi := min(before, next+chunk)
		rows, err := tx.Query(`SELECT idx, run, leaf_hash FROM oplog WHERE idx >= $1 AND idx < $2 ORDER BY idx`, int64(next), int64(hi))
		if err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		var args []any
		for rows.Next() {
			var idx, run int64
			var hashes []byte
			if err := rows.Scan(&idx, &run, &hashes); err != nil {
				rows.Close()
				return jukinet.E(op, jukinet.KindInternal, err)
			}
			if err := checkPurgedRow(next, before, idx, run, hashes); err != nil {
				rows.Close()
				return err
			}
			// Checked: RunRecords gives every record its 32 bytes.
			store.RunRecords(uint64(idx), nil, hashes, int(run), func(i int, _, hash []byte) bool {
				args = append(args, idx+int64(i), hash)
				return true
			})
			next = uint64(idx + run)
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		rows.Close()
		if len(args) == 0 {
			return jukinet.Errorf(op, jukinet.KindInternal, "index", "index %d is missing from the log: nothing was purged", next)
		}
		if err := tx.InsertRows(`INSERT INTO oplog_purged_hash (idx, leaf_hash) VALUES `, 2, args); err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
	}
	return nil
}

// checkPurgedRow checks a row about to be purged: it must start at next,
// hold 32 hash bytes per record and end at or before the bound.
func checkPurgedRow(next, before uint64, idx, run int64, hashes []byte) error {
	const op = "oplog.Purge"
	switch {
	case idx < 0 || uint64(idx) != next:
		return jukinet.Errorf(op, jukinet.KindInternal, "index", "index %d is missing from the log (the next row starts at %d): nothing was purged", next, idx)
	case run < 1 || len(hashes)%32 != 0 || int64(len(hashes)/32) != run:
		return jukinet.Errorf(op, jukinet.KindInternal, "index", "the row at index %d holds %d bytes of leaf hashes for %d records (32 each): nothing was purged", idx, len(hashes), run)
	case uint64(idx)+uint64(run) > before:
		return jukinet.Errorf(op, jukinet.KindConflict, "before", "the purge bound %d falls inside the run of records [%d, %d): the log is damaged, nothing was purged", before, idx, idx+run)
	}
	return nil
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
