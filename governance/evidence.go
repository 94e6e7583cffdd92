package governance

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// The evidence of the security organization's records (gov_*) that the
// compliance report judges (G2.9–G2.12, G3–G10, G11-2, G13, G16–G20):
// facts, never sentences. Each function reads through q, the
// Bookkeeping(store.Status) handle or a transaction on it, so that the
// report reads every owner's facts from one snapshot. A period "after A
// through B" holds the days A < d <= B.

// evidenceReader keeps the first error of a run of reads.
type evidenceReader struct {
	ctx context.Context
	q   store.Reader
	err error
}

func (r *evidenceReader) count(query string, args ...any) int {
	var n sql.NullInt64
	r.scan(query, args, &n)
	return int(n.Int64)
}

func (r *evidenceReader) str(query string, args ...any) string {
	var s sql.NullString
	r.scan(query, args, &s)
	return s.String
}

func (r *evidenceReader) scan(query string, args []any, dst ...any) {
	if r.err != nil {
		return
	}
	if err := r.q.QueryRowContext(r.ctx, query, args...).Scan(dst...); err != nil && !errors.Is(err, sql.ErrNoRows) {
		r.err = err
	}
}

// rows calls scan for each row of query.
func (r *evidenceReader) rows(query string, args []any, scan func(*sql.Rows) error) {
	if r.err != nil {
		return
	}
	rows, err := r.q.QueryContext(r.ctx, query, args...)
	if err != nil {
		r.err = err
		return
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			r.err = err
			return
		}
	}
	r.err = rows.Err()
}

func (r *evidenceReader) list(query string, args ...any) []string {
	var out []string
	r.rows(query, args, func(rows *sql.Rows) error {
		var s string
		err := rows.Scan(&s)
		out = append(out, s)
		return err
	})
	return out
}

func (r *evidenceReader) done(op string) error {
	if r.err != nil {
		return jukinet.E(op, jukinet.KindInternal, r.err)
	}
	return nil
}

// Holding is a role's holder on a day.
type Holding struct {
	CollationID, Name string
	Since             string // valid_from, YYYY-MM-DD
}

// HolderOn returns the holder of role on day; ok is false when the role is
// vacant (G3, G4, G5, G6.6, G11-2, G16.2). Errors: KindInternal.
func HolderOn(ctx context.Context, q store.Reader, role Role, day jukinet.Date) (h Holding, ok bool, err error) {
	err = q.QueryRowContext(ctx, `SELECT collation_id, holder_name, valid_from FROM gov_roles WHERE role = $1 AND valid_from <= $2 AND (valid_until = '' OR valid_until >= $2) ORDER BY valid_from DESC LIMIT 1`,
		string(role), day.String()).Scan(&h.CollationID, &h.Name, &h.Since)
	if errors.Is(err, sql.ErrNoRows) {
		return h, false, nil
	}
	if err != nil {
		return h, false, jukinet.E("governance.HolderOn", jukinet.KindInternal, err)
	}
	return h, true, nil
}

// RulesSet is the latest rule set of an article recorded by a day.
type RulesSet struct{ SetOn, SetBy string }

// RulesInForce returns the rules of article in force on day (the latest
// set on or before it); ok is false when none was recorded (G13.1, G13.2).
// Errors: KindInternal.
func RulesInForce(ctx context.Context, q store.Reader, article RuleArticle, day jukinet.Date) (s RulesSet, ok bool, err error) {
	err = q.QueryRowContext(ctx, `SELECT set_on, set_by FROM gov_rules WHERE article = $1 AND set_on <= $2 ORDER BY set_on DESC, id DESC LIMIT 1`,
		string(article), day.String()).Scan(&s.SetOn, &s.SetBy)
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	if err != nil {
		return s, false, jukinet.E("governance.RulesInForce", jukinet.KindInternal, err)
	}
	return s, true, nil
}

// MemberAttendance is a member role's attendance at a meeting.
type MemberAttendance struct {
	HeldOn  string
	Role    Role
	Present bool
	Note    string // the reason of an absence
}

