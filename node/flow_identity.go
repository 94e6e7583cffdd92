package node

import (
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
)

// 本人確認情報通知 (法30条の6, 30条の7): the CS's register queues identity.notify
// to its prefecture on every 記載/消除/修正; the prefecture keeps the current
// information and the full history per (municipality, resident code) and
// forwards the CS's original signed envelope to the national server inside an
// identity.relay, so the national server verifies the municipality's own
// signature. The body of identity.notify is a jukinet.IdentityInfo.

// invalid returns a KindInvalid error naming the field (the message is
// rejected, not retried).
func invalid(op, field, format string, args ...any) error {
	return jukinet.Errorf(op, jukinet.KindInvalid, field, format, args...)
}

func internal(op string, err error) error { return jukinet.E(op, jukinet.KindInternal, err) }

// decodeIdentityJSON decodes and checks an identity.notify envelope: the
// body validates, comes from the municipality it names and carries the
// envelope's ordering key and version. It also returns the body when it is
// in the form storeIdentityJSON may keep as is (json.Marshal's, read by the
// scanner), else nil.
func decodeIdentityJSON(op string, env *network.Envelope) (jukinet.IdentityInfo, []byte, error) {
	var info jukinet.IdentityInfo
	canonical := env.Body
	// The body is normally json.Marshal's form, which the lookup scanner
	// reads without reflection (a quarter of a hop's handler CPU); anything
	// else goes through the strict decoder, which names the problem.
	if s := (identityScanner{b: env.Body}); !s.identity(&info) {
		info, canonical = jukinet.IdentityInfo{}, nil
		if err := Decode(env, &info); err != nil {
			return info, nil, err
		}
	}
	if err := info.Validate(); err != nil {
		return info, nil, jukinet.E(op, err)
	}
	if string(info.Municipality) != env.From {
		return info, nil, invalid(op, "municipality", "%s reported by node %s", info.Municipality, env.From)
	}
	if env.OrderingKey != info.OrderingKey() || env.Version != info.Version {
		// The keys hold a 住民票コード: not quoted.
		return info, nil, invalid(op, "version", "the envelope's ordering key or version (%d) differ from the body's (%d)", env.Version, info.Version)
	}
	return info, canonical, nil
}

// The two rows of every received identity report, written per batch
// (store.Deferred): the history keeps each version once, the current row
// only moves forward.
var (
	identityHistoryInsert = store.NewDeferred(`INSERT INTO flow_identity_history (municipality, resident_code, version, info, received_at) VALUES `, 5,
		` ON CONFLICT (municipality, resident_code, version) DO NOTHING`)
	identityCurrentUpsert = store.NewDeferred(`INSERT INTO flow_identity (municipality, resident_code, version, info, updated_at) VALUES `, 5,
		` ON CONFLICT (resident_code, municipality) DO UPDATE SET version = excluded.version, info = excluded.info, updated_at = excluded.updated_at
 WHERE flow_identity.version < excluded.version`)
	// identityCurrentUpsertKeyed is identityCurrentUpsert on SQLite, where
	// the row's key is row_key (flow_identity_key.go).
	identityCurrentUpsertKeyed = store.NewDeferred(`INSERT INTO flow_identity (row_key, municipality, resident_code, version, info, updated_at) VALUES `, 6,
		` ON CONFLICT (row_key) DO UPDATE SET version = excluded.version, info = excluded.info, updated_at = excluded.updated_at
 WHERE flow_identity.version < excluded.version`)
)

// storeIdentity keeps info in the history and, if newer, as the current
// information; a resident-code change also links the two codes. Receiving
// the same version again changes nothing.
func storeIdentity(tx *store.Tx, info jukinet.IdentityInfo) error {
	return storeIdentityJSON(tx, info, nil)
}

// storeIdentityJSON is storeIdentity with info's JSON at hand (from
// decodeIdentityJSON; nil: encode it here): a received body in
// json.Marshal's form is stored as received — the reporting node's own
// bytes, and no second encoding.
func storeIdentityJSON(tx *store.Tx, info jukinet.IdentityInfo, body []byte) error {
	const op = "node.storeIdentity"
	if body == nil {
		var err error
		if body, err = json.Marshal(info); err != nil {
			return internal(op, err)
		}
	}
	m, code := string(info.Municipality), string(info.ResidentCode)
	key := m + "/" + code
	tx.Defer(identityHistoryInsert, key+"#"+strconv.FormatUint(info.Version, 10), m, code, int64(info.Version), string(body), tx.NowMicro())
	if tx.Engine() == store.SQLite {
		k, err := identityRowKey(code, m)
		if err != nil {
			return jukinet.E(op, err)
		}
		tx.Defer(identityCurrentUpsertKeyed, key, k, m, code, int64(info.Version), string(body), tx.NowMicro())
	} else {
		tx.Defer(identityCurrentUpsert, key, m, code, int64(info.Version), string(body), tx.NowMicro())
	}
	if prev := info.Change.PreviousResidentCode; prev != "" {
		if _, err := tx.Exec(`INSERT INTO flow_code_links (previous_code, new_code, municipality, change_date) VALUES ($1,$2,$3,$4)
 ON CONFLICT (previous_code, new_code) DO NOTHING`, string(prev), code, m, info.Change.Date.String()); err != nil {
			return internal(op, err)
		}
	}
	tx.Note(code, "identity "+info.Change.Reason.String())
	return nil
}

