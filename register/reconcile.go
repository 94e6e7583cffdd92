package register

import (
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
)

// The register's side of the CS 整合性確認 (docs/operations.md): the
// notices this CS recorded are the truth the prefecture's copy is compared
// with, and what differs is sent again through the outbox like any notice
// (法30条の6), under the person's own ordering key.

// Notice is one recorded 本人確認情報通知 of this CS: its version and the
// body as it was sent.
type Notice struct {
	ResidentCode jukinet.ResidentCode
	Version      uint64
	Body         []byte
}

// CurrentNotices calls fn with the newest recorded notice of every person
// (the current 本人確認情報 as the prefecture should hold it), in
// resident-code order. An error of fn stops the scan and is returned.
func CurrentNotices(tx *store.Tx, fn func(Notice) error) error {
	return CurrentNoticesSince(tx, time.Time{}, fn)
}

// CurrentNoticesSince is CurrentNotices for the persons whose newest
// notice was recorded at or after since (a zero since: every person): those
// a restored national server may have lost (node: identity.resync).
func CurrentNoticesSince(tx *store.Tx, since time.Time, fn func(Notice) error) error {
	const op = "register.CurrentNotices"
	var from int64
	if !since.IsZero() {
		from = since.UnixMicro()
	}
	rows, err := tx.Query(`SELECT h.resident_code, h.version, h.info FROM identity_history h
 JOIN identity_versions v ON v.resident_code = h.resident_code AND v.version = h.version WHERE h.recorded_at >= $1 ORDER BY h.resident_code`, from)
	if err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	defer rows.Close()
	for rows.Next() {
		var code, info string
		var v int64
		if err := rows.Scan(&code, &v, &info); err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		if err := fn(Notice{ResidentCode: jukinet.ResidentCode(code), Version: uint64(v), Body: []byte(info)}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	return nil
}

// ResendNotices queues again the recorded notices of code with versions
// from..to, each under its own version (a receiver that lost them applies
// them in order; one that has them keeps them as history). It returns false,
// queuing nothing, when one of them is not recorded here.
func (g *Register) ResendNotices(tx *store.Tx, code jukinet.ResidentCode, from, to uint64) (bool, error) {
	const op = "register.ResendNotices"
	rows, err := tx.Query(`SELECT version, info FROM identity_history WHERE resident_code = $1 AND version >= $2 AND version <= $3 ORDER BY version`,
		string(code), int64(from), int64(to))
	if err != nil {
		return false, jukinet.E(op, jukinet.KindInternal, err)
	}
	var found []Notice
	for rows.Next() {
		var v int64
		var info string
		if err := rows.Scan(&v, &info); err != nil {
			rows.Close()
			return false, jukinet.E(op, jukinet.KindInternal, err)
		}
		found = append(found, Notice{ResidentCode: code, Version: uint64(v), Body: []byte(info)})
	}
	if err := rows.Close(); err != nil {
		return false, jukinet.E(op, jukinet.KindInternal, err)
	}
	if uint64(len(found)) != to-from+1 {
		return false, nil
	}
	key := string(g.cfg.Municipality) + "/" + string(code)
	for _, n := range found {
		tx.Send(store.Message{Kind: network.KindIdentityNotify.String(), To: g.cfg.Prefecture, OrderingKey: key, Version: n.Version, Body: n.Body})
	}
	return true, nil
}

// Renotify records the person's current notice again under a version above
// both this CS's counter and above (the receiver's), and queues it: the
// receiver applies it as the next version, over whatever it held. The
// change information is the current notice's (nothing new happened to the
// person). Errors: KindNotFound when no notice of code is recorded.
func (g *Register) Renotify(tx *store.Tx, code jukinet.ResidentCode, above uint64) (uint64, error) {
	const op = "register.Renotify"
	var cur int64
	var raw string
	err := tx.QueryRow(`SELECT h.version, h.info FROM identity_history h JOIN identity_versions v
 ON v.resident_code = h.resident_code AND v.version = h.version WHERE h.resident_code = $1`, string(code)).Scan(&cur, &raw)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, jukinet.Errorf(op, jukinet.KindNotFound, "resident_code", "no notice of this person is recorded here")
	}
	if err != nil {
		return 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	var info jukinet.IdentityInfo
	if err := json.Unmarshal([]byte(raw), &info); err != nil {
		return 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	info.Version = max(uint64(cur), above) + 1
	body, err := json.Marshal(info)
	if err != nil {
		return 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	if _, err := tx.Exec(`UPDATE identity_versions SET version = $1 WHERE resident_code = $2`, int64(info.Version), string(code)); err != nil {
		return 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	if _, err := tx.Exec(`INSERT INTO identity_history (resident_code, version, reason, change_date, info, recorded_at) VALUES ($1,$2,$3,$4,$5,$6)`,
		string(code), int64(info.Version), int(info.Change.Reason), info.Change.Date.String(), string(body), tx.NowMicro()); err != nil {
		return 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	tx.Send(store.Message{Kind: network.KindIdentityNotify.String(), To: g.cfg.Prefecture, OrderingKey: info.OrderingKey(), Version: info.Version, Body: body})
	return info.Version, nil
}

// NotifiedCodes calls fn with every resident code this register has sent a
// notice of 本人確認情報 for, removed persons' included, in code order: the
// codes it has issued or holds, which a restored national server asks for
// (node: rescode.report).
func NotifiedCodes(tx *store.Tx, fn func(jukinet.ResidentCode) error) error {
	const op = "register.NotifiedCodes"
	rows, err := tx.Query(`SELECT resident_code FROM identity_versions ORDER BY resident_code`)
	if err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		if err := rows.Scan(&code); err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		if err := fn(jukinet.ResidentCode(code)); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	return nil
}