// CouncilFacts are the security council's records of a period (G2.11, G3, G6).
type CouncilFacts struct {
	Meetings    int
	LastMeeting string         // the day of the last meeting; "" when none
	Chaired     map[string]int // meetings chaired, by the chair's 照合ID
	// LackingMember are the days of meetings that record no attendance of
	// one of the three member roles (G6.2).
	LackingMember  []string
	Attendance     []MemberAttendance // the member roles' attendance, by day and role
	Items          map[Category]int   // agenda items deliberated, by category
	ImportantHeard int                // important items with the review board's opinion
	AwaitingBoard  []string           // important items, of any day, awaiting the board's opinion (not decided)
	Invited        int                // staff invited to explain
	WithMinutes    int                // meetings with minutes
	WithoutMinutes []string           // days of meetings without minutes
}

// Council reads the council's records of the meetings held after after
// through through. Errors: KindInternal.
func Council(ctx context.Context, q store.Reader, after, through jukinet.Date) (CouncilFacts, error) {
	r := &evidenceReader{ctx: ctx, q: q}
	a, t := after.String(), through.String()
	const inPeriod = `held_on > $1 AND held_on <= $2`
	f := CouncilFacts{Chaired: map[string]int{}, Items: map[Category]int{}}
	f.Meetings = r.count(`SELECT COUNT(*) FROM gov_meetings WHERE `+inPeriod, a, t)
	f.LastMeeting = r.str(`SELECT MAX(held_on) FROM gov_meetings WHERE `+inPeriod, a, t)
	r.rows(`SELECT chair, COUNT(*) FROM gov_meetings WHERE `+inPeriod+` GROUP BY chair`, []any{a, t}, func(rows *sql.Rows) error {
		var chair string
		var n int
		err := rows.Scan(&chair, &n)
		f.Chaired[chair] = n
		return err
	})
	f.LackingMember = r.list(`SELECT held_on FROM gov_meetings m WHERE `+inPeriod+` AND (SELECT COUNT(DISTINCT a.role) FROM gov_attendance a WHERE a.meeting_id = m.id AND a.kind = 'member' AND a.role IN ($3, $4, $5)) < 3 ORDER BY held_on`,
		a, t, string(RoleGeneralManager), string(RoleSystemAdministrator), string(RoleSecurityManager))
	r.rows(`SELECT m.held_on, a.role, a.present, a.note FROM gov_attendance a JOIN gov_meetings m ON m.id = a.meeting_id WHERE a.kind = 'member' AND m.held_on > $1 AND m.held_on <= $2 ORDER BY m.held_on, a.role`,
		[]any{a, t}, func(rows *sql.Rows) error {
			var m MemberAttendance
			var present int
			err := rows.Scan(&m.HeldOn, &m.Role, &present, &m.Note)
			m.Present = present == 1
			f.Attendance = append(f.Attendance, m)
			return err
		})
	r.rows(`SELECT i.category, COUNT(*) FROM gov_agenda_items i JOIN gov_meetings m ON m.id = i.meeting_id WHERE m.held_on > $1 AND m.held_on <= $2 GROUP BY i.category`,
		[]any{a, t}, func(rows *sql.Rows) error {
			var c Category
			var n int
			err := rows.Scan(&c, &n)
			f.Items[c] = n
			return err
		})
	f.ImportantHeard = r.count(`SELECT COUNT(*) FROM gov_agenda_items i JOIN gov_meetings m ON m.id = i.meeting_id WHERE i.important = 1 AND i.board_opinion <> '' AND m.held_on > $1 AND m.held_on <= $2`, a, t)
	f.AwaitingBoard = r.list(`SELECT title FROM gov_agenda_items WHERE important = 1 AND board_opinion = '' AND decision = '' ORDER BY title`)
	f.Invited = r.count(`SELECT COUNT(*) FROM gov_attendance a JOIN gov_meetings m ON m.id = a.meeting_id WHERE a.kind = 'invited' AND m.held_on > $1 AND m.held_on <= $2`, a, t)
	f.WithMinutes = r.count(`SELECT COUNT(*) FROM gov_meetings WHERE `+inPeriod+` AND minutes <> ''`, a, t)
	f.WithoutMinutes = r.list(`SELECT held_on FROM gov_meetings WHERE `+inPeriod+` AND minutes = '' ORDER BY held_on`, a, t)
	return f, r.done("governance.Council")
}

