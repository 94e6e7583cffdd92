package node

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"
	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
)

// 戸籍の附票記載事項通知 (法19条1項): after a change of the items the 戸籍の附票
// records — 氏名, 住所, 住所を定めた年月日, 生年月日, 性別, 住民票コード — and
// after a 国外転出, the residence CS notifies the CS of the 本籍地, which keeps
// the 附票 per 本籍 with its history. When the 本籍 is in the residence
// municipality itself, the entry is written there directly.

// AnnexNotice is the body of annex.notice.
type AnnexNotice struct {
	Municipality         jukinet.LGCode       `json:"municipality"` // the residence
	Domicile             string               `json:"domicile"`     // 本籍
	DomicileHead         string               `json:"domicile_head,omitempty"`
	ResidentCode         jukinet.ResidentCode `json:"resident_code"`
	PreviousResidentCode jukinet.ResidentCode `json:"previous_resident_code,omitempty"`
	Name                 jukinet.Name         `json:"name"`
	BirthDate            jukinet.Date         `json:"birth_date"`
	Sex                  jukinet.Sex          `json:"sex"`
	Address              jukinet.Address      `json:"address"`
	AddressSince         jukinet.Date         `json:"address_since"`
	Reason               jukinet.ChangeReason `json:"reason"`
	Date                 jukinet.Date         `json:"date"`
	// Removed says the person leaves this 附票 (消除): they died, or their
	// 本籍 is now elsewhere.
	Removed bool `json:"removed,omitempty"`
}

// Validate checks every field (KindInvalid naming it).
func (b AnnexNotice) Validate() error {
	const op = "node.AnnexNotice"
	switch {
	case !jukinet.ValidLGCode(string(b.Municipality)) || b.Municipality.IsPrefecture():
		return invalid(op, "municipality", "not a municipality's code")
	case b.Domicile == "" || len([]rune(b.Domicile)) > 200:
		return invalid(op, "domicile", "required, at most 200 characters")
	case !jukinet.ValidResidentCode(string(b.ResidentCode)):
		return invalid(op, "resident_code", "not a resident code")
	case b.PreviousResidentCode != "" && (!jukinet.ValidResidentCode(string(b.PreviousResidentCode)) || b.PreviousResidentCode == b.ResidentCode):
		return invalid(op, "previous_resident_code", "not a resident code, or the same as the current")
	case b.BirthDate.IsZero() || !b.Sex.Valid():
		return invalid(op, "birth_date", "birth_date and sex are required")
	case !b.Reason.Valid():
		return invalid(op, "reason", "unknown reason")
	case b.Date.IsZero() || b.AddressSince.IsZero():
		return invalid(op, "date", "date and address_since are required")
	}
	if err := b.Name.Validate(); err != nil {
		return jukinet.E(op, err)
	}
	if err := b.Address.Validate("address"); err != nil {
		return jukinet.E(op, err)
	}
	return nil
}

// annexChanged reports whether an event changed an item of the 附票.
func annexChanged(ev register.Event) bool {
	r := &ev.Resident
	if r.Domicile == "" {
		return false
	}
	if r.Status != register.StatusCurrent {
		// A 国外転出 is recorded on the 附票 (法17条の2 as amended for
		// persons abroad); any other removal is followed by the move-in
		// elsewhere, or by the 戸籍 itself on death.
		return r.Removal != nil && r.Removal.Reason == jukinet.ReasonMoveOutAbroad
	}
	p := ev.Previous
	if p == nil {
		return true // a new record: birth, move-in, 職権記載
	}
	return p.Name.Kanji != r.Name.Kanji || p.Name.Kana != r.Name.Kana || p.Address != r.Address || p.AddressSince != r.AddressSince ||
		p.BirthDate != r.BirthDate || p.Sex != r.Sex || p.ResidentCode != r.ResidentCode || p.Domicile != r.Domicile
}

// queueAnnexNotice runs in every register event's transaction: a change of
// the 附票's items goes to the 本籍地 (法19条1項); a death, or a 本籍 moved
// elsewhere, removes the person from the 附票 they were on.
func (m *Municipality) queueAnnexNotice(tx *store.Tx, ev register.Event) error {
	r := &ev.Resident
	if p := ev.Previous; p != nil && p.Domicile != "" && p.Domicile != r.Domicile {
		if err := m.sendAnnex(tx, ev, p.Domicile, p.DomicileHead, true); err != nil {
			return err
		}
	}
	switch {
	case r.Domicile == "":
		return nil
	case r.Status != register.StatusCurrent && r.Removal != nil && r.Removal.Reason == jukinet.ReasonDeath:
		return m.sendAnnex(tx, ev, r.Domicile, r.DomicileHead, true)
	case annexChanged(ev):
		return m.sendAnnex(tx, ev, r.Domicile, r.DomicileHead, false)
	}
	return nil
}

