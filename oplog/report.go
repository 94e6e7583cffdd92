package oplog

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// Finding kinds of the periodic analysis (G15, DOMAIN.md §5–6).
const (
	FindingOffHours      = "off_hours"      // lookups outside office hours or on holidays
	FindingBulk          = "bulk"           // many distinct residents per operator per hour
	FindingNoPurpose     = "no_purpose"     // lookups without a case or purpose
	FindingLoginFailures = "login_failures" // repeated failed logins
	FindingSharedID      = "shared_id"      // one 照合ID on two terminals at once
	FindingWatchlist     = "watchlist"      // lookups of watch-listed residents
)

// ReportConfig configures Analyse.
type ReportConfig struct {
	From, To time.Time // [From, To)
	// BulkSubjects: more distinct residents than this per operator within
	// one clock hour is a finding (default 30).
	BulkSubjects int
	// LoginFailures: this many failed logins (operation prefix
	// "access.login", result other than "ok") by one 照合ID or terminal
	// within an hour is a finding (default 3).
	LoginFailures int
	// SessionGap ends an activity session (default 30 min): two sessions of
	// one 照合ID on different terminals that overlap are a finding.
	SessionGap time.Duration
}

// Finding is one anomaly with the log indices that evidence it (each can be
// proven with `jukinet oplog prove --index N`).
type Finding struct {
	Kind        string   `json:"kind"`
	CollationID string   `json:"collation_id,omitempty"`
	Terminal    string   `json:"terminal,omitempty"`
	Detail      string   `json:"detail"`
	Indices     []uint64 `json:"indices"`
}

// AnalysisReport is the outcome of Analyse.
type AnalysisReport struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Records  uint64    `json:"records"`
	Findings []Finding `json:"findings"`
	Notes    []string  `json:"notes,omitempty"`
}

// isLookup tells whether a record is an operator's access to a resident's
// data (the analysis is about people, not the system's own work).
func isLookup(principal, operation, subject string) bool {
	if principal != "" {
		return false
	}
	return subject != "" || strings.HasSuffix(operation, ".read") || strings.HasSuffix(operation, ".search") || strings.Contains(operation, "lookup")
}

type session struct {
	terminal    string
	first, last int64
	idx         []uint64
}

