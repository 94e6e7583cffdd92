package oplog

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/access"
	"github.com/jukinet/jukinet/store"
)

// Finding kinds of the periodic analysis (G15, docs/domain.md §5–6).
const (
	FindingOffHours      = "off_hours"      // lookups outside office hours or on holidays
	FindingBulk          = "bulk"           // many distinct residents opened per operator per hour
	FindingNoPurpose     = "no_purpose"     // lookups without a case or purpose
	FindingLoginFailures = "login_failures" // repeated failed logins
	FindingSharedID      = "shared_id"      // one 照合ID on two terminals at once
	FindingWatchlist     = "watchlist"      // lookups of watch-listed residents
	FindingBrowsing      = "browsing"       // many distinct residents shown per operator per day (searches, lists)
	FindingAgencySweep   = "agency_sweep"   // an agency asked for many codes that match nobody within an hour
	FindingAgencyMisses  = "agency_misses"  // an agency's day with a high share of codes not found
	FindingAgencyVolume  = "agency_volume"  // an agency's day far above its usual volume
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
	// BrowsingSubjects: more distinct residents than this shown to one
	// operator within one day is a finding (default 200): bulk browsing
	// through search results and lists, hour by hour under BulkSubjects.
	BrowsingSubjects int
	// SweepNotFound: this many codes an agency asked for that matched
	// nobody within one clock hour is a sweep (default 100).
	SweepNotFound int
	// AgencyMissRate: a day on which more than this share of the codes an
	// agency asked for matched nobody, with at least AgencyMinPersons asked,
	// is a finding (default 0.2, at least 100 persons).
	AgencyMissRate   float64
	AgencyMinPersons int
	// AgencyVolumeFactor: a day on which an agency asked for more than this
	// many times its usual (the median of its other active days in the
	// range, at least 3 of them) and at least AgencyMinPersons is a finding
	// (default 3).
	AgencyVolumeFactor float64
}

// maxEvidence bounds the indices a finding lists (a sweep may be tens of
// thousands of records; the first ones prove it, the detail counts all).
const maxEvidence = 1000

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
// data (the analysis is about people, not the system's own work): a read,
// a search, an export, a lookup, or a person a request showed. A filing
// (届出: register.*) names its resident but is not a lookup: it needs no
// purpose beyond itself.
func isLookup(principal, operation, result string) bool {
	if principal != "" {
		return false
	}
	return result == store.ResultShown || strings.HasSuffix(operation, ".read") || strings.HasSuffix(operation, ".search") ||
		strings.HasSuffix(operation, ".export") || strings.Contains(operation, "lookup")
}

