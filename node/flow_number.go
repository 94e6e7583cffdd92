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

// LinkCodeRequest is the body of linkcode.request (CS → national). The
// 取得番号 is a random per-request number, neither a 個人番号 nor a resident
// code, by which the answer is matched.
type LinkCodeRequest struct {
	Municipality      jukinet.LGCode       `json:"municipality"`
	ResidentCode      jukinet.ResidentCode `json:"resident_code"`
	AcquisitionNumber string               `json:"acquisition_number"`
	Institution       string               `json:"institution"` // the information-provision institution the code is for
}

// LinkCodeResponse is the body of linkcode.response (national → CS).
type LinkCodeResponse struct {
	Municipality      jukinet.LGCode `json:"municipality"`
	AcquisitionNumber string         `json:"acquisition_number"`
	LinkCode          string         `json:"link_code"`
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
	case len(b.Institution) < 1 || len(b.Institution) > 32 || !isAlnum(b.Institution):
		return invalid(op, "institution", "1 to 32 ASCII letters or digits")
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
	case len(b.LinkCode) != 32 || !isAlnum(b.LinkCode):
		return invalid(op, "link_code", "32 letters or digits")
	}
	return nil
}

// RequestLinkCode asks the national server for the linking code of a
// current resident for an institution; it returns the 取得番号 by which
// LinkCode finds the answer.
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
	err := m.db.Update(ctx, store.Op{Operation: jukinet.OpLinkCodeRequest, Subject: string(code)}, func(tx *store.Tx) error {
		if _, err := m.reg.CurrentTx(tx, code); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO flow_link_codes (acquisition_number, resident_code, requested_at) VALUES ($1,$2,$3)`,
			b.AcquisitionNumber, string(code), tx.NowMicro()); err != nil {
			return internal(op, err)
		}
		return Queue(tx, network.KindLinkCodeRequest, network.NationalID, "", 0, b)
	})
	return b.AcquisitionNumber, err
}

// LinkCode returns the linking code received for a 取得番号 ("" while pending).
func (m *Municipality) LinkCode(ctx context.Context, acquisition string) (string, error) {
	var code string
	err := m.db.Update(ctx, store.Op{Operation: jukinet.OpLinkCodeRequest, Detail: "read linking code"}, func(tx *store.Tx) error {
		var rc string
		if err := tx.QueryRow(`SELECT resident_code, link_code FROM flow_link_codes WHERE acquisition_number = $1`, acquisition).Scan(&rc, &code); err != nil {
			return jukinet.Errorf("municipality.LinkCode", jukinet.KindNotFound, "acquisition_number", "no such request")
		}
		tx.SetSubject(rc)
		return nil
	})
	return code, err
}

func (n *National) linkCodeFor(code jukinet.ResidentCode, institution string) string {
	mac := hmac.New(sha256.New, n.linkKey)
	mac.Write([]byte(string(code) + "/" + institution))
	return strings.ToUpper(hex.EncodeToString(mac.Sum(nil)[:16]))
}

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
	tx.Note(string(b.ResidentCode), "linking code for "+b.Institution)
	return Queue(tx, network.KindLinkCodeResponse, env.From, "", 0,
		LinkCodeResponse{Municipality: b.Municipality, AcquisitionNumber: b.AcquisitionNumber, LinkCode: n.linkCodeFor(b.ResidentCode, b.Institution)})
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
	res, err := tx.Exec(`UPDATE flow_link_codes SET link_code = $1, received_at = $2 WHERE acquisition_number = $3 AND link_code = ''`,
		b.LinkCode, tx.NowMicro(), b.AcquisitionNumber)
	if err != nil {
		return internal(op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return invalid(op, "acquisition_number", "no pending request with this number")
	}
	return nil
}
