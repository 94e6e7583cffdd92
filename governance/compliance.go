package governance

import (
	"context"
	"crypto/tls"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/pki"
	"github.com/jukinet/jukinet/store"
)

// Status of a guideline ID in the compliance report.
type Status string

// Statuses. An ID is met only when the records its article requires exist
// for the period it requires, or when its live check passes; a live check
// whose facts the caller did not supply is not-checked, never met.
const (
	StatusMet             Status = "met"
	StatusEvidenceMissing Status = "evidence-missing"
	StatusOverdue         Status = "overdue"
	StatusNotChecked      Status = "not-checked"
)

// Finding is the report's entry for one guideline ID.
type Finding struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Rule     string   `json:"rule"` // the records or the check that make the ID met
	Status   Status   `json:"status"`
	Evidence []string `json:"evidence"`      // the records found, each read from this node
	Due      []string `json:"due,omitempty"` // what is missing, falls due next, or is overdue
}

// Report is the compliance report: one Finding per guideline ID, in the
// guideline's order.
type Report struct {
	Node          string    `json:"node"`
	AsOf          string    `json:"as_of"`
	FiscalYear    string    `json:"fiscal_year"` // April–March
	PolicyVersion string    `json:"policy_version"`
	Findings      []Finding `json:"findings"`
}

// LiveFacts are what the live checks need and the database does not hold;
// the caller (the command or the server that knows its own configuration)
// supplies them. A check whose facts are missing is reported not-checked.
type LiveFacts struct {
	KeyDir       string // the node's key directory (G12.1: private keys 0600, directories 0700)
	DBPath       string // the SQLite database file (G12.1: 0600); unused on PostgreSQL
	NetworkAddr  string // the network (mTLS) listener, host:port (G2.4, G2.5)
	TerminalAddr string // the terminal listener, host:port (G2.5)
}

// The periods the rules use.
const (
	councilPeriodDays = 365 // the council meets at least once a year (G6)
	quarterDays       = 92  // room reports, logins, misuse analysis (G8, G9.2, G10, G11.2, G14)
	networkDays       = 31  // a receipt from a peer, a cosigned checkpoint (G2.1, G2.2)
	retentionYears    = 7   // G15
)

type guideline struct{ id, title, rule string }

var guidelines = []guideline{
	{"G2.1", "the network and its nodes", "a signed receipt from a peer node kept (outbox_receipts) within the past 31 days"},
	{"G2.2", "security: accuracy, confidentiality, continuity", "a checkpoint of the operation log cosigned by the prefecture (oplog_checkpoint) within the past 31 days"},
	{"G2.3", "what the CS exchanges", "messages delivered to peers (outbox, state delivered) this fiscal year"},
	{"G2.4", "firewall", "live: the network listener refuses a connection without a client certificate of the network"},
	{"G2.5", "integrated terminal", "an active terminal registered (access_terminals) and, live, the terminal and network listeners on separate addresses"},
	{"G2.6", "照合情報認証 (irreversible biometric)", "every active operator has 照合情報 enrolled as a protected template (access_templates)"},
	{"G2.7", "照合ID identifies the operator", "at least one active operator in the 照合ID register (access_operators)"},
	{"G2.8", "操作者ID identifies the authority", "at least one 操作者ID in force (access_operator_ids) held by an active operator"},
	{"G2.9", "programs", "a software asset registered with its manager and rules (gov_assets)"},
	{"G2.10", "computer room", "someone pre-authorized for the computer room on the day (gov_room_authorizations)"},
	{"G2.11", "documents", "minutes of a council meeting of the past year recorded (gov_meetings.minutes)"},
	{"G2.12", "media storage room", "someone pre-authorized for the media storage room on the day (gov_room_authorizations)"},
	{"G3", "セキュリティ統括責任者 (deputy mayor)", "a holder in office on the day (gov_roles) who chaired a council meeting within the past year"},
	{"G4", "システム管理者 (head of Digital Promotion)", "a holder in office on the day (gov_roles)"},
	{"G5", "セキュリティ責任者 (head of Citizen Division)", "a holder in office on the day (gov_roles)"},
	{"G6.1", "security council", "a council meeting within the past year (gov_meetings)"},
	{"G6.2", "council members: the three roles", "every meeting of the past year records presence or absence of each of the three member roles (gov_attendance)"},
	{"G6.3", "council deliberations (measures, compliance, audit, training)", "an item of each of the four categories deliberated within the past year (gov_agenda_items)"},
	{"G6.4", "privacy review board heard on important items", "an important item of the past year with the review board's opinion (gov_agenda_items.board_opinion)"},
	{"G6.5", "staff called to attend", "staff invited to a meeting of the past year (gov_attendance, kind invited)"},
	{"G6.6", "secretariat: Citizen Division (minutes)", "a secretariat holder in office, and minutes of every meeting of the past year (gov_meetings.minutes)"},
	{"G7", "instructions and requests after council results", "an instruction or request after a council decision within the past year, none overdue (gov_instructions)"},
	{"G8.1", "misuse: reports requested and investigated", "the periodic misuse analysis (oplog.report) within the past 92 days, every misuse case investigated and no report request overdue"},
	{"G8.2", "misuse: protective measures", "the periodic misuse analysis within the past 92 days, and a protective measure for every case judged an infringement (gov_case_entries)"},
	{"G9.1", "rooms: advance approval by the System Administrator", "a pre-authorization in force on the day (gov_room_authorizations)"},
	{"G9.2", "rooms: entry and exit managed", "a passage recorded within the past 92 days (gov_room_events), no alert unanswered for more than 7 days"},
	{"G10", "rooms: reports to and instructions of the General Manager", "an entry-management report within the past 92 days (gov_room_reports), no instruction overdue"},
	{"G11.1", "access control on CS and terminal", "an active terminal (access_terminals) and a 操作者ID in force (access_operator_ids)"},
	{"G11.2", "照合情報認証 and operation history", "every active operator enrolled (access_templates) and a biometric login (access.login) in the operation log within the past 92 days"},
	{"G11-2", "アクセス管理責任者", "a holder in office on the day (gov_roles)"},
	{"G12.1", "OS security measures", "live: every private key and key directory closed to group and others, the SQLite database file 0600"},
	{"G12.2", "OS password rules", "the OS password policy recorded (access_password_policy) with no deviation from the baseline"},
	{"G13.1", "rules for 照合ID and 操作者ID", "rules recorded by the アクセス管理責任者 (gov_rules, G13.1)"},
	{"G13.2", "rules for registering/deleting 照合情報", "rules recorded by the アクセス管理責任者 (gov_rules, G13.2)"},
	{"G13.3", "who holds each 操作者ID type", "every 操作者ID in force names the セキュリティ責任者 and the decision (access_operator_ids); at least one"},
	{"G13.4", "registers of 照合ID and 操作者ID", "every active operator and every 操作者ID in force has its entry in the registers (access_history)"},
	{"G14", "operators follow the rules", "a biometric login within the past 92 days (the login enforces lockout, validity and terminal binding), no locked operator holding a 操作者ID in force"},
	{"G15", "operation history kept 7 years", "operation log records, none removed that is younger than 7 years (the oldest kept record is the first, or older than 7 years)"},
	{"G16.1", "every information asset has a manager", "an asset of each kind (information, software, hardware, network, media) whose manager role has a holder on the day (gov_assets)"},
	{"G16.2", "本人確認情報管理責任者 and 情報資産管理責任者", "a holder of each of the two roles in office on the day (gov_roles)"},
	{"G16-2.1", "designation of who may handle identity information", "someone designated to handle identity information on the day (gov_identity_handlers)"},
	{"G16-2.2", "management of server forms", "a form registered with its rules (gov_forms)"},
	{"G16-3", "management rules of each asset", "assets registered, each with its management rules (gov_assets)"},
	{"G17", "outsourcing under the privacy ordinance", "an outsourcing contract active on the day, each with content, reason and protection terms (gov_outsourcing)"},
	{"G18", "outsourcing: council opinion, then approval", "every contract active on the day had the council's opinion and the General Manager's approval before it started; at least one"},
	{"G19", "contract clauses (1)–(5)", "every contract active on the day has the five clauses (gov_contract_clauses); at least one"},
	{"G20", "inspection of contractors", "every contract active on the day inspected (gov_inspections), no inspection or follow-up overdue; at least one"},
}

