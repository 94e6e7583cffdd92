package node

import (
	"encoding/json"
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
)

// Ordering keys are bound to their sender. A per-person ordering key is
// "<LG code>/<resident code>" (jukinet.IdentityInfo.OrderingKey): the
// municipality that reports under it, and only it, may send it, so that a
// peer with a valid certificate cannot move another municipality's versions
// (threat (b), docs/threat-model.md). The inbox runs KeyAuthorizer before
// any ordering logic; a refusal is answered as a rejection and advances no
// version.

// KeyAuthorizer returns the check of ordering keys for node self of d
// (network.StoreInbox.AuthorizeKey):
//   - an ordered envelope is an identity.notify from a municipality of the
//     receiving prefecture whose key is "<the sender's LG code>/<a resident
//     code>": a municipality sends only its own residents' keys;
//   - an identity.relay carries the ordering key and version of the envelope
//     inside it, which comes from a municipality of the relaying prefecture
//     and itself passes the rule above: a prefecture relays only what its
//     municipalities sent, under their keys.
//
// Anything else with an ordering key is refused. Errors: KindForbidden
// naming the field; never the key itself (it holds a 住民票コード).
func KeyAuthorizer(d *network.Description, self string) func(tx *store.Tx, from string, e *network.Envelope) error {
	return func(_ *store.Tx, from string, e *network.Envelope) error {
		return authorizeKey(d, self, from, e)
	}
}

func authorizeKey(d *network.Description, self, from string, e *network.Envelope) error {
	const op = "node.AuthorizeKey"
	if e.Kind == network.KindIdentityRelay {
		inner, err := network.DecodeEnvelope(e.Body)
		if err != nil {
			return jukinet.E(op, jukinet.KindInvalid, jukinet.Field("body"), err)
		}
		if inner.OrderingKey != e.OrderingKey || inner.Version != e.Version {
			return jukinet.Errorf(op, jukinet.KindForbidden, "ordering_key",
				"the relay's ordering key and version are not those of the message it carries (from %s)", inner.From)
		}
		return ownKey(d, from, inner.From, inner)
	}
	if e.OrderingKey == "" {
		return nil
	}
	return ownKey(d, self, from, e)
}

// ownKey checks that e's ordering key, if any, is one that municipality
// sender may send to prefecture pref.
func ownKey(d *network.Description, pref, sender string, e *network.Envelope) error {
	const op = "node.AuthorizeKey"
	if e.OrderingKey == "" {
		return nil
	}
	if e.Kind != network.KindIdentityNotify {
		return jukinet.Errorf(op, jukinet.KindForbidden, "ordering_key", "%s is not ordered per person", e.Kind)
	}
	if n, ok := d.Node(sender); !ok || n.Role != network.RoleMunicipality || n.Prefecture != pref {
		return jukinet.Errorf(op, jukinet.KindForbidden, "from", "%s is not a municipality of prefecture %s", sender, pref)
	}
	m, code, ok := strings.Cut(e.OrderingKey, "/")
	if !ok || !jukinet.ValidLGCode(m) || !jukinet.ValidResidentCode(code) {
		return jukinet.Errorf(op, jukinet.KindForbidden, "ordering_key", "not of the form <LG code>/<resident code>")
	}
	if m != sender {
		return jukinet.Errorf(op, jukinet.KindForbidden, "ordering_key",
			"the key of a resident of %s, sent by %s: a municipality sends only its own residents' keys", m, sender)
	}
	return nil
}

// ---- who holds a person (住民票を備える市町村) ----

// A prefecture and the national server take a person's identity report only
// from the municipality that holds the person (法30条の6: the municipality
// whose register has the 住民票). The first municipality to report a
// resident code holds it; responsibility moves with the 転入 and its
// 転出確定 (施行令13条3項), never with whoever reports next:
//   - the holder's 転出確定 releases the person to the confirmed destination;
//   - the destination's 記載 report (its 転入) then takes the person;
//   - a 記載 report that comes before the release is held
//     (flow_identity_held) and applied, in version order, when it comes;
//   - a person the holder removed for a reason after which no 転出確定 follows
//     (国外転出, 職権消除), or, at a prefecture, released to a destination in
//     another prefecture (whose 転入 this prefecture never sees), is taken by
//     the next 記載 report;
//   - any other report from a municipality that does not hold the person is
//     refused (KindConflict), and so is a resident-code change that links a
//     previous code another municipality holds.

