package oplog

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// Filter selects operation-log records (`jukinet oplog query`). Empty
// fields do not filter.
type Filter struct {
	CollationID string // 照合ID of the operator
	Resident    string // resident code; matched through its keyed token
	Operation   string
	Terminal    string
	Result      string
	From, To    time.Time // [From, To); zero means unbounded
	Limit       int       // default 1000, at most 100,000
}

// Entry is one record as a query shows it (the leaf's fields, without the
// detail text).
type Entry struct {
	Index       uint64    `json:"idx"`
	Time        time.Time `json:"time"`
	CollationID string    `json:"collation_id"`
	OperatorID  string    `json:"operator_id"`
	Authority   string    `json:"authority"`
	Terminal    string    `json:"terminal"`
	Principal   string    `json:"principal"`
	Operation   string    `json:"operation"`
	Subject     string    `json:"subject"`
	Purpose     string    `json:"purpose"`
	Result      string    `json:"result"`
}

// Query returns the records matching f, newest first. It is a logged read
// (OpOplogQuery by the actor in ctx; the resident searched for is the
// record's subject). Each filter uses an index of the oplog table.
func Query(ctx context.Context, db *store.DB, f Filter) ([]Entry, error) {
	const op = "oplog.Query"
	if f.Limit == 0 {
		f.Limit = 1000
	}
	if f.Limit < 0 || f.Limit > 100000 {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "limit", "limit %d is not within 1..100000", f.Limit)
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.Resident != "" {
		// "subject <> ''" lets both engines use the partial index oplog_subject.
		add("subject = ? AND subject <> ''", db.SubjectToken(f.Resident))
	}
	if f.CollationID != "" {
		// Like the subject: the partial index oplog_operator holds only
		// records with an operator (migration 0500).
		add("collation_id = ? AND collation_id <> ''", f.CollationID)
	}
	if f.Operation != "" {
		add("operation = ?", f.Operation)
	}
	if f.Terminal != "" {
		add("terminal = ? AND terminal <> ''", f.Terminal)
	}
	if f.Result != "" {
		add("result = ?", f.Result)
	}
	// With an indexed column the (column, time) index takes the time range;
	// otherwise the range becomes an idx range on the primary key (there is
	// no time index: record times never decrease along idx).
	byIdx := f.Resident == "" && f.CollationID == "" && f.Operation == "" && f.Terminal == ""
	var from, to int64
	if !f.From.IsZero() {
		from = f.From.UnixMicro()
		if !byIdx {
			add("time >= ?", from)
		}
	}
	if !f.To.IsZero() {
		to = f.To.UnixMicro()
		if !byIdx {
			add("time < ?", to)
		}
	}
	filters := len(where)
	if byIdx {
		filters += boolInt(!f.From.IsZero()) + boolInt(!f.To.IsZero())
	}
	var out []Entry
	err := db.Update(ctx, store.Op{Operation: jukinet.OpOplogQuery, Subject: f.Resident, Purpose: "operation-history query",
		Detail: "filters " + strconv.Itoa(filters)}, func(tx *store.Tx) error {
		q := QuerySQL(where, f.Limit)
		if byIdx {
			if !f.From.IsZero() {
				first, err := firstIndexAt(tx.QueryRow, from)
				if err != nil {
					return err
				}
				add("idx >= ?", int64(first))
			}
			if !f.To.IsZero() {
				end, err := firstIndexAt(tx.QueryRow, to)
				if err != nil {
					return err
				}
				add("idx < ?", int64(end))
			}
			q = QueryByIndexSQL(where, f.Limit)
		}
		rows, err := tx.Query(q, args...)
		if err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		defer rows.Close()
		for rows.Next() {
			var e Entry
			var idx, t int64
			if err := rows.Scan(&idx, &t, &e.CollationID, &e.OperatorID, &e.Authority, &e.Terminal, &e.Principal, &e.Operation, &e.Subject, &e.Purpose, &e.Result); err != nil {
				return jukinet.E(op, jukinet.KindInternal, err)
			}
			e.Index, e.Time = uint64(idx), time.UnixMicro(t).In(JST)
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}

// QuerySQL is the statement Query runs for the given conditions (exported
// for EXPLAIN in tests and docs).
func QuerySQL(where []string, limit int) string {
	q := `SELECT idx, time, collation_id, operator_id, authority, terminal, principal, operation, subject, purpose, result FROM oplog`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return q + " ORDER BY time DESC, idx DESC LIMIT " + strconv.Itoa(limit)
}

// QueryByIndexSQL is the statement Query runs when no filter has an index
// of its own: newest first by idx, which is the same order as by time
// (record times never decrease along idx), on the primary key.
func QueryByIndexSQL(where []string, limit int) string {
	q := `SELECT idx, time, collation_id, operator_id, authority, terminal, principal, operation, subject, purpose, result FROM oplog`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return q + " ORDER BY idx DESC LIMIT " + strconv.Itoa(limit)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
