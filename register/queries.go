package register

import (
	"context"
	"strconv"
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// Get returns the records (current first, then 除票) of a resident code. Reading
// a person's data needs a purpose or case number and is logged (G11.2).
func (g *Register) Get(ctx context.Context, code jukinet.ResidentCode, purpose string) ([]Resident, error) {
	const op = "register.Get"
	if _, err := jukinet.ParseResidentCode(string(code)); err != nil {
		return nil, jukinet.E(op, err)
	}
	var out []Resident
	err := g.db.Update(ctx, store.Op{Operation: jukinet.OpResidentRead, Subject: string(code), Purpose: purpose}, func(tx *store.Tx) error {
		rows, err := tx.Query(`SELECT `+residentColumns+` FROM residents WHERE resident_code = $1 ORDER BY status, updated_at DESC`, string(code))
		if err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanResident(rows)
			if err != nil {
				return jukinet.E(op, jukinet.KindInternal, err)
			}
			out = append(out, *r)
		}
		if err := rows.Err(); err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		if len(out) == 0 {
			return jukinet.Errorf(op, jukinet.KindNotFound, "resident_code", "no resident with this resident code")
		}
		return g.markSupported(tx, out)
	})
	return out, err
}

// Query selects residents: every given criterion must match. Kana and Kanji
// match by prefix of the width- and kana-folded search key.
type Query struct {
	Kana           string       `json:"kana,omitempty"`
	Kanji          string       `json:"kanji,omitempty"`
	BirthDate      jukinet.Date `json:"birth_date,omitempty"`
	Address        string       `json:"address,omitempty"` // substring
	IncludeRemoved bool         `json:"include_removed,omitempty"`
	Limit          int          `json:"limit,omitempty"`  // default 50, at most 500
	Offset         int          `json:"offset,omitempty"` // matches to skip (a later page)
}

// SearchPage is one page of a search's results.
type SearchPage struct {
	Residents []Resident `json:"residents"`
	Total     int        `json:"total"`  // every match, on all pages
	Offset    int        `json:"offset"` // matches before this page
}

// Cut reports whether matches exist beyond this page's (before or after).
func (p SearchPage) Cut() bool { return p.Offset > 0 || p.Offset+len(p.Residents) < p.Total }

// Search finds residents. A search shows personal data, so it is logged with
// its purpose. Errors: KindInvalid when no criterion is given.
func (g *Register) Search(ctx context.Context, q Query, purpose string) ([]Resident, error) {
	p, err := g.SearchPage(ctx, q, purpose)
	return p.Residents, err
}

// SearchPage is Search with the count of all matches: the page starts at
// q.Offset and holds at most q.Limit residents, in a fixed order (ふりがな,
// birth date, record), so consecutive pages are disjoint and cover every
// match. Only the residents on the page are shown, and so recorded (G11.2).
func (g *Register) SearchPage(ctx context.Context, q Query, purpose string) (SearchPage, error) {
	const op = "register.SearchPage"
	where, args, err := searchWhere(op, q)
	if err != nil {
		return SearchPage{}, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	if q.Offset < 0 {
		return SearchPage{}, jukinet.Errorf(op, jukinet.KindInvalid, "offset", "must not be negative")
	}
	out := SearchPage{Offset: q.Offset}
	err = g.db.Update(ctx, store.Op{Operation: jukinet.OpResidentSearch, Purpose: purpose}, func(tx *store.Tx) error {
		if err := tx.QueryRow(`SELECT COUNT(*) FROM residents WHERE `+where, args...).Scan(&out.Total); err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		rows, err := tx.Query(`SELECT `+residentColumns+` FROM residents WHERE `+where+
			` ORDER BY kana_key, birth_date, record_id LIMIT `+strconv.Itoa(limit)+` OFFSET `+strconv.Itoa(q.Offset), args...)
		if err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanResident(rows)
			if err != nil {
				return jukinet.E(op, jukinet.KindInternal, err)
			}
			out.Residents = append(out.Residents, *r)
		}
		if err := rows.Err(); err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		detail := "results: " + strconv.Itoa(len(out.Residents))
		if out.Cut() {
			detail += " of " + strconv.Itoa(out.Total) + " from " + strconv.Itoa(out.Offset+1)
		}
		tx.SetDetail(detail)
		// Each person the results show is a record (G11.2): the resident's
		// history shows the search, the misuse analysis sees browsing.
		for _, r := range out.Residents {
			tx.Shown(string(r.ResidentCode), itemsSearch, false)
		}
		return g.markSupported(tx, out.Residents)
	})
	if err != nil {
		return SearchPage{}, err
	}
	return out, nil
}

