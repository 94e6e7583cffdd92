package node

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
)

// ---- 個人番号 generation (番号法8条) ----
//
// The national server turns a resident code into the 11 digits of a 個人番号
// by a keyed permutation of the 10^11 space: a balanced 10-round Feistel
// network over 38 bits (19-bit halves, HMAC-SHA256 round function keyed by a
// secret kept in node_meta) with cycle-walking — applied again until the
// value falls below 10^11. A permutation is bijective, so two inputs never get
// the same number (collision-free without any table lookup); without the key
// the mapping can neither be computed nor inverted. The input is
// generation·10^10 + the first 10 digits of the resident code, the
// generation counting the person's 変更請求 (0–9), so a changed number is
// again fresh and distinct from everybody else's.

const (
	numberDomain   = 100_000_000_000 // 10^11
	feistelHalf    = 19
	feistelMask    = 1<<feistelHalf - 1
	feistelRounds  = 10
	maxGenerations = 10
)

func feistelRound(key []byte, round int, r uint64) uint64 {
	m := hmac.New(sha256.New, key)
	var b [5]byte
	b[0] = byte(round)
	binary.BigEndian.PutUint32(b[1:], uint32(r))
	m.Write(b[:])
	return uint64(binary.BigEndian.Uint32(m.Sum(nil)[:4])) & feistelMask
}

func feistel(key []byte, x uint64) uint64 {
	l, r := x>>feistelHalf, x&feistelMask
	for i := range feistelRounds {
		l, r = r, l^feistelRound(key, i, r)
	}
	return l<<feistelHalf | r
}

// permuteNumber maps [0, 10^11) onto itself, bijectively (cycle-walking).
func permuteNumber(key []byte, x uint64) uint64 {
	y := feistel(key, x)
	for y >= numberDomain {
		y = feistel(key, y)
	}
	return y
}

// individualNumberFor computes the 個人番号 of a resident code at a generation.
func individualNumberFor(key []byte, code jukinet.ResidentCode, generation int) (jukinet.IndividualNumber, error) {
	var base uint64
	for i := 0; i < 10; i++ {
		base = base*10 + uint64(code[i]-'0')
	}
	first11 := fmt.Sprintf("%011d", permuteNumber(key, uint64(generation)*10_000_000_000+base))
	cd, err := jukinet.IndividualNumberCheckDigit(first11)
	if err != nil {
		return "", err
	}
	return jukinet.IndividualNumber(first11 + string(cd)), nil
}

// MyNumberResponse is the body of mynumber.response (national → CS).
type MyNumberResponse struct {
	Municipality     jukinet.LGCode           `json:"municipality"`
	ResidentCode     jukinet.ResidentCode     `json:"resident_code"`
	IndividualNumber jukinet.IndividualNumber `json:"individual_number"`
	Reason           jukinet.ChangeReason     `json:"reason"`
	Date             jukinet.Date             `json:"date"`
}

func numberReason(r jukinet.ChangeReason) bool {
	switch r {
	case jukinet.ReasonIndividualNumberChangeRequest, jukinet.ReasonIndividualNumberExOfficioCorrection, jukinet.ReasonIndividualNumberExOfficioAdd:
		return true
	}
	return false
}

// ValidateMyNumberRequest checks a mynumber.request body (the register's type).
func ValidateMyNumberRequest(b register.MyNumberRequest) error {
	const op = "node.MyNumberRequest"
	switch {
	case !jukinet.ValidLGCode(string(b.Municipality)) || b.Municipality.IsPrefecture():
		return invalid(op, "municipality", "not a municipality's code")
	case !jukinet.ValidResidentCode(string(b.ResidentCode)):
		return invalid(op, "resident_code", "not a resident code")
	case !numberReason(b.Reason):
		return invalid(op, "reason", "not an individual-number reason")
	case b.Date.IsZero():
		return invalid(op, "date", "required")
	}
	return nil
}

// Validate checks every field (KindInvalid naming it).
func (b MyNumberResponse) Validate() error {
	const op = "node.MyNumberResponse"
	if err := ValidateMyNumberRequest(register.MyNumberRequest{Municipality: b.Municipality, ResidentCode: b.ResidentCode, Reason: b.Reason, Date: b.Date}); err != nil {
		return err
	}
	if !jukinet.ValidIndividualNumber(string(b.IndividualNumber)) {
		return invalid(op, "individual_number", "not an individual number")
	}
	return nil
}