// GuidelineIDs lists every requirement ID of the guideline in order.
func GuidelineIDs() []string {
	out := make([]string, len(guidelines))
	for i, g := range guidelines {
		out[i] = g.id
	}
	return out
}

// FiscalYearStart returns the April 1 that starts the fiscal year of d.
func FiscalYearStart(d jukinet.Date) jukinet.Date {
	y := d.Year
	if d.Month < time.April {
		y--
	}
	return jukinet.Date{Year: y, Month: time.April, Day: 1}
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

type reader struct {
	ctx context.Context
	q   querier
	err error
}

func (r *reader) count(q string, args ...any) int {
	var n sql.NullInt64
	if r.err != nil {
		return 0
	}
	if err := r.q.QueryRowContext(r.ctx, q, args...).Scan(&n); err != nil && !errors.Is(err, sql.ErrNoRows) {
		r.err = err
	}
	return int(n.Int64)
}

func (r *reader) str(q string, args ...any) string {
	var s sql.NullString
	if r.err != nil {
		return ""
	}
	err := r.q.QueryRowContext(r.ctx, q, args...).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return ""
	}
	if err != nil {
		r.err = err
	}
	return s.String
}

func (r *reader) strings(q string, args ...any) []string {
	if r.err != nil {
		return nil
	}
	rows, err := r.q.QueryContext(r.ctx, q, args...)
	if err != nil {
		r.err = err
		return nil
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			r.err = err
			return nil
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		r.err = err
	}
	return out
}

// ComplianceReport builds the report as of a date and logs that it was made
// (governance.compliance.report). The report holds staff identifiers and
// record dates, never residents' data.
func (s *Service) ComplianceReport(ctx context.Context, asOf jukinet.Date, live LiveFacts) (Report, error) {
	const op = jukinet.OpGovComplianceReport
	if asOf.IsZero() {
		asOf = jukinet.Today(s.db.Now())
	}
	rep, err := BuildReport(ctx, s.db, asOf, live)
	if err != nil {
		return rep, err
	}
	err = s.db.View(ctx, store.Op{Operation: op, Detail: "as_of=" + asOf.String()}, nil)
	return rep, err
}

// BuildReport reads the evidence per guideline ID without logging (used by
// ComplianceReport and by tests).
func BuildReport(ctx context.Context, db *store.DB, asOf jukinet.Date, live LiveFacts) (Report, error) {
	return buildReport(ctx, db.Bookkeeping(store.Status), db.Engine(), db.Node(), asOf, live)
}

// finding accumulates one ID's evidence and shortfalls.
type finding struct {
	*Finding
	missing, overdue, notChecked bool
}

func (f *finding) ev(format string, args ...any) {
	f.Evidence = append(f.Evidence, fmt.Sprintf(format, args...))
}
func (f *finding) due(format string, args ...any) {
	f.Due = append(f.Due, fmt.Sprintf(format, args...))
}
func (f *finding) lack(format string, args ...any) {
	f.missing = true
	f.due(format, args...)
}
func (f *finding) late(format string, args ...any) {
	f.overdue = true
	f.due(format, args...)
}
func (f *finding) unchecked(format string, args ...any) {
	f.notChecked = true
	f.due(format, args...)
}

func (f *finding) status() Status {
	switch {
	case f.overdue:
		return StatusOverdue
	case f.missing:
		return StatusEvidenceMissing
	case f.notChecked:
		return StatusNotChecked
	case len(f.Evidence) > 0:
		return StatusMet
	}
	return StatusEvidenceMissing
}

// reportBuilder holds what every part of the compliance report reads: the
// day, the periods it is measured over, the live facts, and the findings
// each part adds evidence or lacks to. Each method is one area of the
// guideline.
type reportBuilder struct {
	ctx  context.Context
	q    querier
	r    *reader
	eng  store.Engine
	live LiveFacts
	f    map[string]*finding

	asOf                             jukinet.Date
	day, fyStart, fyEnd, yearAgo     string
	fy                               jukinet.Date
	endMicro, quarterMicro, netMicro int64
	holders                          map[Role]string // role → collation ID in office on the day (roleHolders)
}

