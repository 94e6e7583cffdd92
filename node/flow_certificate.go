package node

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"unicode/utf8"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/card"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
)

// ---- 転入届の特例 / 転出証明書情報 (法24条の2) ----

// CardRecord is what a CS knows of a person's 個人番号カード: its serial and
// its 利用者証明用電子証明書 (JPKI). Nothing of the PIN: the card checks its
// own PIN and proves itself by signing a challenge with the key the
// certificate names (card package).
type CardRecord struct {
	Serial      string `json:"serial"`
	Certificate []byte `json:"certificate"` // DER
}

// maxCertificate bounds a card certificate (a JPKI one is about 1.5 kB).
const maxCertificate = 8 << 10

// Validate checks the record (KindInvalid naming the field).
func (c CardRecord) Validate() error {
	const op = "node.CardRecord"
	if !validSerial(c.Serial) {
		return invalid(op, "card.serial", "4 to 32 ASCII letters or digits")
	}
	if len(c.Certificate) == 0 || len(c.Certificate) > maxCertificate {
		return invalid(op, "card.certificate", "a DER certificate of at most %d bytes", maxCertificate)
	}
	if _, err := card.ParseCertificate(c.Certificate); err != nil {
		return invalid(op, "card.certificate", "not a card certificate")
	}
	return nil
}

func validSerial(s string) bool { return len(s) >= 4 && len(s) <= 32 && isAlnum(s) }

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// MoveOutCertificate is the body of moveout.certificate (転出証明書情報): what
// the paper certificate would say, sent by the previous CS to the
// destination at the 転出 of a card holder and of the 同一世帯員 moving with
// them (household_id and relationship say who moves together).
type MoveOutCertificate struct {
	Municipality     jukinet.LGCode           `json:"municipality"` // the CS moved out of
	ResidentCode     jukinet.ResidentCode     `json:"resident_code"`
	IndividualNumber jukinet.IndividualNumber `json:"individual_number,omitempty"`
	Person           register.PersonInput     `json:"person"`
	Address          jukinet.Address          `json:"address"` // the address moved out of
	PlannedMoveOut   jukinet.Date             `json:"planned_move_out"`
	Destination      jukinet.Address          `json:"destination"`
	HouseholdID      string                   `json:"household_id,omitempty"` // the household moved out of
	Relationship     string                   `json:"relationship,omitempty"` // 続柄 in it
	Card             *CardRecord              `json:"card,omitempty"`
}

// Validate checks every field (KindInvalid naming it).
func (b MoveOutCertificate) Validate() error {
	const op = "node.MoveOutCertificate"
	if !jukinet.ValidLGCode(string(b.Municipality)) || b.Municipality.IsPrefecture() {
		return invalid(op, "municipality", "not a municipality's code")
	}
	if !jukinet.ValidResidentCode(string(b.ResidentCode)) {
		return invalid(op, "resident_code", "not a resident code")
	}
	if b.IndividualNumber != "" && !jukinet.ValidIndividualNumber(string(b.IndividualNumber)) {
		return invalid(op, "individual_number", "not an individual number")
	}
	if err := b.Person.Name.Validate(); err != nil {
		return jukinet.E(op, err)
	}
	if b.Person.BirthDate.IsZero() || !b.Person.Sex.Valid() {
		return invalid(op, "person", "birth_date and sex are required")
	}
	if err := b.Address.Validate("address"); err != nil {
		return jukinet.E(op, err)
	}
	if b.Address.LGCode != b.Municipality {
		return invalid(op, "address.lg_code", "differs from the municipality")
	}
	if err := b.Destination.Validate("destination"); err != nil {
		return jukinet.E(op, err)
	}
	if b.PlannedMoveOut.IsZero() {
		return invalid(op, "planned_move_out", "required")
	}
	if len(b.HouseholdID) > 64 || utf8.RuneCountInString(b.Relationship) > 16 || !utf8.ValidString(b.Relationship) {
		return invalid(op, "household_id", "at most 64 bytes, relationship at most 16 characters")
	}
	if b.Card != nil {
		return b.Card.Validate()
	}
	return nil
}