// Pending is an instruction, request or contract that falls due.
type Pending struct {
	Who  string // the addressee's 照合ID, the addressee, or the contract's title
	What string // the instruction's content, the follow-up; "" when the entry is the contract itself
	Due  string // YYYY-MM-DD
}

// InstructionFacts are the instructions and requests of one source (the
// council, the rooms' entry management) (G7, G10).
type InstructionFacts struct {
	Issued, Answered int       // issued in the period, and of those answered
	Overdue          []Pending // unanswered and due before the period's last day
	Open             []Pending // unanswered and due on or after it
}

// Instructions reads the instructions and requests from source issued
// after after through through, and the unanswered ones of any day.
// Errors: KindInternal.
func Instructions(ctx context.Context, q store.Reader, source string, after, through jukinet.Date) (InstructionFacts, error) {
	r := &evidenceReader{ctx: ctx, q: q}
	a, t := after.String(), through.String()
	var f InstructionFacts
	f.Issued = r.count(`SELECT COUNT(*) FROM gov_instructions WHERE source = $1 AND issued_on > $2 AND issued_on <= $3`, source, a, t)
	f.Answered = r.count(`SELECT COUNT(*) FROM gov_instructions WHERE source = $1 AND issued_on > $2 AND issued_on <= $3 AND responded_on <> ''`, source, a, t)
	f.Overdue = r.pending(`SELECT addressee_collation_id, content, due_on FROM gov_instructions WHERE source = $1 AND responded_on = '' AND due_on < $2 ORDER BY due_on`, source, t)
	f.Open = r.pending(`SELECT addressee_collation_id, content, due_on FROM gov_instructions WHERE source = $1 AND responded_on = '' AND due_on >= $2 ORDER BY due_on`, source, t)
	return f, r.done("governance.Instructions")
}

// pending reads rows of (who, what, due).
func (r *evidenceReader) pending(query string, args ...any) []Pending {
	var out []Pending
	r.rows(query, args, func(rows *sql.Rows) error {
		var p Pending
		err := rows.Scan(&p.Who, &p.What, &p.Due)
		out = append(out, p)
		return err
	})
	return out
}

// CaseRef names a misuse case.
type CaseRef struct{ ID, OpenedOn string }

// MisuseFacts are the misuse cases and their investigation (G8).
type MisuseFacts struct {
	Cases, Requests, Answered, LogRefs int
	// Uninvestigated are cases without a report request, a log reference
	// or an investigation entry.
	Uninvestigated                          []CaseRef
	Open                                    []CaseRef // cases not closed
	OverdueReports                          []Pending // report requests unanswered past their due day
	Judged, Infringements, Measures, Closed int
	WithoutMeasure                          []string // cases judged an infringement without a protective measure
}