// holderInsert records the first municipality to report a code, written
// with the report's rows (store.Deferred). readHolder does not wait for it
// (store.Tx.PeekRow), so that a batch's rows stay one statement each: a
// second first report of the same code in the same batch also counts as
// first — harmless from the same municipality; from another one its row is
// stored but is not the holder's (ON CONFLICT DO NOTHING keeps the first),
// and reads put the holder's row first (currentFirst).
var holderInsert = store.NewDeferred(`INSERT INTO flow_identity_holders (resident_code, municipality, released_to, updated_at) VALUES `, 4,
	` ON CONFLICT (resident_code) DO NOTHING`)

// holder is a person's row of flow_identity_holders.
type holder struct {
	municipality string
	releasedTo   string // the destination of the holder's 転出確定, "" if none
}

func readHolder(tx *store.Tx, code string) (holder, bool, error) {
	var h holder
	err := tx.PeekRow(`SELECT municipality, released_to FROM flow_identity_holders WHERE resident_code = $1`, code).Scan(&h.municipality, &h.releasedTo)
	if noRows(err) {
		return h, false, nil
	}
	if err != nil {
		return h, false, internal("node.readHolder", err)
	}
	return h, true, nil
}

// storeReport stores a municipality's identity report at a prefecture or the
// national server if that municipality holds the person, holds it if its
// 転入 waits for the holder's 転出確定, and refuses it otherwise (KindConflict).
// body is info's JSON as received (nil: encode it). sees reports whether a
// municipality reports to this node (nil: all do, the national server).
func storeReport(tx *store.Tx, info jukinet.IdentityInfo, body []byte, sees func(jukinet.LGCode) bool) error {
	const op = "node.storeReport"
	code, m := string(info.ResidentCode), string(info.Municipality)
	if prev := string(info.Change.PreviousResidentCode); prev != "" {
		// A new code links the old one (flow_code_links): only the old
		// code's holder may link it.
		if h, ok, err := readHolder(tx, prev); err != nil {
			return err
		} else if ok && h.municipality != m {
			return jukinet.Errorf(op, jukinet.KindConflict, "change.previous_resident_code",
				"%s does not hold the person of the previous code (%s does)", m, h.municipality)
		}
	}
	h, ok, err := readHolder(tx, code)
	if err != nil {
		return err
	}
	switch {
	case !ok:
		tx.Defer(holderInsert, code, code, m, "", tx.NowMicro())
		return storeIdentityJSON(tx, info, body)
	case h.municipality == m:
		return storeIdentityJSON(tx, info, body)
	}
	add := info.Change.Reason.Class() == jukinet.ClassAdd
	if add {
		free, err := released(tx, h, m, code, sees)
		if err != nil {
			return err
		}
		if free {
			return transfer(tx, code, m, &info, body)
		}
	}
	waiting := add
	if !add {
		if waiting, err = hasHeld(tx, code, m); err != nil {
			return err
		}
	}
	if waiting {
		return hold(tx, info, body, h.municipality)
	}
	return jukinet.Errorf(op, jukinet.KindConflict, "municipality",
		"%s does not hold this person (%s does): another municipality's report is taken only after its 転入 and the holder's 転出確定", m, h.municipality)
}

// holderRowSQL reads the row of person $1 at municipality $2.
var holderRowSQL = byCodeAndMunicipality("f", "$1", "$2").wrap(`SELECT f.info FROM flow_identity f WHERE `, ``)

// released reports whether the holder h has let the person go to m.
func released(tx *store.Tx, h holder, m, code string, sees func(jukinet.LGCode) bool) (bool, error) {
	if h.releasedTo == m || h.releasedTo != "" && sees != nil && !sees(jukinet.LGCode(h.releasedTo)) {
		return true, nil
	}
	var raw string
	err := tx.QueryRow(holderRowSQL.of(tx.Engine()), code, h.municipality).Scan(&raw)
	if noRows(err) {
		return false, nil
	}
	if err != nil {
		return false, internal("node.released", err)
	}
	var last jukinet.IdentityInfo
	if err := json.Unmarshal([]byte(raw), &last); err != nil {
		return false, internal("node.released", err)
	}
	switch last.Change.Reason {
	case jukinet.ReasonMoveOutAbroad, jukinet.ReasonExOfficioRemove:
		return true, nil // no 転出確定 follows these removals
	}
	return false, nil
}

