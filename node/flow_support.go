package node

import (
	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
)

// 支援措置 travel with the person: when the new municipality's 転入通知
// reaches the previous CS, a measure still held there is sent on to the new
// CS, which holds it from then on (the previous CS keeps its own for the
// 除票). Without it the new municipality would issue the copy the measure
// was meant to stop.

// SupportMeasureNotice is the body of support.measure (previous CS → new CS).
type SupportMeasureNotice struct {
	Municipality jukinet.LGCode       `json:"municipality"` // the previous CS
	ResidentCode jukinet.ResidentCode `json:"resident_code"`
	Kind         register.SupportKind `json:"kind"`
	Requester    string               `json:"requester"`
	Start        jukinet.Date         `json:"start"`
	End          jukinet.Date         `json:"end"`
}

// Validate checks every field (KindInvalid naming it).
func (b SupportMeasureNotice) Validate() error {
	const op = "node.SupportMeasureNotice"
	if !jukinet.ValidLGCode(string(b.Municipality)) || b.Municipality.IsPrefecture() {
		return invalid(op, "municipality", "not a municipality's code")
	}
	in := register.SupportMeasureInput{ResidentCode: b.ResidentCode, Kind: b.Kind, Requester: b.Requester, Start: b.Start, End: b.End}
	return in.Validate(op)
}

// forwardSupportMeasure queues the person's measure to the new CS when one
// holds here and has not ended.
func (m *Municipality) forwardSupportMeasure(tx *store.Tx, code jukinet.ResidentCode, to string) error {
	sm, err := m.reg.SupportMeasureTx(tx, code)
	if err != nil || sm == nil || sm.End.Before(jukinet.Today(m.db.Now())) {
		return err
	}
	tx.Note(string(code), "support measure sent on to "+to)
	return Queue(tx, network.KindSupportMeasure, to, "", 0, SupportMeasureNotice{Municipality: m.cfg.Municipality, ResidentCode: code,
		Kind: sm.Kind, Requester: sm.Requester, Start: sm.Start, End: sm.End})
}

// municipalitySupportMeasure records a measure that came with a 転入.
func (m *Municipality) municipalitySupportMeasure(tx *store.Tx, env *network.Envelope) error {
	const op = "municipality.support.measure"
	var b SupportMeasureNotice
	if err := Decode(env, &b); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
	}
	if string(b.Municipality) != env.From {
		return invalid(op, "municipality", "%s, but sent by %s", b.Municipality, env.From)
	}
	if _, err := m.reg.CurrentTx(tx, b.ResidentCode); err != nil {
		return invalid(op, "resident_code", "not a current resident here")
	}
	return m.reg.ReceiveSupportMeasureTx(tx, register.SupportMeasure{ResidentCode: b.ResidentCode, Kind: b.Kind, Requester: b.Requester,
		Start: b.Start, End: b.End}, b.Municipality)
}