// Misuse reads the misuse cases as of day. Errors: KindInternal.
func Misuse(ctx context.Context, q store.Reader, day jukinet.Date) (MisuseFacts, error) {
	r := &evidenceReader{ctx: ctx, q: q}
	var f MisuseFacts
	cases := func(query string) []CaseRef {
		var out []CaseRef
		r.rows(query, nil, func(rows *sql.Rows) error {
			var c CaseRef
			err := rows.Scan(&c.ID, &c.OpenedOn)
			out = append(out, c)
			return err
		})
		return out
	}
	f.Cases = r.count(`SELECT COUNT(*) FROM gov_misuse_cases`)
	f.Requests = r.count(`SELECT COUNT(*) FROM gov_report_requests`)
	f.Answered = r.count(`SELECT COUNT(*) FROM gov_report_requests WHERE answered_on <> ''`)
	f.LogRefs = r.count(`SELECT COUNT(*) FROM gov_misuse_log_refs`)
	f.Uninvestigated = cases(`SELECT c.id, c.opened_on FROM gov_misuse_cases c WHERE NOT EXISTS (SELECT 1 FROM gov_report_requests q WHERE q.case_id = c.id) AND NOT EXISTS (SELECT 1 FROM gov_misuse_log_refs l WHERE l.case_id = c.id) AND NOT EXISTS (SELECT 1 FROM gov_case_entries e WHERE e.case_id = c.id) ORDER BY c.opened_on`)
	f.Open = cases(`SELECT id, opened_on FROM gov_misuse_cases WHERE closed_on = '' ORDER BY opened_on`)
	f.OverdueReports = r.pending(`SELECT addressee, '', due_on FROM gov_report_requests WHERE answered_on = '' AND due_on < $1`, day.String())
	f.Judged = r.count(`SELECT COUNT(*) FROM gov_misuse_cases WHERE judgement <> ''`)
	f.Infringements = r.count(`SELECT COUNT(*) FROM gov_misuse_cases WHERE judgement = 'infringement'`)
	f.Measures = r.count(`SELECT COUNT(*) FROM gov_case_entries WHERE kind = 'measure'`)
	f.Closed = r.count(`SELECT COUNT(*) FROM gov_misuse_cases WHERE closed_on <> ''`)
	f.WithoutMeasure = r.list(`SELECT c.id FROM gov_misuse_cases c WHERE c.judgement = 'infringement' AND NOT EXISTS (SELECT 1 FROM gov_case_entries e WHERE e.case_id = c.id AND e.kind = 'measure') ORDER BY c.opened_on`)
	return f, r.done("governance.Misuse")
}

// ExpiringAuthorization is a pre-authorization for a room that ends soon.
type ExpiringAuthorization struct {
	CollationID string
	Room        Room
	Until       string
}

// Alert is a room alert.
type Alert struct {
	At     time.Time
	Detail string
}

// RoomFacts are the rooms' authorizations, passages, alerts and reports
// (G2.10, G2.12, G9, G10).
type RoomFacts struct {
	Authorized map[Room]int // people pre-authorized for each room on the day
	InForce    int          // pre-authorizations in force on the day
	// Expiring are the pre-authorizations not revoked whose validity ends
	// from the day through the expiry horizon.
	Expiring          []ExpiringAuthorization
	Passages, Refused int     // passages recorded in the period, and of those refused
	Alerts            int     // alerts raised before the period's end
	Unanswered        []Alert // alerts not answered, oldest first
	LastReport        string  // the last entry-management report submitted on or before the day; "" when none
}

// Rooms reads the rooms' records: authorizations in force on day and those
// expiring by expiringBy, passages recorded in [from, to), alerts raised
// before to. Errors: KindInternal.
func Rooms(ctx context.Context, q store.Reader, day, expiringBy jukinet.Date, from, to time.Time) (RoomFacts, error) {
	r := &evidenceReader{ctx: ctx, q: q}
	d, fromUs, toUs := day.String(), from.UnixMicro(), to.UnixMicro()
	f := RoomFacts{Authorized: map[Room]int{}}
	const authInForce = `FROM gov_room_authorizations WHERE valid_from <= $1 AND valid_until >= $1 AND (revoked_on = '' OR revoked_on > $1)`
	r.rows(`SELECT room, COUNT(*) `+authInForce+` GROUP BY room`, []any{d}, func(rows *sql.Rows) error {
		var room Room
		var n int
		err := rows.Scan(&room, &n)
		f.Authorized[room] = n
		f.InForce += n
		return err
	})
	r.rows(`SELECT collation_id, room, valid_until FROM gov_room_authorizations WHERE valid_until >= $1 AND valid_until <= $2 AND revoked_on = '' ORDER BY valid_until`,
		[]any{d, expiringBy.String()}, func(rows *sql.Rows) error {
			var a ExpiringAuthorization
			err := rows.Scan(&a.CollationID, &a.Room, &a.Until)
			f.Expiring = append(f.Expiring, a)
			return err
		})
	f.Passages = r.count(`SELECT COUNT(*) FROM gov_room_events WHERE at >= $1 AND at < $2`, fromUs, toUs)
	f.Refused = r.count(`SELECT COUNT(*) FROM gov_room_events WHERE at >= $1 AND at < $2 AND outcome = 'refused'`, fromUs, toUs)
	f.Alerts = r.count(`SELECT COUNT(*) FROM gov_alerts WHERE at < $1`, toUs)
	r.rows(`SELECT at, detail FROM gov_alerts WHERE answered_at = 0 ORDER BY at`, nil, func(rows *sql.Rows) error {
		var a Alert
		var at int64
		err := rows.Scan(&at, &a.Detail)
		a.At = time.UnixMicro(at)
		f.Unanswered = append(f.Unanswered, a)
		return err
	})
	f.LastReport = r.str(`SELECT MAX(submitted_on) FROM gov_room_reports WHERE submitted_on <= $1`, d)
	return f, r.done("governance.Rooms")
}

