package node

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/card"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
)

// recordSpecial records the holder and the members in one household at the
// new address. In a new household the previous 世帯主, if among them, heads it
// and everyone keeps their 続柄; otherwise the holder heads it and each
// member's 続柄 must be given.
func (m *Municipality) recordSpecial(tx *store.Tx, op string, in SpecialMoveInInput, holder *receivedCertificate, members []*receivedCertificate) (*register.Resident, error) {
	movers := append([]*receivedCertificate{holder}, members...)
	given := make([]string, len(movers))
	for i, mb := range in.Members {
		given[i+1] = mb.Relationship
	}
	first, headMoved := 0, false
	if in.Household.ID == "" {
		for i, c := range movers {
			if c.Relationship == register.RelationshipHead {
				first, headMoved = i, true
			}
		}
	}
	order := []int{first}
	for i := range movers {
		if i != first {
			order = append(order, i)
		}
	}
	var out *register.Resident
	choice := in.Household
	for n, i := range order {
		c := movers[i]
		if n > 0 {
			rel, err := relationshipOf(op, i, given[i], c.Relationship, headMoved, in.Household)
			if err != nil {
				return nil, err
			}
			choice = register.HouseholdChoice{ID: choice.ID, Relationship: rel}
		}
		r, err := m.reg.MoveInDomesticTx(tx, register.MoveInInput{PersonInput: c.Person, ResidentCode: c.ResidentCode,
			IndividualNumber: c.IndividualNumber, CardHolder: c.Card != nil, MoveInDate: in.MoveInDate, PlannedMoveOut: c.PlannedMoveOut,
			PreviousAddress: c.Address, Household: choice, AddressText: in.AddressText})
		if err != nil {
			return nil, err
		}
		choice.ID = r.HouseholdID
		if i == 0 {
			out = r
		}
		if err := markUsed(tx, op, c); err != nil {
			return nil, err
		}
	}
	if err := m.continueCard(tx, op, holder.ResidentCode, holder.Card.Serial); err != nil {
		return nil, err
	}
	if len(members) > 0 {
		tx.SetDetail(fmt.Sprintf("with %d household members", len(members)))
	}
	return out, nil
}

// relationshipOf is the 続柄 of mover i (0 = the holder) joining the
// household the first mover was placed in.
func relationshipOf(op string, i int, given, previous string, headMoved bool, h register.HouseholdChoice) (string, error) {
	switch {
	case i == 0 && h.ID != "":
		return h.Relationship, nil
	case given != "":
		return given, nil
	case headMoved && previous != "" && previous != register.RelationshipHead:
		return previous, nil
	case i == 0:
		return "", invalid(op, "household.relationship", "required: the card holder joins the household of another mover")
	}
	return "", invalid(op, fmt.Sprintf("members[%d].relationship", i-1), "required: their 世帯主 did not move with them")
}

// ContinueCard records the 継続利用 of a card that came with its holder's
// 転出証明書情報 (番号法17条2項), when the holder presents it at the counter
// after a 転入 (a household member, or a holder who moved in without the
// 特例): the card signs a challenge as at a 特例転入. Refusals are recorded.
func (m *Municipality) ContinueCard(ctx context.Context, code jukinet.ResidentCode, c card.Card, pin string) error {
	const op = "municipality.ContinueCard"
	if !jukinet.ValidResidentCode(string(code)) || c == nil {
		return invalid(op, "resident_code", "a resident code and a card in the reader are required")
	}
	challenge, err := newChallenge()
	if err != nil {
		return internal(op, err)
	}
	sig, signErr := c.Sign(pin, challenge)
	var refusal error
	err = m.db.Update(ctx, store.Op{Operation: jukinet.OpCardStatus, Subject: string(code), Detail: "継続利用"}, func(tx *store.Tx) error {
		if _, err := m.reg.CurrentTx(tx, code); err != nil {
			refusal = err
		} else {
			refusal = m.checkContinuable(tx, op, code, c, challenge, sig, signErr)
		}
		if refusal != nil {
			tx.SetDetail("refused: " + refusalDetail(refusal))
			return nil
		}
		return m.continueCard(tx, op, code, c.Serial())
	})
	if err == nil {
		err = refusal
	}
	return err
}

func (m *Municipality) checkContinuable(tx *store.Tx, op string, code jukinet.ResidentCode, c card.Card, challenge, sig []byte, signErr error) error {
	var recorded []byte
	var cardState, certState, due string
	err := tx.QueryRow(`SELECT certificate, card_state, cert_state, continue_due FROM flow_cards WHERE serial = $1 AND resident_code = $2`,
		c.Serial(), string(code)).Scan(&recorded, &cardState, &certState, &due)
	if err != nil || !sameCertificate(recorded, c.Certificate()) {
		return jukinet.Errorf(op, jukinet.KindUnauthorized, "card", "the card's certificate is not the one recorded for this person")
	}
	if cardState != CardIssued || certState != CertValid {
		return jukinet.Errorf(op, jukinet.KindForbidden, "card", "the card is %s and its certificate %s", cardState, certState)
	}
	if due == "" {
		return jukinet.Errorf(op, jukinet.KindConflict, "card", "no 継続利用 is pending for this card")
	}
	if d, err := jukinet.ParseDate("continue_due", due); err == nil && jukinet.Today(m.db.Now()).After(d) {
		return jukinet.Errorf(op, jukinet.KindExpired, "card", "the 継続利用 was due by %s: the card has lapsed", due)
	}
	return cardAnswer(op, recorded, challenge, sig, signErr, m.db.Now())
}

