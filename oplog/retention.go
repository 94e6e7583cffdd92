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
// the bound (table oplog_purge_allowed). The purge keeps the deleted rows'
// leaf hashes and the tree state at the bound, from which verify starts;
// the log record names each seal.
func Purge(ctx context.Context, l *SQLLog, before string) (PurgeResult, error) {
	const op = "oplog.Purge"
	bound, _, err := MonthBounds(before)
	if err != nil {
		return PurgeResult{}, jukinet.E(op, err)
	}
	now := l.db.Now()
	if bound.After(now.In(JST).AddDate(-RetentionYears, 0, 0)) {
		return PurgeResult{}, jukinet.Errorf(op, jukinet.KindForbidden, "before",
			"records younger than %d years cannot be deleted: --before %s is after %s", RetentionYears, before, now.In(JST).AddDate(-RetentionYears, 0, 0).Format("2006-01-02"))
	}
	var res PurgeResult
	if start, err := l.PurgeStart(ctx); err != nil {
		return res, err
	} else if start != nil {
		res.From = start.Size()
	}
	if res.Before, err = l.firstIndexAt(ctx, l.db.SQL(), bound); err != nil {
		return res, err
	}
	if res.Before <= res.From {
		return res, jukinet.Errorf(op, jukinet.KindNotFound, "before", "nothing before %s is left to purge", before)
	}
	// Every row to delete must lie in a sealed month, contiguously.
	rows, err := l.db.SQL().QueryContext(ctx, `SELECT month, first_idx, count FROM oplog_seal WHERE first_idx + count > $1 AND first_idx < $2 ORDER BY first_idx`, int64(res.From), int64(res.Before))
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
		if err := l.db.SQL().QueryRowContext(ctx, `SELECT month || ' first=' || first_idx || ' count=' || count FROM oplog_seal WHERE month = $1`, m).Scan(&d); err == nil {
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
		steps := []struct {
			q    string
			args []any
		}{
			{`INSERT INTO oplog_purged_hash (idx, leaf_hash) SELECT idx, leaf_hash FROM oplog WHERE idx >= $1 AND idx < $2`, []any{int64(res.From), int64(res.Before)}},
			{`INSERT INTO oplog_purge_allowed (before_idx) VALUES ($1)`, []any{int64(res.Before)}},
			{`DELETE FROM oplog WHERE idx < $1`, []any{int64(res.Before)}},
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

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