// AssetFacts are the information-asset register, the designated identity
// handlers and the forms (G2.9, G16).
type AssetFacts struct {
	ByKind       map[AssetKind]int // assets registered, by kind
	WithRules    int               // assets with management rules
	WithoutRules []string          // names of assets without management rules
	ManagedBy    map[Role]int      // assets, by their manager's role
	Handlers     int               // people designated to handle identity information on the day
	Forms        int               // forms registered with rules
	Printouts    int               // printouts of forms
	Copies       int               // copies printed
	Undisposed   int               // printouts not yet disposed of
}

// Assets reads the asset register, and the handlers designated on day.
// Errors: KindInternal.
func Assets(ctx context.Context, q store.Reader, day jukinet.Date) (AssetFacts, error) {
	r := &evidenceReader{ctx: ctx, q: q}
	f := AssetFacts{ByKind: map[AssetKind]int{}, ManagedBy: map[Role]int{}}
	r.rows(`SELECT kind, COUNT(*) FROM gov_assets GROUP BY kind`, nil, func(rows *sql.Rows) error {
		var k AssetKind
		var n int
		err := rows.Scan(&k, &n)
		f.ByKind[k] = n
		return err
	})
	r.rows(`SELECT manager_role, COUNT(*) FROM gov_assets GROUP BY manager_role`, nil, func(rows *sql.Rows) error {
		var role Role
		var n int
		err := rows.Scan(&role, &n)
		f.ManagedBy[role] = n
		return err
	})
	f.WithRules = r.count(`SELECT COUNT(*) FROM gov_assets WHERE management_rules <> ''`)
	f.WithoutRules = r.list(`SELECT name FROM gov_assets WHERE management_rules = '' ORDER BY name`)
	f.Handlers = r.count(`SELECT COUNT(*) FROM gov_identity_handlers WHERE valid_from <= $1 AND (valid_until = '' OR valid_until >= $1) AND (revoked_on = '' OR revoked_on > $1)`, day.String())
	f.Forms = r.count(`SELECT COUNT(*) FROM gov_forms WHERE rules <> ''`)
	f.Printouts = r.count(`SELECT COUNT(*) FROM gov_print_log`)
	f.Copies = r.count(`SELECT COALESCE(SUM(copies), 0) FROM gov_print_log`)
	f.Undisposed = r.count(`SELECT COUNT(*) FROM gov_print_log WHERE disposed_on = ''`)
	return f, r.done("governance.Assets")
}

// ContractClause is a clause of an active contract.
type ContractClause struct {
	Title     string // the contract's
	Type      ClauseType
	Reference string // where the contract has it
}

