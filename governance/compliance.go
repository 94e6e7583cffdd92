package governance

import (
	"context"
	"database/sql"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// Status of a guideline ID in the compliance report.
type Status string

// Statuses.
const (
	StatusMet             Status = "met"
	StatusEvidenceMissing Status = "evidence-missing"
	StatusOverdue         Status = "overdue"
)

// Finding is the report's entry for one guideline ID.
type Finding struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Status   Status   `json:"status"`
	Evidence []string `json:"evidence"`
	Due      []string `json:"due,omitempty"` // what falls due next, or is overdue
}

// Report is the compliance report: one Finding per requirement ID of
// REQUIREMENTS.md, in the document's order.
type Report struct {
	Node          string    `json:"node"`
	AsOf          string    `json:"as_of"`
	FiscalYear    string    `json:"fiscal_year"` // April–March
	PolicyVersion string    `json:"policy_version"`
	Findings      []Finding `json:"findings"`
}

// GuidelineIDs lists every requirement ID of REQUIREMENTS.md in order.
func GuidelineIDs() []string {
	out := make([]string, len(guidelineTitles))
	for i, g := range guidelineTitles {
		out[i] = g[0]
	}
	return out
}

var guidelineTitles = [][2]string{
	{"G2.1", "the network and its nodes"}, {"G2.2", "security: accuracy, confidentiality, continuity"},
	{"G2.3", "what the CS exchanges"}, {"G2.4", "firewall"}, {"G2.5", "integrated terminal"},
	{"G2.6", "照合情報認証 (irreversible biometric)"}, {"G2.7", "照合ID identifies the operator"},
	{"G2.8", "操作者ID identifies the authority"}, {"G2.9", "programs"}, {"G2.10", "computer room"},
	{"G2.11", "documents"}, {"G2.12", "media storage room"},
	{"G3", "セキュリティ統括責任者 (deputy mayor)"}, {"G4", "システム管理者 (head of Digital Promotion)"},
	{"G5", "セキュリティ責任者 (head of Citizen Division)"}, {"G6.1", "security council"},
	{"G6.2", "council members: the three roles"}, {"G6.3", "council deliberations (measures, compliance, audit, training)"},
	{"G6.4", "privacy review board heard on important items"}, {"G6.5", "staff called to attend"},
	{"G6.6", "secretariat: Citizen Division (minutes)"}, {"G7", "instructions and requests after council results"},
	{"G8.1", "misuse: reports requested and investigated"}, {"G8.2", "misuse: protective measures"},
	{"G9.1", "rooms: advance approval by the System Administrator"}, {"G9.2", "rooms: entry and exit managed"},
	{"G10", "rooms: reports to and instructions of the General Manager"},
	{"G11.1", "access control on CS and terminal"}, {"G11.2", "照合情報認証 and operation history"},
	{"G11-2", "アクセス管理責任者"}, {"G12.1", "OS security measures"}, {"G12.2", "OS password rules"},
	{"G13.1", "rules for 照合ID and 操作者ID"}, {"G13.2", "rules for registering/deleting 照合情報"},
	{"G13.3", "who holds each 操作者ID type"}, {"G13.4", "registers of 照合ID and 操作者ID"},
	{"G14", "operators follow the rules"}, {"G15", "operation history kept 7 years"},
	{"G16.1", "every information asset has a manager"}, {"G16.2", "本人確認情報管理責任者 and 情報資産管理責任者"},
	{"G16-2.1", "designation of who may handle identity information"}, {"G16-2.2", "management of server forms"},
	{"G16-3", "management rules of each asset"}, {"G17", "outsourcing under the privacy ordinance"},
	{"G18", "outsourcing: council opinion, then approval"}, {"G19", "contract clauses (1)–(5)"},
	{"G20", "inspection of contractors"},
}

// FiscalYearStart returns the April 1 that starts the fiscal year of d.
func FiscalYearStart(d jukinet.Date) jukinet.Date {
	y := d.Year
	if d.Month < time.April {
		y--
	}
	return jukinet.Date{Year: y, Month: time.April, Day: 1}
}

