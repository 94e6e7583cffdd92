package register

import (
	"database/sql"
	"errors"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// The methods below run inside a transaction the caller already holds: a
// network handler (the inbox's transaction) or a node operation that must
// change the register together with its own tables (転入届の特例).

// MoveInDomesticTx records a 国内転入 inside tx, with the checks of
// MoveInDomestic. operation is what the event reports to hooks.
func (g *Register) MoveInDomesticTx(tx *store.Tx, in MoveInInput) (*Resident, error) {
	const op = "register.MoveInDomestic"
	if err := g.validateMoveInDomestic(op, in); err != nil {
		return nil, err
	}
	if err := g.validateMoveIn(op, in); err != nil {
		return nil, err
	}
	return g.moveInTx(tx, op, jukinet.OpMoveInDomestic, jukinet.ReasonMoveInDomestic, in)
}

// RecordMoveInNoticeTx records the 転入通知 (法9条1項) on the removed record
// (除票) of a person who moved out to another municipality: the notice date,
// the confirmed destination and the confirmed move-out date. The planned
// values stay. It changes no identity information, so no notice is queued.
// Errors: KindNotFound (no 除票 by 転出 for the code), KindConflict (already
// recorded with other values).
func (g *Register) RecordMoveInNoticeTx(tx *store.Tx, code jukinet.ResidentCode, noticeDate jukinet.Date, dest jukinet.Address, confirmed jukinet.Date) (*Resident, error) {
	const op = "register.RecordMoveInNotice"
	r, err := scanResident(tx.QueryRow(`SELECT `+residentColumns+` FROM residents WHERE resident_code = $1 AND status = 'removed' AND removal_reason = $2
 ORDER BY updated_at DESC LIMIT 1`, string(code), int(jukinet.ReasonMoveOutDomestic)))
	if err != nil {
		return nil, jukinet.Errorf(op, jukinet.KindNotFound, "resident_code", "no record removed by a domestic move-out for this resident code")
	}
	rem := r.Removal
	if !rem.NoticeDate.IsZero() {
		if rem.ConfirmedDestination == dest && rem.ConfirmedDate == confirmed {
			return r, nil // the same notice again: nothing to do
		}
		return nil, jukinet.Errorf(op, jukinet.KindConflict, "resident_code", "a move-in notice for this resident was already recorded on %s", rem.NoticeDate)
	}
	rem.NoticeDate, rem.ConfirmedDestination, rem.ConfirmedDate = noticeDate, dest, confirmed
	if _, err := tx.Exec(`UPDATE residents SET movein_notice_date = $1, moveout_confirmed_lg = $2, moveout_confirmed_text = $3,
 moveout_confirmed_date = $4, updated_at = $5 WHERE record_id = $6`, dateText(noticeDate), string(dest.LGCode), dest.Text,
		dateText(confirmed), tx.NowMicro(), r.RecordID); err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	return r, nil
}

// SetCardHolderTx records whether a current resident holds a valid 個人番号カード.
// The card is not identity information: no notice is queued.
func (g *Register) SetCardHolderTx(tx *store.Tx, code jukinet.ResidentCode, holder bool) error {
	const op = "register.SetCardHolder"
	if _, err := loadCurrent(tx, op, "resident_code", code); err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE residents SET card_holder = $1, updated_at = $2 WHERE resident_code = $3 AND status = 'current'`,
		boolInt(holder), tx.NowMicro(), string(code)); err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	return nil
}

// CurrentTx returns the current record of code, read inside tx (the caller's
// operation is what the log records).
func (g *Register) CurrentTx(tx *store.Tx, code jukinet.ResidentCode) (*Resident, error) {
	return loadCurrent(tx, "register.Current", "resident_code", code)
}

// FindCurrentTx returns the current residents whose kanji name and birth date
// match exactly (a wide-area copy request names the person this way).
func (g *Register) FindCurrentTx(tx *store.Tx, name jukinet.Name, birth jukinet.Date) ([]Resident, error) {
	rows, err := tx.Query(`SELECT `+residentColumns+` FROM residents WHERE kanji_key = $1 AND birth_date = $2 AND status = 'current' LIMIT 3`,
		name.KanjiKey(), birth.String())
	if err != nil {
		return nil, jukinet.E("register.FindCurrent", jukinet.KindInternal, err)
	}
	defer rows.Close()
	var out []Resident
	for rows.Next() {
		r, err := scanResident(rows)
		if err != nil {
			return nil, jukinet.E("register.FindCurrent", jukinet.KindInternal, err)
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

// DesignateIndividualNumberTx is DesignateIndividualNumber inside tx (the
// mynumber.response handler).
func (g *Register) DesignateIndividualNumberTx(tx *store.Tx, code jukinet.ResidentCode, number jukinet.IndividualNumber, reason jukinet.ChangeReason, date jukinet.Date) (*Resident, error) {
	const op = "register.DesignateIndividualNumber"
	if _, err := jukinet.ParseIndividualNumber(string(number)); err != nil {
		return nil, jukinet.E(op, err)
	}
	switch reason {
	case jukinet.ReasonIndividualNumberChangeRequest, jukinet.ReasonIndividualNumberExOfficioCorrection, jukinet.ReasonIndividualNumberExOfficioAdd:
	default:
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "reason", "%s is not an individual-number reason", reason)
	}
	if date.IsZero() {
		date = g.today()
	}
	r, err := loadCurrent(tx, op, "resident_code", code)
	if err != nil {
		return nil, err
	}
	if err := clearNumberRequest(tx, code); err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	if r.IndividualNumber == number {
		return r, nil // already designated (a resent response)
	}
	prev := *r
	r.IndividualNumber = number
	return r, g.record(tx, jukinet.OpIndividualNumberSet, r, &prev, jukinet.ChangeInfo{Reason: reason, Date: date}, false)
}

// HouseholdMembersTx returns the current members of a household, read
// inside tx (for a 世帯全員の写し).
func (g *Register) HouseholdMembersTx(tx *store.Tx, id string) ([]Resident, error) {
	members, err := householdMembers(tx, id)
	if err != nil {
		return nil, jukinet.E("register.HouseholdMembers", jukinet.KindInternal, err)
	}
	out := make([]Resident, len(members))
	for i, m := range members {
		out[i] = *m
	}
	return out, nil
}

// HouseholderNameTx returns the name of a household's current householder
// ("" while none is recorded).
func (g *Register) HouseholderNameTx(tx *store.Tx, id string) (string, error) {
	var head string
	err := tx.QueryRow(`SELECT r.kanji FROM households h JOIN residents r ON r.resident_code = h.head_code AND r.status = 'current' WHERE h.id = $1`, id).Scan(&head)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", jukinet.E("register.HouseholderName", jukinet.KindInternal, err)
	}
	return head, nil
}

// MoveInReportDateTx returns the 届出年月日 of the 転入 that brought a current
// resident here (法7条8号): the day the register recorded it. Zero for a
// person who did not move in (born here, or recorded before).
func (g *Register) MoveInReportDateTx(tx *store.Tx, r Resident) (jukinet.Date, error) {
	if r.PreviousAddress.Text == "" {
		return jukinet.Date{}, nil
	}
	var at int64
	err := tx.QueryRow(`SELECT recorded_at FROM identity_history WHERE resident_code = $1 AND reason IN ($2, $3) ORDER BY version DESC LIMIT 1`,
		string(r.ResidentCode), int(jukinet.ReasonMoveInDomestic), int(jukinet.ReasonMoveInFromAbroad)).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return jukinet.Date{}, nil
	}
	if err != nil {
		return jukinet.Date{}, jukinet.E("register.MoveInReportDate", jukinet.KindInternal, err)
	}
	return jukinet.Today(time.UnixMicro(at)), nil
}

// HouseholdMovesWithCardHolderTx says whether a 個人番号カード holder of the
// household id is current or moved out to destination on planned: the
// 同一世帯員 a 転入届の特例 may cover (法24条の2) are those of such a household.
func (g *Register) HouseholdMovesWithCardHolderTx(tx *store.Tx, id string, destination jukinet.LGCode, planned jukinet.Date) (bool, error) {
	var n int
	err := tx.QueryRow(`SELECT COUNT(*) FROM residents WHERE household_id = $1 AND card_holder = 1
 AND (status = 'current' OR (status = 'removed' AND removal_reason = $2 AND moveout_dest_lg = $3 AND moveout_planned_date = $4))`,
		id, int(jukinet.ReasonMoveOutDomestic), string(destination), dateText(planned)).Scan(&n)
	if err != nil {
		return false, jukinet.E("register.HouseholdMovesWithCardHolder", jukinet.KindInternal, err)
	}
	return n > 0, nil
}

// ConfirmedMoveOutsSince calls fn with every record removed here by a
// domestic 転出 whose 転入通知 was recorded (its 転出確定 sent) and which
// changed at or after since (a zero since: every such record): the
// confirmations a restored national server may have lost (node:
// identity.resync). An error of fn stops the scan and is returned.
func ConfirmedMoveOutsSince(tx *store.Tx, since time.Time, fn func(*Resident) error) error {
	const op = "register.ConfirmedMoveOutsSince"
	var from int64
	if !since.IsZero() {
		from = since.UnixMicro()
	}
	rows, err := tx.Query(`SELECT `+residentColumns+` FROM residents WHERE status = 'removed' AND removal_reason = $1
 AND movein_notice_date <> '' AND updated_at >= $2 ORDER BY resident_code, record_id`, int(jukinet.ReasonMoveOutDomestic), from)
	if err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanResident(rows)
		if err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	return nil
}