// nationalMyNumberRequest generates the number and answers the CS. A 変更請求
// moves the person to the next generation; other reasons reuse the current.
func (n *National) nationalMyNumberRequest(tx *store.Tx, env *network.Envelope) error {
	const op = "national.mynumber.request"
	var b register.MyNumberRequest
	if err := Decode(env, &b); err != nil {
		return err
	}
	if err := ValidateMyNumberRequest(b); err != nil {
		return err
	}
	if string(b.Municipality) != env.From {
		return invalid(op, "municipality", "%s requested by %s", b.Municipality, env.From)
	}
	gen := 0
	err := tx.QueryRow(`SELECT generation FROM flow_number_generations WHERE resident_code = $1`, string(b.ResidentCode)).Scan(&gen)
	switch {
	case err == nil && b.Reason == jukinet.ReasonIndividualNumberChangeRequest:
		gen++
	case err != nil && !noRows(err):
		return internal(op, err)
	}
	if gen >= maxGenerations {
		return invalid(op, "reason", "the resident code has used all %d number generations; change the resident code first", maxGenerations)
	}
	if _, err := tx.Exec(`INSERT INTO flow_number_generations (resident_code, generation) VALUES ($1,$2)
 ON CONFLICT (resident_code) DO UPDATE SET generation = excluded.generation`, string(b.ResidentCode), gen); err != nil {
		return internal(op, err)
	}
	num, err := individualNumberFor(n.numberKey, b.ResidentCode, gen)
	if err != nil {
		return internal(op, err)
	}
	tx.Log(jukinet.OpNumberGenerate, string(b.ResidentCode), "ok", "generated for "+b.Reason.String())
	return Queue(tx, network.KindMyNumberResponse, env.From, "", 0,
		MyNumberResponse{Municipality: b.Municipality, ResidentCode: b.ResidentCode, IndividualNumber: num, Reason: b.Reason, Date: b.Date})
}

// municipalityMyNumberResponse designates the number (法7条) as the system.
func (m *Municipality) municipalityMyNumberResponse(tx *store.Tx, env *network.Envelope) error {
	const op = "municipality.mynumber.response"
	var b MyNumberResponse
	if err := Decode(env, &b); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
	}
	if env.From != network.NationalID || b.Municipality != m.cfg.Municipality {
		return invalid(op, "municipality", "response for %s from %s", b.Municipality, env.From)
	}
	if _, err := m.reg.CurrentTx(tx, b.ResidentCode); jukinet.ErrorKind(err) == jukinet.KindConflict {
		// The person moved out (or died) before the answer came: the 除票
		// keeps no new number, and the municipality that records the person
		// next asks for it again and gets the same one.
		tx.Note(string(b.ResidentCode), "number not designated: no longer a current resident here")
		return nil
	}
	if _, err := m.reg.DesignateIndividualNumberTx(tx, b.ResidentCode, b.IndividualNumber, b.Reason, b.Date); err != nil {
		if k := jukinet.ErrorKind(err); k == jukinet.KindNotFound {
			return jukinet.E(op, jukinet.KindInvalid, err)
		}
		return err
	}
	return nil
}

// ---- 情報提供用個人識別符号 (番号法21条の2) ----
//
// The institution that needs the 符号 obtains it through the national server
// (J-LIS, 番号法21条の2, 施行令20条): the municipality's CS relays only what
// the national server needs to derive it — the 取得番号 and the 住民票コード,
// and which institution it is for — and never learns the 符号. The national
// server derives it and hands it to that institution alone, over the agency
// listener, by the 取得番号 (POST /v1/linkcode); the CS keeps the 取得番号 and
// the request's status.

// LinkCodeRequest is the body of linkcode.request (CS → national). The
// 取得番号 is a random per-request number, neither a 個人番号 nor a resident
// code, by which the institution fetches its 符号.
type LinkCodeRequest struct {
	Municipality      jukinet.LGCode       `json:"municipality"`
	ResidentCode      jukinet.ResidentCode `json:"resident_code"`
	AcquisitionNumber string               `json:"acquisition_number"`
	Institution       string               `json:"institution"` // the agency ID (agency list) of the institution the 符号 is for
}