func buildReport(ctx context.Context, q querier, eng store.Engine, node string, asOf jukinet.Date, live LiveFacts) (Report, error) {
	fy := FiscalYearStart(asOf)
	b := &reportBuilder{ctx: ctx, q: q, r: &reader{ctx: ctx, q: q}, eng: eng, live: live, f: map[string]*finding{}, asOf: asOf, fy: fy,
		day: asOf.String(), fyStart: fy.String(), fyEnd: jukinet.Date{Year: fy.Year + 1, Month: time.March, Day: 31}.String(),
		yearAgo:      asOf.AddDays(-councilPeriodDays).String(), // meetings after this day count as "within the past year"
		endMicro:     asOf.AddDays(1).Time().UnixMicro(),        // the end of the day (JST)
		quarterMicro: asOf.AddDays(-quarterDays).Time().UnixMicro(),
		netMicro:     asOf.AddDays(-networkDays).Time().UnixMicro(),
		holders:      map[Role]string{},
	}
	rep := Report{Node: node, AsOf: b.day, FiscalYear: b.fyStart + "–" + b.fyEnd, PolicyVersion: jukinet.PolicyVersion()}
	rep.Findings = make([]Finding, len(guidelines))
	for i, g := range guidelines {
		rep.Findings[i] = Finding{ID: g.id, Title: g.title, Rule: g.rule}
		b.f[g.id] = &finding{Finding: &rep.Findings[i]}
	}
	b.network()
	b.operators()
	b.filesAndPasswords()
	b.retention()
	b.roleHolders()
	b.council()
	b.misuse()
	b.rooms()
	b.assets()
	b.outsourcing()
	if b.r.err != nil {
		return rep, jukinet.E("governance.BuildReport", jukinet.KindInternal, b.r.err)
	}
	for _, g := range guidelines {
		x := b.f[g.id]
		x.Status = x.status()
	}
	return rep, nil
}

// network checks the links to the other nodes (G2.1–G2.4).
func (b *reportBuilder) network() {
	r, f, live, asOf, fy, fyStart, fyEnd, endMicro, netMicro, ctx := b.r, b.f, b.live, b.asOf, b.fy, b.fyStart, b.fyEnd, b.endMicro, b.netMicro, b.ctx
	if n := r.count(`SELECT COUNT(*) FROM outbox_receipts WHERE received_at >= $1 AND received_at < $2`, netMicro, endMicro); n > 0 {
		f["G2.1"].ev("%d receipt lists from %d peers since %s", n,
			r.count(`SELECT COUNT(DISTINCT dest) FROM outbox_receipts WHERE received_at >= $1 AND received_at < $2`, netMicro, endMicro), asOf.AddDays(-networkDays))
	} else {
		f["G2.1"].lack("no signed receipt from a peer node since %s", asOf.AddDays(-networkDays))
	}
	if n := r.count(`SELECT COUNT(*) FROM oplog_checkpoint WHERE state = 'cosigned' AND created_at >= $1 AND created_at < $2`, netMicro, endMicro); n > 0 {
		f["G2.2"].ev("%d checkpoints of the operation log cosigned by the prefecture since %s, the latest at size %d", n, asOf.AddDays(-networkDays),
			r.count(`SELECT MAX(size) FROM oplog_checkpoint WHERE state = 'cosigned' AND created_at < $1`, endMicro))
	} else {
		f["G2.2"].lack("no checkpoint of the operation log cosigned by the prefecture since %s", asOf.AddDays(-networkDays))
	}
	fyMicro := fy.Time().UnixMicro()
	if kinds := r.strings(`SELECT kind || ': ' || CAST(COUNT(*) AS TEXT) FROM outbox WHERE state = 'delivered' AND done_at >= $1 AND done_at < $2 GROUP BY kind ORDER BY kind`, fyMicro, endMicro); len(kinds) > 0 {
		f["G2.3"].ev("delivered this fiscal year: %s", strings.Join(kinds, ", "))
	} else {
		f["G2.3"].lack("no message delivered to a peer this fiscal year (%s–%s)", fyStart, fyEnd)
	}
	if live.NetworkAddr == "" {
		f["G2.4"].unchecked("not checked: the network listener's address was not supplied")
	} else if err := probeWithoutCertificate(ctx, live.NetworkAddr); err != nil {
		f["G2.4"].lack("the network listener %s: %v", live.NetworkAddr, err)
	} else {
		f["G2.4"].ev("the network listener %s refused a connection without a client certificate", live.NetworkAddr)
	}
}

