package register

import (
	"context"
	"encoding/json"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// KindMyNumberRequest is the message that asks the national server for the
// number that becomes a 個人番号 (番号法8条, G2.3(c)).
const KindMyNumberRequest = "mynumber.request"

// NationalNode is the node ID of the national server.
const NationalNode = "national"

// MyNumberRequest is the body of a mynumber.request.
type MyNumberRequest struct {
	Municipality jukinet.LGCode       `json:"municipality"`
	ResidentCode jukinet.ResidentCode `json:"resident_code"`
	Reason       jukinet.ChangeReason `json:"reason"`
	Date         jukinet.Date         `json:"date"`
}

// RequestIndividualNumber asks the national server for a (new) 個人番号 for a
// current resident: on a change request (変更請求), an ex-officio correction or
// an ex-officio addition. The number is designated when it arrives
// (DesignateIndividualNumber).
func (g *Register) RequestIndividualNumber(ctx context.Context, code jukinet.ResidentCode, reason jukinet.ChangeReason, date jukinet.Date) error {
	const op = "register.RequestIndividualNumber"
	switch reason {
	case jukinet.ReasonIndividualNumberChangeRequest, jukinet.ReasonIndividualNumberExOfficioCorrection, jukinet.ReasonIndividualNumberExOfficioAdd:
	default:
		return jukinet.Errorf(op, jukinet.KindInvalid, "reason", "%s is not an individual-number reason", reason)
	}
	if date.IsZero() {
		date = g.today()
	}
	if err := g.checkDate(op, "date", date); err != nil {
		return err
	}
	return g.update(ctx, jukinet.OpIndividualNumberSet, code, "", func(tx *store.Tx) error {
		if _, err := loadCurrent(tx, op, "resident_code", code); err != nil {
			return err
		}
		tx.SetDetail("requested: " + reason.String())
		return g.requestNumberTx(tx, op, code, reason, date)
	})
}

// requestNumberTx queues a mynumber.request for code inside tx and keeps it
// pending until the number arrives.
func (g *Register) requestNumberTx(tx *store.Tx, op string, code jukinet.ResidentCode, reason jukinet.ChangeReason, date jukinet.Date) error {
	req := MyNumberRequest{Municipality: g.cfg.Municipality, ResidentCode: code, Reason: reason, Date: date}
	body, err := json.Marshal(req)
	if err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	if err := recordNumberRequest(tx, store.Message{Kind: KindMyNumberRequest, To: NationalNode, Body: body}, req); err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	return nil
}

// designateOnFirstRecord asks the national server for the 個人番号 of a person
// whose resident code is recorded here for the first time (出生, a first
// 国外転入, a 職権記載), in the event's own transaction: the municipality
// designates the number promptly (番号法7条1項), without a clerk's request.
func (g *Register) designateOnFirstRecord(tx *store.Tx, op string, r *Resident, date jukinet.Date) error {
	if r.IndividualNumber != "" {
		return nil
	}
	return g.requestNumberTx(tx, op, r.ResidentCode, jukinet.ReasonIndividualNumberExOfficioAdd, date)
}

// DesignateIndividualNumber designates the 個人番号 received for a resident and
// sends the 修正 of identity information.
func (g *Register) DesignateIndividualNumber(ctx context.Context, code jukinet.ResidentCode, number jukinet.IndividualNumber, reason jukinet.ChangeReason, date jukinet.Date) (*Resident, error) {
	const op = "register.DesignateIndividualNumber"
	if _, err := jukinet.ParseIndividualNumber(string(number)); err != nil {
		return nil, jukinet.E(op, err)
	}
	switch reason {
	case jukinet.ReasonIndividualNumberChangeRequest, jukinet.ReasonIndividualNumberExOfficioCorrection, jukinet.ReasonIndividualNumberExOfficioAdd:
	default:
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "reason", "%s is not an individual-number reason", reason)
	}
	return g.change(ctx, op, jukinet.OpIndividualNumberSet, reason, ChangeInput{ResidentCode: code, Date: date}, func(r *Resident) (jukinet.ChangeReason, error) {
		if r.IndividualNumber == number {
			return 0, jukinet.Errorf(op, jukinet.KindInvalid, "individual_number", "is already designated to this resident")
		}
		r.IndividualNumber = number
		return 0, nil
	}, func(tx *store.Tx, r *Resident) error {
		return clearNumberRequest(tx, code)
	})
}

// ChangeResidentCode records a 住民票コードの変更請求: a new code (not chosen
// by the person) replaces the old one; the notice carries the previous code so
// receivers can link the two.
func (g *Register) ChangeResidentCode(ctx context.Context, code jukinet.ResidentCode, date jukinet.Date) (*Resident, error) {
	const op = "register.ChangeResidentCode"
	if date.IsZero() {
		date = g.today()
	}
	if err := g.checkDate(op, "date", date); err != nil {
		return nil, err
	}
	var out *Resident
	err := g.update(ctx, jukinet.OpResidentCodeChange, code, "", func(tx *store.Tx) error {
		r, err := loadCurrent(tx, op, "resident_code", code)
		if err != nil {
			return err
		}
		prev := *r
		newCode, err := g.cfg.Codes.NextResidentCode(tx)
		if err != nil {
			return jukinet.E(op, err)
		}
		r.ResidentCode = newCode
		if r.Relationship == RelationshipHead {
			if _, err := tx.Exec(`UPDATE households SET head_code = $1 WHERE id = $2`, string(newCode), r.HouseholdID); err != nil {
				return jukinet.E(op, jukinet.KindInternal, err)
			}
		}
		out = r
		return g.record(tx, jukinet.OpResidentCodeChange, r, &prev, jukinet.ChangeInfo{Reason: jukinet.ReasonResidentCodeChangeRequest, Date: date, PreviousResidentCode: code}, false)
	})
	return out, err
}