// sendAnnex sends the 附票 entry of ev for the 附票 of domicile to its
// 本籍地, or writes it here when the 本籍 is here.
func (m *Municipality) sendAnnex(tx *store.Tx, ev register.Event, domicile, head string, removed bool) error {
	r := &ev.Resident
	to := m.DomicileMunicipality(domicile)
	if to == "" {
		return nil // a 本籍 unknown to the place-name table
	}
	b := AnnexNotice{Municipality: m.cfg.Municipality, Domicile: domicile, DomicileHead: head, ResidentCode: r.ResidentCode,
		PreviousResidentCode: ev.Change.PreviousResidentCode, Name: r.Name, BirthDate: r.BirthDate, Sex: r.Sex, Address: r.Address,
		AddressSince: r.AddressSince, Reason: ev.Change.Reason, Date: ev.Change.Date, Removed: removed}
	if err := b.Validate(); err != nil {
		return err
	}
	if to == m.cfg.Municipality {
		// The 本籍 is here: this municipality keeps the person's 附票 too
		// (法16条), written in the event's own transaction.
		id, err := uuid.NewV7()
		if err != nil {
			return internal("municipality.annex", err)
		}
		return m.storeAnnexEntry(tx, id.String(), b, string(m.cfg.Municipality))
	}
	return Queue(tx, network.KindAnnexNotice, string(to), "", 0, b)
}

// storeAnnexEntry keeps an entry of the 附票 of b.Domicile and notifies the
// 附票本人確認情報 it changes (法30条の41).
func (m *Municipality) storeAnnexEntry(tx *store.Tx, id string, b AnnexNotice, from string) error {
	body, _ := json.Marshal(b)
	res, err := tx.Exec(`INSERT INTO flow_annex_entries (message_id, domicile, resident_code, from_lg, body, received_at) VALUES ($1,$2,$3,$4,$5,$6)
 ON CONFLICT (message_id) DO NOTHING`, id, b.Domicile, string(b.ResidentCode), from, string(body), tx.NowMicro())
	if err != nil {
		return internal("municipality.annex", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // the same entry again
	}
	return m.notifyAnnexIdentity(tx, b)
}

// municipalityAnnexNotice keeps the entry on the 附票 of the 本籍.
func (m *Municipality) municipalityAnnexNotice(tx *store.Tx, env *network.Envelope) error {
	const op = "municipality.annex.notice"
	var b AnnexNotice
	if err := Decode(env, &b); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
	}
	if string(b.Municipality) != env.From {
		return invalid(op, "municipality", "%s, but sent by %s", b.Municipality, env.From)
	}
	if m.DomicileMunicipality(b.Domicile) != m.cfg.Municipality {
		return invalid(op, "domicile", "the 本籍 is not in this municipality")
	}
	if err := m.storeAnnexEntry(tx, env.ID.String(), b, env.From); err != nil {
		return err
	}
	tx.Note(string(b.ResidentCode), "annex entry from "+env.From)
	return nil
}

// Annex returns the entries of the 戸籍の附票 of a 本籍, oldest first. Logged.
func (m *Municipality) Annex(ctx context.Context, domicile, purpose string) ([]AnnexNotice, error) {
	var out []AnnexNotice
	err := m.db.Update(ctx, store.Op{Operation: jukinet.OpFlowsRead, Purpose: purpose, Detail: "annex"}, func(tx *store.Tx) error {
		rows, err := tx.Query(`SELECT body FROM flow_annex_entries WHERE domicile = $1 ORDER BY received_at, message_id`, domicile)
		if err != nil {
			return internal("municipality.Annex", err)
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			var a AnnexNotice
			if err := rows.Scan(&s); err != nil {
				return internal("municipality.Annex", err)
			}
			if err := json.Unmarshal([]byte(s), &a); err != nil {
				return internal("municipality.Annex", err)
			}
			out = append(out, a)
		}
		if err := rows.Err(); err != nil {
			return internal("municipality.Annex", err)
		}
		for _, a := range out {
			tx.Shown(string(a.ResidentCode), "annex_entry", false) // G11.2: each person the 附票 shows
		}
		return nil
	})
	return out, err
}