// operators checks terminals, operators and 操作者ID (G2.5–G2.8, G11, G13, G14).
func (b *reportBuilder) operators() {
	r, f, live, asOf, day, endMicro, quarterMicro := b.r, b.f, b.live, b.asOf, b.day, b.endMicro, b.quarterMicro
	terminals := r.count(`SELECT COUNT(*) FROM access_terminals WHERE active = 1`)
	if terminals > 0 {
		f["G2.5"].ev("%d active terminals registered", terminals)
		f["G11.1"].ev("%d active terminals registered", terminals)
	} else {
		f["G2.5"].lack("no active terminal registered")
		f["G11.1"].lack("no active terminal registered")
	}
	switch {
	case live.TerminalAddr == "" || live.NetworkAddr == "":
		f["G2.5"].unchecked("not checked: the terminal and network listener addresses were not both supplied")
	case sameListener(live.TerminalAddr, live.NetworkAddr):
		f["G2.5"].lack("the terminal listener %s and the network listener %s share an address", live.TerminalAddr, live.NetworkAddr)
	default:
		f["G2.5"].ev("terminal listener %s apart from the network listener %s", live.TerminalAddr, live.NetworkAddr)
	}
	active := r.count(`SELECT COUNT(*) FROM access_operators WHERE status = 'active'`)
	unenrolled := r.strings(`SELECT o.collation_id FROM access_operators o WHERE o.status = 'active' AND NOT EXISTS (SELECT 1 FROM access_templates t WHERE t.collation_id = o.collation_id) ORDER BY o.collation_id`)
	for _, id := range []string{"G2.6", "G11.2"} {
		switch {
		case active == 0:
			f[id].lack("no active operator")
		case len(unenrolled) > 0:
			f[id].lack("active operators without 照合情報: %s", strings.Join(unenrolled, ", "))
		default:
			f[id].ev("all %d active operators have 照合情報 enrolled as protected templates", active)
		}
	}
	if active > 0 {
		f["G2.7"].ev("%d active operators in the 照合ID register", active)
	} else {
		f["G2.7"].lack("no active operator in the 照合ID register")
	}
	inForce := `FROM access_operator_ids i JOIN access_operators o ON o.collation_id = i.collation_id WHERE o.status = 'active' AND i.withdrawn_at = 0 AND i.valid_from < $1 AND i.valid_until >= $1`
	ids := r.count(`SELECT COUNT(*) `+inForce, endMicro)
	if ids > 0 {
		f["G2.8"].ev("%d 操作者ID in force", ids)
		f["G11.1"].ev("%d 操作者ID in force", ids)
		if bad := r.strings(`SELECT i.operator_id `+inForce+` AND (i.security_manager = '' OR i.decision_ref = '') ORDER BY i.operator_id`, endMicro); len(bad) > 0 {
			f["G13.3"].lack("操作者ID in force without the セキュリティ責任者 or the decision: %s", strings.Join(bad, ", "))
		} else {
			f["G13.3"].ev("%d 操作者ID in force, each with the セキュリティ責任者 and the decision that assigned it", ids)
		}
	} else {
		for _, id := range []string{"G2.8", "G11.1", "G13.3"} {
			f[id].lack("no 操作者ID in force")
		}
	}
	logins := r.count(`SELECT COUNT(*) FROM oplog WHERE operation = $1 AND time >= $2 AND time < $3 AND result = 'ok'`, string(jukinet.OpAccessLogin), quarterMicro, endMicro)
	for _, id := range []string{"G11.2", "G14"} {
		if logins > 0 {
			f[id].ev("%d biometric logins in the operation log since %s", logins, asOf.AddDays(-quarterDays))
		} else {
			f[id].lack("no biometric login in the operation log since %s", asOf.AddDays(-quarterDays))
		}
	}
	for _, s := range r.strings(`SELECT DISTINCT o.collation_id `+inForce+` AND o.locked_at <> 0 ORDER BY o.collation_id`, endMicro) {
		f["G14"].lack("locked operator %s still holds a 操作者ID in force", s)
	}
	unregistered := r.strings(`SELECT o.collation_id FROM access_operators o WHERE o.status = 'active' AND NOT EXISTS (SELECT 1 FROM access_history h WHERE h.register = 'collation' AND h.id = o.collation_id) ORDER BY o.collation_id`)
	unregistered = append(unregistered, r.strings(`SELECT i.operator_id `+inForce+` AND NOT EXISTS (SELECT 1 FROM access_history h WHERE h.register = 'operator' AND h.id = i.operator_id) ORDER BY i.operator_id`, endMicro)...)
	switch {
	case active == 0 || ids == 0:
		f["G13.4"].lack("the registers hold no active operator with a 操作者ID in force")
	case len(unregistered) > 0:
		f["G13.4"].lack("not in the registers: %s", strings.Join(unregistered, ", "))
	default:
		f["G13.4"].ev("%d entries in the 照合ID and 操作者ID registers cover the %d active operators and %d 操作者ID in force",
			r.count(`SELECT COUNT(*) FROM access_history WHERE register IN ('collation', 'operator')`), active, ids)
	}
	for _, x := range []struct {
		id      string
		article RuleArticle
	}{{"G13.1", RulesIDs}, {"G13.2", RulesTemplates}} {
		if v := r.str(`SELECT set_on || ' by ' || set_by FROM gov_rules WHERE article = $1 AND set_on <= $2 ORDER BY set_on DESC, id DESC LIMIT 1`, string(x.article), day); v != "" {
			f[x.id].ev("rules in force set on %s", v)
		} else {
			f[x.id].lack("no rules recorded by the アクセス管理責任者")
		}
	}
}

// filesAndPasswords checks the live file modes and the recorded OS password policy (G12).
func (b *reportBuilder) filesAndPasswords() {
	r, f, live, eng, ctx, q := b.r, b.f, b.live, b.eng, b.ctx, b.q
	g121 := f["G12.1"]
	if live.KeyDir == "" {
		g121.unchecked("not checked: the key directory was not supplied")
	} else if problems := keyDirProblems(live.KeyDir); len(problems) > 0 {
		for _, p := range problems {
			g121.lack("%s", p)
		}
	} else {
		g121.ev("key directory %s: every private key and directory closed to group and others", live.KeyDir)
	}
	if eng == store.SQLite {
		if live.DBPath == "" {
			g121.unchecked("not checked: the database file was not supplied")
		} else if problems := dbFileProblems(live.DBPath); len(problems) > 0 {
			for _, p := range problems {
				g121.lack("%s", p)
			}
		} else {
			g121.ev("database file %s is 0600", live.DBPath)
		}
	}
	var pol jukinet.PasswordPolicy
	var setAt int64
	err := q.QueryRowContext(ctx, `SELECT min_length, char_classes, rotation_days, lockout_threshold, set_at, set_by FROM access_password_policy WHERE id = 1`).
		Scan(&pol.MinLength, &pol.CharClasses, &pol.RotationDays, &pol.LockoutThreshold, &setAt, &pol.SetBy)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		f["G12.2"].lack("no OS password policy recorded: the アクセス管理責任者 sets the OS password rules")
	case err != nil:
		r.err = err
	default:
		if dev := pol.Deviations(); len(dev) > 0 {
			for _, d := range dev {
				f["G12.2"].lack("%s", d)
			}
		} else {
			f["G12.2"].ev("OS password policy set %s by %s: at least %d characters of %d classes, lockout after %d failures",
				jukinet.DateOf(time.UnixMicro(setAt)), pol.SetBy, pol.MinLength, pol.CharClasses, pol.LockoutThreshold)
		}
	}
}

// retention checks that no record younger than 7 years was removed (G15).
func (b *reportBuilder) retention() {
	r, f, asOf := b.r, b.f, b.asOf
	size := r.count(`SELECT size FROM oplog_head WHERE id = 1`)
	oldestIdx := r.count(`SELECT MIN(idx) FROM oplog`)
	oldest := r.str(`SELECT CAST(time AS TEXT) FROM oplog ORDER BY idx LIMIT 1`) // times never decrease along idx
	limit := asOf.Time().AddDate(-retentionYears, 0, 0).UnixMicro()
	switch {
	case size == 0 || oldest == "":
		f["G15"].lack("the operation log holds no record")
	case oldestIdx > 0 && microOf(oldest) > limit:
		f["G15"].lack("records 0–%d are gone although the oldest kept record (%s) is younger than %d years", oldestIdx-1, microDate(oldest), retentionYears)
	default:
		f["G15"].ev("operation log: %d records, oldest kept record #%d at %s", size, oldestIdx, microDate(oldest))
	}
}

