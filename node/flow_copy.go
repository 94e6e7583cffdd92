package node

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
)

// 住民票の写しの広域交付 (法12条の4): a resident asks any municipality (the
// issuing CS) for a copy of their 住民票; it asks the residence CS directly
// (never through the prefecture or national servers), which answers with
// only the items the law allows. The issuing CS keeps a record of the
// issuance — who, when, for whom (as a keyed token), which items — but not
// the data, which it holds only until the copy is taken for printing
// (AwaitCopy) or CopyHoldLimit passes.

// CopyHoldLimit bounds how long an answered copy's data stays at the issuing
// CS when nobody takes it: it is erased at the next RequestCopy or AwaitCopy
// after the limit.
const CopyHoldLimit = 30 * time.Minute

// CopyItems are the optional items of a copy (法12条の4 with 12条5項): the
// householder's name and the relationship, and — only when the person asks —
// the 個人番号 and the 住民票コード; AllMembers asks for the whole household
// (世帯全員の写し). The 法7条 items every copy shows are not optional: 氏名,
// 生年月日, 性別, 住所, 住民となった年月日, 住所を定めた年月日 and, for a person
// who moved in, the 届出年月日 and 従前の住所 (法7条8号). 本籍 and 筆頭者 are
// never on a wide-area copy, nor anything 法7条 does not list.
type CopyItems struct {
	Household        bool `json:"household,omitempty"`
	AllMembers       bool `json:"all_members,omitempty"`
	IndividualNumber bool `json:"individual_number,omitempty"`
	ResidentCode     bool `json:"resident_code,omitempty"`
}

func (c CopyItems) String() string {
	items := []string{"name", "birth_date", "sex", "address", "resident_since", "address_since", "report_date", "previous_address"}
	for _, x := range []struct {
		on   bool
		name string
	}{{c.Household, "household"}, {c.AllMembers, "all_members"}, {c.IndividualNumber, "individual_number"}, {c.ResidentCode, "resident_code"}} {
		if x.on {
			items = append(items, x.name)
		}
	}
	return strings.Join(items, ",")
}

// CopyRequest is the body of copy.request (issuing CS → residence CS). The
// person is named by the registered name (kanji) and birth date.
type CopyRequest struct {
	RequestID string         `json:"request_id"`
	IssuingLG jukinet.LGCode `json:"issuing_lg"`
	Name      jukinet.Name   `json:"name"`
	BirthDate jukinet.Date   `json:"birth_date"`
	Items     CopyItems      `json:"items"`
}

// Validate checks every field (KindInvalid naming it).
func (b CopyRequest) Validate() error {
	const op = "node.CopyRequest"
	if u, err := uuid.Parse(b.RequestID); err != nil || u.String() != b.RequestID {
		return invalid(op, "request_id", "a UUID")
	}
	if !jukinet.ValidLGCode(string(b.IssuingLG)) || b.IssuingLG.IsPrefecture() {
		return invalid(op, "issuing_lg", "not a municipality's code")
	}
	if strings.TrimSpace(b.Name.Kanji) == "" || len(b.Name.Kanji) > 300 {
		return invalid(op, "name.kanji", "required, at most 300 bytes")
	}
	if b.BirthDate.IsZero() {
		return invalid(op, "birth_date", "required")
	}
	return nil
}

// CopyRecord is what a wide-area copy shows: only the items the law allows.
type CopyRecord struct {
	Name             jukinet.Name             `json:"name"`
	BirthDate        jukinet.Date             `json:"birth_date"`
	Sex              jukinet.Sex              `json:"sex"`
	Address          jukinet.Address          `json:"address"`
	ResidentSince    jukinet.Date             `json:"resident_since"`
	AddressSince     jukinet.Date             `json:"address_since"`
	ReportDate       jukinet.Date             `json:"report_date,omitzero"`       // 届出年月日 of the 転入 (法7条8号)
	PreviousAddress  string                   `json:"previous_address,omitempty"` // 従前の住所 (法7条8号)
	HouseholderName  string                   `json:"householder_name,omitempty"`
	Relationship     string                   `json:"relationship,omitempty"`
	IndividualNumber jukinet.IndividualNumber `json:"individual_number,omitempty"`
	ResidentCode     jukinet.ResidentCode     `json:"resident_code,omitempty"`
}