type reader struct {
	ctx context.Context
	db  *sql.DB
	eng store.Engine
	err error
}

func (r *reader) count(q string, args ...any) int {
	var n int
	if r.err != nil {
		return 0
	}
	if err := r.db.QueryRowContext(r.ctx, q, args...).Scan(&n); err != nil {
		r.err = err
	}
	return n
}

func (r *reader) str(q string, args ...any) string {
	var s sql.NullString
	if r.err != nil {
		return ""
	}
	err := r.db.QueryRowContext(r.ctx, q, args...).Scan(&s)
	if err == sql.ErrNoRows {
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
	rows, err := r.db.QueryContext(r.ctx, q, args...)
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

func (r *reader) tableExists(name string) bool {
	if r.eng == store.Postgres {
		return r.count(`SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`, name) > 0
	}
	return r.count(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1`, name) > 0
}

// ComplianceReport builds the report as of a date and logs that it was made
// (governance.compliance.report). The report holds staff identifiers and
// record dates, never residents' data.
func (s *Service) ComplianceReport(ctx context.Context, asOf jukinet.Date) (Report, error) {
	const op = jukinet.OpGovComplianceReport
	if asOf.IsZero() {
		asOf = jukinet.Today(s.db.Now())
	}
	rep, err := BuildReport(ctx, s.db, asOf)
	if err != nil {
		return rep, err
	}
	err = s.db.Update(ctx, store.Op{Operation: op, Detail: "as_of=" + asOf.String()}, func(tx *store.Tx) error { return nil })
	return rep, err
}

// BuildReport reads the evidence per guideline ID without logging (used by
// ComplianceReport and by tests).
func BuildReport(ctx context.Context, db *store.DB, asOf jukinet.Date) (Report, error) {
	r := &reader{ctx: ctx, db: db.SQL(), eng: db.Engine()}
	day := asOf.String()
	fy := FiscalYearStart(asOf)
	fyStart, fyEnd := fy.String(), jukinet.Date{Year: fy.Year + 1, Month: time.March, Day: 31}.String()
	rep := Report{Node: db.Node(), AsOf: day, FiscalYear: fyStart + "–" + fyEnd, PolicyVersion: jukinet.PolicyVersion()}
	f := map[string]*Finding{}
	for _, g := range guidelineTitles {
		rep.Findings = append(rep.Findings, Finding{ID: g[0], Title: g[1], Status: StatusMet})
	}
	for i := range rep.Findings {
		f[rep.Findings[i].ID] = &rep.Findings[i]
	}
	ev := func(id, format string, args ...any) {
		f[id].Evidence = append(f[id].Evidence, fmt.Sprintf(format, args...))
	}
	due := func(id, format string, args ...any) { f[id].Due = append(f[id].Due, fmt.Sprintf(format, args...)) }
	missing := func(id, format string, args ...any) {
		if f[id].Status == StatusMet {
			f[id].Status = StatusEvidenceMissing
		}
		due(id, format, args...)
	}
	overdue := func(id, format string, args ...any) {
		f[id].Status = StatusOverdue
		due(id, format, args...)
	}

	// Software-enforced articles: evidence from the database itself.
	size := r.count(`SELECT size FROM oplog_head WHERE id = 1`)
	first := r.str(`SELECT time FROM oplog ORDER BY idx LIMIT 1`) // the oldest: times never decrease along idx (no time index)
	outbox := r.count(`SELECT COUNT(*) FROM outbox`)
	checkpoint := ""
	if r.tableExists("oplog_checkpoint") {
		checkpoint = "oplog_checkpoint"
	}
	logEv := fmt.Sprintf("operation log: %d records, policy %s", size, rep.PolicyVersion)
	for _, id := range []string{"G2.1", "G2.3"} {
		ev(id, "node %s; %d outbox messages (transactional outbox); %s", rep.Node, outbox, logEv)
	}
	ev("G2.2", "one write path: state, outbox and log in one transaction; %s", logEv)
	ev("G2.4", "deny-by-default firewall policy per peer role (network package)")
	ev("G2.5", "terminal listener separate from the network listener (DESIGN.md §3)")
	ev("G2.6", "照合情報 stored only as protected templates (biometric package)")
	ev("G2.7", "照合ID recorded in every log record; %s", logEv)
	ev("G2.8", "操作者ID authority checked by the policy table %s", rep.PolicyVersion)
	ev("G2.9", "programs: jukinet binary, policy %s", rep.PolicyVersion)
	ev("G2.11", "documents: docs/ in the source tree; governance records in this database")
	for _, id := range []string{"G11.1", "G11.2"} {
		ev(id, "%s", logEv)
		if checkpoint != "" {
			n := r.count(`SELECT COUNT(*) FROM oplog_checkpoint WHERE state = 'cosigned'`)
			ev(id, "%d signed checkpoints cosigned by the prefecture (table %s)", n, checkpoint)
		}
	}
	ev("G12.1", "database files created 0600 (store.openSQLite)")
	ev("G15", "%s; oldest record at %s (append-only, triggers refuse UPDATE/DELETE)", logEv, microDate(first))

	// Role holders (G3, G4, G5, G11-2, G16.2).
	holder := func(role Role) string {
		return r.str(`SELECT collation_id || ' (' || holder_name || ', since ' || valid_from || ')' FROM gov_roles WHERE role = $1 AND valid_from <= $2 AND (valid_until = '' OR valid_until >= $2) ORDER BY valid_from DESC LIMIT 1`, string(role), day)
	}
	for _, x := range []struct {
		id   string
		role Role
	}{{"G3", RoleGeneralManager}, {"G4", RoleSystemAdministrator}, {"G5", RoleSecurityManager}, {"G11-2", RoleAccessControlManager}, {"G16.2", RoleIdentityInfoManager}, {"G16.2", RoleAssetManager}} {
		if h := holder(x.role); h != "" {
			ev(x.id, "%s: %s", x.role.Japanese(), h)
		} else {
			missing(x.id, "no %s (%s) appointed on %s", x.role.Japanese(), x.role, day)
		}
	}

	// Council (G6, G7).
	meetings := r.count(`SELECT COUNT(*) FROM gov_meetings WHERE held_on >= $1 AND held_on <= $2`, fyStart, day)
	last := r.str(`SELECT MAX(held_on) FROM gov_meetings WHERE held_on <= $1`, day)
	if meetings > 0 {
		ev("G6.1", "%d council meetings this fiscal year, last on %s", meetings, last)
		ev("G3", "convened and chaired %d meetings this fiscal year", meetings)
	} else {
		missing("G6.1", "no council meeting this fiscal year (%s–%s)", fyStart, fyEnd)
	}
	att := r.strings(`SELECT m.held_on || ': ' || a.role || CASE WHEN a.present = 1 THEN ' present' ELSE ' absent (' || a.note || ')' END FROM gov_attendance a JOIN gov_meetings m ON m.id = a.meeting_id WHERE a.kind = 'member' AND m.held_on >= $1 AND m.held_on <= $2 ORDER BY m.held_on, a.role`, fyStart, day)
	if len(att) > 0 {
		ev("G6.2", "%s", strings.Join(att, "; "))
	} else {
		missing("G6.2", "no attendance of the council members recorded this fiscal year")
	}
	for _, c := range []Category{CategoryMeasures, CategoryCompliance, CategoryAudit, CategoryTraining} {
		n := r.count(`SELECT COUNT(*) FROM gov_agenda_items i JOIN gov_meetings m ON m.id = i.meeting_id WHERE i.category = $1 AND m.held_on >= $2 AND m.held_on <= $3`, string(c), fyStart, day)
		if n > 0 {
			ev("G6.3", "%s: %d items this fiscal year", c, n)
		} else {
			missing("G6.3", "no %s item deliberated this fiscal year", c)
		}
	}
	imp := r.count(`SELECT COUNT(*) FROM gov_agenda_items WHERE important = 1 AND board_opinion <> ''`)
	ev("G6.4", "%d important items with the review board's opinion (decision without it is refused)", imp)
	for _, t := range r.strings(`SELECT title FROM gov_agenda_items WHERE important = 1 AND board_opinion = '' AND decision = '' ORDER BY title`) {
		due("G6.4", "important item %q awaits the review board's opinion", t)
	}
	ev("G6.5", "%d staff invited to explain", r.count(`SELECT COUNT(*) FROM gov_attendance WHERE kind = 'invited'`))
	ev("G6.6", "%d meetings with minutes by the secretariat", r.count(`SELECT COUNT(*) FROM gov_meetings WHERE minutes <> ''`))
	for _, m := range r.strings(`SELECT held_on FROM gov_meetings WHERE minutes = '' AND held_on <= $1 ORDER BY held_on`, day) {
		missing("G6.6", "minutes of the meeting of %s not recorded", m)
	}
	instr := func(id, source string) {
		n := r.count(`SELECT COUNT(*) FROM gov_instructions WHERE source = $1`, source)
		ans := r.count(`SELECT COUNT(*) FROM gov_instructions WHERE source = $1 AND responded_on <> ''`, source)
		ev(id, "%d instructions/requests, %d answered", n, ans)
		for _, s := range r.strings(`SELECT addressee_collation_id || ': ' || content || ' (due ' || due_on || ')' FROM gov_instructions WHERE source = $1 AND responded_on = '' AND due_on < $2 ORDER BY due_on`, source, day) {
			overdue(id, "overdue: %s", s)
		}
		for _, s := range r.strings(`SELECT addressee_collation_id || ': ' || content || ' (due ' || due_on || ')' FROM gov_instructions WHERE source = $1 AND responded_on = '' AND due_on >= $2 ORDER BY due_on`, source, day) {
			due(id, "open: %s", s)
		}
	}
	instr("G7", "council")

	// Misuse (G8).
	ev("G8.1", "%d cases, %d report requests, %d log references", r.count(`SELECT COUNT(*) FROM gov_misuse_cases`),
		r.count(`SELECT COUNT(*) FROM gov_report_requests`), r.count(`SELECT COUNT(*) FROM gov_misuse_log_refs`))
	for _, s := range r.strings(`SELECT id || ' opened ' || opened_on FROM gov_misuse_cases WHERE closed_on = '' ORDER BY opened_on`) {
		due("G8.1", "open case %s", s)
	}
	for _, s := range r.strings(`SELECT addressee || ' (due ' || due_on || ')' FROM gov_report_requests WHERE answered_on = '' AND due_on < $1`, day) {
		overdue("G8.1", "report not received from %s", s)
	}
	ev("G8.2", "%d judged, %d with infringement, %d measures recorded, %d closed",
		r.count(`SELECT COUNT(*) FROM gov_misuse_cases WHERE judgement <> ''`), r.count(`SELECT COUNT(*) FROM gov_misuse_cases WHERE judgement = 'infringement'`),
		r.count(`SELECT COUNT(*) FROM gov_case_entries WHERE kind = 'measure'`), r.count(`SELECT COUNT(*) FROM gov_misuse_cases WHERE closed_on <> ''`))

	// Rooms (G2.10, G2.12, G9, G10).
	for _, x := range []struct {
		id   string
		room Room
	}{{"G2.10", RoomComputer}, {"G2.12", RoomMediaStorage}} {
		n := r.count(`SELECT COUNT(*) FROM gov_room_authorizations WHERE room = $1 AND valid_from <= $2 AND valid_until >= $2 AND (revoked_on = '' OR revoked_on > $2)`, string(x.room), day)
		ev(x.id, "%d people authorized for %s on %s", n, x.room, day)
	}
	active := r.count(`SELECT COUNT(*) FROM gov_room_authorizations WHERE valid_from <= $1 AND valid_until >= $1 AND (revoked_on = '' OR revoked_on > $1)`, day)
	if r.count(`SELECT COUNT(*) FROM gov_room_authorizations`) == 0 {
		missing("G9.1", "no room pre-authorization recorded")
	} else {
		ev("G9.1", "%d pre-authorizations in force on %s", active, day)
	}
	past := asOf.AddDays(-90).String()
	for _, s := range r.strings(`SELECT collation_id || ' for ' || room || ' (until ' || valid_until || ')' FROM gov_room_authorizations WHERE valid_until < $1 AND valid_until >= $2 ORDER BY valid_until`, day, past) {
		due("G9.1", "expired pre-authorization: %s", s)
	}
	for _, s := range r.strings(`SELECT collation_id || ' for ' || room || ' (until ' || valid_until || ')' FROM gov_room_authorizations WHERE valid_until >= $1 AND valid_until <= $2 AND revoked_on = '' ORDER BY valid_until`, day, asOf.AddDays(30).String()) {
		due("G9.1", "pre-authorization expires within 30 days: %s", s)
	}
	ev("G9.2", "%d entries, %d refused attempts, %d alerts (%d unanswered)",
		r.count(`SELECT COUNT(*) FROM gov_room_events WHERE outcome = 'allowed' AND direction = 'in'`), r.count(`SELECT COUNT(*) FROM gov_room_events WHERE outcome = 'refused'`),
		r.count(`SELECT COUNT(*) FROM gov_alerts`), r.count(`SELECT COUNT(*) FROM gov_alerts WHERE answered_at = 0`))
	weekAgo := asOf.AddDays(-7).Time().UnixMicro()
	for _, s := range r.strings(`SELECT detail FROM gov_alerts WHERE answered_at = 0 AND at < $1 ORDER BY at`, weekAgo) {
		overdue("G9.2", "alert unanswered for more than 7 days: %s", s)
	}
	for _, s := range r.strings(`SELECT detail FROM gov_alerts WHERE answered_at = 0 AND at >= $1 ORDER BY at`, weekAgo) {
		due("G9.2", "unanswered alert: %s", s)
	}
	lastReport := r.str(`SELECT MAX(submitted_on) FROM gov_room_reports WHERE submitted_on <= $1`, day)
	switch {
	case lastReport == "":
		missing("G10", "no entry-management report to the セキュリティ統括責任者")
	case lastReport < asOf.AddDays(-92).String():
		overdue("G10", "last entry-management report %s is more than a quarter old", lastReport)
	default:
		ev("G10", "last entry-management report submitted %s", lastReport)
	}
	instr("G10", "rooms")

	// Access helper's records (G12.2, G13, G14): read only if present.
	if r.tableExists("access_password_policy") {
		if n := r.count(`SELECT COUNT(*) FROM access_password_policy`); n > 0 {
			ev("G12.2", "%d OS password policy records (table access_password_policy)", n)
		} else {
			missing("G12.2", "table access_password_policy is empty: the アクセス管理責任者 sets the OS password rules")
		}
	} else {
		missing("G12.2", "no access_password_policy table in this database (access component not installed)")
	}
	if r.tableExists("access_operators") {
		n := r.count(`SELECT COUNT(*) FROM access_operators`)
		for _, id := range []string{"G13.1", "G13.2", "G13.3", "G13.4", "G14"} {
			ev(id, "%d operators in the register (table access_operators); rules enforced in code, policy %s", n, rep.PolicyVersion)
		}
	} else {
		for _, id := range []string{"G13.1", "G13.2", "G13.3", "G13.4", "G14"} {
			missing(id, "no operator registers in this database (access component not installed)")
		}
	}

	// Assets, handlers, forms (G16).
	kinds := r.strings(`SELECT kind || ': ' || CAST(COUNT(*) AS TEXT) FROM gov_assets GROUP BY kind ORDER BY kind`)
	if len(kinds) == 0 {
		missing("G16.1", "the information-asset register is empty")
		missing("G16-3", "no asset with management rules")
	} else {
		ev("G16.1", "assets: %s (each with its manager)", strings.Join(kinds, ", "))
		ev("G16-3", "%d assets with management rules", r.count(`SELECT COUNT(*) FROM gov_assets WHERE management_rules <> ''`))
	}
	for _, k := range []AssetKind{AssetInformation, AssetSoftware, AssetHardware, AssetNetwork, AssetMedia} {
		if r.count(`SELECT COUNT(*) FROM gov_assets WHERE kind = $1`, string(k)) == 0 {
			due("G16.1", "no %s asset registered", k)
		}
	}
	handlers := r.count(`SELECT COUNT(*) FROM gov_identity_handlers WHERE valid_from <= $1 AND (valid_until = '' OR valid_until >= $1) AND (revoked_on = '' OR revoked_on > $1)`, day)
	if handlers > 0 {
		ev("G16-2.1", "%d people designated to handle identity information on %s", handlers, day)
	} else {
		missing("G16-2.1", "nobody is designated to handle identity information on %s", day)
	}
	forms := r.count(`SELECT COUNT(*) FROM gov_forms`)
	if forms > 0 {
		ev("G16-2.2", "%d forms; %d printouts (%d copies), %d not yet disposed of", forms, r.count(`SELECT COUNT(*) FROM gov_print_log`),
			r.count(`SELECT COALESCE(SUM(copies), 0) FROM gov_print_log`), r.count(`SELECT COUNT(*) FROM gov_print_log WHERE disposed_on = ''`))
	} else {
		missing("G16-2.2", "no form registered with its management rules")
	}

	// Outsourcing (G17–G20).
	act := r.count(`SELECT COUNT(*) FROM gov_outsourcing WHERE active_from <> '' AND active_from <= $1 AND active_until >= $1`, day)
	ev("G17", "%d outsourcing requests with content, reason and protection terms; %d contracts active", r.count(`SELECT COUNT(*) FROM gov_outsourcing`), act)
	ev("G18", "%d with the council's opinion, %d approved (activation refused before both)",
		r.count(`SELECT COUNT(*) FROM gov_outsourcing WHERE council_opinion <> ''`), r.count(`SELECT COUNT(*) FROM gov_outsourcing WHERE approved_on <> ''`))
	for _, s := range r.strings(`SELECT title FROM gov_outsourcing WHERE approved_on = '' ORDER BY requested_on`) {
		due("G18", "outsourcing %q awaits the council's opinion or approval", s)
	}
	for _, s := range r.strings(`SELECT o.title || ': ' || c.clause_type || ' = ' || c.reference FROM gov_contract_clauses c JOIN gov_outsourcing o ON o.id = c.outsourcing_id WHERE o.active_from <> '' ORDER BY o.title, c.clause_type`) {
		ev("G19", "%s", s)
	}
	ev("G20", "%d inspections", r.count(`SELECT COUNT(*) FROM gov_inspections`))
	for _, s := range r.strings(`SELECT title || ' (due ' || next_inspection_due || ')' FROM gov_outsourcing WHERE active_from <> '' AND active_until >= $1 AND next_inspection_due <> '' AND next_inspection_due < $1`, day) {
		overdue("G20", "inspection overdue: %s", s)
	}
	for _, s := range r.strings(`SELECT title || ' (due ' || next_inspection_due || ')' FROM gov_outsourcing WHERE active_from <> '' AND next_inspection_due >= $1 ORDER BY next_inspection_due`, day) {
		due("G20", "next inspection: %s", s)
	}
	for _, s := range r.strings(`SELECT follow_up || ' (due ' || follow_up_due || ')' FROM gov_inspections WHERE follow_up <> '' AND follow_up_done_on = '' AND follow_up_due < $1`, day) {
		overdue("G20", "follow-up overdue: %s", s)
	}
	if r.err != nil {
		return rep, jukinet.E("governance.BuildReport", jukinet.KindInternal, r.err)
	}
	for i := range rep.Findings {
		if len(rep.Findings[i].Evidence) == 0 && rep.Findings[i].Status == StatusMet {
			rep.Findings[i].Status = StatusEvidenceMissing
		}
	}
	return rep, nil
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