// roleHolders finds who holds each role on the day (G3, G4, G5, G11-2,
// G16.2, G6.6) and keeps them in b.holders for the checks after it.
func (b *reportBuilder) roleHolders() {
	r, f, day, holders := b.r, b.f, b.day, b.holders
	holder := func(role Role) (id, desc string) {
		desc = r.str(`SELECT collation_id || ' (' || holder_name || ', since ' || valid_from || ')' FROM gov_roles WHERE role = $1 AND valid_from <= $2 AND (valid_until = '' OR valid_until >= $2) ORDER BY valid_from DESC LIMIT 1`, string(role), day)
		if desc != "" {
			id = desc[:strings.Index(desc, " (")]
		}
		return id, desc
	}
	for _, x := range []struct {
		id   string
		role Role
	}{{"G3", RoleGeneralManager}, {"G4", RoleSystemAdministrator}, {"G5", RoleSecurityManager}, {"G11-2", RoleAccessControlManager},
		{"G16.2", RoleIdentityInfoManager}, {"G16.2", RoleAssetManager}, {"G6.6", RoleCouncilSecretariat}} {
		id, desc := holder(x.role)
		holders[x.role] = id
		if id != "" {
			f[x.id].ev("%s: %s", x.role.Japanese(), desc)
		} else {
			f[x.id].lack("no %s (%s) in office on %s", x.role.Japanese(), x.role, day)
		}
	}
}

// council checks the council's meetings, agenda and minutes (G3, G6, G7, G2.11).
func (b *reportBuilder) council() {
	r, f, asOf, day, yearAgo, holders := b.r, b.f, b.asOf, b.day, b.yearAgo, b.holders
	inYear := `held_on > $1 AND held_on <= $2`
	meetings := r.count(`SELECT COUNT(*) FROM gov_meetings WHERE `+inYear, yearAgo, day)
	if meetings > 0 {
		f["G6.1"].ev("%d council meetings within the past year, the last on %s", meetings, r.str(`SELECT MAX(held_on) FROM gov_meetings WHERE `+inYear, yearAgo, day))
	} else {
		f["G6.1"].lack("no council meeting since %s", asOf.AddDays(-councilPeriodDays+1))
	}
	if gm := holders[RoleGeneralManager]; gm != "" {
		if n := r.count(`SELECT COUNT(*) FROM gov_meetings WHERE `+inYear+` AND chair = $3`, yearAgo, day, gm); n > 0 {
			f["G3"].ev("convened and chaired %d meetings within the past year", n)
		} else {
			f["G3"].lack("the セキュリティ統括責任者 chaired no council meeting since %s", asOf.AddDays(-councilPeriodDays+1))
		}
	}
	if meetings == 0 {
		f["G6.2"].lack("no meeting within the past year")
	}
	for _, m := range r.strings(`SELECT held_on FROM gov_meetings m WHERE `+inYear+` AND (SELECT COUNT(DISTINCT a.role) FROM gov_attendance a WHERE a.meeting_id = m.id AND a.kind = 'member' AND a.role IN ($3, $4, $5)) < 3 ORDER BY held_on`,
		yearAgo, day, string(RoleGeneralManager), string(RoleSystemAdministrator), string(RoleSecurityManager)) {
		f["G6.2"].lack("the meeting of %s lacks the attendance of a member role", m)
	}
	if meetings > 0 && !f["G6.2"].missing {
		f["G6.2"].ev("%s", strings.Join(r.strings(`SELECT m.held_on || ': ' || a.role || CASE WHEN a.present = 1 THEN ' present' ELSE ' absent (' || a.note || ')' END FROM gov_attendance a JOIN gov_meetings m ON m.id = a.meeting_id WHERE a.kind = 'member' AND m.held_on > $1 AND m.held_on <= $2 ORDER BY m.held_on, a.role`, yearAgo, day), "; "))
	}
	for _, c := range []Category{CategoryMeasures, CategoryCompliance, CategoryAudit, CategoryTraining} {
		if n := r.count(`SELECT COUNT(*) FROM gov_agenda_items i JOIN gov_meetings m ON m.id = i.meeting_id WHERE i.category = $1 AND m.held_on > $2 AND m.held_on <= $3`, string(c), yearAgo, day); n > 0 {
			f["G6.3"].ev("%s: %d items within the past year", c, n)
		} else {
			f["G6.3"].lack("no %s item deliberated since %s", c, asOf.AddDays(-councilPeriodDays+1))
		}
	}
	if n := r.count(`SELECT COUNT(*) FROM gov_agenda_items i JOIN gov_meetings m ON m.id = i.meeting_id WHERE i.important = 1 AND i.board_opinion <> '' AND m.held_on > $1 AND m.held_on <= $2`, yearAgo, day); n > 0 {
		f["G6.4"].ev("%d important items of the past year heard by the review board (a decision without its opinion is refused)", n)
	} else {
		f["G6.4"].lack("no important item heard by the review board since %s", asOf.AddDays(-councilPeriodDays+1))
	}
	for _, t := range r.strings(`SELECT title FROM gov_agenda_items WHERE important = 1 AND board_opinion = '' AND decision = '' ORDER BY title`) {
		f["G6.4"].due("important item %q awaits the review board's opinion", t)
	}
	if n := r.count(`SELECT COUNT(*) FROM gov_attendance a JOIN gov_meetings m ON m.id = a.meeting_id WHERE a.kind = 'invited' AND m.held_on > $1 AND m.held_on <= $2`, yearAgo, day); n > 0 {
		f["G6.5"].ev("%d staff invited to explain within the past year", n)
	} else {
		f["G6.5"].lack("no staff invited to a meeting since %s", asOf.AddDays(-councilPeriodDays+1))
	}
	withMinutes := r.count(`SELECT COUNT(*) FROM gov_meetings WHERE `+inYear+` AND minutes <> ''`, yearAgo, day)
	if meetings == 0 {
		f["G6.6"].lack("no meeting within the past year")
		f["G2.11"].lack("no council minutes since %s", asOf.AddDays(-councilPeriodDays+1))
	} else {
		f["G6.6"].ev("%d of %d meetings of the past year with minutes by the secretariat", withMinutes, meetings)
		if withMinutes > 0 {
			f["G2.11"].ev("minutes of %d council meetings of the past year", withMinutes)
		} else {
			f["G2.11"].lack("no council minutes since %s", asOf.AddDays(-councilPeriodDays+1))
		}
	}
	for _, m := range r.strings(`SELECT held_on FROM gov_meetings WHERE `+inYear+` AND minutes = '' ORDER BY held_on`, yearAgo, day) {
		f["G6.6"].lack("minutes of the meeting of %s not recorded", m)
	}
	b.instructions("G7", "council", true)
}