// Analyse is the periodic analysis of the operation history: it scans the
// records of [From, To) and returns findings with their evidence. It is a
// logged act (OpOplogReport by the actor in ctx), authorised before the
// scan. The watch list is the access area's table access_watch (column
// subject: the keyed token of the resident code).
func Analyse(ctx context.Context, db *store.DB, cfg ReportConfig) (AnalysisReport, error) {
	const op = "oplog.Analyse"
	if cfg.From.IsZero() || cfg.To.IsZero() || !cfg.From.Before(cfg.To) {
		return AnalysisReport{}, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("from"), "a time range with from before to is required")
	}
	if cfg.BulkSubjects <= 0 {
		cfg.BulkSubjects = 30
	}
	if cfg.LoginFailures <= 0 {
		cfg.LoginFailures = 3
	}
	if cfg.SessionGap <= 0 {
		cfg.SessionGap = 30 * time.Minute
	}
	if err := db.Update(ctx, store.Op{Operation: jukinet.OpOplogReport,
		Detail: "report " + cfg.From.In(JST).Format(time.RFC3339) + " – " + cfg.To.In(JST).Format(time.RFC3339)}, func(*store.Tx) error { return nil }); err != nil {
		return AnalysisReport{}, err
	}
	rep := AnalysisReport{From: cfg.From.In(JST), To: cfg.To.In(JST), Findings: []Finding{}}
	watch, err := loadWatchlist(ctx, db)
	if err != nil {
		rep.Notes = append(rep.Notes, "watch-list check skipped: "+err.Error())
	}

	// The time range as an idx range on the primary key (no time index;
	// record times never decrease along idx).
	rowAt := func(q string, args ...any) *sql.Row { return db.SQL().QueryRowContext(ctx, q, args...) }
	first, err := firstIndexAt(rowAt, cfg.From.UnixMicro())
	if err != nil {
		return rep, err
	}
	end, err := firstIndexAt(rowAt, cfg.To.UnixMicro())
	if err != nil {
		return rep, err
	}
	rows, err := db.SQL().QueryContext(ctx, ReportSQL, int64(first), int64(end))
	if err != nil {
		return rep, jukinet.E(op, jukinet.KindInternal, err)
	}
	defer rows.Close()

	type key struct{ a, b string }
	offHours := map[key][]uint64{}      // (collation, day) → indices
	noPurpose := map[string][]uint64{}  // collation → indices
	watched := map[key][]uint64{}       // (collation, subject) → indices
	bulk := map[key]map[string]uint64{} // (collation, hour) → subject → first index
	bulkIdx := map[key][]uint64{}
	failures := map[key][]int64{} // (collation, terminal) → times
	failIdx := map[key][]uint64{}
	sessions := map[string][]*session{} // collation → sessions (per terminal, in time order)
	var order []key                     // deterministic output
	seen := map[key]bool{}
	note := func(k key) {
		if !seen[k] {
			seen[k] = true
			order = append(order, k)
		}
	}
	// visit takes one record into the rules.
	visit := func(i uint64, t int64, coll, term, principal, operation, subject, purpose, result string) {
		rep.Records++
		at := time.UnixMicro(t).In(JST)
		if strings.HasPrefix(operation, "access.login") && result != "ok" {
			k := key{coll, term}
			failures[k] = append(failures[k], t)
			failIdx[k] = append(failIdx[k], i)
			note(k)
			return
		}
		if principal == "" && coll != "" && term != "" {
			ss := sessions[coll]
			var cur *session
			for j := len(ss) - 1; j >= 0; j-- {
				if ss[j].terminal == term {
					cur = ss[j]
					break
				}
			}
			if cur == nil || t-cur.last > cfg.SessionGap.Microseconds() {
				cur = &session{terminal: term, first: t}
				sessions[coll] = append(sessions[coll], cur)
			}
			cur.last = t
			cur.idx = append(cur.idx, i)
		}
		if !isLookup(principal, operation, subject) || result != "ok" {
			return
		}
		if !OfficeHours(at) {
			k := key{coll, at.Format("2006-01-02")}
			offHours[k] = append(offHours[k], i)
			note(k)
		}
		if strings.TrimSpace(purpose) == "" {
			noPurpose[coll] = append(noPurpose[coll], i)
		}
		if subject != "" {
			if watch[subject] {
				k := key{coll, subject}
				watched[k] = append(watched[k], i)
				note(k)
			}
			k := key{coll, at.Format("2006-01-02T15")}
			if bulk[k] == nil {
				bulk[k] = map[string]uint64{}
				note(k)
			}
			if _, ok := bulk[k][subject]; !ok {
				bulk[k][subject] = i
				bulkIdx[k] = append(bulkIdx[k], i)
			}
		}
	}
	// One row at a time: a run row's records are decoded from its leaf and
	// taken one by one, as if each had its own row.
	for rows.Next() {
		var idx, t, run int64
		var coll, term, principal, operation, subject, purpose, result string
		var leaves, hashes []byte
		if err := rows.Scan(&idx, &t, &run, &coll, &term, &principal, &operation, &subject, &purpose, &result, &leaves, &hashes); err != nil {
			return rep, jukinet.E(op, jukinet.KindInternal, err)
		}
		if run <= 1 {
			visit(uint64(idx), t, coll, term, principal, operation, subject, purpose, result)
			continue
		}
		ls, err := runLeaves(uint64(idx), int(run), leaves, hashes)
		for j := 0; err == nil && j < len(ls); j++ {
			var r store.LogRecord
			if r, err = decodeRecord(uint64(idx)+uint64(j), ls[j]); err == nil {
				visit(r.Index, r.Time, r.CollationID, r.Terminal, r.Principal, r.Operation, r.Subject, r.Purpose, r.Result)
			}
		}
		if err != nil {
			// The analysis goes on without the records that cannot be read,
			// and says so; verify names the bad index.
			rep.Notes = append(rep.Notes, fmt.Sprintf("run row at index %d not fully analysed (jukinet oplog verify names the bad record): %v", idx, err))
		}
	}
	if err := rows.Err(); err != nil {
		return rep, jukinet.E(op, jukinet.KindInternal, err)
	}

	add := func(f Finding) { rep.Findings = append(rep.Findings, f) }
	for _, k := range order {
		if ix, ok := offHours[k]; ok {
			add(Finding{Kind: FindingOffHours, CollationID: k.a, Detail: fmt.Sprintf("%d lookups outside office hours on %s", len(ix), k.b), Indices: ix})
			delete(offHours, k)
		}
		if ix, ok := watched[k]; ok {
			add(Finding{Kind: FindingWatchlist, CollationID: k.a, Detail: fmt.Sprintf("%d lookups of watch-listed resident %s", len(ix), k.b), Indices: ix})
			delete(watched, k)
		}
		if subs, ok := bulk[k]; ok {
			if len(subs) > cfg.BulkSubjects {
				add(Finding{Kind: FindingBulk, CollationID: k.a, Detail: fmt.Sprintf("%d distinct residents in the hour %s:00 (threshold %d)", len(subs), k.b, cfg.BulkSubjects), Indices: bulkIdx[k]})
			}
			delete(bulk, k)
		}
		if ts, ok := failures[k]; ok {
			// Slide a one-hour window over the failures.
			lo := 0
			for hi := range ts {
				for ts[hi]-ts[lo] > time.Hour.Microseconds() {
					lo++
				}
				if hi-lo+1 >= cfg.LoginFailures {
					add(Finding{Kind: FindingLoginFailures, CollationID: k.a, Terminal: k.b,
						Detail: fmt.Sprintf("%d failed logins within an hour", len(ts[lo:])), Indices: failIdx[k][lo:]})
					break
				}
			}
			delete(failures, k)
		}
	}
	colls := make([]string, 0, len(noPurpose))
	for c := range noPurpose {
		colls = append(colls, c)
	}
	sort.Strings(colls)
	for _, c := range colls {
		add(Finding{Kind: FindingNoPurpose, CollationID: c, Detail: fmt.Sprintf("%d lookups without a case or purpose", len(noPurpose[c])), Indices: noPurpose[c]})
	}
	colls = colls[:0]
	for c := range sessions {
		colls = append(colls, c)
	}
	sort.Strings(colls)
	for _, c := range colls {
		ss := sessions[c]
		for i := 0; i < len(ss); i++ {
			for j := i + 1; j < len(ss); j++ {
				a, b := ss[i], ss[j]
				if a.terminal != b.terminal && a.first <= b.last && b.first <= a.last {
					add(Finding{Kind: FindingSharedID, CollationID: c, Terminal: a.terminal + "," + b.terminal,
						Detail:  fmt.Sprintf("active on %s and %s at overlapping times", a.terminal, b.terminal),
						Indices: []uint64{a.idx[0], b.idx[0]}})
				}
			}
		}
	}
	return rep, nil
}

// ReportSQL is the statement Analyse reads the rows of an index range with
// (exported for EXPLAIN in tests): the columns of plain rows, and the leaf
// and leaf hashes of run rows only.
const ReportSQL = `SELECT idx, time, run, collation_id, terminal, principal, operation, subject, purpose, result,
	CASE WHEN run > 1 THEN leaf END, CASE WHEN run > 1 THEN leaf_hash END
	FROM oplog WHERE idx >= $1 AND idx < $2 ORDER BY idx`

// loadWatchlist reads the watch-listed subject tokens (access.Watch).
func loadWatchlist(ctx context.Context, db *store.DB) (map[string]bool, error) {
	rows, err := db.SQL().QueryContext(ctx, `SELECT subject FROM access_watch`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out[s] = true
	}
	return out, rows.Err()
}
