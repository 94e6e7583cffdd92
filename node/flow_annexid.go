package node

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
)

// 附票本人確認情報 (法30条の41 ff.): the 附票連携システム gives the 戸籍の附票
// its own prefecture and national servers (here the prefecture and national
// nodes, in tables apart from the 住民票's 本人確認情報). The CS of the
// 本籍地 — the municipality that keeps the 附票 (法16条) — notifies its
// prefecture on every 附票 記載, 消除 and 修正 of the items the article lists
// (法30条の41 1項); the prefecture keeps current + history and relays the
// CS's envelope inside identity.relay to the national server (法30条の42).

// AnnexIdentityInfo is the body of annexid.notify: exactly the items of
// 法30条の41 1項 — 法17条2号 氏名, 3号 住所 (for a 国外転出者 only that the
// person is one), 5号 出生の年月日, 6号 男女の別, 7号 住民票コード — and the
// 記載等 itself (its class, 事由 and date: the 政令 items). The 戸籍の表示
// (1号) and 住所を定めた年月日 (4号) are not among them and do not travel.
type AnnexIdentityInfo struct {
	Municipality         jukinet.LGCode       `json:"municipality"` // the 本籍地 that keeps the 附票
	ResidentCode         jukinet.ResidentCode `json:"resident_code"`
	PreviousResidentCode jukinet.ResidentCode `json:"previous_resident_code,omitempty"` // a 住民票コード change
	Name                 jukinet.Name         `json:"name"`
	BirthDate            jukinet.Date         `json:"birth_date"`
	Sex                  jukinet.Sex          `json:"sex"`
	// Abroad says the person is a 国外転出者; there is then no Address.
	Abroad  bool                 `json:"abroad"`
	Address *jukinet.Address     `json:"address,omitempty"`
	Class   jukinet.ChangeClass  `json:"class"`  // 記載, 消除 or 修正 of the 附票
	Reason  jukinet.ChangeReason `json:"reason"` // the 異動事由 that caused it
	Date    jukinet.Date         `json:"date"`
	Version uint64               `json:"version"` // the 本籍地's counter for the person: newer wins
}

// Validate checks every field (KindInvalid naming it).
func (a AnnexIdentityInfo) Validate() error {
	const op = "node.AnnexIdentityInfo"
	switch {
	case !jukinet.ValidLGCode(string(a.Municipality)) || a.Municipality.IsPrefecture():
		return invalid(op, "municipality", "not a municipality's code")
	case !jukinet.ValidResidentCode(string(a.ResidentCode)):
		return invalid(op, "resident_code", "not a resident code")
	case a.PreviousResidentCode != "" && (!jukinet.ValidResidentCode(string(a.PreviousResidentCode)) || a.PreviousResidentCode == a.ResidentCode):
		return invalid(op, "previous_resident_code", "not a resident code, or the same as the current")
	case a.BirthDate.IsZero() || !a.Sex.Valid():
		return invalid(op, "birth_date", "birth_date and sex are required")
	case a.Class != jukinet.ClassAdd && a.Class != jukinet.ClassRemove && a.Class != jukinet.ClassChange:
		return invalid(op, "class", "must be 記載 (1), 消除 (2) or 修正 (3)")
	case !a.Reason.Valid():
		return invalid(op, "reason", "unknown reason")
	case a.Abroad != (a.Address == nil):
		return invalid(op, "address", "a 国外転出者 has no address (only that they are one); anyone else has one")
	case a.Date.IsZero():
		return invalid(op, "date", "required")
	case a.Version == 0:
		return invalid(op, "version", "required")
	}
	if err := a.Name.Validate(); err != nil {
		return jukinet.E(op, err)
	}
	if a.Address != nil {
		if err := a.Address.Validate("address"); err != nil {
			return jukinet.E(op, err)
		}
	}
	return nil
}

// sameItems reports whether a and b carry the same 法30条の41 items.
func (a AnnexIdentityInfo) sameItems(b AnnexIdentityInfo) bool {
	sameAddr := (a.Address == nil) == (b.Address == nil) && (a.Address == nil || *a.Address == *b.Address)
	return a.ResidentCode == b.ResidentCode && a.Name == b.Name && a.BirthDate == b.BirthDate && a.Sex == b.Sex &&
		a.Abroad == b.Abroad && sameAddr
}

// notifyAnnexIdentity runs at the 本籍地 in the transaction that writes an
// entry of its 附票 (from annex.notice, or its own resident's event): it
// queues annexid.notify to its prefecture for a 記載 (the person's first
// entry), a 消除 (b.Removed) or a 修正 that changes an item of 法30条の41;
// a 修正 of anything else (住所を定めた年月日, the 本籍's 筆頭者) sends nothing.
func (m *Municipality) notifyAnnexIdentity(tx *store.Tx, b AnnexNotice) error {
	const op = "municipality.annexid"
	a := AnnexIdentityInfo{Municipality: m.cfg.Municipality, ResidentCode: b.ResidentCode, PreviousResidentCode: b.PreviousResidentCode,
		Name: b.Name, BirthDate: b.BirthDate, Sex: b.Sex, Reason: b.Reason, Date: b.Date}
	if b.Reason == jukinet.ReasonMoveOutAbroad {
		a.Abroad = true
	} else {
		addr := b.Address
		a.Address = &addr
	}
	prev, version, err := lastAnnexIdentity(tx, b.ResidentCode, b.PreviousResidentCode)
	if err != nil {
		return err
	}
	switch {
	case b.Removed:
		a.Class = jukinet.ClassRemove
	case prev == nil || prev.Class == jukinet.ClassRemove:
		a.Class = jukinet.ClassAdd
	case prev.sameItems(a):
		return nil // 法30条の41: only a 修正 of the listed items is notified
	default:
		a.Class = jukinet.ClassChange
	}
	a.Version = version + 1
	if err := a.Validate(); err != nil {
		return err
	}
	body, err := json.Marshal(a)
	if err != nil {
		return internal(op, err)
	}
	if _, err := tx.Exec(`INSERT INTO flow_annexid_sent (resident_code, version, info) VALUES ($1,$2,$3)
 ON CONFLICT (resident_code) DO UPDATE SET version = excluded.version, info = excluded.info`, string(a.ResidentCode), int64(a.Version), string(body)); err != nil {
		return internal(op, err)
	}
	return Queue(tx, network.KindAnnexIdentityNotify, m.cfg.Prefecture, "", 0, a)
}

// lastAnnexIdentity returns the last 附票本人確認情報 this 本籍地 notified for
// the person (under the previous code after a code change) and its version.
func lastAnnexIdentity(tx *store.Tx, codes ...jukinet.ResidentCode) (*AnnexIdentityInfo, uint64, error) {
	for _, c := range codes {
		if c == "" {
			continue
		}
		var raw string
		var v int64
		err := tx.QueryRow(`SELECT info, version FROM flow_annexid_sent WHERE resident_code = $1`, string(c)).Scan(&raw, &v)
		if noRows(err) {
			continue
		}
		if err != nil {
			return nil, 0, internal("municipality.annexid", err)
		}
		var a AnnexIdentityInfo
		if err := json.Unmarshal([]byte(raw), &a); err != nil {
			return nil, 0, internal("municipality.annexid", err)
		}
		return &a, uint64(v), nil
	}
	return nil, 0, nil
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