// instructions reports the instructions and requests from source (the
// council, or the rooms' entry management): evidence when some were issued
// within the past year, a lack when needOne and none was, and those
// overdue or open.
func (b *reportBuilder) instructions(id, source string, needOne bool) {
	r, f, asOf, day, yearAgo := b.r, b.f, b.asOf, b.day, b.yearAgo
	n := r.count(`SELECT COUNT(*) FROM gov_instructions WHERE source = $1 AND issued_on > $2 AND issued_on <= $3`, source, yearAgo, day)
	if n > 0 {
		f[id].ev("%d instructions/requests within the past year, %d answered", n,
			r.count(`SELECT COUNT(*) FROM gov_instructions WHERE source = $1 AND issued_on > $2 AND issued_on <= $3 AND responded_on <> ''`, source, yearAgo, day))
	} else if needOne {
		f[id].lack("no instruction or request since %s", asOf.AddDays(-councilPeriodDays+1))
	}
	for _, s := range r.strings(`SELECT addressee_collation_id || ': ' || content || ' (due ' || due_on || ')' FROM gov_instructions WHERE source = $1 AND responded_on = '' AND due_on < $2 ORDER BY due_on`, source, day) {
		f[id].late("overdue: %s", s)
	}
	for _, s := range r.strings(`SELECT addressee_collation_id || ': ' || content || ' (due ' || due_on || ')' FROM gov_instructions WHERE source = $1 AND responded_on = '' AND due_on >= $2 ORDER BY due_on`, source, day) {
		f[id].due("open: %s", s)
	}
}

// misuse checks that the periodic analysis looks for misuse and that cases
// are investigated and answered (G8).
func (b *reportBuilder) misuse() {
	r, f, asOf, day, endMicro, quarterMicro := b.r, b.f, b.asOf, b.day, b.endMicro, b.quarterMicro
	analyses := r.count(`SELECT COUNT(*) FROM oplog WHERE operation = $1 AND time >= $2 AND time < $3 AND result = 'ok'`, string(jukinet.OpOplogReport), quarterMicro, endMicro)
	for _, id := range []string{"G8.1", "G8.2"} {
		if analyses > 0 {
			f[id].ev("the periodic misuse analysis ran %d times since %s", analyses, asOf.AddDays(-quarterDays))
		} else {
			f[id].lack("the periodic misuse analysis (jukinet oplog report) has not run since %s", asOf.AddDays(-quarterDays))
		}
	}
	if n := r.count(`SELECT COUNT(*) FROM gov_misuse_cases`); n > 0 {
		f["G8.1"].ev("%d cases, %d report requests (%d answered), %d log references", n, r.count(`SELECT COUNT(*) FROM gov_report_requests`),
			r.count(`SELECT COUNT(*) FROM gov_report_requests WHERE answered_on <> ''`), r.count(`SELECT COUNT(*) FROM gov_misuse_log_refs`))
	}
	for _, s := range r.strings(`SELECT c.id || ' opened ' || c.opened_on FROM gov_misuse_cases c WHERE NOT EXISTS (SELECT 1 FROM gov_report_requests q WHERE q.case_id = c.id) AND NOT EXISTS (SELECT 1 FROM gov_misuse_log_refs l WHERE l.case_id = c.id) AND NOT EXISTS (SELECT 1 FROM gov_case_entries e WHERE e.case_id = c.id) ORDER BY c.opened_on`) {
		f["G8.1"].lack("case %s has no report request, log reference or investigation entry", s)
	}
	for _, s := range r.strings(`SELECT id || ' opened ' || opened_on FROM gov_misuse_cases WHERE closed_on = '' ORDER BY opened_on`) {
		f["G8.1"].due("open case %s", s)
	}
	for _, s := range r.strings(`SELECT addressee || ' (due ' || due_on || ')' FROM gov_report_requests WHERE answered_on = '' AND due_on < $1`, day) {
		f["G8.1"].late("report not received from %s", s)
	}
	if n := r.count(`SELECT COUNT(*) FROM gov_misuse_cases WHERE judgement <> ''`); n > 0 {
		f["G8.2"].ev("%d judged, %d with infringement, %d measures recorded, %d closed", n, r.count(`SELECT COUNT(*) FROM gov_misuse_cases WHERE judgement = 'infringement'`),
			r.count(`SELECT COUNT(*) FROM gov_case_entries WHERE kind = 'measure'`), r.count(`SELECT COUNT(*) FROM gov_misuse_cases WHERE closed_on <> ''`))
	}
	for _, s := range r.strings(`SELECT c.id FROM gov_misuse_cases c WHERE c.judgement = 'infringement' AND NOT EXISTS (SELECT 1 FROM gov_case_entries e WHERE e.case_id = c.id AND e.kind = 'measure') ORDER BY c.opened_on`) {
		f["G8.2"].lack("case %s judged an infringement has no protective measure", s)
	}
}

