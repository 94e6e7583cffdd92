package oplog

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"iter"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"golang.org/x/mod/sumdb/note"
)

// MonthBounds returns the start of month "YYYY-MM" and of the next month, in
// JST.
func MonthBounds(month string) (start, end time.Time, err error) {
	if !validMonth(month) {
		return time.Time{}, time.Time{}, jukinet.Errorf("oplog.MonthBounds", jukinet.KindInvalid, "month", "month %q is not YYYY-MM", month)
	}
	t, _ := time.ParseInLocation("2006-01", month, jukinet.JST)
	return t, t.AddDate(0, 1, 0), nil
}

// firstIndexAt is the first index whose record time is ≥ t, or the log's
// size when there is none. Record times never decrease along idx (the head
// row carries the newest time, migration 0500), so a month is the index range
// [firstIndexAt(start), firstIndexAt(end)).
func (l *SQLLog) firstIndexAt(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, t time.Time) (uint64, error) {
	return firstIndexAt(func(query string, args ...any) *sql.Row { return q.QueryRowContext(ctx, query, args...) }, t.UnixMicro())
}

// MonthRange returns the index range [first, end) of a month's records.
func (l *SQLLog) MonthRange(ctx context.Context, month string) (first, end uint64, err error) {
	start, next, err := MonthBounds(month)
	if err != nil {
		return 0, 0, err
	}
	if first, err = l.firstIndexAt(ctx, l.db.Bookkeeping(store.LogRead), start); err != nil {
		return 0, 0, err
	}
	if end, err = l.firstIndexAt(ctx, l.db.Bookkeeping(store.LogRead), next); err != nil {
		return 0, 0, err
	}
	return first, end, nil
}

// SealMonth writes the sealed archive of a finished month to w (oplog.Seal
// over the month's rows, the latest cosigned checkpoint covering them and the
// boundary hashes) and records it in oplog_seal by a logged act
// (OpOplogSeal, by the actor in ctx). verifiers are the log's and the
// witness's keys, which must have signed the checkpoint.
func SealMonth(ctx context.Context, l *SQLLog, month string, w io.Writer, signer note.Signer, verifiers ...note.Verifier) (SealSummary, error) {
	const op = "oplog.SealMonth"
	_, next, err := MonthBounds(month)
	if err != nil {
		return SealSummary{}, err
	}
	if l.db.Now().Before(next) {
		return SealSummary{}, jukinet.Errorf(op, jukinet.KindConflict, "month", "month %s is not over yet", month)
	}
	first, end, err := l.MonthRange(ctx, month)
	if err != nil {
		return SealSummary{}, err
	}
	if start, err := l.PurgeStart(ctx); err != nil {
		return SealSummary{}, err
	} else if start != nil && first < start.Size() {
		return SealSummary{}, jukinet.Errorf(op, jukinet.KindConflict, "month", "month %s was already purged", month)
	}
	var cp []byte
	err = l.db.Bookkeeping(store.LogRead).QueryRowContext(ctx, `SELECT note FROM oplog_checkpoint WHERE state = 'cosigned' AND size >= $1 ORDER BY size LIMIT 1`, int64(end)).Scan(&cp)
	if errors.Is(err, sql.ErrNoRows) {
		return SealSummary{}, jukinet.Errorf(op, jukinet.KindConflict, "checkpoint", "no cosigned checkpoint covers the month's rows up to index %d yet", end)
	}
	if err != nil {
		return SealSummary{}, jukinet.E(op, jukinet.KindInternal, err)
	}
	rows := func(yield func(Row, error) bool) {
		for r, err := range l.Rows(ctx, first) {
			if err == nil && r.Index >= end {
				return
			}
			if !yield(r, err) {
				return
			}
		}
	}
	s, err := Seal(ctx, w, SealRequest{Month: month, First: first, Rows: iter.Seq2[Row, error](rows), Checkpoint: cp,
		CheckpointVerifiers: verifiers, Hashes: l}, signer)
	if err != nil {
		return SealSummary{}, err
	}
	err = l.db.Update(ctx, store.Op{Operation: jukinet.OpOplogSeal, Detail: SealDetail(s)}, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO oplog_seal (month, first_idx, count, root, checkpoint_size, file_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (month) DO UPDATE SET first_idx = excluded.first_idx, count = excluded.count, root = excluded.root,
			checkpoint_size = excluded.checkpoint_size, file_hash = excluded.file_hash, created_at = excluded.created_at`,
			s.Month, int64(s.First), int64(s.Count), s.Root[:], int64(s.CheckpointSize), s.FileHash[:], tx.NowMicro())
		return err
	})
	if err != nil {
		return SealSummary{}, err
	}
	return s, nil
}

// SealDetail is a seal's summary as recorded in the log: enough to find and
// check the archive later.
func SealDetail(s SealSummary) string {
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("seal %s first=%d count=%d root=%s checkpoint=%d file=%s", s.Month, s.First, s.Count, b64(s.Root[:]), s.CheckpointSize, b64(s.FileHash[:]))
}
