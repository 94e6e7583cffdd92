package governance

import (
	"context"
	"database/sql"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// The console's lists of governance records. They read the gov_* tables
// directly, like RoleHistory and the compliance evidence (evidence.go): the
// records hold staff 照合IDs and dates, never residents' data, so reading
// them is not logged; the route's operation decides who may see them.

// day is an ISO date as the gov_* tables keep it ("" when unset).
type day string

func (d day) date() (jukinet.Date, bool) {
	if d == "" {
		return jukinet.Date{}, false
	}
	t, err := jukinet.ParseDate("", string(d))
	return t, err == nil
}

// Wareki is the date in 和暦, or the raw text if it does not parse.
func (d day) Wareki() string {
	if t, ok := d.date(); ok {
		return t.Wareki()
	}
	return string(d)
}

// ISO is the date as YYYY-MM-DD.
func (d day) ISO() string { return string(d) }

// moment is a time kept as unix microseconds.
type moment int64

// Wareki is the time in JST with the date in 和暦.
func (m moment) Wareki() string {
	if m == 0 {
		return ""
	}
	t := time.UnixMicro(int64(m)).In(jukinet.JST)
	return jukinet.DateOf(t).Wareki() + " " + t.Format("15:04")
}

// ISO is the time in RFC 3339 (JST).
func (m moment) ISO() string {
	if m == 0 {
		return ""
	}
	return time.UnixMicro(int64(m)).In(jukinet.JST).Format(time.RFC3339)
}

func queryEach(ctx context.Context, db *store.DB, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := db.Bookkeeping(store.Status).QueryContext(ctx, query, args...)
	if err != nil {
		return jukinet.E("governance.list", jukinet.KindInternal, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return jukinet.E("governance.list", jukinet.KindInternal, err)
		}
	}
	if err := rows.Err(); err != nil {
		return jukinet.E("governance.list", jukinet.KindInternal, err)
	}
	return nil
}

// govHolding is one period of a role.
type govHolding struct {
	ID, CollationID, Name, Position, AppointedBy string
	Role                                         Role
	From, Until                                  day
}

// govRoleNow is a role and its holder today (nil: vacant).
type govRoleNow struct {
	Role   Role
	Holder *govHolding
}

type govRolesList struct {
	Current []govRoleNow
	History []govHolding
}

// ListRoles is the console's list of roles records.
func (s *Service) ListRoles(ctx context.Context, today jukinet.Date) (any, error) {
	var out govRolesList
	err := queryEach(ctx, s.db, `SELECT id, role, collation_id, holder_name, position, valid_from, valid_until, appointed_by FROM gov_roles ORDER BY role, valid_from`, nil,
		func(r *sql.Rows) error {
			var h govHolding
			if err := r.Scan(&h.ID, &h.Role, &h.CollationID, &h.Name, &h.Position, &h.From, &h.Until, &h.AppointedBy); err != nil {
				return err
			}
			out.History = append(out.History, h)
			return nil
		})
	if err != nil {
		return nil, err
	}
	iso := day(today.String())
	for _, role := range Roles() {
		now := govRoleNow{Role: role}
		for i := range out.History {
			h := &out.History[i]
			if h.Role == role && h.From <= iso && (h.Until == "" || h.Until >= iso) {
				now.Holder = h
			}
		}
		out.Current = append(out.Current, now)
	}
	return out, nil
}

type govAttendance struct {
	Kind, Role, CollationID, Name, Department, Note string
	Present                                         bool
}

// RoleName is the attendee's role in Japanese.
func (a govAttendance) RoleName() string { return Role(a.Role).Japanese() }

type govItem struct {
	ID, MeetingID, Category, Title, OutsourcingID, BoardOpinion, Decision string
	Important                                                             bool
	BoardOpinionOn, DecidedOn                                             day
}

// CategoryName is the G6.3 category in Japanese.
func (i govItem) CategoryName() string { return CategoryName(i.Category) }

// CategoryName is a G6.3 agenda category in Japanese.
func CategoryName(c string) string {
	switch Category(c) {
	case CategoryMeasures:
		return "(1) セキュリティ対策の決定・見直し"
	case CategoryCompliance:
		return "(2) 遵守状況の確認"
	case CategoryAudit:
		return "(3) セキュリティ監査"
	case CategoryTraining:
		return "(4) 研修"
	}
	return c
}

type govMeeting struct {
	ID, Title, Chair, Minutes, MinutesBy string
	HeldOn, MinutesOn                    day
	Attendance                           []govAttendance
	Items                                []govItem
}

// ListCouncil is the console's list of council records.
func (s *Service) ListCouncil(ctx context.Context, _ jukinet.Date) (any, error) {
	var meetings []*govMeeting
	byID := map[string]*govMeeting{}
	err := queryEach(ctx, s.db, `SELECT id, held_on, title, chair, minutes, minutes_by, minutes_on FROM gov_meetings ORDER BY held_on DESC, id`, nil,
		func(r *sql.Rows) error {
			m := &govMeeting{}
			if err := r.Scan(&m.ID, &m.HeldOn, &m.Title, &m.Chair, &m.Minutes, &m.MinutesBy, &m.MinutesOn); err != nil {
				return err
			}
			meetings, byID[m.ID] = append(meetings, m), m
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = queryEach(ctx, s.db, `SELECT meeting_id, kind, role, collation_id, name, department, present, note FROM gov_attendance`, nil,
		func(r *sql.Rows) error {
			var id string
			var a govAttendance
			if err := r.Scan(&id, &a.Kind, &a.Role, &a.CollationID, &a.Name, &a.Department, &a.Present, &a.Note); err != nil {
				return err
			}
			if m := byID[id]; m != nil {
				m.Attendance = append(m.Attendance, a)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = queryEach(ctx, s.db, `SELECT id, meeting_id, category, title, important, outsourcing_id, board_opinion, board_opinion_on, decision, decided_on FROM gov_agenda_items ORDER BY meeting_id, seq`, nil,
		func(r *sql.Rows) error {
			var it govItem
			if err := r.Scan(&it.ID, &it.MeetingID, &it.Category, &it.Title, &it.Important, &it.OutsourcingID, &it.BoardOpinion, &it.BoardOpinionOn, &it.Decision, &it.DecidedOn); err != nil {
				return err
			}
			if m := byID[it.MeetingID]; m != nil {
				m.Items = append(m.Items, it)
			}
			return nil
		})
	return meetings, err
}

type govInstruction struct {
	ID, Source, SourceRef, Kind, AddresseeCollationID, AddresseeName, AddresseeDepartment, Content, Response string
	IssuedOn, DueOn, RespondedOn                                                                             day
	Overdue                                                                                                  bool
}

// KindName is 指示 or 要請 (G7).
func (i govInstruction) KindName() string {
	if InstructionKind(i.Kind) == KindRequest {
		return "要請"
	}
	return "指示"
}

// ListInstructions is the console's list of instructions records.
func (s *Service) ListInstructions(ctx context.Context, today jukinet.Date) (any, error) {
	var out []govInstruction
	iso := day(today.String())
	err := queryEach(ctx, s.db, `SELECT id, source, source_ref, kind, addressee_collation_id, addressee_name, addressee_department, content, issued_on, due_on, response, responded_on FROM gov_instructions ORDER BY due_on DESC, id`, nil,
		func(r *sql.Rows) error {
			var i govInstruction
			if err := r.Scan(&i.ID, &i.Source, &i.SourceRef, &i.Kind, &i.AddresseeCollationID, &i.AddresseeName, &i.AddresseeDepartment, &i.Content, &i.IssuedOn, &i.DueOn, &i.Response, &i.RespondedOn); err != nil {
				return err
			}
			i.Overdue = i.RespondedOn == "" && i.DueOn < iso
			out = append(out, i)
			return nil
		})
	return out, err
}

type govEvidence struct {
	Index    int64
	HasProof bool
}

type govReportRequest struct {
	ID, AddresseeKind, Addressee, Answer string
	RequestedOn, DueOn, AnsweredOn       day
}

type govCaseEntry struct {
	ID, Kind, Body, By string
	On                 day
}

type govCase struct {
	ID, Source, Summary, Judgement, JudgementReason string
	OpenedOn, JudgedOn, ClosedOn                    day
	Evidence                                        []govEvidence
	Requests                                        []govReportRequest
	Entries                                         []govCaseEntry
}

// ListCases is the console's list of cases records.
func (s *Service) ListCases(ctx context.Context, _ jukinet.Date) (any, error) {
	var cases []*govCase
	byID := map[string]*govCase{}
	err := queryEach(ctx, s.db, `SELECT id, opened_on, source, summary, judgement, judgement_reason, judged_on, closed_on FROM gov_misuse_cases ORDER BY opened_on DESC, id`, nil,
		func(r *sql.Rows) error {
			c := &govCase{}
			if err := r.Scan(&c.ID, &c.OpenedOn, &c.Source, &c.Summary, &c.Judgement, &c.JudgementReason, &c.JudgedOn, &c.ClosedOn); err != nil {
				return err
			}
			cases, byID[c.ID] = append(cases, c), c
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = queryEach(ctx, s.db, `SELECT case_id, log_index, proof FROM gov_misuse_log_refs ORDER BY case_id, log_index`, nil, func(r *sql.Rows) error {
		var id, proof string
		var e govEvidence
		if err := r.Scan(&id, &e.Index, &proof); err != nil {
			return err
		}
		e.HasProof = proof != ""
		if c := byID[id]; c != nil {
			c.Evidence = append(c.Evidence, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = queryEach(ctx, s.db, `SELECT id, case_id, addressee_kind, addressee, requested_on, due_on, answer, answered_on FROM gov_report_requests ORDER BY requested_on, id`, nil, func(r *sql.Rows) error {
		var id string
		var q govReportRequest
		if err := r.Scan(&q.ID, &id, &q.AddresseeKind, &q.Addressee, &q.RequestedOn, &q.DueOn, &q.Answer, &q.AnsweredOn); err != nil {
			return err
		}
		if c := byID[id]; c != nil {
			c.Requests = append(c.Requests, q)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = queryEach(ctx, s.db, `SELECT id, case_id, kind, body, entry_on, entry_by FROM gov_case_entries ORDER BY entry_on, id`, nil, func(r *sql.Rows) error {
		var id string
		var e govCaseEntry
		if err := r.Scan(&e.ID, &id, &e.Kind, &e.Body, &e.On, &e.By); err != nil {
			return err
		}
		if c := byID[id]; c != nil {
			c.Entries = append(c.Entries, e)
		}
		return nil
	})
	return cases, err
}

type govRoomAuth struct {
	ID, Room, CollationID, Name, Purpose, GrantedBy string
	From, Until, RevokedOn                          day
	InForce                                         bool
}

type govRoomEvent struct {
	ID, Room, CollationID, Direction, Source, Reason, Outcome, RecordedBy string
	At                                                                    moment
}

type govAlert struct {
	ID, Kind, Room, CollationID, Detail, AnsweredBy, Answer string
	At, AnsweredAt                                          moment
}

type govRoomReport struct {
	ID, SubmittedBy, Summary           string
	PeriodFrom, PeriodUntil, Submitted day
	Entries, Refusals                  int
}

type govRoomsList struct {
	Authorizations []govRoomAuth
	Events         []govRoomEvent
	Alerts         []govAlert
	Reports        []govRoomReport
}

// RoomName is a secured room in Japanese.
func RoomName(r string) string {
	switch Room(r) {
	case RoomComputer:
		return "電子計算機室"
	case RoomMediaStorage:
		return "磁気ディスク等保管室"
	}
	return r
}

// RoomName is the room in Japanese.
func (a govRoomAuth) RoomName() string { return RoomName(a.Room) }

// RoomName is the room in Japanese.
func (e govRoomEvent) RoomName() string { return RoomName(e.Room) }

// RoomName is the room in Japanese.
func (a govAlert) RoomName() string { return RoomName(a.Room) }

// govListLimit bounds the long lists (entries, prints) on a page.
const govListLimit = 200

// ListRooms is the console's list of rooms records.
func (s *Service) ListRooms(ctx context.Context, today jukinet.Date) (any, error) {
	var out govRoomsList
	iso := day(today.String())
	err := queryEach(ctx, s.db, `SELECT id, room, collation_id, name, purpose, valid_from, valid_until, granted_by, revoked_on FROM gov_room_authorizations ORDER BY valid_until DESC, id`, nil,
		func(r *sql.Rows) error {
			var a govRoomAuth
			if err := r.Scan(&a.ID, &a.Room, &a.CollationID, &a.Name, &a.Purpose, &a.From, &a.Until, &a.GrantedBy, &a.RevokedOn); err != nil {
				return err
			}
			a.InForce = a.From <= iso && iso <= a.Until && (a.RevokedOn == "" || a.RevokedOn > iso)
			out.Authorizations = append(out.Authorizations, a)
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = queryEach(ctx, s.db, `SELECT id, room, collation_id, direction, at, source, reason, outcome, recorded_by FROM gov_room_events ORDER BY at DESC, id LIMIT $1`, []any{govListLimit},
		func(r *sql.Rows) error {
			var e govRoomEvent
			if err := r.Scan(&e.ID, &e.Room, &e.CollationID, &e.Direction, &e.At, &e.Source, &e.Reason, &e.Outcome, &e.RecordedBy); err != nil {
				return err
			}
			out.Events = append(out.Events, e)
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = queryEach(ctx, s.db, `SELECT id, kind, room, collation_id, at, detail, answered_by, answer, answered_at FROM gov_alerts ORDER BY at DESC, id`, nil,
		func(r *sql.Rows) error {
			var a govAlert
			if err := r.Scan(&a.ID, &a.Kind, &a.Room, &a.CollationID, &a.At, &a.Detail, &a.AnsweredBy, &a.Answer, &a.AnsweredAt); err != nil {
				return err
			}
			out.Alerts = append(out.Alerts, a)
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = queryEach(ctx, s.db, `SELECT id, period_from, period_until, submitted_on, submitted_by, summary, entries, refusals FROM gov_room_reports ORDER BY submitted_on DESC, id`, nil,
		func(r *sql.Rows) error {
			var p govRoomReport
			if err := r.Scan(&p.ID, &p.PeriodFrom, &p.PeriodUntil, &p.Submitted, &p.SubmittedBy, &p.Summary, &p.Entries, &p.Refusals); err != nil {
				return err
			}
			out.Reports = append(out.Reports, p)
			return nil
		})
	return out, err
}

type govAsset struct {
	ID, Kind, Name, Location, ManagerRole, Manager, Rules string
	IdentityInfo                                          bool
	RegisteredOn                                          day
}

// ManagerName is the manager role in Japanese.
func (a govAsset) ManagerName() string { return Role(a.ManagerRole).Japanese() }

type govDesignation struct {
	ID, CollationID, Name, Scope, DesignatedBy string
	From, Until, RevokedOn                     day
}

type govPaperForm struct {
	ID, Name, Description, Rules, Retention, CreatedBy string
	CreatedOn                                          day
}

type govPrint struct {
	ID, FormID, FormName, PrintedBy, Purpose, Method, DisposedBy string
	Copies                                                       int
	PrintedOn, DisposedOn                                        day
}

type govAssetsList struct {
	Assets       []govAsset
	Designations []govDesignation
	Forms        []govPaperForm
	Prints       []govPrint
}

// ListAssets is the console's list of assets records.
func (s *Service) ListAssets(ctx context.Context, today jukinet.Date) (any, error) {
	var out govAssetsList
	err := queryEach(ctx, s.db, `SELECT id, kind, name, identity_info, location, manager_role, manager, management_rules, registered_on FROM gov_assets ORDER BY registered_on DESC, id`, nil,
		func(r *sql.Rows) error {
			var a govAsset
			if err := r.Scan(&a.ID, &a.Kind, &a.Name, &a.IdentityInfo, &a.Location, &a.ManagerRole, &a.Manager, &a.Rules, &a.RegisteredOn); err != nil {
				return err
			}
			out.Assets = append(out.Assets, a)
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = queryEach(ctx, s.db, `SELECT id, collation_id, name, scope, valid_from, valid_until, designated_by, revoked_on FROM gov_identity_handlers ORDER BY valid_from DESC, id`, nil,
		func(r *sql.Rows) error {
			var d govDesignation
			if err := r.Scan(&d.ID, &d.CollationID, &d.Name, &d.Scope, &d.From, &d.Until, &d.DesignatedBy, &d.RevokedOn); err != nil {
				return err
			}
			out.Designations = append(out.Designations, d)
			return nil
		})
	if err != nil {
		return nil, err
	}
	prints, err := s.ListPrints(ctx, today)
	if err != nil {
		return nil, err
	}
	p := prints.(govAssetsList)
	out.Forms, out.Prints = p.Forms, p.Prints
	return out, nil
}

// loadPrints reads the form register and the print log (G16-2.2).
// ListPrints is the console's list of prints records.
func (s *Service) ListPrints(ctx context.Context, _ jukinet.Date) (any, error) {
	var out govAssetsList
	err := queryEach(ctx, s.db, `SELECT id, name, description, rules, retention, created_by, created_on FROM gov_forms ORDER BY name`, nil,
		func(r *sql.Rows) error {
			var f govPaperForm
			if err := r.Scan(&f.ID, &f.Name, &f.Description, &f.Rules, &f.Retention, &f.CreatedBy, &f.CreatedOn); err != nil {
				return err
			}
			out.Forms = append(out.Forms, f)
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = queryEach(ctx, s.db, `SELECT p.id, p.form_id, f.name, p.printed_by, p.printed_on, p.copies, p.purpose, p.disposed_on, p.disposal_method, p.disposed_by
		FROM gov_print_log p JOIN gov_forms f ON f.id = p.form_id ORDER BY p.printed_on DESC, p.id LIMIT $1`, []any{govListLimit},
		func(r *sql.Rows) error {
			var p govPrint
			if err := r.Scan(&p.ID, &p.FormID, &p.FormName, &p.PrintedBy, &p.PrintedOn, &p.Copies, &p.Purpose, &p.DisposedOn, &p.Method, &p.DisposedBy); err != nil {
				return err
			}
			out.Prints = append(out.Prints, p)
			return nil
		})
	return out, err
}

type govClause struct {
	Type, Reference string
}

type govInspection struct {
	ID, Inspector, Findings, FollowUp      string
	InspectedOn, FollowUpDue, FollowUpDone day
}

type govOutsourcing struct {
	ID, Title, Contractor, Content, Reason, ProtectionTerms, RequestedBy, CouncilItemID, CouncilOpinion, ApprovedBy string
	RequestedOn, OpinionOn, ApprovedOn, ClausesCheckedOn, ActiveFrom, ActiveUntil, NextInspectionDue                day
	Clauses                                                                                                         []govClause
	Inspections                                                                                                     []govInspection
}

// ListOutsourcing is the console's list of outsourcing records.
func (s *Service) ListOutsourcing(ctx context.Context, _ jukinet.Date) (any, error) {
	var list []*govOutsourcing
	byID := map[string]*govOutsourcing{}
	err := queryEach(ctx, s.db, `SELECT id, title, contractor, content, reason, protection_terms, requested_on, requested_by, council_item_id, council_opinion, opinion_on,
		approved_on, approved_by, clauses_checked_on, active_from, active_until, next_inspection_due FROM gov_outsourcing ORDER BY requested_on DESC, id`, nil,
		func(r *sql.Rows) error {
			o := &govOutsourcing{}
			if err := r.Scan(&o.ID, &o.Title, &o.Contractor, &o.Content, &o.Reason, &o.ProtectionTerms, &o.RequestedOn, &o.RequestedBy, &o.CouncilItemID, &o.CouncilOpinion, &o.OpinionOn,
				&o.ApprovedOn, &o.ApprovedBy, &o.ClausesCheckedOn, &o.ActiveFrom, &o.ActiveUntil, &o.NextInspectionDue); err != nil {
				return err
			}
			list, byID[o.ID] = append(list, o), o
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = queryEach(ctx, s.db, `SELECT outsourcing_id, clause_type, reference FROM gov_contract_clauses`, nil, func(r *sql.Rows) error {
		var id string
		var c govClause
		if err := r.Scan(&id, &c.Type, &c.Reference); err != nil {
			return err
		}
		if o := byID[id]; o != nil {
			o.Clauses = append(o.Clauses, c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = queryEach(ctx, s.db, `SELECT id, outsourcing_id, inspected_on, inspector, findings, follow_up, follow_up_due, follow_up_done_on FROM gov_inspections ORDER BY inspected_on, id`, nil,
		func(r *sql.Rows) error {
			var id string
			var i govInspection
			if err := r.Scan(&i.ID, &id, &i.InspectedOn, &i.Inspector, &i.Findings, &i.FollowUp, &i.FollowUpDue, &i.FollowUpDone); err != nil {
				return err
			}
			if o := byID[id]; o != nil {
				o.Inspections = append(o.Inspections, i)
			}
			return nil
		})
	return list, err
}