// rooms checks room authorizations, passages, alerts and reports (G2.10, G2.12, G9, G10).
func (b *reportBuilder) rooms() {
	r, f, asOf, day, endMicro, quarterMicro := b.r, b.f, b.asOf, b.day, b.endMicro, b.quarterMicro
	authInForce := `FROM gov_room_authorizations WHERE valid_from <= $1 AND valid_until >= $1 AND (revoked_on = '' OR revoked_on > $1)`
	for _, x := range []struct {
		id   string
		room Room
	}{{"G2.10", RoomComputer}, {"G2.12", RoomMediaStorage}} {
		if n := r.count(`SELECT COUNT(*) `+authInForce+` AND room = $2`, day, string(x.room)); n > 0 {
			f[x.id].ev("%d people pre-authorized for the %s on %s", n, x.room, day)
		} else {
			f[x.id].lack("nobody is pre-authorized for the %s on %s", x.room, day)
		}
	}
	if n := r.count(`SELECT COUNT(*) `+authInForce, day); n > 0 {
		f["G9.1"].ev("%d pre-authorizations in force on %s", n, day)
	} else {
		f["G9.1"].lack("no room pre-authorization in force on %s", day)
	}
	for _, s := range r.strings(`SELECT collation_id || ' for ' || room || ' (until ' || valid_until || ')' FROM gov_room_authorizations WHERE valid_until >= $1 AND valid_until <= $2 AND revoked_on = '' ORDER BY valid_until`, day, asOf.AddDays(30).String()) {
		f["G9.1"].due("pre-authorization expires within 30 days: %s", s)
	}
	if n := r.count(`SELECT COUNT(*) FROM gov_room_events WHERE at >= $1 AND at < $2`, quarterMicro, endMicro); n > 0 {
		f["G9.2"].ev("%d passages recorded since %s (%d refused), %d alerts", n, asOf.AddDays(-quarterDays),
			r.count(`SELECT COUNT(*) FROM gov_room_events WHERE at >= $1 AND at < $2 AND outcome = 'refused'`, quarterMicro, endMicro), r.count(`SELECT COUNT(*) FROM gov_alerts WHERE at < $1`, endMicro))
	} else {
		f["G9.2"].lack("no passage recorded since %s", asOf.AddDays(-quarterDays))
	}
	weekAgo := asOf.AddDays(-7).Time().UnixMicro()
	for _, s := range r.strings(`SELECT detail FROM gov_alerts WHERE answered_at = 0 AND at < $1 ORDER BY at`, weekAgo) {
		f["G9.2"].late("alert unanswered for more than 7 days: %s", s)
	}
	for _, s := range r.strings(`SELECT detail FROM gov_alerts WHERE answered_at = 0 AND at >= $1 ORDER BY at`, weekAgo) {
		f["G9.2"].due("unanswered alert: %s", s)
	}
	lastReport := r.str(`SELECT MAX(submitted_on) FROM gov_room_reports WHERE submitted_on <= $1`, day)
	switch {
	case lastReport == "":
		f["G10"].lack("no entry-management report to the セキュリティ統括責任者")
	case lastReport < asOf.AddDays(-quarterDays).String():
		f["G10"].late("last entry-management report %s is more than %d days old", lastReport, quarterDays)
	default:
		f["G10"].ev("last entry-management report submitted %s", lastReport)
	}
	b.instructions("G10", "rooms", false)
}

// assets checks the asset register, identity handlers and forms (G2.9, G16).
func (b *reportBuilder) assets() {
	r, f, day, holders := b.r, b.f, b.day, b.holders
	kinds := r.strings(`SELECT kind || ': ' || CAST(COUNT(*) AS TEXT) FROM gov_assets GROUP BY kind ORDER BY kind`)
	if len(kinds) == 0 {
		f["G16.1"].lack("the information-asset register is empty")
		f["G16-3"].lack("no asset registered with management rules")
	} else {
		f["G16.1"].ev("assets: %s", strings.Join(kinds, ", "))
		f["G16-3"].ev("%d assets, each with its management rules", r.count(`SELECT COUNT(*) FROM gov_assets WHERE management_rules <> ''`))
		for _, s := range r.strings(`SELECT name FROM gov_assets WHERE management_rules = '' ORDER BY name`) {
			f["G16-3"].lack("asset %q has no management rules", s)
		}
	}
	for _, k := range []AssetKind{AssetInformation, AssetSoftware, AssetHardware, AssetNetwork, AssetMedia} {
		if r.count(`SELECT COUNT(*) FROM gov_assets WHERE kind = $1`, string(k)) == 0 {
			f["G16.1"].lack("no %s asset registered", k)
		}
	}
	for _, role := range []Role{RoleIdentityInfoManager, RoleAssetManager} {
		if holders[role] == "" && r.count(`SELECT COUNT(*) FROM gov_assets WHERE manager_role = $1`, string(role)) > 0 {
			f["G16.1"].lack("the assets of the %s have no manager on %s: the role is vacant", role.Japanese(), day)
		}
	}
	if n := r.count(`SELECT COUNT(*) FROM gov_assets WHERE kind = $1`, string(AssetSoftware)); n > 0 {
		f["G2.9"].ev("%d software assets registered with their manager and rules", n)
	} else {
		f["G2.9"].lack("no software asset registered")
	}
	if n := r.count(`SELECT COUNT(*) FROM gov_identity_handlers WHERE valid_from <= $1 AND (valid_until = '' OR valid_until >= $1) AND (revoked_on = '' OR revoked_on > $1)`, day); n > 0 {
		f["G16-2.1"].ev("%d people designated to handle identity information on %s", n, day)
	} else {
		f["G16-2.1"].lack("nobody is designated to handle identity information on %s", day)
	}
	if n := r.count(`SELECT COUNT(*) FROM gov_forms WHERE rules <> ''`); n > 0 {
		f["G16-2.2"].ev("%d forms with rules; %d printouts (%d copies), %d not yet disposed of", n, r.count(`SELECT COUNT(*) FROM gov_print_log`),
			r.count(`SELECT COALESCE(SUM(copies), 0) FROM gov_print_log`), r.count(`SELECT COUNT(*) FROM gov_print_log WHERE disposed_on = ''`))
	} else {
		f["G16-2.2"].lack("no form registered with its management rules")
	}
}

