package register

import (
	"context"
	"fmt"
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// HouseholdChoice says which household a new resident joins: an existing
// one (ID and 続柄) or a new one they head.
type HouseholdChoice struct {
	ID           string `json:"id,omitempty"` // existing household; empty = a new household with this person as head
	Relationship string `json:"relationship,omitempty"`
}

func (h HouseholdChoice) validate(op string) error {
	if h.ID != "" && strings.TrimSpace(h.Relationship) == "" {
		return jukinet.Errorf(op, jukinet.KindInvalid, "household.relationship", "required when joining an existing household")
	}
	if h.ID != "" && h.Relationship == RelationshipHead {
		return jukinet.Errorf(op, jukinet.KindInvalid, "household.relationship", "the household already has a householder; record a 世帯主変更 instead")
	}
	return nil
}

// place puts r into the chosen household (creating it) and sets its address.
func (g *Register) place(tx *store.Tx, op string, r *Resident, h HouseholdChoice, addressText string) error {
	if h.ID == "" {
		if err := g.checkAddress(op, "address_text", addressText); err != nil {
			return err
		}
		r.HouseholdID = newID()
		r.Relationship = RelationshipHead
		r.Address = jukinet.Address{LGCode: g.cfg.Municipality, Text: addressText}
		if err := r.Address.Validate("address"); err != nil {
			return jukinet.E(op, err)
		}
		_, err := tx.Exec(`INSERT INTO households (id, head_code, address_lg, address_text, created_at) VALUES ($1,$2,$3,$4,$5)`,
			r.HouseholdID, string(r.ResidentCode), string(r.Address.LGCode), r.Address.Text, tx.NowMicro())
		return err
	}
	hh, err := loadHousehold(tx, op, h.ID)
	if err != nil {
		return err
	}
	if addressText != "" && addressText != hh.Address.Text {
		return jukinet.Errorf(op, jukinet.KindInvalid, "address", "differs from the address of household %s (%s)", h.ID, hh.Address.Text)
	}
	r.HouseholdID = hh.ID
	r.Relationship = h.Relationship
	r.Address = hh.Address
	return nil
}

func loadHousehold(tx *store.Tx, op, id string) (*Household, error) {
	var hh Household
	var lg string
	var dissolved int64
	err := tx.QueryRow(`SELECT id, head_code, address_lg, address_text, dissolved_at FROM households WHERE id = $1`, id).
		Scan(&hh.ID, &hh.HeadCode, &lg, &hh.Address.Text, &dissolved)
	if err != nil {
		return nil, jukinet.Errorf(op, jukinet.KindNotFound, "household.id", "no household %s", id)
	}
	if dissolved != 0 {
		return nil, jukinet.Errorf(op, jukinet.KindConflict, "household.id", "household %s has no members left", id)
	}
	hh.Address.LGCode = jukinet.LGCode(lg)
	return &hh, nil
}

func householdMembers(tx *store.Tx, id string) ([]*Resident, error) {
	rows, err := tx.Query(`SELECT `+residentColumns+` FROM residents WHERE household_id = $1 AND status = 'current' ORDER BY record_id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Resident
	for rows.Next() {
		r, err := scanResident(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// leaveHousehold handles r leaving its household: the householder may leave
// only last (others need a 世帯主変更 first) unless the leaving is a death.
func leaveHousehold(tx *store.Tx, op string, r *Resident, death bool) error {
	members, err := householdMembers(tx, r.HouseholdID)
	if err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	others := 0
	for _, m := range members {
		if m.RecordID != r.RecordID {
			others++
		}
	}
	if others == 0 {
		_, err := tx.Exec(`UPDATE households SET dissolved_at = $1 WHERE id = $2`, tx.NowMicro(), r.HouseholdID)
		return err
	}
	if r.Relationship == RelationshipHead {
		if !death {
			return jukinet.Errorf(op, jukinet.KindConflict, "resident_code", "the resident is the householder of a household with other members: record a 世帯主変更 first")
		}
		_, err := tx.Exec(`UPDATE households SET head_code = '' WHERE id = $1`, r.HouseholdID)
		return err
	}
	return nil
}

// PersonInput is what a new record needs.
type PersonInput struct {
	Name         jukinet.Name `json:"name"`
	BirthDate    jukinet.Date `json:"birth_date"`
	Sex          jukinet.Sex  `json:"sex"`
	Domicile     string       `json:"domicile,omitempty"`      // 本籍
	DomicileHead string       `json:"domicile_head,omitempty"` // 筆頭者
}

// validatePerson finds every rule p breaks (a form shows them all at once).
func (g *Register) validatePerson(op string, p PersonInput) error {
	var fe jukinet.FieldErrors
	if err := p.Name.Validate(); err != nil {
		fe.Add(jukinet.E(op, err))
	}
	fe.Add(g.checkDate(op, "birth_date", p.BirthDate))
	if p.Sex != jukinet.SexMale && p.Sex != jukinet.SexFemale {
		fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "sex", "must be male or female"))
	}
	if len([]rune(p.Domicile)) > 200 || len([]rune(p.DomicileHead)) > 100 {
		fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "domicile", "too long"))
	}
	return fe.Err()
}

// BirthInput records a birth (出生).
type BirthInput struct {
	PersonInput
	Household   HouseholdChoice `json:"household"`
	AddressText string          `json:"address_text,omitempty"` // for a new household only
}

// Birth records a birth: a new resident with a new resident code. Errors:
// KindInvalid naming the field, KindNotFound for an unknown household.
func (g *Register) Birth(ctx context.Context, in BirthInput) (*Resident, error) {
	const op = "register.Birth"
	var fe jukinet.FieldErrors // every field in error, at once
	fe.Add(g.validatePerson(op, in.PersonInput))
	fe.Add(in.Household.validate(op))
	if in.Household.ID == "" {
		fe.Add(g.checkAddress(op, "address_text", in.AddressText))
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out *Resident
	err := g.update(ctx, jukinet.OpBirth, "", "", func(tx *store.Tx) error {
		code, err := g.cfg.Codes.NextResidentCode(tx)
		if err != nil {
			return jukinet.E(op, err)
		}
		r := &Resident{ResidentCode: code, Name: in.Name, BirthDate: in.BirthDate, Sex: in.Sex, Domicile: in.Domicile,
			DomicileHead: in.DomicileHead, AddressSince: in.BirthDate, ResidentSince: in.BirthDate, Status: StatusCurrent}
		if err := g.place(tx, op, r, in.Household, in.AddressText); err != nil {
			return err
		}
		out = r
		if err := g.record(tx, jukinet.OpBirth, r, nil, jukinet.ChangeInfo{Reason: jukinet.ReasonBirth, Date: in.BirthDate}, true); err != nil {
			return err
		}
		return g.designateOnFirstRecord(tx, op, r, in.BirthDate)
	})
	return out, err
}

// MoveInInput records a move-in (転入): from another municipality (国内転入)
// with the resident code the person already has, or from abroad (国外転入).
type MoveInInput struct {
	PersonInput
	ResidentCode     jukinet.ResidentCode     `json:"resident_code,omitempty"` // required for a domestic move-in
	IndividualNumber jukinet.IndividualNumber `json:"individual_number,omitempty"`
	CardHolder       bool                     `json:"card_holder,omitempty"`
	MoveInDate       jukinet.Date             `json:"move_in_date"`               // 転入年月日
	PlannedMoveOut   jukinet.Date             `json:"planned_move_out,omitempty"` // 転出予定日 on the 転出証明書 (domestic)
	PreviousAddress  jukinet.Address          `json:"previous_address"`           // domestic: LG code + text; abroad: text (country)
	// LastRegistered is the 最終住民登録地 the 転出証明書 names, entered only
	// when the person never registered at the 前住所 (domestic only): the
	// 転入通知 goes there, not to the 前住所 (法9条1項), while the record
	// keeps the 前住所 as 従前の住所 (法7条8号).
	LastRegistered jukinet.Address `json:"last_registered,omitempty"`
	Household      HouseholdChoice `json:"household"`
	AddressText    string          `json:"address_text,omitempty"`
}

// MoveInDomestic records a 国内転入. Preconditions: the resident code is not
// that of a current resident here; the previous municipality is another one;
// the new address is in this municipality. A move-in date before the planned
// move-out date is accepted: people move earlier than they planned, and no
// article forbids it.
func (g *Register) MoveInDomestic(ctx context.Context, in MoveInInput) (*Resident, error) {
	const op = "register.MoveInDomestic"
	var fe jukinet.FieldErrors // every field in error, at once
	fe.Add(g.validateMoveInDomestic(op, in))
	fe.Add(g.validateMoveIn(op, in))
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return g.moveIn(ctx, op, jukinet.OpMoveInDomestic, jukinet.ReasonMoveInDomestic, in)
}

func (g *Register) validateMoveInDomestic(op string, in MoveInInput) error {
	var fe jukinet.FieldErrors
	if _, err := jukinet.ParseResidentCode(string(in.ResidentCode)); err != nil {
		fe.Add(jukinet.E(op, err))
	}
	if err := in.PreviousAddress.Validate("previous_address"); err != nil {
		fe.Add(jukinet.E(op, err))
	} else if in.PreviousAddress.LGCode == g.cfg.Municipality {
		fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "previous_address.lg_code", "a move within the municipality is a 転居, not a 転入"))
	}
	if in.LastRegistered != (jukinet.Address{}) {
		if err := in.LastRegistered.Validate("last_registered"); err != nil {
			fe.Add(jukinet.E(op, err))
		} else if in.LastRegistered.LGCode == "" || in.LastRegistered.LGCode == g.cfg.Municipality || in.LastRegistered.LGCode.IsPrefecture() {
			fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "last_registered.lg_code", "the 最終住民登録地 on the 転出証明書 must be another municipality"))
		}
	}
	return fe.Err()
}

// MoveInFromAbroad records a 国外転入. A person who had a resident code keeps
// it; otherwise a new one is assigned.
func (g *Register) MoveInFromAbroad(ctx context.Context, in MoveInInput) (*Resident, error) {
	const op = "register.MoveInFromAbroad"
	var fe jukinet.FieldErrors // every field in error, at once
	if in.ResidentCode != "" {
		if _, err := jukinet.ParseResidentCode(string(in.ResidentCode)); err != nil {
			fe.Add(jukinet.E(op, err))
		}
	}
	if strings.TrimSpace(in.PreviousAddress.Text) == "" {
		fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "previous_address.text", "required: the country or address abroad"))
	}
	if in.LastRegistered != (jukinet.Address{}) {
		fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "last_registered", "a 国外転入 has no 転出証明書 and sends no 転入通知"))
	}
	fe.Add(g.validateMoveIn(op, in))
	if err := fe.Err(); err != nil {
		return nil, err
	}
	in.PreviousAddress.LGCode = ""
	return g.moveIn(ctx, op, jukinet.OpMoveInFromAbroad, jukinet.ReasonMoveInFromAbroad, in)
}

func (g *Register) moveIn(ctx context.Context, op string, operation jukinet.Operation, reason jukinet.ChangeReason, in MoveInInput) (*Resident, error) {
	if err := g.validateMoveIn(op, in); err != nil {
		return nil, err
	}
	var out *Resident
	err := g.update(ctx, operation, in.ResidentCode, "", func(tx *store.Tx) error {
		var err error
		out, err = g.moveInTx(tx, op, operation, reason, in)
		return err
	})
	return out, err
}

func (g *Register) validateMoveIn(op string, in MoveInInput) error {
	var fe jukinet.FieldErrors
	fe.Add(g.validatePerson(op, in.PersonInput))
	if err := g.checkDate(op, "move_in_date", in.MoveInDate); err != nil {
		fe.Add(err)
	} else if in.MoveInDate.Before(in.BirthDate) {
		fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "move_in_date", "before the birth date"))
	}
	if in.IndividualNumber != "" {
		if _, err := jukinet.ParseIndividualNumber(string(in.IndividualNumber)); err != nil {
			fe.Add(jukinet.E(op, err))
		}
	}
	fe.Add(in.Household.validate(op))
	if in.Household.ID == "" {
		fe.Add(g.checkAddress(op, "address_text", in.AddressText))
	}
	return fe.Err()
}

// moveInTx is the part of a move-in that runs inside the transaction.
func (g *Register) moveInTx(tx *store.Tx, op string, operation jukinet.Operation, reason jukinet.ChangeReason, in MoveInInput) (*Resident, error) {
	var out *Resident
	err := func() error {
		code := in.ResidentCode
		firstRecord := code == ""
		if firstRecord {
			var err error
			if code, err = g.cfg.Codes.NextResidentCode(tx); err != nil {
				return jukinet.E(op, err)
			}
		} else if _, err := loadCurrent(tx, op, "resident_code", code); err == nil {
			return jukinet.Errorf(op, jukinet.KindConflict, "resident_code", "this resident code is already a current resident here")
		}
		r := &Resident{ResidentCode: code, IndividualNumber: in.IndividualNumber, CardHolder: in.CardHolder, Name: in.Name,
			BirthDate: in.BirthDate, Sex: in.Sex, Domicile: in.Domicile, DomicileHead: in.DomicileHead,
			AddressSince: in.MoveInDate, ResidentSince: in.MoveInDate, PreviousAddress: in.PreviousAddress, Status: StatusCurrent}
		if err := g.place(tx, op, r, in.Household, in.AddressText); err != nil {
			return err
		}
		out = r
		last := func(ev *Event) { ev.LastRegistered = in.LastRegistered }
		if err := g.record(tx, operation, r, nil, jukinet.ChangeInfo{Reason: reason, Date: in.MoveInDate}, true, last); err != nil {
			return err
		}
		// A first record asks for a 個人番号 (番号法7条1項). A 転入 whose
		// 転出証明書 number was not entered asks too: the national server answers
		// with the number the person already has, not a new one, so an
		// ordinary 転入 keeps it.
		if firstRecord || r.IndividualNumber == "" {
			return g.designateOnFirstRecord(tx, op, r, in.MoveInDate)
		}
		return nil
	}()
	return out, err
}

// MoveOutInput records a move-out (転出).
type MoveOutInput struct {
	ResidentCode jukinet.ResidentCode `json:"resident_code"`
	PlannedDate  jukinet.Date         `json:"planned_date"` // 転出予定日
	ReportDate   jukinet.Date         `json:"report_date"`  // 届出日; default today
	Abroad       bool                 `json:"abroad,omitempty"`
	Destination  jukinet.Address      `json:"destination"` // domestic: LG code + text; abroad: text
}

// MoveOut records a 転出: only a current resident can move out; the record
// becomes a 除票 (kept) with the planned date and destination.
func (g *Register) MoveOut(ctx context.Context, in MoveOutInput) (*Resident, error) {
	const op = "register.MoveOut"
	if in.ReportDate.IsZero() {
		in.ReportDate = g.today()
	}
	if err := validateMoveOut(op, g, &in); err != nil {
		return nil, err
	}
	// A 転出届 is due before the move (法24条); one filed more than 14 days
	// after it is still recorded, as the standard specification does, and
	// marked late in the operation log: the municipality notifies the summary
	// court of the late report (法52条2項) — it is not refused.
	late := int(in.ReportDate.Time().Sub(in.PlannedDate.Time()).Hours()+12) / 24
	reason := jukinet.ReasonMoveOutDomestic
	if in.Abroad {
		reason = jukinet.ReasonMoveOutAbroad
	}
	var out *Resident
	err := g.update(ctx, jukinet.OpMoveOut, in.ResidentCode, "", func(tx *store.Tx) error {
		r, err := loadCurrent(tx, op, "resident_code", in.ResidentCode)
		if err != nil {
			return err
		}
		prev := *r
		if in.PlannedDate.Before(r.ResidentSince) {
			return jukinet.Errorf(op, jukinet.KindInvalid, "planned_date", "before the person became a resident (%s)", r.ResidentSince)
		}
		if err := leaveHousehold(tx, op, r, false); err != nil {
			return err
		}
		r.Status = StatusRemoved
		r.Removal = &Removal{Reason: reason, Date: in.PlannedDate, PlannedDate: in.PlannedDate, Destination: in.Destination}
		out = r
		if late > 14 {
			tx.SetDetail(fmt.Sprintf("late report: filed %d days after the move (法52条2項 notice to the summary court)", late))
		}
		return g.record(tx, jukinet.OpMoveOut, r, &prev, jukinet.ChangeInfo{Reason: reason, Date: in.PlannedDate}, false)
	})
	return out, err
}

// validateMoveOut finds every rule a 転出 breaks (a form shows them all at
// once); a 国外転出 has no destination LG code, so it is cleared.
func validateMoveOut(op string, g *Register, in *MoveOutInput) error {
	var fe jukinet.FieldErrors
	fe.Add(g.checkDate(op, "report_date", in.ReportDate))
	if in.PlannedDate.IsZero() {
		fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "planned_date", "required"))
	}
	if in.Abroad {
		in.Destination.LGCode = ""
		if strings.TrimSpace(in.Destination.Text) == "" {
			fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "destination.text", "required: the country or address abroad"))
		}
	} else if err := in.Destination.Validate("destination"); err != nil {
		fe.Add(jukinet.E(op, err))
	} else if in.Destination.LGCode == g.cfg.Municipality {
		fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "destination.lg_code", "a move within the municipality is a 転居, not a 転出"))
	}
	return fe.Err()
}

// MoveWithinInput records a 転居: the household of ResidentCode moves to a new
// address in the municipality.
type MoveWithinInput struct {
	ResidentCode jukinet.ResidentCode `json:"resident_code"`
	AddressText  string               `json:"address_text"`
	Date         jukinet.Date         `json:"date"`
}

// MoveWithin records a 転居 of the whole household; one identity notice per member.
func (g *Register) MoveWithin(ctx context.Context, in MoveWithinInput) ([]*Resident, error) {
	const op = "register.MoveWithin"
	addr := jukinet.Address{LGCode: g.cfg.Municipality, Text: in.AddressText}
	var fe jukinet.FieldErrors // every field in error, at once
	if err := addr.Validate("address"); err != nil {
		fe.Add(jukinet.E(op, err))
	} else {
		fe.Add(g.checkAddress(op, "address_text", in.AddressText))
	}
	fe.Add(g.checkDate(op, "date", in.Date))
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out []*Resident
	err := g.update(ctx, jukinet.OpMoveWithin, in.ResidentCode, "", func(tx *store.Tx) error {
		r, err := loadCurrent(tx, op, "resident_code", in.ResidentCode)
		if err != nil {
			return err
		}
		if r.Address.Text == addr.Text {
			return jukinet.Errorf(op, jukinet.KindInvalid, "address_text", "is the current address")
		}
		if in.Date.Before(r.AddressSince) {
			return jukinet.Errorf(op, jukinet.KindInvalid, "date", "before the current address was set (%s)", r.AddressSince)
		}
		members, err := householdMembers(tx, r.HouseholdID)
		if err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		if _, err := tx.Exec(`UPDATE households SET address_text = $1 WHERE id = $2`, addr.Text, r.HouseholdID); err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		for _, m := range members {
			prev := *m
			m.PreviousAddress = m.Address
			m.Address = addr
			m.AddressSince = in.Date
			if err := g.record(tx, jukinet.OpMoveWithin, m, &prev, jukinet.ChangeInfo{Reason: jukinet.ReasonMoveWithin, Date: in.Date}, false); err != nil {
				return err
			}
			out = append(out, m)
		}
		tx.SetSubject(string(in.ResidentCode))
		return nil
	})
	return out, err
}

// DeathInput records a death (死亡).
type DeathInput struct {
	ResidentCode jukinet.ResidentCode `json:"resident_code"`
	Date         jukinet.Date         `json:"date"`
}

// Death removes the record (消除) of a current resident who died.
func (g *Register) Death(ctx context.Context, in DeathInput) (*Resident, error) {
	const op = "register.Death"
	if err := g.checkDate(op, "date", in.Date); err != nil {
		return nil, err
	}
	return g.remove(ctx, op, jukinet.OpDeath, in.ResidentCode, jukinet.ReasonDeath, in.Date, true)
}

func (g *Register) remove(ctx context.Context, op string, operation jukinet.Operation, code jukinet.ResidentCode, reason jukinet.ChangeReason, date jukinet.Date, death bool) (*Resident, error) {
	var out *Resident
	err := g.update(ctx, operation, code, "", func(tx *store.Tx) error {
		r, err := loadCurrent(tx, op, "resident_code", code)
		if err != nil {
			return err
		}
		if date.Before(r.BirthDate) {
			return jukinet.Errorf(op, jukinet.KindInvalid, "date", "before the birth date")
		}
		prev := *r
		if err := leaveHousehold(tx, op, r, death); err != nil {
			return err
		}
		r.Status = StatusRemoved
		r.Removal = &Removal{Reason: reason, Date: date}
		out = r
		return g.record(tx, operation, r, &prev, jukinet.ChangeInfo{Reason: reason, Date: date}, false)
	})
	return out, err
}

// ChangeInput changes items of one current resident.
type ChangeInput struct {
	ResidentCode jukinet.ResidentCode `json:"resident_code"`
	Date         jukinet.Date         `json:"date"`
	Name         *jukinet.Name        `json:"name,omitempty"`
	BirthDate    *jukinet.Date        `json:"birth_date,omitempty"`
	Sex          *jukinet.Sex         `json:"sex,omitempty"`
	AddressText  *string              `json:"address_text,omitempty"`
	Domicile     *string              `json:"domicile,omitempty"`
	DomicileHead *string              `json:"domicile_head,omitempty"`
	// Reason narrows a 職権修正/記載/消除 (e.g. naturalization); optional.
	Reason jukinet.ChangeReason `json:"reason,omitempty"`
}

// NameChange records a change of 氏名 (e.g. by marriage).
func (g *Register) NameChange(ctx context.Context, code jukinet.ResidentCode, name jukinet.Name, date jukinet.Date) (*Resident, error) {
	const op = "register.NameChange"
	var fe jukinet.FieldErrors // every field in error, at once
	if err := name.Validate(); err != nil {
		fe.Add(jukinet.E(op, err))
	}
	if !date.IsZero() {
		fe.Add(g.checkDate(op, "date", date))
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return g.change(ctx, op, jukinet.OpNameChange, jukinet.ReasonNameChange, ChangeInput{ResidentCode: code, Date: date}, func(r *Resident) (jukinet.ChangeReason, error) {
		if r.Name.Kanji == name.Kanji && r.Name.Kana == name.Kana {
			return 0, jukinet.Errorf(op, jukinet.KindInvalid, "name", "is the current name")
		}
		r.Name.Kanji, r.Name.Kana = name.Kanji, name.Kana
		return 0, nil
	})
}

// SetFormerSurname records, changes or (with an empty surname) deletes the 旧氏.
func (g *Register) SetFormerSurname(ctx context.Context, code jukinet.ResidentCode, surname, kana string, date jukinet.Date) (*Resident, error) {
	const op = "register.SetFormerSurname"
	return g.change(ctx, op, jukinet.OpFormerSurname, 0, ChangeInput{ResidentCode: code, Date: date}, func(r *Resident) (jukinet.ChangeReason, error) {
		n := r.Name
		n.FormerSurname, n.FormerSurnameKana = surname, kana
		var fe jukinet.FieldErrors // every field in error, at once
		if err := n.Validate(); err != nil {
			fe.Add(jukinet.E(op, err))
		}
		if surname != "" && kana == "" {
			fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "name.former_surname_kana", "required with a former surname"))
		}
		if err := fe.Err(); err != nil {
			return 0, err
		}
		switch {
		case surname == "" && r.Name.FormerSurname == "":
			return 0, jukinet.Errorf(op, jukinet.KindInvalid, "name.former_surname", "there is no former surname to delete")
		case surname == "":
			return reasonIs(r, jukinet.ReasonFormerSurnameDelete, n)
		case r.Name.FormerSurname == "":
			return reasonIs(r, jukinet.ReasonFormerSurnameAdd, n)
		}
		return reasonIs(r, jukinet.ReasonFormerSurnameChange, n)
	})
}

// SetAlias records or (with an empty alias) deletes the 通称.
func (g *Register) SetAlias(ctx context.Context, code jukinet.ResidentCode, alias, kana string, date jukinet.Date) (*Resident, error) {
	const op = "register.SetAlias"
	return g.change(ctx, op, jukinet.OpAlias, 0, ChangeInput{ResidentCode: code, Date: date}, func(r *Resident) (jukinet.ChangeReason, error) {
		n := r.Name
		n.Alias, n.AliasKana = alias, kana
		if err := n.Validate(); err != nil {
			return 0, jukinet.E(op, err)
		}
		switch {
		case alias == "" && r.Name.Alias == "":
			return 0, jukinet.Errorf(op, jukinet.KindInvalid, "name.alias", "there is no alias to delete")
		case alias == "":
			return reasonIs(r, jukinet.ReasonAliasDelete, n)
		}
		return reasonIs(r, jukinet.ReasonAliasAdd, n)
	})
}

// reasonIs sets the name and picks the reason of a 旧氏/通称 change.
func reasonIs(r *Resident, reason jukinet.ChangeReason, n jukinet.Name) (jukinet.ChangeReason, error) {
	r.Name = n
	return reason, nil
}

// change applies mutate (and the inTx steps, which may read the database) to a
// current resident and records a 修正.
func (g *Register) change(ctx context.Context, op string, operation jukinet.Operation, reason jukinet.ChangeReason, in ChangeInput, mutate func(r *Resident) (jukinet.ChangeReason, error), inTx ...func(tx *store.Tx, r *Resident) error) (*Resident, error) {
	if in.Date.IsZero() {
		in.Date = g.today()
	}
	if err := g.checkDate(op, "date", in.Date); err != nil {
		return nil, err
	}
	var out *Resident
	err := g.update(ctx, operation, in.ResidentCode, "", func(tx *store.Tx) error {
		r, err := loadCurrent(tx, op, "resident_code", in.ResidentCode)
		if err != nil {
			return err
		}
		prev := *r
		why, err := mutate(r)
		if err != nil {
			return err
		}
		if why == 0 {
			why = reason
		}
		for _, f := range inTx {
			if err := f(tx, r); err != nil {
				return err
			}
		}
		out = r
		return g.record(tx, operation, r, &prev, jukinet.ChangeInfo{Reason: why, Date: in.Date}, false)
	})
	return out, err
}

// applyCorrections applies the set fields of in to r, validating each.
// Every item in error is reported at once (a form shows them all).
func (g *Register) applyCorrections(op string, r *Resident, in ChangeInput) error {
	changed := false
	var fe jukinet.FieldErrors
	if in.Name != nil {
		if err := in.Name.Validate(); err != nil {
			fe.Add(jukinet.E(op, err))
		}
		r.Name = *in.Name
		changed = true
	}
	if in.BirthDate != nil {
		fe.Add(g.checkDate(op, "birth_date", *in.BirthDate))
		r.BirthDate = *in.BirthDate
		changed = true
	}
	if in.Sex != nil {
		if *in.Sex != jukinet.SexMale && *in.Sex != jukinet.SexFemale {
			fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "sex", "must be male or female"))
		}
		r.Sex = *in.Sex
		changed = true
	}
	if in.AddressText != nil {
		a := jukinet.Address{LGCode: r.Address.LGCode, Text: *in.AddressText}
		if err := a.Validate("address"); err != nil {
			fe.Add(jukinet.E(op, err))
		} else {
			fe.Add(g.checkAddress(op, "address_text", *in.AddressText))
		}
		r.Address = a
		changed = true
	}
	if err := fe.Err(); err != nil {
		return err
	}
	if in.Domicile != nil {
		r.Domicile = *in.Domicile
		changed = true
	}
	if in.DomicileHead != nil {
		r.DomicileHead = *in.DomicileHead
		changed = true
	}
	if !changed {
		return jukinet.Errorf(op, jukinet.KindInvalid, "", "nothing to correct: give at least one item")
	}
	return nil
}

// ExOfficioCorrect records a 職権修正 of the given items.
func (g *Register) ExOfficioCorrect(ctx context.Context, in ChangeInput) (*Resident, error) {
	const op = "register.ExOfficioCorrect"
	return g.change(ctx, op, jukinet.OpExOfficioCorrect, jukinet.ReasonExOfficioCorrection, in, func(r *Resident) (jukinet.ChangeReason, error) {
		return 0, g.applyCorrections(op, r, in)
	})
}

// ClericalCorrection records a 誤記修正 of the given items.
func (g *Register) ClericalCorrection(ctx context.Context, in ChangeInput) (*Resident, error) {
	const op = "register.ClericalCorrection"
	return g.change(ctx, op, jukinet.OpClericalCorrection, jukinet.ReasonClericalCorrection, in, func(r *Resident) (jukinet.ChangeReason, error) {
		return 0, g.applyCorrections(op, r, in)
	})
}

// ExOfficioAddInput records a 職権記載 (e.g. on naturalization).
type ExOfficioAddInput struct {
	MoveInInput
	Reason jukinet.ChangeReason `json:"reason,omitempty"` // one of the 職権記載 reasons; default ex_officio_add
}

// ExOfficioAdd records a 職権記載.
func (g *Register) ExOfficioAdd(ctx context.Context, in ExOfficioAddInput) (*Resident, error) {
	const op = "register.ExOfficioAdd"
	reason := in.Reason
	if reason == 0 {
		reason = jukinet.ReasonExOfficioAdd
	}
	var fe jukinet.FieldErrors // every field in error, at once
	if !reason.Valid() || reason.Class() != jukinet.ClassAdd || reason == jukinet.ReasonBirth || reason == jukinet.ReasonMoveInDomestic || reason == jukinet.ReasonMoveInFromAbroad {
		fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "reason", "%s is not an ex-officio addition reason", reason))
	}
	if in.ResidentCode != "" {
		if _, err := jukinet.ParseResidentCode(string(in.ResidentCode)); err != nil {
			fe.Add(jukinet.E(op, err))
		}
	}
	fe.Add(g.validateMoveIn(op, in.MoveInInput))
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return g.moveIn(ctx, op, jukinet.OpExOfficioAdd, reason, in.MoveInInput)
}

// ExOfficioRemove records a 職権消除 (e.g. a person found not living at the address).
func (g *Register) ExOfficioRemove(ctx context.Context, code jukinet.ResidentCode, date jukinet.Date, reason jukinet.ChangeReason) (*Resident, error) {
	const op = "register.ExOfficioRemove"
	if reason == 0 {
		reason = jukinet.ReasonExOfficioRemove
	}
	var fe jukinet.FieldErrors // every field in error, at once
	if !reason.Valid() || reason.Class() != jukinet.ClassRemove || reason == jukinet.ReasonDeath || reason == jukinet.ReasonMoveOutDomestic || reason == jukinet.ReasonMoveOutAbroad {
		fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "reason", "%s is not an ex-officio removal reason", reason))
	}
	fe.Add(g.checkDate(op, "date", date))
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return g.remove(ctx, op, jukinet.OpExOfficioRemove, code, reason, date, true)
}
