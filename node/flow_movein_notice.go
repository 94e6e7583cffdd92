package node

// 転入通知 (法9条1項) and its answer, 転出確定通知 (施行令13条3項): the new
// CS tells the previous CS of a 国内転入, which records it on the 除票 and
// reports the confirmed move-out to its prefecture (relayed to national).

import (
	"encoding/json"

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
