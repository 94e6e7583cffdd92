package oplog

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
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
	// LoginFailures: this many failed logins (the access service's
	// access.login_failure records, or another access.login record whose
	// result is not "ok") naming one 照合ID and terminal within an hour is a
	// finding (default 3).
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
	Kind        string `json:"kind"`
	CollationID string `json:"collation_id,omitempty"`
	Terminal    string `json:"terminal,omitempty"`
	Detail      string `json:"detail"`
	// DetailJA is Detail in Japanese, as the terminal shows it (the
	// command line and the JSON keep Detail).
	DetailJA string   `json:"detail_ja"`
	Indices  []uint64 `json:"indices"`
}

// AnalysisReport is the outcome of Analyse.
type AnalysisReport struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Records  uint64    `json:"records"`
	Findings []Finding `json:"findings"`
	Notes    []string  `json:"notes,omitempty"`
	NotesJA  []string  `json:"notes_ja,omitempty"` // Notes in Japanese, for the terminal
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
	cfg = cfg.withDefaults()
	if err := db.View(ctx, store.Op{Operation: jukinet.OpOplogReport,
		Detail: "report " + cfg.From.In(jukinet.JST).Format(time.RFC3339) + " – " + cfg.To.In(jukinet.JST).Format(time.RFC3339)}, nil); err != nil {
		return AnalysisReport{}, err
	}
	a := newAnalysis(cfg)
	a.rep = AnalysisReport{From: cfg.From.In(jukinet.JST), To: cfg.To.In(jukinet.JST), Findings: []Finding{}}
	var err error
	if a.watch, err = loadWatchlist(ctx, db); err != nil {
		a.rep.Notes = append(a.rep.Notes, "watch-list check skipped: "+err.Error())
		a.rep.NotesJA = append(a.rep.NotesJA, "監視対象の住民の確認を行えませんでした（内部エラー）。")
	}
	if err := a.read(ctx, db); err != nil {
		return a.rep, err
	}
	a.findings()
	return a.rep, nil
}

// withDefaults fills in the thresholds left zero.
func (cfg ReportConfig) withDefaults() ReportConfig {
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
	return cfg
}

// analysisKey is a pair: (collation, day), (collation, hour),
// (collation, subject) or (collation, terminal).
type analysisKey struct{ a, b string }

// analysis is one run of Analyse: the records are visited once, in index
// order, into what each rule counts; findings then applies the thresholds.
type analysis struct {
	cfg   ReportConfig
	rep   AnalysisReport
	watch map[string]bool

	offHours  map[analysisKey][]uint64          // (collation, day) → indices
	noPurpose map[string][]uint64               // collation → indices
	watched   map[analysisKey][]uint64          // (collation, subject) → indices
	bulk      map[analysisKey]map[string]uint64 // (collation, hour) → subject → first index
	bulkIdx   map[analysisKey][]uint64
	failures  map[analysisKey][]int64 // (collation, terminal) → times
	failIdx   map[analysisKey][]uint64
	sessions  map[string][]*session           // collation → sessions (per terminal, in time order)
	browse    map[analysisKey]map[string]bool // (collation, day) → subjects shown
	browseIdx map[analysisKey][]uint64
	agencies  map[string]*agencyUse // agency → its use
	order     []analysisKey         // deterministic output
	seen      map[analysisKey]bool
}

func newAnalysis(cfg ReportConfig) *analysis {
	return &analysis{cfg: cfg,
		offHours: map[analysisKey][]uint64{}, noPurpose: map[string][]uint64{}, watched: map[analysisKey][]uint64{},
		bulk: map[analysisKey]map[string]uint64{}, bulkIdx: map[analysisKey][]uint64{},
		failures: map[analysisKey][]int64{}, failIdx: map[analysisKey][]uint64{}, sessions: map[string][]*session{},
		browse: map[analysisKey]map[string]bool{}, browseIdx: map[analysisKey][]uint64{},
		agencies: map[string]*agencyUse{}, seen: map[analysisKey]bool{}}
}

func (a *analysis) note(k analysisKey) {
	if !a.seen[k] {
		a.seen[k] = true
		a.order = append(a.order, k)
	}
}