// ExpireCards lapses the cards whose 継続利用 was not done by its due date
// (番号法施行令14条: the card loses its effect) and the 転出証明書情報 whose
// 特例 window passed (法24条の2); it returns how many of each. The terminal's
// 特例転入 list and a daily job run it.
func (m *Municipality) ExpireCards(ctx context.Context) (cards, certificates int, err error) {
	today := jukinet.Today(m.db.Now())
	err = m.db.Update(ctx, store.Op{Operation: jukinet.OpCardStatus, Detail: "lapse overdue cards and certificates"}, func(tx *store.Tx) error {
		lapsed, err := lapseOverdueCards(tx, today)
		if err != nil {
			return err
		}
		for _, l := range lapsed {
			if err := m.reg.SetCardHolderTx(tx, l.ResidentCode, false); err != nil && jukinet.ErrorKind(err) != jukinet.KindConflict {
				return err
			}
			l.Municipality, l.Date = m.cfg.Municipality, today
			if err := Queue(tx, network.KindCardStatus, network.NationalID, "", 0, l); err != nil {
				return err
			}
		}
		cards = len(lapsed)
		certificates, err = lapseCertificates(tx, today)
		tx.SetDetail(fmt.Sprintf("lapsed %d cards, %d certificates", cards, certificates))
		return err
	})
	return cards, certificates, err
}

func newChallenge() ([]byte, error) {
	b := make([]byte, 32)
	_, err := rand.Read(b)
	return b, err
}

// cardAnswer judges the card's answer to the challenge: its PIN refusal, or
// its signature against the recorded certificate.
func cardAnswer(op string, recorded, challenge, sig []byte, signErr error, now time.Time) error {
	var wrong *card.WrongPINError
	switch {
	case errors.As(signErr, &wrong):
		return jukinet.Errorf(op, jukinet.KindUnauthorized, "pin", "wrong PIN (%d of %d tries left on the card)", wrong.Left, card.MaxPINTries)
	case errors.Is(signErr, card.ErrLocked):
		return jukinet.Errorf(op, jukinet.KindLocked, "pin", "the card's PIN is locked after %d wrong PINs: it is reset at the municipality's counter", card.MaxPINTries)
	case signErr != nil:
		return jukinet.Errorf(op, jukinet.KindUnauthorized, "card", "the card did not answer the challenge")
	}
	if err := card.Verify(recorded, challenge, sig, now); errors.Is(err, card.ErrExpired) {
		return jukinet.Errorf(op, jukinet.KindExpired, "card", "the card's certificate has expired")
	} else if err != nil {
		return jukinet.Errorf(op, jukinet.KindUnauthorized, "card", "the card's signature does not verify with the recorded certificate")
	}
	return nil
}

// lapseOverdueCards revokes the cards whose 継続利用 is overdue.
func lapseOverdueCards(tx *store.Tx, today jukinet.Date) ([]CardStatus, error) {
	const op = "municipality.card.lapse"
	rows, err := tx.Query(`SELECT serial, resident_code, continue_due FROM flow_cards WHERE card_state = 'issued' AND continued_on = '' AND continue_due <> ''`)
	if err != nil {
		return nil, internal(op, err)
	}
	var out []CardStatus
	for rows.Next() {
		var serial, code, due string
		if err := rows.Scan(&serial, &code, &due); err != nil {
			rows.Close()
			return nil, internal(op, err)
		}
		if d, err := jukinet.ParseDate("continue_due", due); err == nil && today.After(d) {
			out = append(out, CardStatus{ResidentCode: jukinet.ResidentCode(code), Serial: serial, CardState: CardRevoked, CertState: CertRevoked})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, internal(op, err)
	}
	for _, l := range out {
		if _, err := tx.Exec(`UPDATE flow_cards SET card_state = 'revoked', cert_state = 'revoked', continue_due = '', updated_at = $1 WHERE serial = $2`,
			tx.NowMicro(), l.Serial); err != nil {
			return nil, internal(op, err)
		}
	}
	return out, nil
}

// lapseCertificates marks the unused 転出証明書情報 whose 30 days passed.
func lapseCertificates(tx *store.Tx, today jukinet.Date) (int, error) {
	const op = "municipality.certificate.lapse"
	rows, err := tx.Query(`SELECT resident_code, received_at, body FROM flow_moveout_certificates WHERE used_at = 0 AND lapsed_at = 0`)
	if err != nil {
		return 0, internal(op, err)
	}
	type key struct {
		code string
		at   int64
	}
	var due []key
	for rows.Next() {
		var k key
		var body string
		var c MoveOutCertificate
		if err := rows.Scan(&k.code, &k.at, &body); err != nil {
			rows.Close()
			return 0, internal(op, err)
		}
		if json.Unmarshal([]byte(body), &c) == nil && today.After(c.PlannedMoveOut.AddDays(SpecialPlannedDays)) {
			due = append(due, k)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, internal(op, err)
	}
	for _, k := range due {
		if _, err := tx.Exec(`UPDATE flow_moveout_certificates SET lapsed_at = $1 WHERE resident_code = $2 AND received_at = $3`, tx.NowMicro(), k.code, k.at); err != nil {
			return 0, internal(op, err)
		}
	}
	return len(due), nil
}
