package node

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
)

// MoveInNotice is the body of movein.notice (転入通知, 法9条1項): the new CS
// tells the previous CS that the person was recorded at the new address.
type MoveInNotice struct {
	ResidentCode jukinet.ResidentCode `json:"resident_code"`
	NewAddress   jukinet.Address      `json:"new_address"`  // the confirmed destination
	MoveInDate   jukinet.Date         `json:"move_in_date"` // the confirmed date of the move
	NoticeDate   jukinet.Date         `json:"notice_date"`
}

// Validate checks every field (KindInvalid naming it).
func (b MoveInNotice) Validate() error {
	const op = "node.MoveInNotice"
	if !jukinet.ValidResidentCode(string(b.ResidentCode)) {
		return invalid(op, "resident_code", "not a resident code")
	}
	if err := b.NewAddress.Validate("new_address"); err != nil {
		return jukinet.E(op, err)
	}
	if b.MoveInDate.IsZero() || b.NoticeDate.IsZero() {
		return invalid(op, "move_in_date", "move_in_date and notice_date are required")
	}
	if b.NoticeDate.Before(b.MoveInDate) {
		return invalid(op, "notice_date", "before the move-in date")
	}
	return nil
}

// MoveOutConfirm is the body of moveout.confirm (転出確定通知, 施行令13条3項):
// the previous CS reports to its prefecture (relayed to national) that the
// move-out is confirmed.
type MoveOutConfirm struct {
	Municipality         jukinet.LGCode       `json:"municipality"`
	ResidentCode         jukinet.ResidentCode `json:"resident_code"`
	PlannedDate          jukinet.Date         `json:"planned_date"`
	ConfirmedDate        jukinet.Date         `json:"confirmed_date"`
	ConfirmedDestination jukinet.Address      `json:"confirmed_destination"`
	NoticeDate           jukinet.Date         `json:"notice_date"`
}

// Validate checks every field (KindInvalid naming it).
func (b MoveOutConfirm) Validate() error {
	const op = "node.MoveOutConfirm"
	if !jukinet.ValidLGCode(string(b.Municipality)) || b.Municipality.IsPrefecture() {
		return invalid(op, "municipality", "not a municipality's code")
	}
	if !jukinet.ValidResidentCode(string(b.ResidentCode)) {
		return invalid(op, "resident_code", "not a resident code")
	}
	if err := b.ConfirmedDestination.Validate("confirmed_destination"); err != nil {
		return jukinet.E(op, err)
	}
	if b.ConfirmedDestination.LGCode == b.Municipality {
		return invalid(op, "confirmed_destination.lg_code", "is the municipality moved out of")
	}
	if b.ConfirmedDate.IsZero() || b.NoticeDate.IsZero() {
		return invalid(op, "confirmed_date", "confirmed_date and notice_date are required")
	}
	return nil
}

// queueMoveInNotice runs in the 国内転入's transaction at the new CS.
func (m *Municipality) queueMoveInNotice(tx *store.Tx, ev register.Event) error {
	r, moveIn := &ev.Resident, ev.Change.Date
	prev := r.PreviousAddress.LGCode
	if ev.LastRegistered.LGCode != "" {
		// The person never registered at the 前住所: the notice goes to the
		// 最終住民登録地 the 転出証明書 names (法9条1項), which holds the 除票.
		prev = ev.LastRegistered.LGCode
	}
	if prev == "" || prev == m.cfg.Municipality {
		return nil
	}
	b := MoveInNotice{ResidentCode: r.ResidentCode, NewAddress: r.Address, MoveInDate: moveIn, NoticeDate: jukinet.Today(m.db.Now())}
	if err := b.Validate(); err != nil {
		return err
	}
	return Queue(tx, network.KindMoveInNotice, string(prev), "", 0, b)
}

// municipalityMoveInNotice records the notice on the 除票 and sends the
// 転出確定通知 to the prefecture.
func (m *Municipality) municipalityMoveInNotice(tx *store.Tx, env *network.Envelope) error {
	const op = "municipality.movein.notice"
	var b MoveInNotice
	if err := Decode(env, &b); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
	}
	if string(b.NewAddress.LGCode) != env.From {
		return invalid(op, "new_address.lg_code", "%s, but the notice comes from %s", b.NewAddress.LGCode, env.From)
	}
	r, err := m.reg.RecordMoveInNoticeTx(tx, b.ResidentCode, b.NoticeDate, b.NewAddress, b.MoveInDate)
	if err != nil {
		return err
	}
	c := MoveOutConfirm{Municipality: m.cfg.Municipality, ResidentCode: b.ResidentCode, PlannedDate: r.Removal.PlannedDate,
		ConfirmedDate: b.MoveInDate, ConfirmedDestination: b.NewAddress, NoticeDate: b.NoticeDate}
	tx.Note(string(b.ResidentCode), "move-in notice recorded on the removed record")
	if err := m.forwardSupportMeasure(tx, b.ResidentCode, env.From); err != nil {
		return err
	}
	return Queue(tx, network.KindMoveOutConfirm, m.cfg.Prefecture, "", 0, c)
}