// relay queues env, verbatim, to the national server inside an
// identity.relay (法30条の7): the outbox row's Envelope is the original signed
// envelope's wire form.
func relay(tx *store.Tx, env *network.Envelope) error {
	raw, err := network.EncodeEnvelope(env)
	if err != nil {
		return jukinet.E("node.relay", jukinet.KindInvalid, jukinet.Field("envelope"), "cannot re-encode the envelope to relay", err)
	}
	tx.Send(store.Message{Kind: network.KindIdentityRelay.String(), To: network.NationalID, OrderingKey: env.OrderingKey,
		Version: env.Version, Envelope: raw})
	return nil
}

// prefectureIdentityNotify handles identity.notify at a prefecture: store, relay.
func (p *Prefecture) prefectureIdentityNotify(tx *store.Tx, env *network.Envelope) error {
	const op = "prefecture.identity.notify"
	info, body, err := decodeIdentityJSON(op, env)
	if err != nil {
		return err
	}
	if info.Municipality.PrefectureCode() != p.id {
		return invalid(op, "municipality", "%s does not belong to prefecture %s", info.Municipality, p.id)
	}
	// A report held for a 転入 is relayed too: the national server decides
	// on its own copy of who holds the person.
	if err := storeReport(tx, info, body, p.sees); err != nil {
		return err
	}
	return relay(tx, env)
}

// sees reports whether municipality m reports to this prefecture.
func (p *Prefecture) sees(m jukinet.LGCode) bool { return m.PrefectureCode() == p.id }

// nationalIdentityRelay handles identity.relay at the national server: the
// body is the municipality's original envelope (its signature was verified by
// the transport); it is applied by its own kind.
func (n *National) nationalIdentityRelay(tx *store.Tx, env *network.Envelope) error {
	const op = "national.identity.relay"
	inner, err := network.DecodeEnvelope(env.Body)
	if err != nil {
		return jukinet.E(op, jukinet.KindInvalid, jukinet.Field("body"), err)
	}
	if !inner.Kind.Relayable() {
		return invalid(op, "body.kind", "%s is not relayed", inner.Kind)
	}
	if !jukinet.ValidLGCode(inner.From) || jukinet.LGCode(inner.From).PrefectureCode() != jukinet.LGCode(env.From) || inner.To != env.From {
		return invalid(op, "body.from", "message of %s to %s relayed by %s", inner.From, inner.To, env.From)
	}
	switch inner.Kind {
	case network.KindIdentityNotify:
		info, body, err := decodeIdentityJSON(op, inner)
		if err != nil {
			return err
		}
		return storeReport(tx, info, body, nil)
	case network.KindMoveOutConfirm:
		c, err := decodeMoveOutConfirm(op, inner)
		if err != nil {
			return err
		}
		if err := storeMoveOutConfirm(tx, c); err != nil {
			return err
		}
		return releaseOnConfirm(tx, c)
	case network.KindAnnexIdentityNotify:
		a, err := decodeAnnexIdentity(op, inner)
		if err != nil {
			return err
		}
		return storeAnnexIdentity(tx, a)
	}
	return invalid(op, "body.kind", "%s is not handled by this server yet", inner.Kind)
}

// currentFirst orders a person's flow_identity rows (alias i) with the
// holder's first (ordering.go), then the most recently updated. The
// holder's row is also the most recently updated one — a transfer writes
// the new holder's rows after every row of the former, whose later reports
// are refused — so the bulk lookup may take the newest (runtime_lookup.go);
// the order here holds even when two rows carry the same time.
const currentFirst = ` ORDER BY CASE WHEN i.municipality = (SELECT h.municipality FROM flow_identity_holders h WHERE h.resident_code = i.resident_code) THEN 0 ELSE 1 END,
 i.updated_at DESC, i.version DESC LIMIT 1`

// readIdentitySQL reads a person's current row at a municipality ($2), or
// the holder's when $2 is empty.
var readIdentitySQL = byCode("i", "$1").wrap(`SELECT i.info, i.municipality FROM flow_identity i WHERE `, ` AND ($2 = '' OR i.municipality = $2)`+currentFirst)

// readIdentity returns the current identity information of a person at a
// municipality (or, with municipality "", the one of the municipality that
// holds the person) and its history, oldest first.
func readIdentity(tx *store.Tx, municipality jukinet.LGCode, code jukinet.ResidentCode) (*jukinet.IdentityInfo, []jukinet.IdentityInfo, error) {
	const op = "node.readIdentity"
	var raw, m string
	err := tx.QueryRow(readIdentitySQL.of(tx.Engine()), string(code), string(municipality)).Scan(&raw, &m)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, jukinet.Errorf(op, jukinet.KindNotFound, "resident_code", "no identity information for this resident code")
	}
	if err != nil {
		return nil, nil, internal(op, err)
	}
	var cur jukinet.IdentityInfo
	if err := json.Unmarshal([]byte(raw), &cur); err != nil {
		return nil, nil, internal(op, err)
	}
	rows, err := tx.Query(`SELECT info FROM flow_identity_history WHERE municipality = $1 AND resident_code = $2 ORDER BY version`, m, string(code))
	if err != nil {
		return nil, nil, internal(op, err)
	}
	defer rows.Close()
	var hist []jukinet.IdentityInfo
	for rows.Next() {
		var s string
		var h jukinet.IdentityInfo
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

// linkedCodes returns the codes a resident code was changed to (法30条の6
// 住民票コードの変更: the notice links them).
func linkedCodes(tx *store.Tx, previous jukinet.ResidentCode) ([]jukinet.ResidentCode, error) {
	rows, err := tx.Query(`SELECT new_code FROM flow_code_links WHERE previous_code = $1 ORDER BY change_date`, string(previous))
	if err != nil {
		return nil, internal("node.linkedCodes", err)
	}
	defer rows.Close()
	var out []jukinet.ResidentCode
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, internal("node.linkedCodes", err)
		}
		out = append(out, jukinet.ResidentCode(c))
	}
	return out, rows.Err()
}