// searchWhere is the condition of q and its arguments.
func searchWhere(op string, q Query) (string, []any, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if k := jukinet.SearchKey(q.Kana); k != "" {
		add("kana_key LIKE ?", escapeLike(k)+"%")
	}
	if k := jukinet.SearchKey(q.Kanji); k != "" {
		add("kanji_key LIKE ?", escapeLike(k)+"%")
	}
	if !q.BirthDate.IsZero() {
		add("birth_date = ?", q.BirthDate.String())
	}
	if k := jukinet.SearchKey(q.Address); k != "" {
		add("address_key LIKE ?", "%"+escapeLike(k)+"%")
	}
	if len(where) == 0 {
		return "", nil, jukinet.Errorf(op, jukinet.KindInvalid, "query", "give at least one of kana, kanji, birth date or address")
	}
	if !q.IncludeRemoved {
		where = append(where, "status = 'current'")
	}
	return strings.Join(where, " AND "), args, nil
}

// HouseholdOf returns a household with its current members (logged as a read).
func (g *Register) HouseholdOf(ctx context.Context, id, purpose string) (*Household, error) {
	const op = "register.HouseholdOf"
	var out *Household
	err := g.db.Update(ctx, store.Op{Operation: jukinet.OpResidentRead, Purpose: purpose, Detail: "household " + id}, func(tx *store.Tx) error {
		hh, err := loadHousehold(tx, op, id)
		if err != nil {
			return err
		}
		members, err := householdMembers(tx, id)
		if err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		for _, m := range members {
			hh.Members = append(hh.Members, *m)
			tx.Shown(string(m.ResidentCode), itemsHousehold, false)
		}
		out = hh
		return nil
	})
	return out, err
}

// The items a screen shows of each person, as their records say.
const (
	itemsSearch    = "name,kana,birth_date,sex,address,resident_code"
	itemsHousehold = "name,birth_date,relationship,resident_code"
	itemsExport    = "all_items,individual_number"
)

// Counts are the register's totals (no personal data; not logged).
type Counts struct {
	Current    int `json:"current"`
	Removed    int `json:"removed"`
	Households int `json:"households"`
	Notices    int `json:"identity_notices"`
}

// Count returns the totals.
func (g *Register) Count(ctx context.Context) (Counts, error) {
	var c Counts
	err := g.db.Bookkeeping(store.Counts).QueryRowContext(ctx, `SELECT
 (SELECT COUNT(*) FROM residents WHERE status = 'current'),
 (SELECT COUNT(*) FROM residents WHERE status = 'removed'),
 (SELECT COUNT(*) FROM households WHERE dissolved_at = 0),
 (SELECT COUNT(*) FROM identity_history)`).Scan(&c.Current, &c.Removed, &c.Households, &c.Notices)
	if err != nil {
		return c, jukinet.E("register.Count", jukinet.KindInternal, err)
	}
	return c, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer("%", "", "_", "").Replace(s)
}

// MoveInNoticeGrace is how long after the planned 転出 date a missing 転入通知
// makes a 除票 overdue: the 14 days a 転入届 is due in (法22条), and the days
// a notice takes.
const MoveInNoticeGrace = 30

// MoveInNoticesOverdue lists the 転入通知未着者: people removed here by a
// domestic 転出 whose new municipality's 転入通知 (法9条1項) has not arrived
// MoveInNoticeGrace days after the planned move, as of asOf, oldest first.
// The municipality follows each up (a 転入届 never made, or a notice lost).
// The list shows persons, so it is read with a purpose and logged.
func (g *Register) MoveInNoticesOverdue(ctx context.Context, asOf jukinet.Date, purpose string) ([]Resident, error) {
	const op = "register.MoveInNoticesOverdue"
	var out []Resident
	err := g.db.Update(ctx, store.Op{Operation: jukinet.OpResidentSearch, Purpose: purpose, Detail: "move-in notices overdue"}, func(tx *store.Tx) error {
		rows, err := tx.Query(`SELECT `+residentColumns+` FROM residents WHERE status = 'removed' AND removal_reason = $1 AND movein_notice_date = ''
 AND moveout_planned_date <> '' AND moveout_planned_date < $2 ORDER BY moveout_planned_date, resident_code LIMIT 500`,
			int(jukinet.ReasonMoveOutDomestic), asOf.AddDays(-MoveInNoticeGrace).String())
		if err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanResident(rows)
			if err != nil {
				return jukinet.E(op, jukinet.KindInternal, err)
			}
			out = append(out, *r)
		}
		tx.SetDetail("move-in notices overdue: " + strconv.Itoa(len(out)))
		return rows.Err()
	})
	return out, err
}
