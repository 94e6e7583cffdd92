package node

import (
	"context"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
)

// Card states (個人番号カード) and JPKI certificate states (公的個人認証).
const (
	CardIssued    = "issued"
	CardSuspended = "suspended" // 一時停止 (e.g. reported lost)
	CardRevoked   = "revoked"   // 廃止 / 返納

	CertValid     = "valid"
	CertSuspended = "suspended"
	CertRevoked   = "revoked"
)

func validCardState(s string) bool { return s == CardIssued || s == CardSuspended || s == CardRevoked }
func validCertState(s string) bool { return s == CertValid || s == CertSuspended || s == CertRevoked }

// CardStatus is the body of card.status, both ways between a CS and the
// national server: the state of a person's card and of its certificates.
type CardStatus struct {
	Municipality jukinet.LGCode       `json:"municipality"`
	ResidentCode jukinet.ResidentCode `json:"resident_code"`
	Serial       string               `json:"serial"`
	CardState    string               `json:"card_state"`
	CertState    string               `json:"cert_state"`
	Date         jukinet.Date         `json:"date"`
}

// Validate checks every field (KindInvalid naming it).
func (b CardStatus) Validate() error {
	const op = "node.CardStatus"
	switch {
	case !jukinet.ValidLGCode(string(b.Municipality)) || b.Municipality.IsPrefecture():
		return invalid(op, "municipality", "not a municipality's code")
	case !jukinet.ValidResidentCode(string(b.ResidentCode)):
		return invalid(op, "resident_code", "not a resident code")
	case len(b.Serial) < 4 || len(b.Serial) > 32 || !isAlnum(b.Serial):
		return invalid(op, "serial", "4 to 32 ASCII letters or digits")
	case !validCardState(b.CardState):
		return invalid(op, "card_state", "one of issued, suspended, revoked")
	case !validCertState(b.CertState):
		return invalid(op, "cert_state", "one of valid, suspended, revoked")
	case b.Date.IsZero():
		return invalid(op, "date", "required")
	case b.CardState != CardIssued && b.CertState == CertValid:
		return invalid(op, "cert_state", "a certificate cannot be valid on a card that is %s", b.CardState)
	}
	return nil
}

// SetCardStatus records a change of a card's or its certificates' status
// at the CS (e.g. a card reported lost) and reports it to the national server.
func (m *Municipality) SetCardStatus(ctx context.Context, code jukinet.ResidentCode, serial, cardState, certState string) error {
	st := CardStatus{Municipality: m.cfg.Municipality, ResidentCode: code, Serial: serial, CardState: cardState, CertState: certState,
		Date: jukinet.Today(m.db.Now())}
	if err := st.Validate(); err != nil {
		return err
	}
	return m.db.Update(ctx, store.Op{Operation: jukinet.OpCardStatus, Subject: string(code)}, func(tx *store.Tx) error {
		if err := m.applyCardStatus(tx, st); err != nil {
			return err
		}
		return Queue(tx, network.KindCardStatus, network.NationalID, "", 0, st)
	})
}