// Link-code request states, as the CS records them.
const (
	LinkCodeRequested = "requested" // sent to the national server
	LinkCodeGenerated = "generated" // the national server holds it for the institution
	LinkCodeRefused   = "refused"   // the institution is not a registered agency
)

// LinkCodeResponse is the body of linkcode.response (national → CS): the
// status of the request only, never the 符号.
type LinkCodeResponse struct {
	Municipality      jukinet.LGCode `json:"municipality"`
	AcquisitionNumber string         `json:"acquisition_number"`
	Status            string         `json:"status"` // LinkCodeGenerated or LinkCodeRefused
}

func validAcquisitionNumber(s string) bool {
	if len(s) != 32 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// Validate checks every field (KindInvalid naming it).
func (b LinkCodeRequest) Validate() error {
	const op = "node.LinkCodeRequest"
	switch {
	case !jukinet.ValidLGCode(string(b.Municipality)) || b.Municipality.IsPrefecture():
		return invalid(op, "municipality", "not a municipality's code")
	case !jukinet.ValidResidentCode(string(b.ResidentCode)):
		return invalid(op, "resident_code", "not a resident code")
	case !validAcquisitionNumber(b.AcquisitionNumber):
		return invalid(op, "acquisition_number", "32 lowercase hex digits")
	case b.Institution == "" || !isAgencyID(b.Institution):
		return invalid(op, "institution", "an agency ID: 1 to 32 of a-z 0-9 _ -")
	}
	return nil
}

// Validate checks every field (KindInvalid naming it).
func (b LinkCodeResponse) Validate() error {
	const op = "node.LinkCodeResponse"
	switch {
	case !jukinet.ValidLGCode(string(b.Municipality)):
		return invalid(op, "municipality", "not a municipality's code")
	case !validAcquisitionNumber(b.AcquisitionNumber):
		return invalid(op, "acquisition_number", "32 lowercase hex digits")
	case b.Status != LinkCodeGenerated && b.Status != LinkCodeRefused:
		return invalid(op, "status", "generated or refused")
	}
	return nil
}

// RequestLinkCode relays a request for the 符号 of a current resident for an
// institution to the national server; it returns the 取得番号, which the
// institution presents to the national server to receive the 符号.
func (m *Municipality) RequestLinkCode(ctx context.Context, code jukinet.ResidentCode, institution string) (string, error) {
	const op = "municipality.RequestLinkCode"
	acq := make([]byte, 16)
	if _, err := rand.Read(acq); err != nil {
		return "", internal(op, err)
	}
	b := LinkCodeRequest{Municipality: m.cfg.Municipality, ResidentCode: code, AcquisitionNumber: hex.EncodeToString(acq), Institution: institution}
	if err := b.Validate(); err != nil {
		return "", err
	}
	err := m.db.Update(ctx, store.Op{Operation: jukinet.OpLinkCodeRequest, Subject: string(code), Detail: "for " + institution}, func(tx *store.Tx) error {
		if _, err := m.reg.CurrentTx(tx, code); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO flow_link_codes (acquisition_number, resident_code, requested_at, status) VALUES ($1,$2,$3,$4)`,
			b.AcquisitionNumber, string(code), tx.NowMicro(), LinkCodeRequested); err != nil {
			return internal(op, err)
		}
		return Queue(tx, network.KindLinkCodeRequest, network.NationalID, "", 0, b)
	})
	if err != nil {
		return "", err
	}
	return b.AcquisitionNumber, nil
}

// LinkCodeStatus returns the status of the request with this 取得番号
// (LinkCodeRequested, LinkCodeGenerated or LinkCodeRefused).
func (m *Municipality) LinkCodeStatus(ctx context.Context, acquisition string) (string, error) {
	var status string
	err := m.db.Update(ctx, store.Op{Operation: jukinet.OpLinkCodeRequest, Detail: "read request status"}, func(tx *store.Tx) error {
		var rc string
		if err := tx.QueryRow(`SELECT resident_code, status FROM flow_link_codes WHERE acquisition_number = $1`, acquisition).Scan(&rc, &status); err != nil {
			return jukinet.Errorf("municipality.LinkCodeStatus", jukinet.KindNotFound, "acquisition_number", "no such request")
		}
		tx.SetSubject(rc)
		return nil
	})
	return status, err
}

func (n *National) linkCodeFor(code jukinet.ResidentCode, institution string) string {
	mac := hmac.New(sha256.New, n.linkKey)
	mac.Write([]byte(string(code) + "/" + institution))
	return strings.ToUpper(hex.EncodeToString(mac.Sum(nil)[:16]))
}

// nationalLinkCodeRequest records the 取得番号 for the institution (the 符号
// is derived when the institution fetches it) and tells the CS the status.
func (n *National) nationalLinkCodeRequest(tx *store.Tx, env *network.Envelope) error {
	const op = "national.linkcode.request"
	var b LinkCodeRequest
	if err := Decode(env, &b); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
	}
	if string(b.Municipality) != env.From {
		return invalid(op, "municipality", "%s requested by %s", b.Municipality, env.From)
	}
	status := LinkCodeGenerated
	if _, ok := n.agencies.Load().Agency(b.Institution); !ok {
		status = LinkCodeRefused
	} else if _, err := tx.Exec(`INSERT INTO flow_link_code_grants (acquisition_number, municipality, resident_code, institution, received_at) VALUES ($1,$2,$3,$4,$5)`,
		b.AcquisitionNumber, string(b.Municipality), string(b.ResidentCode), b.Institution, tx.NowMicro()); err != nil {
		return jukinet.Errorf(op, jukinet.KindConflict, "acquisition_number", "this 取得番号 was used before")
	}
	tx.Note(string(b.ResidentCode), "linking code for "+b.Institution+": "+status)
	return Queue(tx, network.KindLinkCodeResponse, env.From, "", 0,
		LinkCodeResponse{Municipality: b.Municipality, AcquisitionNumber: b.AcquisitionNumber, Status: status})
}

func (m *Municipality) municipalityLinkCodeResponse(tx *store.Tx, env *network.Envelope) error {
	const op = "municipality.linkcode.response"
	var b LinkCodeResponse
	if err := Decode(env, &b); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
	}
	if env.From != network.NationalID || b.Municipality != m.cfg.Municipality {
		return invalid(op, "municipality", "response for %s from %s", b.Municipality, env.From)
	}
	res, err := tx.Exec(`UPDATE flow_link_codes SET status = $1, received_at = $2 WHERE acquisition_number = $3 AND status = $4`,
		b.Status, tx.NowMicro(), b.AcquisitionNumber, LinkCodeRequested)
	if err != nil {
		return internal(op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return invalid(op, "acquisition_number", "no pending request with this number")
	}
	return nil
}

// DeliverLinkCode hands the 符号 requested under a 取得番号 to the
// institution it was requested for (番号法21条の2), as the agency listener's
// POST /v1/linkcode does; the actor is the agency. Another agency, or an
// unknown number, gets KindNotFound (nothing tells it the number exists).
// Logged, with the person as subject.
func (n *National) DeliverLinkCode(ctx context.Context, agency, acquisition string) (string, error) {
	const op = "national.DeliverLinkCode"
	if !validAcquisitionNumber(acquisition) {
		return "", invalid(op, "acquisition_number", "32 lowercase hex digits")
	}
	var out string
	err := n.db.Update(ctx, store.Op{Operation: jukinet.OpNationalProvide, Detail: "linking code to " + agency}, func(tx *store.Tx) error {
		var code, inst string
		err := tx.QueryRow(`SELECT resident_code, institution FROM flow_link_code_grants WHERE acquisition_number = $1`, acquisition).Scan(&code, &inst)
		if noRows(err) || (err == nil && inst != agency) {
			return jukinet.Errorf(op, jukinet.KindNotFound, "acquisition_number", "no 符号 for this agency under this 取得番号")
		}
		if err != nil {
			return internal(op, err)
		}
		if _, err := tx.Exec(`UPDATE flow_link_code_grants SET delivered_at = $1 WHERE acquisition_number = $2 AND delivered_at = 0`, tx.NowMicro(), acquisition); err != nil {
			return internal(op, err)
		}
		tx.SetSubject(code)
		out = n.linkCodeFor(jukinet.ResidentCode(code), inst)
		return nil
	})
	return out, err
}