// Copy answer statuses.
const (
	CopyFound     = "found"
	CopyNotFound  = "not_found" // no current resident with that name and birth date
	CopyAmbiguous = "ambiguous" // several: the request must be made at the residence
	// CopyRefused: a 支援措置 holds for the person; no copy by 広域交付. The
	// issuing CS shows it as it shows not_found, so that an offender at the
	// counter learns nothing, not even that the person is protected.
	CopyRefused = "refused"
)

// CopyAnswer is the copy the issuing CS prints: the person asked for and,
// for a 世帯全員の写し, the other members of the household.
type CopyAnswer struct {
	CopyRecord
	Members []CopyRecord `json:"members,omitempty"`
}

// CopyResponse is the body of copy.response (residence CS → issuing CS).
type CopyResponse struct {
	RequestID string      `json:"request_id"`
	Status    string      `json:"status"`
	Record    *CopyRecord `json:"record,omitempty"`
	// Members are the other current members of the household, when the
	// request asked for all of them (世帯全員の写し).
	Members []CopyRecord `json:"members,omitempty"`
}

// Validate checks the response against the request's items: a record only
// when found, and no item the request did not ask for.
func (b CopyResponse) Validate(asked CopyItems) error {
	const op = "node.CopyResponse"
	if _, err := uuid.Parse(b.RequestID); err != nil {
		return invalid(op, "request_id", "a UUID")
	}
	switch b.Status {
	case CopyFound:
		if b.Record == nil {
			return invalid(op, "record", "required when found")
		}
	case CopyNotFound, CopyAmbiguous, CopyRefused:
		if b.Record != nil || len(b.Members) > 0 {
			return invalid(op, "record", "only when found")
		}
		return nil
	default:
		return invalid(op, "status", "one of found, not_found, ambiguous, refused")
	}
	if len(b.Members) > 0 && !asked.AllMembers {
		return invalid(op, "members", "not asked for")
	}
	if len(b.Members) > 100 {
		return invalid(op, "members", "at most 100")
	}
	if err := b.Record.validate(op, asked); err != nil {
		return err
	}
	for i := range b.Members {
		if err := b.Members[i].validate(op, asked); err != nil {
			return err
		}
	}
	return nil
}

// validate checks a record's items against the request's.
func (r *CopyRecord) validate(op string, asked CopyItems) error {
	if err := r.Name.Validate(); err != nil {
		return jukinet.E(op, err)
	}
	if err := r.Address.Validate("record.address"); err != nil {
		return jukinet.E(op, err)
	}
	switch {
	case (r.HouseholderName != "" || r.Relationship != "") && !asked.Household:
		return invalid(op, "record.householder_name", "not asked for")
	case len([]rune(r.PreviousAddress)) > 200:
		return invalid(op, "record.previous_address", "at most 200 characters")
	case r.IndividualNumber != "" && !asked.IndividualNumber:
		return invalid(op, "record.individual_number", "not asked for")
	case r.ResidentCode != "" && !asked.ResidentCode:
		return invalid(op, "record.resident_code", "not asked for")
	}
	return nil
}

// CopyRequestInput is what the issuing counter enters (after checking the
// person's photo ID).
type CopyRequestInput struct {
	Residence jukinet.LGCode `json:"residence"`
	Name      jukinet.Name   `json:"name"`
	BirthDate jukinet.Date   `json:"birth_date"`
	Items     CopyItems      `json:"items"`
}

func (m *Municipality) copyToken(name jukinet.Name, birth jukinet.Date) string {
	return m.db.SubjectToken("copy:" + name.KanjiKey() + "/" + birth.String())
}

func purgeCopies(tx *store.Tx) error {
	_, err := tx.Exec(`UPDATE flow_copy_requests SET response = NULL, state = 'expired' WHERE state IN ('answered', 'not_found') AND responded_at < $1`,
		tx.NowMicro()-CopyHoldLimit.Microseconds())
	return err
}