func (m *Municipality) applyCardStatus(tx *store.Tx, st CardStatus) error {
	const op = "municipality.card.status"
	res, err := tx.Exec(`UPDATE flow_cards SET card_state = $1, cert_state = $2, updated_at = $3 WHERE serial = $4 AND resident_code = $5`,
		st.CardState, st.CertState, tx.NowMicro(), st.Serial, string(st.ResidentCode))
	if err != nil {
		return internal(op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return jukinet.Errorf(op, jukinet.KindNotFound, "serial", "no card %s of this resident here", st.Serial)
	}
	if err := m.reg.SetCardHolderTx(tx, st.ResidentCode, st.CardState == CardIssued); err != nil && jukinet.ErrorKind(err) != jukinet.KindConflict {
		return err // a removed resident (除票) keeps its record; the card table still changes
	}
	return nil
}

// municipalityCardStatus applies a status change decided at the national
// server (e.g. a certificate revoked by J-LIS).
func (m *Municipality) municipalityCardStatus(tx *store.Tx, env *network.Envelope) error {
	const op = "municipality.card.status"
	var st CardStatus
	if err := Decode(env, &st); err != nil {
		return err
	}
	if err := st.Validate(); err != nil {
		return err
	}
	if env.From != network.NationalID || st.Municipality != m.cfg.Municipality {
		return invalid(op, "municipality", "status for %s sent by %s", st.Municipality, env.From)
	}
	if err := m.applyCardStatus(tx, st); err != nil {
		if jukinet.ErrorKind(err) == jukinet.KindNotFound {
			return jukinet.E(op, jukinet.KindInvalid, err)
		}
		return err
	}
	tx.Note(string(st.ResidentCode), "card "+st.CardState+", certificate "+st.CertState)
	return nil
}

// nationalCardStatus keeps the latest status per person.
func (n *National) nationalCardStatus(tx *store.Tx, env *network.Envelope) error {
	const op = "national.card.status"
	var st CardStatus
	if err := Decode(env, &st); err != nil {
		return err
	}
	if err := st.Validate(); err != nil {
		return err
	}
	if string(st.Municipality) != env.From {
		return invalid(op, "municipality", "%s reported by %s", st.Municipality, env.From)
	}
	if err := storeCardStatus(tx, st); err != nil {
		return err
	}
	tx.Note(string(st.ResidentCode), "card "+st.CardState+", certificate "+st.CertState)
	return nil
}

func storeCardStatus(tx *store.Tx, st CardStatus) error {
	_, err := tx.Exec(`INSERT INTO flow_card_status (resident_code, municipality, serial, card_state, cert_state, updated_at) VALUES ($1,$2,$3,$4,$5,$6)
 ON CONFLICT (resident_code) DO UPDATE SET municipality = excluded.municipality, serial = excluded.serial, card_state = excluded.card_state,
 cert_state = excluded.cert_state, updated_at = excluded.updated_at`,
		string(st.ResidentCode), string(st.Municipality), st.Serial, st.CardState, st.CertState, tx.NowMicro())
	if err != nil {
		return internal("node.storeCardStatus", err)
	}
	return nil
}

// CardStatus returns the national server's record of a person's card.
func (n *National) CardStatus(ctx context.Context, code jukinet.ResidentCode) (*CardStatus, error) {
	var out *CardStatus
	err := n.db.Update(ctx, store.Op{Operation: jukinet.OpFlowsRead, Subject: string(code), Purpose: "card status"}, func(tx *store.Tx) error {
		var st CardStatus
		var m string
		if err := tx.QueryRow(`SELECT municipality, serial, card_state, cert_state FROM flow_card_status WHERE resident_code = $1`, string(code)).
			Scan(&m, &st.Serial, &st.CardState, &st.CertState); err != nil {
			return jukinet.Errorf("national.CardStatus", jukinet.KindNotFound, "resident_code", "no card status for this resident code")
		}
		st.Municipality, st.ResidentCode = jukinet.LGCode(m), code
		out = &st
		return nil
	})
	return out, err
}

// SetCardStatus records a status change decided at the national server (e.g.
// a certificate revoked) and sends it to the person's municipality.
func (n *National) SetCardStatus(ctx context.Context, st CardStatus) error {
	if st.Date.IsZero() {
		st.Date = jukinet.Today(n.db.Now())
	}
	if err := st.Validate(); err != nil {
		return err
	}
	return n.db.Update(ctx, store.Op{Operation: jukinet.OpCardStatus, Subject: string(st.ResidentCode)}, func(tx *store.Tx) error {
		if err := storeCardStatus(tx, st); err != nil {
			return err
		}
		return Queue(tx, network.KindCardStatus, string(st.Municipality), "", 0, st)
	})
}