// agencyPrefix is the principal of the agency listener's records.
const agencyPrefix = "agency:"

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
	if cfg.BrowsingSubjects <= 0 {
		cfg.BrowsingSubjects = 200
	}
	if cfg.SweepNotFound <= 0 {
		cfg.SweepNotFound = 100
	}
	if cfg.AgencyMissRate <= 0 {
		cfg.AgencyMissRate = 0.2
	}
	if cfg.AgencyMinPersons <= 0 {
		cfg.AgencyMinPersons = 100
	}
	if cfg.AgencyVolumeFactor <= 0 {
		cfg.AgencyVolumeFactor = 3
	}
	if err := db.View(ctx, store.Op{Operation: jukinet.OpOplogReport,
		Detail: "report " + cfg.From.In(jukinet.JST).Format(time.RFC3339) + " – " + cfg.To.In(jukinet.JST).Format(time.RFC3339)}, nil); err != nil {
		return AnalysisReport{}, err
	}
	rep := AnalysisReport{From: cfg.From.In(jukinet.JST), To: cfg.To.In(jukinet.JST), Findings: []Finding{}}
	watch, err := loadWatchlist(ctx, db)
	if err != nil {
		rep.Notes = append(rep.Notes, "watch-list check skipped: "+err.Error())
	}

	// The time range as an idx range on the primary key (no time index;
	// record times never decrease along idx).
	rowAt := func(q string, args ...any) *sql.Row {
		return db.Bookkeeping(store.LogRead).QueryRowContext(ctx, q, args...)
	}
	first, err := firstIndexAt(rowAt, cfg.From.UnixMicro())
	if err != nil {
		return rep, err
	}
	end, err := firstIndexAt(rowAt, cfg.To.UnixMicro())
	if err != nil {
		return rep, err
	}
	rows, err := db.Bookkeeping(store.LogRead).QueryContext(ctx, reportSQL, int64(first), int64(end))
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
	browse := map[key]map[string]bool{} // (collation, day) → subjects shown
	browseIdx := map[key][]uint64{}
	agencies := map[string]*agencyUse{} // agency → its use
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
		at := time.UnixMicro(t).In(jukinet.JST)
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
		if agency, ok := strings.CutPrefix(principal, agencyPrefix); ok && subject != "" {
			u := agencies[agency]
			if u == nil {
				u = &agencyUse{days: map[string]*agencyDay{}, sweep: map[string][]uint64{}}
				agencies[agency] = u
			}
			u.add(at, i, result == store.ResultNotFound)
			return
		}
		if !isLookup(principal, operation, result) || (result != "ok" && result != store.ResultShown) {
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
			// Bulk: residents opened one by one, per hour. Browsing:
			// every resident shown, lists and search results included,
			// per day (one search shows up to 50 at once).
			if result != store.ResultShown {
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
			k := key{coll, at.Format("2006-01-02")}
			if browse[k] == nil {
				browse[k] = map[string]bool{}
				note(k)
			}
			if !browse[k][subject] {
				browse[k][subject] = true
				if len(browseIdx[k]) < maxEvidence {
					browseIdx[k] = append(browseIdx[k], i)
				}
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
		if subs, ok := browse[k]; ok {
			if len(subs) > cfg.BrowsingSubjects {
				add(Finding{Kind: FindingBrowsing, CollationID: k.a, Detail: fmt.Sprintf("%d distinct residents shown on %s (threshold %d)", len(subs), k.b, cfg.BrowsingSubjects), Indices: browseIdx[k]})
			}
			delete(browse, k)
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
	for _, f := range agencyFindings(agencies, cfg) {
		add(f)
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

// reportSQL is the statement Analyse reads the rows of an index range with
// (tests EXPLAIN it through export_test.go): the columns of plain rows, and the leaf
// and leaf hashes of run rows only.
const reportSQL = `SELECT idx, time, run, collation_id, terminal, principal, operation, subject, purpose, result,
	CASE WHEN run > 1 THEN leaf END, CASE WHEN run > 1 THEN leaf_hash END
	FROM oplog WHERE idx >= $1 AND idx < $2 ORDER BY idx`

// loadWatchlist reads the watch-listed subject tokens (access.Watch).
func loadWatchlist(ctx context.Context, db *store.DB) (map[string]bool, error) {
	return access.WatchedSubjects(ctx, db)
}

// agencyUse is one agency's provisions in the analysed range (法30条の9):
// persons asked per day, how many matched nobody, and the not-found
// records per clock hour (a sweep).
type agencyUse struct {
	days  map[string]*agencyDay
	sweep map[string][]uint64 // hour → not-found indices
}

type agencyDay struct {
	asked, missed int
	idx           []uint64 // the first records of the day (evidence)
}

func (u *agencyUse) add(at time.Time, i uint64, notFound bool) {
	day := at.Format("2006-01-02")
	d := u.days[day]
	if d == nil {
		d = &agencyDay{}
		u.days[day] = d
	}
	d.asked++
	if len(d.idx) < maxEvidence {
		d.idx = append(d.idx, i)
	}
	if notFound {
		d.missed++
		h := at.Format("2006-01-02T15")
		u.sweep[h] = append(u.sweep[h], i)
	}
}

// agencyFindings applies the agency rules: a sweep (many codes matching
// nobody within an hour), a day with a high share of misses, a day far
// above the agency's usual volume (the median of its other active days).
func agencyFindings(agencies map[string]*agencyUse, cfg ReportConfig) []Finding {
	var out []Finding
	names := make([]string, 0, len(agencies))
	for a := range agencies {
		names = append(names, a)
	}
	sort.Strings(names)
	for _, a := range names {
		u := agencies[a]
		hours := make([]string, 0, len(u.sweep))
		for h := range u.sweep {
			hours = append(hours, h)
		}
		sort.Strings(hours)
		for _, h := range hours {
			if ix := u.sweep[h]; len(ix) >= cfg.SweepNotFound {
				out = append(out, Finding{Kind: FindingAgencySweep, Terminal: agencyPrefix + a,
					Detail:  fmt.Sprintf("agency %s asked for %d codes that match nobody in the hour %s:00 (threshold %d)", a, len(ix), h, cfg.SweepNotFound),
					Indices: ix[:min(len(ix), maxEvidence)]})
			}
		}
		days := make([]string, 0, len(u.days))
		for d := range u.days {
			days = append(days, d)
		}
		sort.Strings(days)
		for _, day := range days {
			d := u.days[day]
			if d.asked >= cfg.AgencyMinPersons && float64(d.missed) > cfg.AgencyMissRate*float64(d.asked) {
				out = append(out, Finding{Kind: FindingAgencyMisses, Terminal: agencyPrefix + a,
					Detail:  fmt.Sprintf("agency %s: %d of %d codes asked for on %s match nobody (threshold %.0f %%)", a, d.missed, d.asked, day, 100*cfg.AgencyMissRate),
					Indices: d.idx})
			}
			var others []int
			for _, o := range days {
				if o != day {
					others = append(others, u.days[o].asked)
				}
			}
			if len(others) < 3 || d.asked < cfg.AgencyMinPersons {
				continue
			}
			sort.Ints(others)
			usual := others[len(others)/2]
			if float64(d.asked) > cfg.AgencyVolumeFactor*float64(usual) {
				out = append(out, Finding{Kind: FindingAgencyVolume, Terminal: agencyPrefix + a,
					Detail:  fmt.Sprintf("agency %s asked for %d persons on %s; its usual is %d a day (factor %g)", a, d.asked, day, usual, cfg.AgencyVolumeFactor),
					Indices: d.idx})
			}
		}
	}
	return out
}