// OutsourcingFacts are the outsourcing contracts active on a day (G17–G20).
type OutsourcingFacts struct {
	Active        int      // contracts active on the day
	Incomplete    []string // active contracts lacking content, reason or protection terms (G17)
	Approved      int      // active contracts with the council's opinion and the approval before they started (G18)
	Unapproved    []string // active contracts without them
	Clauses       []ContractClause
	LackingClause []string  // active contracts lacking one of the five clauses (G19)
	Inspected     []Pending // active contracts inspected: Who the title, Due the last inspection
	NotInspected  []Pending // active contracts not yet inspected: Due the first inspection due
	Overdue       []Pending // contracts whose next inspection is overdue
	Next          []Pending // the next inspections, due on or after the day
	FollowUps     []Pending // inspection follow-ups overdue: What the follow-up
	Awaiting      []string  // contracts awaiting the council's opinion or approval
}

// Outsourcing reads the outsourcing contracts as of day. Errors:
// KindInternal.
func Outsourcing(ctx context.Context, q store.Reader, day jukinet.Date) (OutsourcingFacts, error) {
	r := &evidenceReader{ctx: ctx, q: q}
	d := day.String()
	var f OutsourcingFacts
	const activeOn = `FROM gov_outsourcing WHERE active_from <> '' AND active_from <= $1 AND active_until >= $1`
	const activeO = `o.active_from <> '' AND o.active_from <= $1 AND o.active_until >= $1`
	f.Active = r.count(`SELECT COUNT(*) `+activeOn, d)
	f.Incomplete = r.list(`SELECT title `+activeOn+` AND (content = '' OR reason = '' OR protection_terms = '') ORDER BY title`, d)
	f.Approved = r.count(`SELECT COUNT(*) `+activeOn+` AND council_opinion <> '' AND approved_on <> '' AND approved_on <= active_from`, d)
	f.Unapproved = r.list(`SELECT title `+activeOn+` AND (council_opinion = '' OR approved_on = '' OR approved_on > active_from) ORDER BY title`, d)
	r.rows(`SELECT o.title, c.clause_type, c.reference FROM gov_contract_clauses c JOIN gov_outsourcing o ON o.id = c.outsourcing_id WHERE `+activeO+` ORDER BY o.title, c.clause_type`,
		[]any{d}, func(rows *sql.Rows) error {
			var c ContractClause
			err := rows.Scan(&c.Title, &c.Type, &c.Reference)
			f.Clauses = append(f.Clauses, c)
			return err
		})
	f.LackingClause = r.list(`SELECT o.title FROM gov_outsourcing o WHERE `+activeO+` AND (SELECT COUNT(DISTINCT c.clause_type) FROM gov_contract_clauses c WHERE c.outsourcing_id = o.id AND c.clause_type IN ($2, $3, $4, $5, $6)) < 5 ORDER BY o.title`,
		d, string(ClauseSubcontracting), string(ClauseMaterials), string(ClauseOtherUse), string(ClauseConfidentiality), string(ClauseAccidentReport))
	f.Inspected = r.pending(`SELECT o.title, '', MAX(i.inspected_on) FROM gov_outsourcing o JOIN gov_inspections i ON i.outsourcing_id = o.id WHERE `+activeO+` AND i.inspected_on <= $1 GROUP BY o.title ORDER BY o.title`, d)
	f.NotInspected = r.pending(`SELECT o.title, '', o.next_inspection_due FROM gov_outsourcing o WHERE `+activeO+` AND NOT EXISTS (SELECT 1 FROM gov_inspections i WHERE i.outsourcing_id = o.id AND i.inspected_on <= $1) ORDER BY o.title`, d)
	f.Overdue = r.pending(`SELECT title, '', next_inspection_due FROM gov_outsourcing WHERE active_from <> '' AND active_until >= $1 AND next_inspection_due <> '' AND next_inspection_due < $1`, d)
	f.Next = r.pending(`SELECT title, '', next_inspection_due FROM gov_outsourcing WHERE active_from <> '' AND next_inspection_due >= $1 ORDER BY next_inspection_due`, d)
	f.FollowUps = r.pending(`SELECT '', follow_up, follow_up_due FROM gov_inspections WHERE follow_up <> '' AND follow_up_done_on = '' AND follow_up_due < $1`, d)
	f.Awaiting = r.list(`SELECT title FROM gov_outsourcing WHERE approved_on = '' ORDER BY requested_on`)
	return f, r.done("governance.Outsourcing")
}