// RequestCopy sends a copy request to the residence CS and returns its ID.
// Errors: KindInvalid (input; the residence is this municipality).
func (m *Municipality) RequestCopy(ctx context.Context, in CopyRequestInput) (string, error) {
	const op = "municipality.RequestCopy"
	if in.Residence == m.cfg.Municipality {
		return "", invalid(op, "residence", "the person lives here: issue the copy locally")
	}
	if !jukinet.ValidLGCode(string(in.Residence)) || in.Residence.IsPrefecture() {
		return "", invalid(op, "residence", "not a municipality's code")
	}
	b := CopyRequest{RequestID: uuid.NewString(), IssuingLG: m.cfg.Municipality, Name: in.Name, BirthDate: in.BirthDate, Items: in.Items}
	if err := b.Validate(); err != nil {
		return "", err
	}
	err := m.db.Update(ctx, store.Op{Operation: jukinet.OpCopyRequest, Detail: "to " + string(in.Residence) + ": " + in.Items.String(),
		NumberAccessed: in.Items.IndividualNumber}, func(tx *store.Tx) error {
		if err := purgeCopies(tx); err != nil {
			return internal(op, err)
		}
		if _, err := tx.Exec(`INSERT INTO flow_copy_requests (id, residence_lg, subject_token, items, operator, requested_at, state) VALUES ($1,$2,$3,$4,$5,$6,'requested')`,
			b.RequestID, string(in.Residence), m.copyToken(in.Name, in.BirthDate), in.Items.String(), tx.Actor().String(), tx.NowMicro()); err != nil {
			return internal(op, err)
		}
		return Queue(tx, network.KindCopyRequest, string(in.Residence), "", 0, b)
	})
	return b.RequestID, err
}

