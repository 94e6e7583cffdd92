package jukinet

// ChangeInfo is the 変更情報 reported with the identity information: why and
// when the record was added, removed or changed.
type ChangeInfo struct {
	Reason ChangeReason `json:"reason"` // 異動事由
	Date   Date         `json:"date"`   // 異動年月日
	// PreviousResidentCode is set on a resident-code change, so that receivers
	// can link the new code to the old one.
	PreviousResidentCode ResidentCode `json:"previous_resident_code,omitempty"`
}

// IdentityInfo is 本人確認情報 (住基法30条の6): what a municipality's CS
// reports to the prefecture, and the prefecture to the Organization, on every
// 記載, 消除 and 修正 of these items, with the change information and a
// per-person version.
type IdentityInfo struct {
	Municipality     LGCode           `json:"municipality"` // the CS that reports it
	ResidentCode     ResidentCode     `json:"resident_code"`
	IndividualNumber IndividualNumber `json:"individual_number,omitempty"` // empty until designated
	Name             Name             `json:"name"`
	BirthDate        Date             `json:"birth_date"`
	Sex              Sex              `json:"sex"`
	Address          Address          `json:"address"`
	Change           ChangeInfo       `json:"change"`
	// Version counts the reports per (municipality, resident code): 1, 2, 3…
	// so every node applies them in event order and detects gaps and resends.
	Version uint64 `json:"version"`
}

// Validate checks every field of i and names the first that breaks a rule
// ("municipality", "resident_code", "individual_number", "name.kanji",
// "birth_date", "sex", "address.text", "change.reason", "change.date",
// "change.previous_resident_code", "version"). Beyond each field's own rules:
// the municipality is not a prefecture; the birth date is not after the change
// date; a previous resident code is given exactly for a resident-code change
// request (optional for 住民票コードの職権記載) and differs from the current code.
// Errors: KindInvalid.
func (i IdentityInfo) Validate() error {
	const op = "jukinet.IdentityInfo.Validate"
	invalid := func(field, problem string) error { return E(op, KindInvalid, Field(field), problem) }

	if p := lgCodeProblem(i.Municipality); p != "" {
		return invalid("municipality", p)
	}
	if i.Municipality.IsPrefecture() {
		return invalid("municipality", "must be a municipality's code, not a prefecture's")
	}
	if p := residentCodeProblem(i.ResidentCode); p != "" {
		return invalid("resident_code", p)
	}
	if i.IndividualNumber != "" {
		if p := individualNumberProblem(i.IndividualNumber); p != "" {
			return invalid("individual_number", p)
		}
	}
	if err := i.Name.Validate(); err != nil {
		return err
	}
	if i.BirthDate.IsZero() {
		return invalid("birth_date", "required")
	}
	if p := i.BirthDate.problem(); p != "" {
		return invalid("birth_date", p)
	}
	if i.Sex == 0 {
		return invalid("sex", "required")
	}
	if !i.Sex.Valid() {
		return invalid("sex", "must be male or female")
	}
	if err := i.Address.Validate("address"); err != nil {
		return err
	}
	if err := i.Change.validate(op, i.ResidentCode); err != nil {
		return err
	}
	if i.BirthDate.After(i.Change.Date) {
		return invalid("birth_date", "must not be after the change date")
	}
	if i.Version < 1 {
		return invalid("version", "must be 1 or more")
	}
	return nil
}

func (c ChangeInfo) validate(op string, current ResidentCode) error {
	invalid := func(field, problem string) error { return E(op, KindInvalid, Field(field), problem) }
	switch {
	case c.Reason == 0:
		return invalid("change.reason", "required")
	case !c.Reason.Valid():
		return invalid("change.reason", "unknown reason code "+itoa(int(c.Reason)))
	case c.Date.IsZero():
		return invalid("change.date", "required")
	}
	if p := c.Date.problem(); p != "" {
		return invalid("change.date", p)
	}
	const prev = "change.previous_resident_code"
	switch {
	case c.PreviousResidentCode == "":
		if c.Reason == ReasonResidentCodeChangeRequest {
			return invalid(prev, "required for a resident-code change request")
		}
	case c.Reason != ReasonResidentCodeChangeRequest && c.Reason != ReasonResidentCodeExOfficioAdd:
		return invalid(prev, "only for a resident-code change")
	case residentCodeProblem(c.PreviousResidentCode) != "":
		return invalid(prev, residentCodeProblem(c.PreviousResidentCode))
	case c.PreviousResidentCode == current:
		return invalid(prev, "must differ from the new resident code")
	}
	return nil
}

// OrderingKey is the per-person key the network orders reports by:
// Municipality + "/" + ResidentCode. Versions count within one key.
func (i IdentityInfo) OrderingKey() string {
	return string(i.Municipality) + "/" + string(i.ResidentCode)
}
