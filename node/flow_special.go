package node

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/card"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
)

// Windows of the 転入届の特例 and of the card's 継続利用.
const (
	SpecialMoveInDays   = 14 // 転入 reported within 14 days after moving in (法24条の2, 法22条)
	SpecialPlannedDays  = 30 // and within 30 days after the planned move-out date (法24条の2; docs/protocol-flows.md)
	CardContinuanceDays = 90 // 継続利用 within 90 days after the 転入, or the card lapses (番号法17条2項, 番号法施行令14条)
)

// IssueCardInput records the 交付 of a 個人番号カード to a resident: the card's
// serial and its 利用者証明用電子証明書, read from the card in the reader.
type IssueCardInput struct {
	ResidentCode jukinet.ResidentCode `json:"resident_code"`
	Serial       string               `json:"serial"`
	Certificate  []byte               `json:"certificate"` // DER
}

// IssueCard records a card handed over to a current resident (交付, 番号法17条1項):
// the card record (its certificate; nothing of its PIN, which the holder set
// on the card), the register's card-holder mark, and a card.status to the
// national server, in one transaction.
func (m *Municipality) IssueCard(ctx context.Context, in IssueCardInput) error {
	const op = "municipality.IssueCard"
	rec := CardRecord{Serial: in.Serial, Certificate: in.Certificate}
	if err := rec.Validate(); err != nil {
		return err
	}
	if err := card.CheckValidity(in.Certificate, m.db.Now()); err != nil {
		return invalid(op, "card.certificate", "not valid today (expired or not yet valid)")
	}
	st := CardStatus{Municipality: m.cfg.Municipality, ResidentCode: in.ResidentCode, Serial: in.Serial, CardState: CardIssued,
		CertState: CertValid, Date: jukinet.Today(m.db.Now())}
	if err := st.Validate(); err != nil {
		return err
	}
	return m.db.Update(ctx, store.Op{Operation: jukinet.OpCardIssue, Subject: string(in.ResidentCode), Detail: "card " + in.Serial}, func(tx *store.Tx) error {
		if err := m.reg.SetCardHolderTx(tx, in.ResidentCode, true); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO flow_cards (serial, resident_code, certificate, card_state, cert_state, continued_on, updated_at)
 VALUES ($1,$2,$3,'issued','valid',$4,$5)`, in.Serial, string(in.ResidentCode), in.Certificate, st.Date.String(), tx.NowMicro())
		if store.IsUniqueViolation(err) {
			return jukinet.Errorf(op, jukinet.KindConflict, "serial", "card %s is already recorded", in.Serial)
		}
		if err != nil {
			return internal(op, err)
		}
		return Queue(tx, network.KindCardStatus, network.NationalID, "", 0, st)
	})
}

// SpecialMember is a 同一世帯員 moving with the card holder, recorded in the
// same 特例転入. Relationship is their 続柄 in the new household; empty keeps
// the one on their 転出証明書情報 (allowed only while their 世帯主 moves too).
type SpecialMember struct {
	ResidentCode jukinet.ResidentCode `json:"resident_code"`
	Relationship string               `json:"relationship,omitempty"`
}

// SpecialMoveInInput is a 転入届の特例: the card holder presents their card in
// the reader and enters its PIN on it.
type SpecialMoveInInput struct {
	ResidentCode jukinet.ResidentCode     `json:"resident_code"`
	Card         card.Card                `json:"-"` // the card in the reader
	PIN          string                   `json:"-"` // goes to the card only
	MoveInDate   jukinet.Date             `json:"move_in_date"`
	AddressText  string                   `json:"address_text,omitempty"`
	Household    register.HouseholdChoice `json:"household"`
	Members      []SpecialMember          `json:"members,omitempty"`
}

func (in SpecialMoveInInput) validate(op string) error {
	var fe jukinet.FieldErrors // every field in error, at once
	if !jukinet.ValidResidentCode(string(in.ResidentCode)) {
		fe.Add(invalid(op, "resident_code", "not a resident code"))
	}
	if in.Card == nil {
		fe.Add(invalid(op, "card_serial", "no card in the reader"))
	}
	if in.MoveInDate.IsZero() {
		fe.Add(invalid(op, "move_in_date", "required"))
	}
	seen := map[jukinet.ResidentCode]bool{in.ResidentCode: true}
	for i, mb := range in.Members {
		if !jukinet.ValidResidentCode(string(mb.ResidentCode)) || seen[mb.ResidentCode] {
			fe.Add(invalid(op, fmt.Sprintf("members[%d].resident_code", i), "not a resident code, or named twice"))
		}
		seen[mb.ResidentCode] = true
	}
	return fe.Err()
}

// receivedCertificate is a stored, unused 転出証明書情報.
type receivedCertificate struct {
	MoveOutCertificate
	receivedAt int64
}

func loadCertificate(tx *store.Tx, op string, code jukinet.ResidentCode) (*receivedCertificate, error) {
	var raw string
	var c receivedCertificate
	err := tx.QueryRow(`SELECT body, received_at FROM flow_moveout_certificates WHERE resident_code = $1 AND used_at = 0 AND lapsed_at = 0
 ORDER BY received_at DESC LIMIT 1`, string(code)).Scan(&raw, &c.receivedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, jukinet.Errorf(op, jukinet.KindNotFound, "resident_code", "no move-out certificate information received for this resident code")
	}
	if err != nil {
		return nil, internal(op, err)
	}
	if err := json.Unmarshal([]byte(raw), &c.MoveOutCertificate); err != nil {
		return nil, internal(op, err)
	}
	return &c, nil
}

// SpecialMoveIn records a 国内転入 from the 転出証明書情報 received from the
// previous municipality (法24条の2) for the card holder and the 同一世帯員
// moving with them. The card proves itself: the node sends it a fresh
// challenge, the card checks its PIN and signs, and the signature must verify
// with the certificate recorded for the holder, whose card and certificate
// must be valid here. The report must come within 14 days after moving in
// and 30 days after the planned move-out date; the certificate lapses after.
// Every refusal is recorded in the operation log. Errors: KindInvalid
// (input, members not moving with the holder), KindNotFound (no
// certificate), KindUnauthorized (wrong card or PIN), KindLocked (PIN
// locked), KindForbidden (card revoked or suspended), KindExpired (window
// passed, card lapsed), and the register's errors.
func (m *Municipality) SpecialMoveIn(ctx context.Context, in SpecialMoveInInput) (*register.Resident, error) {
	const op = "municipality.SpecialMoveIn"
	if err := in.validate(op); err != nil {
		return nil, err
	}
	challenge, err := newChallenge()
	if err != nil {
		return nil, internal(op, err)
	}
	sig, signErr := in.Card.Sign(in.PIN, challenge) // the card checks its PIN; a wrong one counts on the card
	var out *register.Resident
	var refusal error
	refuse := func(tx *store.Tx, err error) error {
		if jukinet.ErrorKind(err) == jukinet.KindInternal {
			return err
		}
		refusal = err
		tx.SetDetail("refused: " + refusalDetail(err))
		return nil // commit the refusal record, change nothing else
	}
	err = m.db.Update(ctx, store.Op{Operation: jukinet.OpSpecialMoveIn, Subject: string(in.ResidentCode)}, func(tx *store.Tx) error {
		cert, err := loadCertificate(tx, op, in.ResidentCode)
		if err != nil {
			return refuse(tx, err)
		}
		if err := m.checkCard(tx, op, in, cert, challenge, sig, signErr); err != nil {
			return refuse(tx, err)
		}
		if err := m.checkWindow(tx, op, in.MoveInDate, cert); err != nil {
			return refuse(tx, err)
		}
		members, err := m.loadMembers(tx, op, in, cert)
		if err != nil {
			return refuse(tx, err)
		}
		out, err = m.recordSpecial(tx, op, in, cert, members)
		return err
	})
	if err == nil && refusal != nil {
		return nil, refusal
	}
	return out, err
}

// refusalDetail is the log's note of a refusal: its field and rule, no
// personal data (the errors name fields and rules only).
func refusalDetail(err error) string {
	var e *jukinet.Error
	if errors.As(err, &e) {
		return string(e.Kind.String()) + " " + string(e.Field)
	}
	return "error"
}

// checkCard checks the presented card against the certificate information
// and this CS's card record, and the card's answer to the challenge.
func (m *Municipality) checkCard(tx *store.Tx, op string, in SpecialMoveInInput, cert *receivedCertificate, challenge, sig []byte, signErr error) error {
	serial := in.Card.Serial()
	if cert.Card == nil || cert.Card.Serial != serial {
		return jukinet.Errorf(op, jukinet.KindUnauthorized, "card_serial", "not the card the move-out certificate information names")
	}
	var recorded []byte
	var cardState, certState string
	err := tx.QueryRow(`SELECT certificate, card_state, cert_state FROM flow_cards WHERE serial = $1 AND resident_code = $2`,
		serial, string(in.ResidentCode)).Scan(&recorded, &cardState, &certState)
	if err != nil || !sameCertificate(recorded, cert.Card.Certificate) || !sameCertificate(recorded, in.Card.Certificate()) {
		return jukinet.Errorf(op, jukinet.KindUnauthorized, "card", "the card's certificate is not the one recorded for this person")
	}
	if cardState != CardIssued || certState != CertValid {
		return jukinet.Errorf(op, jukinet.KindForbidden, "card", "the card is %s and its certificate %s", cardState, certState)
	}
	return cardAnswer(op, recorded, challenge, sig, signErr, m.db.Now())
}

// checkWindow applies the 特例's deadlines; a certificate past its 30 days
// lapses (it is marked, in the refusal's transaction).
func (m *Municipality) checkWindow(tx *store.Tx, op string, moveIn jukinet.Date, cert *receivedCertificate) error {
	today := jukinet.Today(m.db.Now())
	if today.After(cert.PlannedMoveOut.AddDays(SpecialPlannedDays)) {
		if _, err := tx.Exec(`UPDATE flow_moveout_certificates SET lapsed_at = $1 WHERE resident_code = $2 AND received_at = $3`,
			tx.NowMicro(), string(cert.ResidentCode), cert.receivedAt); err != nil {
			return internal(op, err)
		}
		return jukinet.Errorf(op, jukinet.KindExpired, "move_in_date", "more than %d days after the planned move-out date %s: the certificate information has lapsed",
			SpecialPlannedDays, cert.PlannedMoveOut)
	}
	if today.After(moveIn.AddDays(SpecialMoveInDays)) {
		return jukinet.Errorf(op, jukinet.KindExpired, "move_in_date", "the special move-in must be reported within %d days after moving in (%s)", SpecialMoveInDays, moveIn)
	}
	if moveIn.After(today) {
		return invalid(op, "move_in_date", "the move-in date is after today")
	}
	return nil
}

// loadMembers finds each member's certificate information and checks that
// they moved out with the holder: from the same municipality, the same
// household, on the same planned date to the same municipality.
func (m *Municipality) loadMembers(tx *store.Tx, op string, in SpecialMoveInInput, holder *receivedCertificate) ([]*receivedCertificate, error) {
	out := make([]*receivedCertificate, 0, len(in.Members))
	for i, mb := range in.Members {
		field := fmt.Sprintf("members[%d].resident_code", i)
		c, err := loadCertificate(tx, op, mb.ResidentCode)
		if err != nil {
			return nil, jukinet.Errorf(op, jukinet.KindNotFound, field, "no move-out certificate information received for this member")
		}
		if c.Municipality != holder.Municipality || c.HouseholdID == "" || c.HouseholdID != holder.HouseholdID ||
			c.PlannedMoveOut != holder.PlannedMoveOut || c.Destination.LGCode != holder.Destination.LGCode {
			return nil, invalid(op, field, "did not move out with the card holder (same household, date and destination)")
		}
		out = append(out, c)
	}
	return out, nil
}

// markUsed marks a certificate information used and records the 継続利用 of
// its card when the card was presented (the holder's).
func markUsed(tx *store.Tx, op string, c *receivedCertificate) error {
	if _, err := tx.Exec(`UPDATE flow_moveout_certificates SET used_at = $1 WHERE resident_code = $2 AND received_at = $3`,
		tx.NowMicro(), string(c.ResidentCode), c.receivedAt); err != nil {
		return internal(op, err)
	}
	return nil
}

// continueCard records a card's 継続利用 here (番号法17条2項) and tells the
// national server where the card now is.
func (m *Municipality) continueCard(tx *store.Tx, op string, code jukinet.ResidentCode, serial string) error {
	today := jukinet.Today(m.db.Now())
	if _, err := tx.Exec(`UPDATE flow_cards SET continued_on = $1, continue_due = '', updated_at = $2 WHERE serial = $3 AND resident_code = $4`,
		today.String(), tx.NowMicro(), serial, string(code)); err != nil {
		return internal(op, err)
	}
	return Queue(tx, network.KindCardStatus, network.NationalID, "", 0, CardStatus{Municipality: m.cfg.Municipality, ResidentCode: code,
		Serial: serial, CardState: CardIssued, CertState: CertValid, Date: today})
}

// startCardContinuation runs in every 国内転入's transaction: a card that came
// with the person's 転出証明書情報 must be presented for 継続利用 within 90
// days, and the certificate information is used up.
func startCardContinuation(tx *store.Tx, code jukinet.ResidentCode, moveIn jukinet.Date) error {
	if _, err := tx.Exec(`UPDATE flow_cards SET continue_due = $1, updated_at = $2 WHERE resident_code = $3 AND card_state = 'issued'
 AND continued_on = '' AND continue_due = ''`, moveIn.AddDays(CardContinuanceDays).String(), tx.NowMicro(), string(code)); err != nil {
		return internal("municipality.card.continuation", err)
	}
	// Once the person lives here, their 転出証明書情報 has served.
	if _, err := tx.Exec(`UPDATE flow_moveout_certificates SET used_at = $1 WHERE resident_code = $2 AND used_at = 0`, tx.NowMicro(), string(code)); err != nil {
		return internal("municipality.card.continuation", err)
	}
	return nil
}
