package node

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
)

// 附票本人確認情報 (法30条の41 ff.): since 2024 the 戸籍の附票 identifies persons
// living abroad, and its identity information goes to the prefecture and on
// to the national server (法30条の42), as 本人確認情報 does for residents. The
// CS queues annexid.notify to its prefecture when a resident moves abroad
// (国外転出: the person is now on the 附票 only, with the country as address)
// and when a person comes back (国外転入: no longer abroad); the prefecture
// keeps current + history and relays the CS's envelope inside identity.relay.
//
// Simplification (docs/protocol-flows.md): the law has the 本籍地's 市町村長
// notify; here the CS that records the 国外転出 or 国外転入 does, since it is
// the one that knows, and the 本籍地 already receives annex.notice.

// AnnexIdentityInfo is the body of annexid.notify.
type AnnexIdentityInfo struct {
	Municipality jukinet.LGCode       `json:"municipality"` // the notifying CS
	ResidentCode jukinet.ResidentCode `json:"resident_code"`
	Name         jukinet.Name         `json:"name"`
	BirthDate    jukinet.Date         `json:"birth_date"`
	Sex          jukinet.Sex          `json:"sex"`
	Domicile     string               `json:"domicile"` // 本籍
	// Abroad says the person lives abroad; Address is then the address
	// abroad (the country) and the 附票's address is "国外転出".
	Abroad  bool                 `json:"abroad"`
	Address jukinet.Address      `json:"address"`
	Reason  jukinet.ChangeReason `json:"reason"`
	Date    jukinet.Date         `json:"date"`
	Version uint64               `json:"version"` // the register record's version: newer wins
}

// Validate checks every field (KindInvalid naming it).
func (a AnnexIdentityInfo) Validate() error {
	const op = "node.AnnexIdentityInfo"
	switch {
	case !jukinet.ValidLGCode(string(a.Municipality)) || a.Municipality.IsPrefecture():
		return invalid(op, "municipality", "not a municipality's code")
	case !jukinet.ValidResidentCode(string(a.ResidentCode)):
		return invalid(op, "resident_code", "not a resident code")
	case a.BirthDate.IsZero() || !a.Sex.Valid():
		return invalid(op, "birth_date", "birth_date and sex are required")
	case a.Domicile == "" || len([]rune(a.Domicile)) > 200:
		return invalid(op, "domicile", "required, at most 200 characters")
	case a.Reason != jukinet.ReasonMoveOutAbroad && a.Reason != jukinet.ReasonMoveInFromAbroad:
		return invalid(op, "reason", "%s does not change the 附票本人確認情報 of a person abroad", a.Reason)
	case a.Abroad != (a.Reason == jukinet.ReasonMoveOutAbroad):
		return invalid(op, "abroad", "abroad must be true exactly for a 国外転出")
	case a.Date.IsZero():
		return invalid(op, "date", "required")
	case a.Version == 0:
		return invalid(op, "version", "required")
	}
	if err := a.Name.Validate(); err != nil {
		return jukinet.E(op, err)
	}
	if a.Abroad {
		if a.Address.Text == "" || len([]rune(a.Address.Text)) > 200 {
			return invalid(op, "address.text", "the address abroad is required, at most 200 characters")
		}
	} else if err := a.Address.Validate("address"); err != nil {
		return jukinet.E(op, err)
	}
	return nil
}

// queueAnnexIdentity runs in every register event's transaction: a 国外転出
// or 国外転入 of a person with a 本籍 queues annexid.notify.
func (m *Municipality) queueAnnexIdentity(tx *store.Tx, ev register.Event) error {
	r := &ev.Resident
	var addr jukinet.Address
	switch ev.Change.Reason {
	case jukinet.ReasonMoveOutAbroad:
		if r.Removal == nil {
			return nil
		}
		addr = r.Removal.Destination
	case jukinet.ReasonMoveInFromAbroad:
		addr = r.Address
	default:
		return nil
	}
	if r.Domicile == "" {
		return nil // a foreign resident has no 戸籍, so no 附票
	}
	a := AnnexIdentityInfo{Municipality: m.cfg.Municipality, ResidentCode: r.ResidentCode, Name: r.Name, BirthDate: r.BirthDate,
		Sex: r.Sex, Domicile: r.Domicile, Abroad: ev.Change.Reason == jukinet.ReasonMoveOutAbroad, Address: addr,
		Reason: ev.Change.Reason, Date: ev.Change.Date, Version: r.Version}
	if err := a.Validate(); err != nil {
		return err
	}
	return Queue(tx, network.KindAnnexIdentityNotify, m.cfg.Prefecture, "", 0, a)
}

// decodeAnnexIdentity decodes and checks an annexid.notify envelope.
func decodeAnnexIdentity(op string, env *network.Envelope) (AnnexIdentityInfo, error) {
	var a AnnexIdentityInfo
	if err := Decode(env, &a); err != nil {
		return a, err
	}
	if err := a.Validate(); err != nil {
		return a, jukinet.E(op, err)
	}
	if string(a.Municipality) != env.From {
		return a, invalid(op, "municipality", "%s reported by node %s", a.Municipality, env.From)
	}
	return a, nil
}