func hasHeld(tx *store.Tx, code, m string) (bool, error) {
	var n int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM flow_identity_held WHERE resident_code = $1 AND municipality = $2`, code, m).Scan(&n); err != nil {
		return false, internal("node.hasHeld", err)
	}
	return n > 0, nil
}

// hold keeps a report of a municipality that does not hold the person yet.
func hold(tx *store.Tx, info jukinet.IdentityInfo, body []byte, holder string) error {
	const op = "node.hold"
	if body == nil {
		var err error
		if body, err = json.Marshal(info); err != nil {
			return internal(op, err)
		}
	}
	if _, err := tx.Exec(`INSERT INTO flow_identity_held (resident_code, municipality, version, info, received_at) VALUES ($1,$2,$3,$4,$5)
 ON CONFLICT (resident_code, municipality, version) DO NOTHING`, string(info.ResidentCode), string(info.Municipality), int64(info.Version), string(body), tx.NowMicro()); err != nil {
		return internal(op, err)
	}
	tx.Note(string(info.ResidentCode), "identity "+info.Change.Reason.String()+" held until the 転出確定 of "+holder)
	return nil
}

// transfer makes m the holder of code and applies m's held reports, then
// info (if not nil).
func transfer(tx *store.Tx, code, m string, info *jukinet.IdentityInfo, body []byte) error {
	const op = "node.transfer"
	if _, err := tx.Exec(`UPDATE flow_identity_holders SET municipality = $1, released_to = '', updated_at = $2 WHERE resident_code = $3`, m, tx.NowMicro(), code); err != nil {
		return internal(op, err)
	}
	rows, err := tx.Query(`SELECT info FROM flow_identity_held WHERE resident_code = $1 AND municipality = $2 ORDER BY version`, code, m)
	if err != nil {
		return internal(op, err)
	}
	var held []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return internal(op, err)
		}
		held = append(held, s)
	}
	if err := rows.Close(); err != nil {
		return internal(op, err)
	}
	for _, s := range held {
		var h jukinet.IdentityInfo
		if err := json.Unmarshal([]byte(s), &h); err != nil {
			return internal(op, err)
		}
		if err := storeIdentityJSON(tx, h, []byte(s)); err != nil {
			return err
		}
	}
	if len(held) > 0 {
		if _, err := tx.Exec(`DELETE FROM flow_identity_held WHERE resident_code = $1 AND municipality = $2`, code, m); err != nil {
			return internal(op, err)
		}
	}
	if info != nil {
		if err := storeIdentityJSON(tx, *info, body); err != nil {
			return err
		}
	}
	tx.Note(code, "responsibility moved to "+m)
	return nil
}

// destNewerSQL counts person $1's rows at destination $3 updated no
// earlier than the one at holder $2.
var destNewerSQL = identitySQL{
	sqlite: `SELECT COUNT(*) FROM flow_identity d JOIN flow_identity h ON ` + byCodeAndMunicipality("h", "$1", "$2").sqlite +
		` WHERE ` + byCodeAndMunicipality("d", "$1", "$3").sqlite + ` AND d.updated_at >= h.updated_at`,
	postgres: `SELECT COUNT(*) FROM flow_identity d JOIN flow_identity h ON h.resident_code = d.resident_code AND h.municipality = $2
 WHERE d.resident_code = $1 AND d.municipality = $3 AND d.updated_at >= h.updated_at`,
}

// releaseOnConfirm moves responsibility for the person of the holder's
// 転出確定 c to its confirmed destination: at once if the destination has
// reported the person since the holder last did (its reports are held, or
// were stored beside the holder's first report in one batch: see
// holderInsert), else when its first 記載 report comes. A 転出確定 from a
// municipality that does not hold the person changes nothing.
func releaseOnConfirm(tx *store.Tx, c MoveOutConfirm) error {
	code, dest := string(c.ResidentCode), string(c.ConfirmedDestination.LGCode)
	h, ok, err := readHolder(tx, code)
	if err != nil || !ok || h.municipality != string(c.Municipality) {
		return err
	}
	waiting, err := hasHeld(tx, code, dest)
	if err != nil {
		return err
	}
	if !waiting {
		var n int
		if err := tx.QueryRow(destNewerSQL.of(tx.Engine()), code, h.municipality, dest).Scan(&n); err != nil {
			return internal("node.releaseOnConfirm", err)
		}
		waiting = n > 0
	}
	if waiting {
		return transfer(tx, code, dest, nil, nil)
	}
	if _, err := tx.Exec(`UPDATE flow_identity_holders SET released_to = $1, updated_at = $2 WHERE resident_code = $3`, dest, tx.NowMicro(), code); err != nil {
		return internal("node.releaseOnConfirm", err)
	}
	tx.Note(code, "move-out confirmed: released to "+dest)
	return nil
}