// AwaitCopy waits (polling the request's state every 20 ms) until the
// residence CS has answered, then takes the data for printing: it returns the
// record and erases it from the CS in the same transaction, keeping only the
// issuance record. Errors: KindNotFound (unknown ID, or the person was not
// found / not uniquely found: the error says which), KindExpired (the data
// was erased after CopyHoldLimit or already taken), the context's error.
func (m *Municipality) AwaitCopy(ctx context.Context, id string) (*CopyAnswer, error) {
	const op = "municipality.AwaitCopy"
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		var state string
		err := m.db.Bookkeeping(store.Status).QueryRowContext(ctx, `SELECT state FROM flow_copy_requests WHERE id = $1`, id).Scan(&state)
		if noRows(err) {
			return nil, jukinet.Errorf(op, jukinet.KindNotFound, "id", "no copy request %s", id)
		}
		if err != nil {
			return nil, internal(op, err)
		}
		if state != "requested" {
			break
		}
		select {
		case <-ctx.Done():
			return nil, jukinet.E(op, jukinet.KindUnavailable, "no answer from the residence municipality yet", ctx.Err())
		case <-tick.C:
		}
	}
	var rec *CopyAnswer
	err := m.db.Update(ctx, store.Op{Operation: jukinet.OpCopyReceive, Detail: "request " + id}, func(tx *store.Tx) error {
		if err := purgeCopies(tx); err != nil {
			return internal(op, err)
		}
		var state string
		var raw *string
		if err := tx.QueryRow(`SELECT state, response FROM flow_copy_requests WHERE id = $1`, id).Scan(&state, &raw); err != nil {
			return internal(op, err)
		}
		switch state {
		case "not_found":
			return jukinet.Errorf(op, jukinet.KindNotFound, "name", "the residence municipality has no single current resident with this name and birth date")
		case "answered":
		default:
			return jukinet.Errorf(op, jukinet.KindExpired, "id", "the copy data is no longer held (%s)", state)
		}
		rec = &CopyAnswer{}
		if raw == nil || json.Unmarshal([]byte(*raw), rec) != nil {
			return jukinet.E(op, jukinet.KindInternal, "stored copy data is damaged")
		}
		// G11.2: the copy shows its person; the record names them.
		if rec.ResidentCode != "" {
			tx.SetSubject(string(rec.ResidentCode))
		}
		_, err := tx.Exec(`UPDATE flow_copy_requests SET response = NULL, state = 'printed', printed_at = $1 WHERE id = $2`, tx.NowMicro(), id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// copyRecord is the copy of one current resident with the items asked for.
func (m *Municipality) copyRecord(tx *store.Tx, r register.Resident, items CopyItems) (*CopyRecord, error) {
	rec := &CopyRecord{Name: r.Name, BirthDate: r.BirthDate, Sex: r.Sex, Address: r.Address, ResidentSince: r.ResidentSince,
		AddressSince: r.AddressSince, PreviousAddress: r.PreviousAddress.Text}
	var err error
	if rec.ReportDate, err = m.reg.MoveInReportDateTx(tx, r); err != nil {
		return nil, err
	}
	if items.Household {
		rec.Relationship = r.Relationship
		if rec.HouseholderName, err = m.reg.HouseholderNameTx(tx, r.HouseholdID); err != nil {
			return nil, err
		}
	}
	if items.IndividualNumber {
		rec.IndividualNumber = r.IndividualNumber
	}
	if items.ResidentCode {
		rec.ResidentCode = r.ResidentCode
	}
	return rec, nil
}

// municipalityCopyRequest answers at the residence CS.
func (m *Municipality) municipalityCopyRequest(tx *store.Tx, env *network.Envelope) error {
	const op = "municipality.copy.request"
	var b CopyRequest
	if err := Decode(env, &b); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
	}
	if string(b.IssuingLG) != env.From {
		return invalid(op, "issuing_lg", "%s, but sent by %s", b.IssuingLG, env.From)
	}
	found, err := m.reg.FindCurrentTx(tx, b.Name, b.BirthDate)
	if err != nil {
		return err
	}
	resp := CopyResponse{RequestID: b.RequestID}
	subject := ""
	switch len(found) {
	case 0:
		resp.Status = CopyNotFound
	case 1:
		r := found[0]
		subject = string(r.ResidentCode)
		people := []register.Resident{r}
		if b.Items.AllMembers {
			if people, err = m.reg.HouseholdMembersTx(tx, r.HouseholdID); err != nil {
				return err
			}
		}
		// 支援措置: no 広域交付 of a protected person's 住民票 (nor of a
		// household copy that shows them) while it holds; the refusal is
		// logged with the person asked for as its subject.
		for _, p := range people {
			restricted, err := m.reg.RestrictedTx(tx, p.ResidentCode)
			if err != nil {
				return err
			}
			if restricted {
				resp.Status = CopyRefused
			}
		}
		if resp.Status == CopyRefused {
			break
		}
		resp.Status = CopyFound
		for _, p := range people {
			rec, err := m.copyRecord(tx, p, b.Items)
			if err != nil {
				return err
			}
			if p.ResidentCode == r.ResidentCode {
				resp.Record = rec
			} else {
				resp.Members = append(resp.Members, *rec)
			}
		}
	default:
		resp.Status = CopyAmbiguous
	}
	if _, err := tx.Exec(`INSERT INTO flow_copy_answers (request_id, issuing_lg, subject_token, items, status, answered_at) VALUES ($1,$2,$3,$4,$5,$6)
 ON CONFLICT (request_id) DO NOTHING`, b.RequestID, env.From, m.db.SubjectToken(subject), b.Items.String(), resp.Status, tx.NowMicro()); err != nil {
		return internal(op, err)
	}
	tx.Log(jukinet.OpCopyRequest, subject, resp.Status, "wide-area copy for "+env.From+": "+b.Items.String())
	return Queue(tx, network.KindCopyResponse, env.From, "", 0, resp)
}

// municipalityCopyResponse holds the answer at the issuing CS until printed.
func (m *Municipality) municipalityCopyResponse(tx *store.Tx, env *network.Envelope) error {
	const op = "municipality.copy.response"
	var b CopyResponse
	if err := Decode(env, &b); err != nil {
		return err
	}
	var residence, items, state string
	if err := tx.QueryRow(`SELECT residence_lg, items, state FROM flow_copy_requests WHERE id = $1`, b.RequestID).Scan(&residence, &items, &state); err != nil {
		if noRows(err) {
			return invalid(op, "request_id", "no such request")
		}
		return internal(op, err)
	}
	if residence != env.From {
		return invalid(op, "request_id", "the request went to %s, not %s", residence, env.From)
	}
	if state != "requested" {
		return invalid(op, "request_id", "already answered")
	}
	asked := CopyItems{}
	for _, it := range strings.Split(items, ",") {
		switch it {
		case "household":
			asked.Household = true
		case "all_members":
			asked.AllMembers = true
		case "individual_number":
			asked.IndividualNumber = true
		case "resident_code":
			asked.ResidentCode = true
		}
	}
	if err := b.Validate(asked); err != nil {
		return err
	}
	var raw any
	newState := "not_found"
	if b.Status == CopyFound {
		j, _ := json.Marshal(CopyAnswer{CopyRecord: *b.Record, Members: b.Members})
		raw, newState = string(j), "answered"
	}
	_, err := tx.Exec(`UPDATE flow_copy_requests SET state = $1, response = $2, responded_at = $3 WHERE id = $4`, newState, raw, tx.NowMicro(), b.RequestID)
	if err != nil {
		return internal(op, err)
	}
	return nil
}