// queueMoveOutCertificate runs in the 転出's transaction at the previous CS:
// a card holder's 転出, or that of a member of a household whose card holder
// is still here or moved to the same place on the same day (法24条の2: the
// 特例 covers the 同一世帯員 moving with the holder).
func (m *Municipality) queueMoveOutCertificate(tx *store.Tx, r *register.Resident, holder bool) error {
	const op = "municipality.moveout.certificate"
	if r.Removal == nil || r.Removal.Destination.LGCode == "" {
		return nil
	}
	if !holder {
		ok, err := m.reg.HouseholdMovesWithCardHolderTx(tx, r.HouseholdID, r.Removal.Destination.LGCode, r.Removal.PlannedDate)
		if err != nil || !ok {
			return err
		}
	}
	b := MoveOutCertificate{Municipality: m.cfg.Municipality, ResidentCode: r.ResidentCode, IndividualNumber: r.IndividualNumber,
		Person:  register.PersonInput{Name: r.Name, BirthDate: r.BirthDate, Sex: r.Sex, Domicile: r.Domicile, DomicileHead: r.DomicileHead},
		Address: r.Address, PlannedMoveOut: r.Removal.PlannedDate, Destination: r.Removal.Destination,
		HouseholdID: r.HouseholdID, Relationship: r.Relationship}
	if holder {
		var c CardRecord
		err := tx.QueryRow(`SELECT serial, certificate FROM flow_cards WHERE resident_code = $1 AND card_state = 'issued' AND cert_state = 'valid'
 ORDER BY updated_at DESC LIMIT 1`, string(r.ResidentCode)).Scan(&c.Serial, &c.Certificate)
		switch {
		case err == nil && len(c.Certificate) > 0:
			b.Card = &c
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return internal(op, err)
		}
	}
	if err := b.Validate(); err != nil {
		return err
	}
	return Queue(tx, network.KindMoveOutCertificate, string(b.Destination.LGCode), "", 0, b)
}

// municipalityMoveOutCertificate keeps the certificate (and the card record)
// for the 転入届の特例.
func (m *Municipality) municipalityMoveOutCertificate(tx *store.Tx, env *network.Envelope) error {
	const op = "municipality.moveout.certificate"
	var b MoveOutCertificate
	if err := Decode(env, &b); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
	}
	if string(b.Municipality) != env.From {
		return invalid(op, "municipality", "%s sent by %s", b.Municipality, env.From)
	}
	if b.Destination.LGCode != m.cfg.Municipality {
		return invalid(op, "destination.lg_code", "%s is not this municipality", b.Destination.LGCode)
	}
	body, _ := json.Marshal(b)
	if _, err := tx.Exec(`INSERT INTO flow_moveout_certificates (resident_code, from_lg, body, received_at) VALUES ($1,$2,$3,$4)`,
		string(b.ResidentCode), string(b.Municipality), string(body), tx.NowMicro()); err != nil {
		return internal(op, err)
	}
	if b.Card != nil {
		if _, err := tx.Exec(`INSERT INTO flow_cards (serial, resident_code, certificate, card_state, cert_state, updated_at)
 VALUES ($1,$2,$3,'issued','valid',$4) ON CONFLICT (serial) DO UPDATE SET resident_code = excluded.resident_code,
 certificate = excluded.certificate, card_state = 'issued', cert_state = 'valid', continue_due = '', continued_on = '', updated_at = excluded.updated_at`,
			b.Card.Serial, string(b.ResidentCode), b.Card.Certificate, tx.NowMicro()); err != nil {
			return internal(op, err)
		}
	}
	tx.Note(string(b.ResidentCode), "move-out certificate from "+env.From)
	return nil
}

// sameCertificate compares a presented card's certificate with the recorded one.
func sameCertificate(a, b []byte) bool { return len(a) > 0 && bytes.Equal(a, b) }