func decodeMoveOutConfirm(op string, env *network.Envelope) (MoveOutConfirm, error) {
	var c MoveOutConfirm
	if err := Decode(env, &c); err != nil {
		return c, err
	}
	if err := c.Validate(); err != nil {
		return c, err
	}
	if string(c.Municipality) != env.From {
		return c, invalid(op, "municipality", "%s reported by node %s", c.Municipality, env.From)
	}
	return c, nil
}

func storeMoveOutConfirm(tx *store.Tx, c MoveOutConfirm) error {
	body, _ := json.Marshal(c)
	if _, err := tx.Exec(`INSERT INTO flow_moveout_confirms (municipality, resident_code, body, received_at) VALUES ($1,$2,$3,$4)
 ON CONFLICT DO NOTHING`, string(c.Municipality), string(c.ResidentCode), string(body), tx.NowMicro()); err != nil {
		return internal("node.storeMoveOutConfirm", err)
	}
	tx.Note(string(c.ResidentCode), "move-out confirmed")
	return nil
}

// prefectureMoveOutConfirm stores the confirmation and relays it.
func (p *Prefecture) prefectureMoveOutConfirm(tx *store.Tx, env *network.Envelope) error {
	const op = "prefecture.moveout.confirm"
	c, err := decodeMoveOutConfirm(op, env)
	if err != nil {
		return err
	}
	if c.Municipality.PrefectureCode() != p.id {
		return invalid(op, "municipality", "%s does not belong to prefecture %s", c.Municipality, p.id)
	}
	if err := storeMoveOutConfirm(tx, c); err != nil {
		return err
	}
	if err := releaseOnConfirm(tx, c); err != nil {
		return err
	}
	return relay(tx, env)
}