// read visits the records of the time range, taken as an idx range on the
// primary key (no time index; record times never decrease along idx), one
// row at a time: a run row's records are decoded from its leaf and taken
// one by one, as if each had its own row.
func (a *analysis) read(ctx context.Context, db *store.DB) error {
	const op = "oplog.Analyse"
	rowAt := func(q string, args ...any) *sql.Row {
		return db.Bookkeeping(store.LogRead).QueryRowContext(ctx, q, args...)
	}
	first, err := firstIndexAt(rowAt, a.cfg.From.UnixMicro())
	if err != nil {
		return err
	}
	end, err := firstIndexAt(rowAt, a.cfg.To.UnixMicro())
	if err != nil {
		return err
	}
	rows, err := db.Bookkeeping(store.LogRead).QueryContext(ctx, reportSQL, int64(first), int64(end))
	if err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	defer rows.Close()
	for rows.Next() {
		var idx, run int64
		var r store.LogRecord
		var leaves, hashes []byte
		if err := rows.Scan(&idx, &r.Time, &run, &r.CollationID, &r.Terminal, &r.Principal, &r.Operation, &r.Subject, &r.Purpose, &r.Result, &leaves, &hashes); err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		if run <= 1 {
			r.Index = uint64(idx)
			if leaves != nil {
				// A refused login: what it names is in its detail.
				if full, err := decodeRecord(r.Index, leaves); err == nil {
					r.Detail = full.Detail
				}
			}
			a.visit(&r)
			continue
		}
		ls, err := runLeaves(uint64(idx), int(run), leaves, hashes)
		for j := 0; err == nil && j < len(ls); j++ {
			if r, err = decodeRecord(uint64(idx)+uint64(j), ls[j]); err == nil {
				a.visit(&r)
			}
		}
		if err != nil {
			// The analysis goes on without the records that cannot be read,
			// and says so; verify names the bad index.
			a.rep.Notes = append(a.rep.Notes, fmt.Sprintf("run row at index %d not fully analysed (jukinet oplog verify names the bad record): %v", idx, err))
			a.rep.NotesJA = append(a.rep.NotesJA, fmt.Sprintf("番号 %d の一括記録を分析しきれませんでした（jukinet oplog verify で不正な記録を確認してください）。", idx))
		}
	}
	if err := rows.Err(); err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	return nil
}

// visit takes one record into the rules.
func (a *analysis) visit(r *store.LogRecord) {
	a.rep.Records++
	i, t, coll, term := r.Index, r.Time, r.CollationID, r.Terminal
	at := time.UnixMicro(t).In(jukinet.JST)
	if r.Operation == string(jukinet.OpAccessLoginFailure) || strings.HasPrefix(r.Operation, "access.login") && r.Result != "ok" {
		k, n := analysisKey{coll, term}, 1
		if r.Operation == string(jukinet.OpAccessLoginFailure) {
			k.a, k.b, n = access.LoginFailureNamed(r.Detail)
		}
		for range n {
			a.failures[k] = append(a.failures[k], t)
			a.failIdx[k] = append(a.failIdx[k], i)
		}
		a.note(k)
		return
	}
	if r.Principal == "" && coll != "" && term != "" {
		a.session(coll, term, t, i)
	}
	if agency, ok := strings.CutPrefix(r.Principal, agencyPrefix); ok && r.Subject != "" {
		u := a.agencies[agency]
		if u == nil {
			u = &agencyUse{days: map[string]*agencyDay{}, sweep: map[string][]uint64{}}
			a.agencies[agency] = u
		}
		u.add(at, i, r.Result == store.ResultNotFound)
		return
	}
	if !isLookup(r.Principal, r.Operation, r.Result) || (r.Result != "ok" && r.Result != store.ResultShown) {
		return
	}
	if !OfficeHours(at) {
		k := analysisKey{coll, at.Format("2006-01-02")}
		a.offHours[k] = append(a.offHours[k], i)
		a.note(k)
	}
	if strings.TrimSpace(r.Purpose) == "" {
		a.noPurpose[coll] = append(a.noPurpose[coll], i)
	}
	if r.Subject != "" {
		a.residentLookup(r, at)
	}
}