// storeAnnexIdentity keeps a in the history and, if newer, as the current
// information. Receiving the same version again changes nothing.
func storeAnnexIdentity(tx *store.Tx, a AnnexIdentityInfo) error {
	const op = "node.storeAnnexIdentity"
	body, err := json.Marshal(a)
	if err != nil {
		return internal(op, err)
	}
	m, code := string(a.Municipality), string(a.ResidentCode)
	if _, err := tx.Exec(`INSERT INTO flow_annexid_history (municipality, resident_code, version, info, received_at) VALUES ($1,$2,$3,$4,$5)
 ON CONFLICT (municipality, resident_code, version) DO NOTHING`, m, code, int64(a.Version), string(body), tx.NowMicro()); err != nil {
		return internal(op, err)
	}
	if _, err := tx.Exec(`INSERT INTO flow_annexid (municipality, resident_code, version, info, updated_at) VALUES ($1,$2,$3,$4,$5)
 ON CONFLICT (municipality, resident_code) DO UPDATE SET version = excluded.version, info = excluded.info, updated_at = excluded.updated_at
 WHERE flow_annexid.version < excluded.version`, m, code, int64(a.Version), string(body), tx.NowMicro()); err != nil {
		return internal(op, err)
	}
	tx.Note(code, "annex identity "+a.Reason.String())
	return nil
}

// prefectureAnnexIdentity handles annexid.notify at a prefecture: store,
// relay to the national server (法30条の42).
func (p *Prefecture) prefectureAnnexIdentity(tx *store.Tx, env *network.Envelope) error {
	const op = "prefecture.annexid.notify"
	a, err := decodeAnnexIdentity(op, env)
	if err != nil {
		return err
	}
	if a.Municipality.PrefectureCode() != p.id {
		return invalid(op, "municipality", "%s does not belong to prefecture %s", a.Municipality, p.id)
	}
	if err := storeAnnexIdentity(tx, a); err != nil {
		return err
	}
	return relay(tx, env)
}

// readAnnexIdentity returns the current 附票本人確認情報 of a person (the most
// recently updated, any municipality) and its history there, oldest first.
func readAnnexIdentity(tx *store.Tx, code jukinet.ResidentCode) (*AnnexIdentityInfo, []AnnexIdentityInfo, error) {
	const op = "node.readAnnexIdentity"
	var raw, m string
	err := tx.QueryRow(`SELECT info, municipality FROM flow_annexid WHERE resident_code = $1 ORDER BY updated_at DESC, version DESC LIMIT 1`, string(code)).Scan(&raw, &m)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, jukinet.Errorf(op, jukinet.KindNotFound, "resident_code", "no 附票本人確認情報 for this resident code")
	}
	if err != nil {
		return nil, nil, internal(op, err)
	}
	var cur AnnexIdentityInfo
	if err := json.Unmarshal([]byte(raw), &cur); err != nil {
		return nil, nil, internal(op, err)
	}
	rows, err := tx.Query(`SELECT info FROM flow_annexid_history WHERE municipality = $1 AND resident_code = $2 ORDER BY version`, m, string(code))
	if err != nil {
		return nil, nil, internal(op, err)
	}
	defer rows.Close()
	var hist []AnnexIdentityInfo
	for rows.Next() {
		var s string
		var h AnnexIdentityInfo
		if err := rows.Scan(&s); err != nil {
			return nil, nil, internal(op, err)
		}
		if err := json.Unmarshal([]byte(s), &h); err != nil {
			return nil, nil, internal(op, err)
		}
		hist = append(hist, h)
	}
	return &cur, hist, rows.Err()
}

// AnnexIdentity returns the 附票本人確認情報 the prefecture holds about a
// person: current and history. Logged (OpFlowsRead).
func (p *Prefecture) AnnexIdentity(ctx context.Context, code jukinet.ResidentCode, purpose string) (*AnnexIdentityInfo, []AnnexIdentityInfo, error) {
	return annexIdentity(ctx, p.db, code, purpose)
}

// AnnexIdentity returns the 附票本人確認情報 the national server holds about a
// person: current and history. Logged (OpFlowsRead).
func (n *National) AnnexIdentity(ctx context.Context, code jukinet.ResidentCode, purpose string) (*AnnexIdentityInfo, []AnnexIdentityInfo, error) {
	return annexIdentity(ctx, n.db, code, purpose)
}

func annexIdentity(ctx context.Context, db *store.DB, code jukinet.ResidentCode, purpose string) (*AnnexIdentityInfo, []AnnexIdentityInfo, error) {
	var cur *AnnexIdentityInfo
	var hist []AnnexIdentityInfo
	err := db.Update(ctx, store.Op{Operation: jukinet.OpFlowsRead, Subject: string(code), Purpose: purpose, Detail: "annex identity"}, func(tx *store.Tx) error {
		var err error
		cur, hist, err = readAnnexIdentity(tx, code)
		return err
	})
	return cur, hist, err
}