// MoveOutConfirmations returns the 転出確定通知 a prefecture or the national
// server received for a resident code.
func moveOutConfirmations(tx *store.Tx, code jukinet.ResidentCode) ([]MoveOutConfirm, error) {
	rows, err := tx.Query(`SELECT body FROM flow_moveout_confirms WHERE resident_code = $1 ORDER BY received_at`, string(code))
	if err != nil {
		return nil, internal("node.moveOutConfirmations", err)
	}
	defer rows.Close()
	var out []MoveOutConfirm
	for rows.Next() {
		var s string
		var c MoveOutConfirm
		if err := rows.Scan(&s); err != nil {
			return nil, internal("node.moveOutConfirmations", err)
		}
		if err := json.Unmarshal([]byte(s), &c); err != nil {
			return nil, internal("node.moveOutConfirmations", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ---- 転入届の特例 / 転出証明書情報 (法24条の2) ----

// CardRecord models the 個人番号カード's chip as far as a move-in needs it:
// its serial, the salted PBKDF2 hash of its 4-digit PIN and the count of
// wrong PINs. The real card checks its PIN on the chip; jukinet keeps this
// record at the CS that issued the card and sends it along with the
// 転出証明書情報 (the chip travels with its holder). The PIN itself is never
// stored or sent; the hash travels only over the mutual-TLS network links.
type CardRecord struct {
	Serial   string `json:"serial"`
	PINSalt  []byte `json:"pin_salt"`
	PINHash  []byte `json:"pin_hash"`
	Failures int    `json:"failures"`
}

// Card limits.
const (
	MaxPINFailures = 3      // the card locks after three wrong PINs
	pinIterations  = 20_000 // PBKDF2-SHA256 rounds of the PIN hash
)

// Validate checks the record (KindInvalid naming the field).
func (c CardRecord) Validate() error {
	const op = "node.CardRecord"
	if len(c.Serial) < 4 || len(c.Serial) > 32 || !isAlnum(c.Serial) {
		return invalid(op, "card.serial", "4 to 32 ASCII letters or digits")
	}
	if len(c.PINSalt) != 16 || len(c.PINHash) != 32 {
		return invalid(op, "card.pin_hash", "a 16-byte salt and a 32-byte hash")
	}
	if c.Failures < 0 || c.Failures > MaxPINFailures {
		return invalid(op, "card.failures", "0 to %d", MaxPINFailures)
	}
	return nil
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

func validPIN(pin string) bool {
	if len(pin) != 4 {
		return false
	}
	for i := 0; i < 4; i++ {
		if pin[i] < '0' || pin[i] > '9' {
			return false
		}
	}
	return true
}

func pinHash(pin string, salt []byte) []byte {
	k, err := pbkdf2.Key(sha256.New, pin, salt, pinIterations, 32)
	if err != nil {
		panic(err) // only for invalid parameters, which are constants here
	}
	return k
}

// MoveOutCertificate is the body of moveout.certificate (転出証明書情報): what
// the paper certificate would say, sent by the previous CS to the
// destination at the 転出 of a card holder.
type MoveOutCertificate struct {
	Municipality     jukinet.LGCode           `json:"municipality"` // the CS moved out of
	ResidentCode     jukinet.ResidentCode     `json:"resident_code"`
	IndividualNumber jukinet.IndividualNumber `json:"individual_number,omitempty"`
	Person           register.PersonInput     `json:"person"`
	Address          jukinet.Address          `json:"address"` // the address moved out of
	PlannedMoveOut   jukinet.Date             `json:"planned_move_out"`
	Destination      jukinet.Address          `json:"destination"`
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
	if b.Card != nil {
		return b.Card.Validate()
	}
	return nil
}

// queueMoveOutCertificate runs in the 転出's transaction at the previous CS.
func (m *Municipality) queueMoveOutCertificate(tx *store.Tx, r *register.Resident) error {
	const op = "municipality.moveout.certificate"
	if r.Removal == nil || r.Removal.Destination.LGCode == "" {
		return nil
	}
	b := MoveOutCertificate{Municipality: m.cfg.Municipality, ResidentCode: r.ResidentCode, IndividualNumber: r.IndividualNumber,
		Person:  register.PersonInput{Name: r.Name, BirthDate: r.BirthDate, Sex: r.Sex, Domicile: r.Domicile, DomicileHead: r.DomicileHead},
		Address: r.Address, PlannedMoveOut: r.Removal.PlannedDate, Destination: r.Removal.Destination}
	var card CardRecord
	err := tx.QueryRow(`SELECT serial, pin_salt, pin_hash, failures FROM flow_cards WHERE resident_code = $1 AND card_state = 'issued'
 ORDER BY updated_at DESC LIMIT 1`, string(r.ResidentCode)).Scan(&card.Serial, &card.PINSalt, &card.PINHash, &card.Failures)
	switch {
	case err == nil:
		b.Card = &card
	case !errors.Is(err, sql.ErrNoRows):
		return internal(op, err)
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
		if _, err := tx.Exec(`INSERT INTO flow_cards (serial, resident_code, pin_salt, pin_hash, failures, card_state, cert_state, updated_at)
 VALUES ($1,$2,$3,$4,$5,'issued','valid',$6) ON CONFLICT (serial) DO UPDATE SET resident_code = excluded.resident_code,
 pin_salt = excluded.pin_salt, pin_hash = excluded.pin_hash, failures = excluded.failures, updated_at = excluded.updated_at`,
			b.Card.Serial, string(b.ResidentCode), b.Card.PINSalt, b.Card.PINHash, b.Card.Failures, tx.NowMicro()); err != nil {
			return internal(op, err)
		}
	}
	tx.Note(string(b.ResidentCode), "move-out certificate from "+env.From)
	return nil
}

// SpecialMoveInInput is a 転入届の特例: the person presents their card and PIN.
type SpecialMoveInInput struct {
	ResidentCode jukinet.ResidentCode     `json:"resident_code"`
	CardSerial   string                   `json:"card_serial"`
	PIN          string                   `json:"-"` // never serialized
	MoveInDate   jukinet.Date             `json:"move_in_date"`
	AddressText  string                   `json:"address_text,omitempty"`
	Household    register.HouseholdChoice `json:"household"`
}

// SpecialMoveIn records a 国内転入 from the 転出証明書情報 received from the
// previous municipality (法24条の2), after checking the card and its PIN. The
// report must come within 14 days after moving in and within 30 days after
// the planned move-out date; moves from abroad have no certificate. A wrong
// PIN counts against the card (locked after MaxPINFailures). Errors:
// KindInvalid (input), KindNotFound (no certificate), KindUnauthorized
// (wrong card or PIN), KindLocked, KindExpired, and the register's errors.
func (m *Municipality) SpecialMoveIn(ctx context.Context, in SpecialMoveInInput) (*register.Resident, error) {
	const op = "municipality.SpecialMoveIn"
	if !jukinet.ValidResidentCode(string(in.ResidentCode)) {
		return nil, invalid(op, "resident_code", "not a resident code")
	}
	if !validPIN(in.PIN) {
		return nil, invalid(op, "pin", "4 digits")
	}
	if in.MoveInDate.IsZero() {
		return nil, invalid(op, "move_in_date", "required")
	}
	today := jukinet.Today(m.db.Now())
	var out *register.Resident
	var refusal error
	err := m.db.Update(ctx, store.Op{Operation: jukinet.OpSpecialMoveIn, Subject: string(in.ResidentCode)}, func(tx *store.Tx) error {
		var raw string
		var receivedAt int64
		err := tx.QueryRow(`SELECT body, received_at FROM flow_moveout_certificates WHERE resident_code = $1 AND used_at = 0
 ORDER BY received_at DESC LIMIT 1`, string(in.ResidentCode)).Scan(&raw, &receivedAt)
		if errors.Is(err, sql.ErrNoRows) {
			return jukinet.Errorf(op, jukinet.KindNotFound, "resident_code", "no move-out certificate information received for this resident code")
		}
		if err != nil {
			return internal(op, err)
		}
		var cert MoveOutCertificate
		if err := json.Unmarshal([]byte(raw), &cert); err != nil {
			return internal(op, err)
		}
		if cert.Card == nil || cert.Card.Serial != in.CardSerial {
			return jukinet.Errorf(op, jukinet.KindUnauthorized, "card_serial", "not the card the certificate names")
		}
		var salt, hash []byte
		var failures int
		var state string
		if err := tx.QueryRow(`SELECT pin_salt, pin_hash, failures, card_state FROM flow_cards WHERE serial = $1 AND resident_code = $2`,
			in.CardSerial, string(in.ResidentCode)).Scan(&salt, &hash, &failures, &state); err != nil {
			return jukinet.Errorf(op, jukinet.KindUnauthorized, "card_serial", "no record of this card")
		}
		if state != CardIssued {
			return jukinet.Errorf(op, jukinet.KindForbidden, "card_serial", "the card is %s", state)
		}
		if failures >= MaxPINFailures {
			return jukinet.Errorf(op, jukinet.KindLocked, "pin", "the card is locked after %d wrong PINs", MaxPINFailures)
		}
		if !hmac.Equal(pinHash(in.PIN, salt), hash) {
			// Commit the failure count, then refuse.
			refusal = jukinet.Errorf(op, jukinet.KindUnauthorized, "pin", "wrong PIN (%d of %d tries left)", MaxPINFailures-failures-1, MaxPINFailures)
			_, err := tx.Exec(`UPDATE flow_cards SET failures = failures + 1, updated_at = $1 WHERE serial = $2`, tx.NowMicro(), in.CardSerial)
			tx.SetDetail("wrong PIN")
			return err
		}
		if today.After(in.MoveInDate.AddDays(14)) {
			return jukinet.Errorf(op, jukinet.KindExpired, "move_in_date", "the special move-in must be reported within 14 days after moving in (%s)", in.MoveInDate)
		}
		if today.After(cert.PlannedMoveOut.AddDays(30)) {
			return jukinet.Errorf(op, jukinet.KindExpired, "move_in_date", "more than 30 days after the planned move-out date %s", cert.PlannedMoveOut)
		}
		if _, err := tx.Exec(`UPDATE flow_cards SET failures = 0, updated_at = $1 WHERE serial = $2`, tx.NowMicro(), in.CardSerial); err != nil {
			return internal(op, err)
		}
		r, err := m.reg.MoveInDomesticTx(tx, register.MoveInInput{PersonInput: cert.Person, ResidentCode: cert.ResidentCode,
			IndividualNumber: cert.IndividualNumber, CardHolder: true, MoveInDate: in.MoveInDate, PlannedMoveOut: cert.PlannedMoveOut,
			PreviousAddress: cert.Address, Household: in.Household, AddressText: in.AddressText})
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE flow_moveout_certificates SET used_at = $1 WHERE resident_code = $2 AND received_at = $3`,
			tx.NowMicro(), string(in.ResidentCode), receivedAt); err != nil {
			return internal(op, err)
		}
		out = r
		return nil
	})
	if err == nil && refusal != nil {
		return nil, refusal
	}
	return out, err
}

// newCardRecord hashes a new card's PIN with a fresh salt.
func newCardRecord(serial, pin string) (CardRecord, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return CardRecord{}, internal("node.newCardRecord", err)
	}
	c := CardRecord{Serial: serial, PINSalt: salt, PINHash: pinHash(pin, salt)}
	return c, c.Validate()
}