// session extends the operator's session on the terminal, or starts one
// after a gap longer than SessionGap.
func (a *analysis) session(coll, term string, t int64, i uint64) {
	ss := a.sessions[coll]
	var cur *session
	for j := len(ss) - 1; j >= 0; j-- {
		if ss[j].terminal == term {
			cur = ss[j]
			break
		}
	}
	if cur == nil || t-cur.last > a.cfg.SessionGap.Microseconds() {
		cur = &session{terminal: term, first: t}
		a.sessions[coll] = append(a.sessions[coll], cur)
	}
	cur.last = t
	cur.idx = append(cur.idx, i)
}

// residentLookup counts a lookup of a resident for the watch list, bulk
// (residents opened one by one, per hour) and browsing (every resident
// shown, lists and search results included, per day: one search shows up
// to 50 at once).
func (a *analysis) residentLookup(r *store.LogRecord, at time.Time) {
	i, coll, subject := r.Index, r.CollationID, r.Subject
	if a.watch[subject] {
		k := analysisKey{coll, subject}
		a.watched[k] = append(a.watched[k], i)
		a.note(k)
	}
	if r.Result != store.ResultShown {
		k := analysisKey{coll, at.Format("2006-01-02T15")}
		if a.bulk[k] == nil {
			a.bulk[k] = map[string]uint64{}
			a.note(k)
		}
		if _, ok := a.bulk[k][subject]; !ok {
			a.bulk[k][subject] = i
			a.bulkIdx[k] = append(a.bulkIdx[k], i)
		}
	}
	k := analysisKey{coll, at.Format("2006-01-02")}
	if a.browse[k] == nil {
		a.browse[k] = map[string]bool{}
		a.note(k)
	}
	if !a.browse[k][subject] {
		a.browse[k][subject] = true
		if len(a.browseIdx[k]) < maxEvidence {
			a.browseIdx[k] = append(a.browseIdx[k], i)
		}
	}
}

func (a *analysis) add(f Finding) { a.rep.Findings = append(a.rep.Findings, f) }

// findings applies the thresholds to what visit counted.
func (a *analysis) findings() {
	for _, k := range a.order {
		a.keyFindings(k)
	}
	colls := make([]string, 0, len(a.noPurpose))
	for c := range a.noPurpose {
		colls = append(colls, c)
	}
	sort.Strings(colls)
	for _, c := range colls {
		a.add(Finding{Kind: FindingNoPurpose, CollationID: c, Detail: fmt.Sprintf("%d lookups without a case or purpose", len(a.noPurpose[c])),
			DetailJA: fmt.Sprintf("事案番号・目的のない照会が %d 件", len(a.noPurpose[c])), Indices: a.noPurpose[c]})
	}
	for _, f := range agencyFindings(a.agencies, a.cfg) {
		a.add(f)
	}
	a.sharedIDs()
}

// keyFindings gives the findings counted under k, in the order keys were
// first seen.
func (a *analysis) keyFindings(k analysisKey) {
	cfg := a.cfg
	if ix, ok := a.offHours[k]; ok {
		a.add(Finding{Kind: FindingOffHours, CollationID: k.a, Detail: fmt.Sprintf("%d lookups outside office hours on %s", len(ix), k.b),
			DetailJA: fmt.Sprintf("%s の執務時間外の照会が %d 件", k.b, len(ix)), Indices: ix})
		delete(a.offHours, k)
	}
	if ix, ok := a.watched[k]; ok {
		a.add(Finding{Kind: FindingWatchlist, CollationID: k.a, Detail: fmt.Sprintf("%d lookups of watch-listed resident %s", len(ix), k.b),
			DetailJA: fmt.Sprintf("監視対象の住民 %s の照会が %d 件", k.b, len(ix)), Indices: ix})
		delete(a.watched, k)
	}
	if subs, ok := a.bulk[k]; ok {
		if len(subs) > cfg.BulkSubjects {
			a.add(Finding{Kind: FindingBulk, CollationID: k.a, Detail: fmt.Sprintf("%d distinct residents in the hour %s:00 (threshold %d)", len(subs), k.b, cfg.BulkSubjects),
				DetailJA: fmt.Sprintf("%s時台に %d 人の住民を照会（基準 %d 人）", k.b, len(subs), cfg.BulkSubjects), Indices: a.bulkIdx[k]})
		}
		delete(a.bulk, k)
	}
	if subs, ok := a.browse[k]; ok {
		if len(subs) > cfg.BrowsingSubjects {
			a.add(Finding{Kind: FindingBrowsing, CollationID: k.a, Detail: fmt.Sprintf("%d distinct residents shown on %s (threshold %d)", len(subs), k.b, cfg.BrowsingSubjects),
				DetailJA: fmt.Sprintf("%s に %d 人の住民を表示（基準 %d 人）", k.b, len(subs), cfg.BrowsingSubjects), Indices: a.browseIdx[k]})
		}
		delete(a.browse, k)
	}
	if ts, ok := a.failures[k]; ok {
		// Slide a one-hour window over the failures.
		lo := 0
		for hi := range ts {
			for ts[hi]-ts[lo] > time.Hour.Microseconds() {
				lo++
			}
			if hi-lo+1 >= cfg.LoginFailures {
				a.add(Finding{Kind: FindingLoginFailures, CollationID: k.a, Terminal: k.b,
					Detail:   fmt.Sprintf("%d failed logins within an hour", len(ts[lo:])),
					DetailJA: fmt.Sprintf("1時間以内にログインの失敗が %d 回", len(ts[lo:])), Indices: slices.Compact(slices.Clone(a.failIdx[k][lo:]))})
				break
			}
		}
		delete(a.failures, k)
	}
}

