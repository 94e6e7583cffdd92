package oplog

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sort"
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
	ClientAddr  string    `json:"client_addr,omitempty"` // the terminal's network address
}

// maxPage bounds the rows (or resident index entries) one statement of
// Query reads.
const maxPage = 1 << 17

// Query returns the records matching f, newest first (time, then index,
// descending), at most f.Limit records. It is a logged read (OpOplogQuery by
// the actor in ctx; the resident searched for is the record's subject).
// Each filter uses an index of the oplog table, or of oplog_resident for the
// residents of records inside record runs (store/logrun.go), whose records
// are found one by one as if each had its own row. Errors: KindInvalid for
// a bad limit, KindInternal (also for a run row that does not hold its
// records: `jukinet oplog verify` names it).
func Query(ctx context.Context, db *store.DB, f Filter) ([]Entry, error) {
	const op = "oplog.Query"
	if f.Limit == 0 {
		f.Limit = 1000
	}
	if f.Limit < 0 || f.Limit > 100000 {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "limit", "limit %d is not within 1..100000", f.Limit)
	}
	q := &query{f: f}
	if f.Resident != "" {
		q.token = db.SubjectToken(f.Resident)
	}
	var where []string
	add := func(cond string, v any) {
		q.args = append(q.args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(q.args))))
	}
	// A run row's 照合ID and terminal columns are its records' (a
	// system principal's are empty): the operator and terminal conditions
	// find the run rows of an operator's requests, whose records are then
	// filtered one by one.
	if f.Resident != "" {
		// "subject <> ''" lets both engines use the partial index oplog_subject.
		// Run rows have an empty subject: their residents are in oplog_resident.
		add("subject = ? AND subject <> ''", q.token)
	}
	if f.CollationID != "" {
		// Like the subject: the partial index oplog_operator holds only
		// records with an operator (migration 0500).
		add("collation_id = ? AND collation_id <> ''", f.CollationID)
	}
	if f.Operation != "" {
		// A run row carries its records' operation: oplog_operation finds it.
		add("operation = ?", f.Operation)
	}
	if f.Terminal != "" {
		add("terminal = ? AND terminal <> ''", f.Terminal)
	}
	if f.Result != "" {
		// A run's results are in its records' leaves: run rows are read and
		// their records filtered one by one.
		add("(result = ? OR run > 1)", f.Result)
	}
	// With an indexed column the (column, time) index takes the time range;
	// otherwise the range becomes an idx range on the primary key (there is
	// no time index: record times never decrease along idx).
	q.byIdx = f.Resident == "" && f.CollationID == "" && f.Operation == "" && f.Terminal == ""
	if !f.From.IsZero() {
		q.from = f.From.UnixMicro()
		if !q.byIdx {
			add("time >= ?", q.from)
		}
	}
	if !f.To.IsZero() {
		q.to = f.To.UnixMicro()
		if !q.byIdx {
			add("time < ?", q.to)
		}
	}
	q.where = where
	filters := len(where)
	if q.byIdx {
		filters += boolInt(!f.From.IsZero()) + boolInt(!f.To.IsZero())
	}
	var out []Entry
	err := db.Update(ctx, store.Op{Operation: jukinet.OpOplogQuery, Subject: f.Resident, Purpose: "operation-history query",
		Detail: "filters " + strconv.Itoa(filters)}, func(tx *store.Tx) error {
		q.tx = tx
		var err error
		if out, err = q.rows(); err != nil || f.Resident == "" {
			return err
		}
		// The resident's records inside runs, merged with its plain rows.
		inRuns, err := q.residentRuns()
		if err != nil {
			return err
		}
		out = append(out, inRuns...)
		sort.Slice(out, func(i, j int) bool {
			if !out[i].Time.Equal(out[j].Time) {
				return out[i].Time.After(out[j].Time)
			}
			return out[i].Index > out[j].Index
		})
		out = out[:min(len(out), f.Limit)]
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// query is one run of Query inside its transaction.
type query struct {
	f        Filter
	token    string // the resident's keyed token
	where    []string
	args     []any
	byIdx    bool
	from, to int64 // unix µs of f.From and f.To
	tx       *store.Tx
}

// lightRow is a row of the oplog table without its leaf.
type lightRow struct {
	idx, time, run int64
	e              Entry
}

// rows returns the first f.Limit records, newest first, of the rows the
// conditions select, reading the rows in pages (a run row may hold
// thousands of records, and its records may not all match) and run rows'
// leaves only when their records are needed.
func (q *query) rows() ([]Entry, error) {
	f := q.f
	lo, hi := int64(0), int64(math.MaxInt64)
	if q.byIdx {
		var err error
		if lo, hi, err = q.indexRange(); err != nil {
			return nil, err
		}
	}
	var out []Entry
	var last *lightRow // the last row of the previous page
	page := pageSize(f.Limit)
	for {
		where, args := q.where, q.args
		cond := func(c string, v any) {
			args = append(args, v)
			where = append(where, strings.ReplaceAll(c, "?", "$"+strconv.Itoa(len(args))))
		}
		var stmt string
		if q.byIdx {
			if last != nil {
				hi = last.idx
			}
			cond("idx >= ?", lo)
			cond("idx < ?", hi)
			stmt = queryByIndexSQL(where, page)
		} else {
			if last != nil {
				// After the last row in (time, idx) order: time ≤ t takes
				// the index range, idx < i skips the rows of time t seen.
				args = append(args, last.time, last.idx)
				n := len(args)
				where = append(where, fmt.Sprintf("time <= $%d AND (time < $%d OR idx < $%d)", n-1, n-1, n))
			}
			stmt = querySQL(where, page)
		}
		rows, err := q.readPage(stmt, args, page)
		if err != nil {
			return nil, err
		}
		for i := range rows {
			r := &rows[i]
			if r.run <= 1 {
				// A plain row: every filter was a condition of the statement.
				out = append(out, r.e)
			} else if out, err = q.expand(out, r); err != nil {
				return nil, err
			}
			if len(out) >= f.Limit {
				return out[:f.Limit], nil
			}
		}
		if len(rows) < page {
			return out, nil
		}
		// A full page that gave fewer than Limit records held runs with
		// few matching records: the next page is larger.
		last = &rows[len(rows)-1]
		page = min(2*page, maxPage)
	}
}

// readPage reads one page of rows (closed before any other statement: a
// PostgreSQL transaction runs one at a time).
func (q *query) readPage(stmt string, args []any, page int) ([]lightRow, error) {
	const op = "oplog.Query"
	rows, err := q.tx.Query(stmt, args...)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	defer rows.Close()
	out := make([]lightRow, 0, min(page, 1024))
	for rows.Next() {
		var r lightRow
		e := &r.e
		if err := rows.Scan(&r.idx, &r.time, &r.run, &e.CollationID, &e.OperatorID, &e.Authority, &e.Terminal, &e.Principal, &e.Operation, &e.Subject, &e.Purpose, &e.Result, &e.ClientAddr); err != nil {
			return nil, jukinet.E(op, jukinet.KindInternal, err)
		}
		e.Index, e.Time = uint64(r.idx), time.UnixMicro(r.time).In(jukinet.JST)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	return out, nil
}

// expand appends the records of run row r that match the filter, newest
// (highest index) first.
func (q *query) expand(out []Entry, r *lightRow) ([]Entry, error) {
	row, found, err := q.holdingRow(r.idx)
	if err != nil {
		return out, err
	}
	if !found || row.first != uint64(r.idx) {
		return out, jukinet.Errorf("oplog.Query", jukinet.KindInternal, "", "run row %d disappeared while read", r.idx)
	}
	if err := row.split(); err != nil {
		return out, jukinet.E("oplog.Query", jukinet.KindInternal, err)
	}
	for i := len(row.leaves) - 1; i >= 0; i-- {
		rec, err := decodeRecord(row.first+uint64(i), row.leaves[i])
		if err != nil {
			return out, jukinet.E("oplog.Query", jukinet.KindInternal, err)
		}
		if q.matches(rec) {
			out = append(out, entryOf(rec))
		}
	}
	return out, nil
}

// indexRange is the filter's time range as an index range [lo, hi) (the
// whole log when it has none): record times never decrease along idx.
func (q *query) indexRange() (lo, hi int64, err error) {
	lo, hi = 0, math.MaxInt64
	if !q.f.From.IsZero() {
		first, err := firstIndexAt(q.tx.QueryRow, q.from)
		if err != nil {
			return 0, 0, err
		}
		lo = int64(first)
	}
	if !q.f.To.IsZero() {
		end, err := firstIndexAt(q.tx.QueryRow, q.to)
		if err != nil {
			return 0, 0, err
		}
		hi = int64(end)
	}
	return lo, hi, nil
}

// residentRuns returns the first f.Limit records inside runs whose subject
// is the resident's token and that match the filter, newest first: their
// indices from oplog_resident (by primary key, the time range as an index
// range), their bytes from the run rows holding them.
func (q *query) residentRuns() ([]Entry, error) {
	const op = "oplog.Query"
	f := q.f
	lo, hi, err := q.indexRange()
	if err != nil {
		return nil, err
	}
	var out []Entry
	var row runRow // the run row of the previous index
	page := pageSize(f.Limit)
	for lo < hi {
		idx, err := q.residentIndices(lo, hi, page)
		if err != nil {
			return nil, err
		}
		for _, i := range idx {
			if row.n == 0 || i < row.first || i >= row.first+uint64(row.n) {
				var found bool
				if row, found, err = q.holdingRow(int64(i)); err != nil {
					return nil, err
				}
				if !found {
					return out, nil // purged, and so is every lower index
				}
				if i >= row.first+uint64(row.n) {
					return nil, jukinet.Errorf(op, jukinet.KindInternal, "", "oplog_resident names record %d, which no run row holds", i)
				}
			}
			// Only this record is rebuilt: a resident has a few records
			// in each of many runs of thousands.
			leaf, err := store.RunLeafAt(row.first, row.col, row.n, int(i-row.first))
			if err != nil {
				return nil, jukinet.E(op, jukinet.KindInternal, err)
			}
			rec, err := decodeRecord(i, leaf)
			if err != nil {
				return nil, jukinet.E(op, jukinet.KindInternal, err)
			}
			if q.matches(rec) {
				out = append(out, entryOf(rec))
				if len(out) == f.Limit {
					return out, nil
				}
			}
		}
		if len(idx) < page {
			break
		}
		hi = int64(idx[len(idx)-1])
		page = min(2*page, maxPage)
	}
	return out, nil
}

// residentIndices reads one page of the resident's record indices inside
// runs in [lo, hi), highest first.
func (q *query) residentIndices(lo, hi int64, page int) ([]uint64, error) {
	const op = "oplog.Query"
	// The key may name another resident's records too (a 1-in-2^64
	// chance): matches compares the subject of each.
	rows, err := q.tx.Query(residentRunsSQL(page), store.SubjectKey(q.token), lo, hi)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	defer rows.Close()
	var out []uint64
	for rows.Next() {
		var i int64
		if err := rows.Scan(&i); err != nil {
			return nil, jukinet.E(op, jukinet.KindInternal, err)
		}
		out = append(out, uint64(i))
	}
	if err := rows.Err(); err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	return out, nil
}

// runRow is a run row: its first index, its run length, its leaf and hash
// columns, and once split its records' canonical bytes.
type runRow struct {
	first       uint64
	n           int
	col, hashes []byte
	leaves      [][]byte
}

// split rebuilds every record's canonical bytes.
func (r *runRow) split() error {
	if r.leaves != nil {
		return nil
	}
	var err error
	r.leaves, err = runLeaves(r.first, r.n, r.col, r.hashes)
	return err
}

// holdingRow reads the run row holding index i; not found when no row is
// at or below i (purged).
func (q *query) holdingRow(i int64) (runRow, bool, error) {
	const op = "oplog.Query"
	var first, n int64
	var leaves, hashes []byte
	err := q.tx.QueryRow(holdingRowSQL, i).Scan(&first, &n, &leaves, &hashes)
	if errors.Is(err, sql.ErrNoRows) {
		return runRow{}, false, nil
	}
	if err != nil {
		return runRow{}, false, jukinet.E(op, jukinet.KindInternal, err)
	}
	if n <= 1 {
		return runRow{}, false, jukinet.Errorf(op, jukinet.KindInternal, "", "record %d is not in a run row", i)
	}
	return runRow{first: uint64(first), n: int(n), col: leaves, hashes: hashes}, true, nil
}

// runLeaves splits the leaf column of the run row at first holding n
// records into the records' canonical bytes.
func runLeaves(first uint64, n int, leaves, hashes []byte) ([][]byte, error) {
	out := make([][]byte, 0, n)
	err := store.RunRecords(first, leaves, hashes, n, func(_ int, leaf, _ []byte) bool {
		out = append(out, bytes.Clone(leaf)) // rebuilt in a buffer reused for the next
		return leaf != nil
	})
	if err != nil {
		return nil, fmt.Errorf("run row %d: %w", first, err)
	}
	return out, nil
}

// decodeRecord decodes the canonical bytes of the record at index i.
func decodeRecord(i uint64, leaf []byte) (store.LogRecord, error) {
	rec, err := store.DecodeLogRecord(leaf)
	if err != nil {
		return rec, fmt.Errorf("record %d: %w", i, err)
	}
	if rec.Index != i {
		return rec, fmt.Errorf("record %d holds index %d", i, rec.Index)
	}
	return rec, nil
}

// matches tells whether a record decoded from its leaf passes every filter.
func (q *query) matches(r store.LogRecord) bool {
	f := q.f
	return (f.CollationID == "" || r.CollationID == f.CollationID) &&
		(f.Resident == "" || r.Subject == q.token) &&
		(f.Operation == "" || r.Operation == f.Operation) &&
		(f.Terminal == "" || r.Terminal == f.Terminal) &&
		(f.Result == "" || r.Result == f.Result) &&
		(f.From.IsZero() || r.Time >= q.from) && (f.To.IsZero() || r.Time < q.to)
}

func entryOf(r store.LogRecord) Entry {
	return Entry{Index: r.Index, Time: time.UnixMicro(r.Time).In(jukinet.JST), CollationID: r.CollationID, OperatorID: r.OperatorID,
		Authority: r.Authority, Terminal: r.Terminal, Principal: r.Principal, Operation: r.Operation, Subject: r.Subject,
		Purpose: r.Purpose, Result: r.Result, ClientAddr: r.ClientAddr}
}

// pageSize rounds n up to a power of two, so that the statements' texts
// (their LIMIT) stay few in the statement cache.
func pageSize(n int) int {
	if n <= 1 {
		return 1
	}
	return 1 << bits.Len(uint(n-1))
}

const queryColumns = `SELECT idx, time, run, collation_id, operator_id, authority, terminal, principal, operation, subject, purpose, result, client_addr FROM oplog`

// querySQL is the statement Query runs for the given conditions (tests EXPLAIN it
// through export_test.go). It reads no leaf: a run row's (run > 1)
// leaf is read by holdingRowSQL when its records are needed.
func querySQL(where []string, limit int) string {
	q := queryColumns
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return q + " ORDER BY time DESC, idx DESC LIMIT " + strconv.Itoa(limit)
}

// queryByIndexSQL is the statement Query runs when no filter has an index
// of its own: newest first by idx, which is the same order as by time
// (record times never decrease along idx), on the primary key.
func queryByIndexSQL(where []string, limit int) string {
	q := queryColumns
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return q + " ORDER BY idx DESC LIMIT " + strconv.Itoa(limit)
}

// residentRunsSQL is the statement that finds a resident's records inside
// runs in an index range, highest first (primary key of oplog_resident):
// $1 the subject token's key (store.SubjectKey), [$2, $3) indices.
func residentRunsSQL(limit int) string {
	return `SELECT idx FROM oplog_resident WHERE subject_key = $1 AND idx >= $2 AND idx < $3 ORDER BY idx DESC LIMIT ` + strconv.Itoa(limit)
}

// holdingRowSQL reads the row holding record $1 (the row with the highest
// first index at or below it) with its records.
const holdingRowSQL = `SELECT idx, run, leaf, leaf_hash FROM oplog WHERE idx <= $1 ORDER BY idx DESC LIMIT 1`

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