// outsourcing checks every outsourcing contract active on the day (G17–G20).
func (b *reportBuilder) outsourcing() {
	r, f, day := b.r, b.f, b.day
	activeOn := `FROM gov_outsourcing WHERE active_from <> '' AND active_from <= $1 AND active_until >= $1`
	act := r.count(`SELECT COUNT(*) `+activeOn, day)
	if act == 0 {
		for _, id := range []string{"G17", "G18", "G19", "G20"} {
			f[id].lack("no outsourcing contract active on %s", day)
		}
	} else {
		f["G17"].ev("%d contracts active on %s with content, reason and protection terms", act, day)
		for _, s := range r.strings(`SELECT title `+activeOn+` AND (content = '' OR reason = '' OR protection_terms = '') ORDER BY title`, day) {
			f["G17"].lack("contract %q lacks content, reason or protection terms", s)
		}
		f["G18"].ev("%d active contracts with the council's opinion and the approval before they started", r.count(`SELECT COUNT(*) `+activeOn+` AND council_opinion <> '' AND approved_on <> '' AND approved_on <= active_from`, day))
		for _, s := range r.strings(`SELECT title `+activeOn+` AND (council_opinion = '' OR approved_on = '' OR approved_on > active_from) ORDER BY title`, day) {
			f["G18"].lack("contract %q is active without the council's opinion and the approval before it started", s)
		}
		for _, s := range r.strings(`SELECT o.title || ': ' || c.clause_type || ' = ' || c.reference FROM gov_contract_clauses c JOIN gov_outsourcing o ON o.id = c.outsourcing_id WHERE o.active_from <> '' AND o.active_from <= $1 AND o.active_until >= $1 ORDER BY o.title, c.clause_type`, day) {
			f["G19"].ev("%s", s)
		}
		for _, s := range r.strings(`SELECT o.title FROM gov_outsourcing o WHERE o.active_from <> '' AND o.active_from <= $1 AND o.active_until >= $1 AND (SELECT COUNT(DISTINCT c.clause_type) FROM gov_contract_clauses c WHERE c.outsourcing_id = o.id AND c.clause_type IN ($2, $3, $4, $5, $6)) < 5 ORDER BY o.title`,
			day, string(ClauseSubcontracting), string(ClauseMaterials), string(ClauseOtherUse), string(ClauseConfidentiality), string(ClauseAccidentReport)) {
			f["G19"].lack("contract %q lacks one of the five clauses", s)
		}
		for _, s := range r.strings(`SELECT o.title || ': last ' || MAX(i.inspected_on) FROM gov_outsourcing o JOIN gov_inspections i ON i.outsourcing_id = o.id WHERE o.active_from <> '' AND o.active_from <= $1 AND o.active_until >= $1 AND i.inspected_on <= $1 GROUP BY o.title ORDER BY o.title`, day) {
			f["G20"].ev("inspected: %s", s)
		}
		for _, s := range r.strings(`SELECT o.title || ' (first inspection due ' || o.next_inspection_due || ')' FROM gov_outsourcing o WHERE o.active_from <> '' AND o.active_from <= $1 AND o.active_until >= $1 AND NOT EXISTS (SELECT 1 FROM gov_inspections i WHERE i.outsourcing_id = o.id AND i.inspected_on <= $1) ORDER BY o.title`, day) {
			f["G20"].lack("contract not yet inspected: %s", s)
		}
	}
	for _, s := range r.strings(`SELECT title || ' (due ' || next_inspection_due || ')' FROM gov_outsourcing WHERE active_from <> '' AND active_until >= $1 AND next_inspection_due <> '' AND next_inspection_due < $1`, day) {
		f["G20"].late("inspection overdue: %s", s)
	}
	for _, s := range r.strings(`SELECT title || ' (due ' || next_inspection_due || ')' FROM gov_outsourcing WHERE active_from <> '' AND next_inspection_due >= $1 ORDER BY next_inspection_due`, day) {
		f["G20"].due("next inspection: %s", s)
	}
	for _, s := range r.strings(`SELECT follow_up || ' (due ' || follow_up_due || ')' FROM gov_inspections WHERE follow_up <> '' AND follow_up_done_on = '' AND follow_up_due < $1`, day) {
		f["G20"].late("follow-up overdue: %s", s)
	}
	for _, s := range r.strings(`SELECT title FROM gov_outsourcing WHERE approved_on = '' ORDER BY requested_on`) {
		f["G18"].due("outsourcing %q awaits the council's opinion or approval", s)
	}
}

// probeWithoutCertificate connects to the network listener as anyone who can
// reach it would, with no client certificate, and returns nil only when the
// listener refuses: the handshake fails, or the first read after it does
// (TLS 1.3 reports a missing client certificate after the handshake) (G2.4).
func probeWithoutCertificate(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}} //nolint:gosec // the probe checks the server, not the other way round
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		var opErr *net.OpError
		if errors.As(err, &opErr) && opErr.Op == "dial" {
			return fmt.Errorf("cannot connect: %v", err)
		}
		return nil // refused in the handshake
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: probe\r\nContent-Length: 0\r\n\r\n"); err != nil {
		return nil
	}
	buf := make([]byte, 1)
	if _, err := c.Read(buf); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return errors.New("no answer within 5 s")
		}
		return nil
	}
	return errors.New("accepted a connection and answered a request without a client certificate")
}

// sameListener reports whether two host:port addresses would collide: the
// same port on the same host, or on a wildcard host.
func sameListener(a, b string) bool {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	if errA != nil || errB != nil {
		return a == b
	}
	if pa != pb {
		return false
	}
	wild := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	return ha == hb || wild(ha) || wild(hb)
}

// keyDirProblems lists what pki.CheckPermissions finds, and a directory with
// no private key at all (the wrong directory would otherwise pass).
func keyDirProblems(dir string) []string {
	var out []string
	keys, err := filepath.Glob(filepath.Join(dir, "*.key"))
	if err != nil || len(keys) == 0 {
		out = append(out, dir+": no private key (*.key) in the key directory")
	}
	for _, f := range pki.CheckPermissions(dir) {
		out = append(out, f.String())
	}
	return out
}

// dbFileProblems checks the SQLite file and its WAL files are closed to group
// and others (G12.1).
func dbFileProblems(path string) []string {
	var out []string
	for i, p := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) && i > 0 {
			continue
		}
		if err != nil {
			out = append(out, p+": cannot inspect: "+err.Error())
			continue
		}
		if info.Mode().Perm()&0o077 != 0 {
			out = append(out, fmt.Sprintf("%s (%v): database file is accessible by group or others; chmod 600", p, info.Mode().Perm()))
		}
	}
	return out
}

func microOf(s string) int64 {
	var us int64
	_, _ = fmt.Sscan(s, &us)
	return us
}

func microDate(s string) string {
	var us int64
	if _, err := fmt.Sscan(s, &us); err != nil || s == "" {
		return "(none)"
	}
	return time.UnixMicro(us).In(jukinet.JST).Format(time.RFC3339)
}

//go:embed compliance.html
var complianceHTML string

var complianceTemplate = template.Must(template.New("compliance").Parse(complianceHTML))

// WriteHTML renders the report as a printable page for the council.
func (rep Report) WriteHTML(w io.Writer) error {
	return complianceTemplate.Execute(w, rep)
}