// sharedIDs finds one 照合ID active on two terminals in overlapping sessions.
func (a *analysis) sharedIDs() {
	colls := make([]string, 0, len(a.sessions))
	for c := range a.sessions {
		colls = append(colls, c)
	}
	sort.Strings(colls)
	for _, c := range colls {
		ss := a.sessions[c]
		for i := 0; i < len(ss); i++ {
			for j := i + 1; j < len(ss); j++ {
				x, y := ss[i], ss[j]
				if x.terminal != y.terminal && x.first <= y.last && y.first <= x.last {
					a.add(Finding{Kind: FindingSharedID, CollationID: c, Terminal: x.terminal + "," + y.terminal,
						Detail:   fmt.Sprintf("active on %s and %s at overlapping times", x.terminal, y.terminal),
						DetailJA: fmt.Sprintf("端末 %s と %s で同じ時間帯に使用", x.terminal, y.terminal),
						Indices:  []uint64{x.idx[0], y.idx[0]}})
				}
			}
		}
	}
}

// reportSQL is the statement Analyse reads the rows of an index range with
// (tests EXPLAIN it through export_test.go): the columns of plain rows, and the leaf
// and leaf hashes of run rows only — and the leaf of a refused login, whose
// detail names the 照合ID and terminal attempted (access.LoginFailureNamed).
const reportSQL = `SELECT idx, time, run, collation_id, terminal, principal, operation, subject, purpose, result,
	CASE WHEN run > 1 OR operation = 'access.login_failure' THEN leaf END, CASE WHEN run > 1 THEN leaf_hash END
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
					Detail:   fmt.Sprintf("agency %s asked for %d codes that match nobody in the hour %s:00 (threshold %d)", a, len(ix), h, cfg.SweepNotFound),
					DetailJA: fmt.Sprintf("機関 %s が %s時台に該当者のない番号を %d 件照会（基準 %d 件）", a, h, len(ix), cfg.SweepNotFound),
					Indices:  ix[:min(len(ix), maxEvidence)]})
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
					Detail:   fmt.Sprintf("agency %s: %d of %d codes asked for on %s match nobody (threshold %.0f %%)", a, d.missed, d.asked, day, 100*cfg.AgencyMissRate),
					DetailJA: fmt.Sprintf("機関 %s が %s に照会した %d 件のうち %d 件が該当者なし（基準 %.0f %%）", a, day, d.asked, d.missed, 100*cfg.AgencyMissRate),
					Indices:  d.idx})
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
					Detail:   fmt.Sprintf("agency %s asked for %d persons on %s; its usual is %d a day (factor %g)", a, d.asked, day, usual, cfg.AgencyVolumeFactor),
					DetailJA: fmt.Sprintf("機関 %s が %s に %d 人を照会（通常は1日 %d 人、基準 %g 倍）", a, day, d.asked, usual, cfg.AgencyVolumeFactor),
					Indices:  d.idx})
			}
		}
	}
	return out
}
