// Package register is the municipal resident register (住民基本台帳) of one
// CS: residents, households (世帯, 世帯主, 続柄), 本籍 and 筆頭者, and the removed
// records (除票), which are kept. Every event validates its input and its
// preconditions and, in the same transaction, produces the matching change of
// identity information (本人確認情報: 記載/消除/修正) as an outbox message to the
// prefecture (法30条の6, G2.3(b)).
package register

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"github.com/google/uuid"
	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/governance"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
)

// Status of a resident record.
type Status string

const (
	StatusCurrent Status = "current" // on the register
	StatusRemoved Status = "removed" // 除票: removed, kept
)

// RelationshipHead is the 続柄 of the householder.
const RelationshipHead = "世帯主"

// Resident is one record of the register (住民票), current or removed.
type Resident struct {
	RecordID         string                   `json:"record_id"`
	ResidentCode     jukinet.ResidentCode     `json:"resident_code"`
	IndividualNumber jukinet.IndividualNumber `json:"individual_number,omitempty"`
	Name             jukinet.Name             `json:"name"`
	BirthDate        jukinet.Date             `json:"birth_date"`
	Sex              jukinet.Sex              `json:"sex"`
	Address          jukinet.Address          `json:"address"`
	AddressSince     jukinet.Date             `json:"address_since"`  // 住所を定めた年月日
	ResidentSince    jukinet.Date             `json:"resident_since"` // 住民となった年月日
	HouseholdID      string                   `json:"household_id"`
	Relationship     string                   `json:"relationship"`            // 続柄
	Domicile         string                   `json:"domicile,omitempty"`      // 本籍
	DomicileHead     string                   `json:"domicile_head,omitempty"` // 筆頭者
	PreviousAddress  jukinet.Address          `json:"previous_address"`        // 転入前住所
	CardHolder       bool                     `json:"card_holder"`             // holds a 個人番号カード
	Status           Status                   `json:"status"`
	Removal          *Removal                 `json:"removal,omitempty"`
	Version          uint64                   `json:"version"`
	// SupportMeasure is set on a record read for a screen when a 支援措置
	// holds for the person today (not stored with the record).
	SupportMeasure bool `json:"support_measure,omitempty"`
}

// Removal describes how a record left the register (除票).
type Removal struct {
	Reason      jukinet.ChangeReason `json:"reason"`
	Date        jukinet.Date         `json:"date"`
	PlannedDate jukinet.Date         `json:"planned_date"` // 転出予定日
	Destination jukinet.Address      `json:"destination"`  // 転出先 (planned)
	// Set when the 転入通知 of the new municipality arrives (法9条1項); the
	// planned values above are kept.
	NoticeDate           jukinet.Date    `json:"notice_date"`
	ConfirmedDestination jukinet.Address `json:"confirmed_destination"`
	ConfirmedDate        jukinet.Date    `json:"confirmed_date"`
}

// Identity is the identity information of r as of its current version.
func (r *Resident) Identity(change jukinet.ChangeInfo) jukinet.IdentityInfo {
	return jukinet.IdentityInfo{
		Municipality: r.Address.LGCode, ResidentCode: r.ResidentCode, IndividualNumber: r.IndividualNumber,
		Name: r.Name, BirthDate: r.BirthDate, Sex: r.Sex, Address: r.Address, Change: change, Version: r.Version,
	}
}

// Household is a 世帯.
type Household struct {
	ID       string          `json:"id"`
	HeadCode string          `json:"head_code"` // 世帯主; "" while a change of householder is pending
	Address  jukinet.Address `json:"address"`
	Members  []Resident      `json:"members,omitempty"`
}

// CodeSource hands out unused resident codes. Codes come only from the pool
// the national server grants each municipality (法30条の2, 法30条の3): a code
// drawn locally at random could collide with another municipality's.
type CodeSource interface {
	NextResidentCode(tx *store.Tx) (jukinet.ResidentCode, error)
}

// noCodes is the source of a register given none: it refuses to make codes.
type noCodes struct{}

func (noCodes) NextResidentCode(*store.Tx) (jukinet.ResidentCode, error) {
	return "", jukinet.E("register.NextResidentCode", jukinet.KindUnavailable, jukinet.Field("resident_code"),
		"this register has no resident-code pool: new resident codes come from the national server through the node")
}

// Event is what a recorded event tells hooks: the resident after the change
// and the identity-information change it produced.
type Event struct {
	Operation jukinet.Operation
	Resident  Resident
	Change    jukinet.ChangeInfo
	Previous  *Resident // the record before the change, when there was one
	// LastRegistered is, for a 国内転入 whose 前住所 was never registered,
	// the 最終住民登録地 the 転出証明書 names (MoveInInput.LastRegistered):
	// the 転入通知 goes there (法9条1項). Zero otherwise.
	LastRegistered jukinet.Address
	// Notice is the identity notice the event produces (法30条の6), recorded
	// in identity_history; nil when the event changes no 本人確認情報.
	Notice *IdentityNotice
}

// IdentityNotice is an event's 本人確認情報通知 to the prefecture (法30条の6):
// the information and its JSON, as kept in identity_history.
type IdentityNotice struct {
	Info jukinet.IdentityInfo
	Body []byte
}

// QueueNotice queues the event's identity notice, if any, to the
// prefecture. It is the OnEvent of a register without one, and the node's
// OnEvent calls it first, so that every message of an event is queued in
// the one hook.
func (g *Register) QueueNotice(tx *store.Tx, ev Event) error {
	if ev.Notice != nil {
		g.sendNotice(tx, ev.Notice.Info, ev.Notice.Body)
	}
	return nil
}

// sendNotice queues an identity notice to the prefecture.
func (g *Register) sendNotice(tx *store.Tx, info jukinet.IdentityInfo, body []byte) {
	tx.Send(g.notice(info, body))
}

// notice is the outbox message of an identity notice to the prefecture.
func (g *Register) notice(info jukinet.IdentityInfo, body []byte) store.Message {
	return store.Message{Kind: network.KindIdentityNotify.String(), To: g.cfg.Prefecture, OrderingKey: info.OrderingKey(), Version: info.Version, Body: body}
}

// Config configures a Register.
type Config struct {
	Municipality jukinet.LGCode
	// Prefecture is the node that receives identity notices; default: the
	// municipality's prefecture.
	Prefecture string
	// AddressPrefix is the start of every address in the municipality
	// ("山口県防府市"); when set, an event that records an address elsewhere
	// (a 転入 to another city's address) is refused. Empty: not checked.
	AddressPrefix string
	// Codes hands out new resident codes (the node's pool); nil refuses
	// every event that needs a new code.
	Codes CodeSource
	// OnEvent queues the event's outgoing messages, inside its transaction:
	// the node package's queues the identity notice (QueueNotice) and the
	// other flows (転入通知, 附票, 転出証明書情報). nil: QueueNotice. An
	// error aborts the whole event.
	OnEvent func(tx *store.Tx, ev Event) error
}

// Register is one municipality's resident register on its node database.
type Register struct {
	db  *store.DB
	cfg Config
}

// New returns the register of cfg.Municipality stored in db.
func New(db *store.DB, cfg Config) (*Register, error) {
	if _, err := jukinet.ParseLGCode(string(cfg.Municipality)); err != nil {
		return nil, jukinet.E("register.New", err)
	}
	if cfg.Municipality.IsPrefecture() {
		return nil, jukinet.E("register.New", jukinet.KindInvalid, jukinet.Field("municipality"), "a prefecture has no resident register")
	}
	if cfg.Prefecture == "" {
		cfg.Prefecture = string(cfg.Municipality.PrefectureCode())
	}
	if cfg.Codes == nil {
		cfg.Codes = noCodes{}
	}
	// G16-2.1: only operators the 本人確認情報管理責任者 designated may read or
	// change residents; the store checks it for every operation on them, so
	// no screen, API or command can forget it.
	governance.GuardIdentityInfo(db)
	return &Register{db: db, cfg: cfg}, nil
}

// DB is the register's node database.
func (g *Register) DB() *store.DB { return g.db }

// Municipality is the register's LG code.
func (g *Register) Municipality() jukinet.LGCode { return g.cfg.Municipality }

func (g *Register) today() jukinet.Date { return jukinet.Today(g.db.Now()) }

// checkDate validates a date field: set, not in the future.
func (g *Register) checkDate(op, field string, d jukinet.Date) error {
	if d.IsZero() {
		return jukinet.Errorf(op, jukinet.KindInvalid, field, "required")
	}
	if d.After(g.today()) {
		return jukinet.Errorf(op, jukinet.KindInvalid, field, "%s is in the future", d)
	}
	return nil
}

const residentColumns = `record_id, resident_code, individual_number, kanji, kana, former_surname, former_surname_kana, alias, alias_kana,
 birth_date, sex, address_lg, address_text, address_since, resident_since, household_id, relationship, domicile, domicile_head,
 previous_lg, previous_address, card_holder, status, removal_reason, removal_date, moveout_planned_date, moveout_dest_lg,
 moveout_dest_text, movein_notice_date, moveout_confirmed_lg, moveout_confirmed_text, moveout_confirmed_date, version`

type scanner interface{ Scan(dest ...any) error }

func scanResident(s scanner) (*Resident, error) {
	var r Resident
	var birth, addrSince, resSince, remDate, planned, notice, confDate, status string
	var sex, card, remReason int64
	var destLG, destText, confLG, confText, prevLG, prevText, number, code, addrLG string
	var version int64
	err := s.Scan(&r.RecordID, &code, &number, &r.Name.Kanji, &r.Name.Kana, &r.Name.FormerSurname, &r.Name.FormerSurnameKana,
		&r.Name.Alias, &r.Name.AliasKana, &birth, &sex, &addrLG, &r.Address.Text, &addrSince, &resSince, &r.HouseholdID,
		&r.Relationship, &r.Domicile, &r.DomicileHead, &prevLG, &prevText, &card, &status, &remReason, &remDate, &planned,
		&destLG, &destText, &notice, &confLG, &confText, &confDate, &version)
	if err != nil {
		return nil, err
	}
	r.ResidentCode = jukinet.ResidentCode(code)
	r.IndividualNumber = jukinet.IndividualNumber(number)
	r.Address.LGCode = jukinet.LGCode(addrLG)
	r.BirthDate = mustDate(birth)
	r.Sex = jukinet.Sex(sex)
	r.AddressSince = mustDate(addrSince)
	r.ResidentSince = mustDate(resSince)
	r.PreviousAddress = jukinet.Address{LGCode: jukinet.LGCode(prevLG), Text: prevText}
	r.CardHolder = card != 0
	r.Status = Status(status)
	r.Version = uint64(version)
	if r.Status == StatusRemoved {
		r.Removal = &Removal{
			Reason: jukinet.ChangeReason(remReason), Date: mustDate(remDate), PlannedDate: mustDate(planned),
			Destination: jukinet.Address{LGCode: jukinet.LGCode(destLG), Text: destText},
			NoticeDate:  mustDate(notice), ConfirmedDate: mustDate(confDate),
			ConfirmedDestination: jukinet.Address{LGCode: jukinet.LGCode(confLG), Text: confText},
		}
	}
	return &r, nil
}

// mustDate parses a date this package stored itself ("" is the zero date).
func mustDate(s string) jukinet.Date {
	var d jukinet.Date
	if err := d.UnmarshalText([]byte(s)); err != nil {
		return jukinet.Date{}
	}
	return d
}

func dateText(d jukinet.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// loadCurrent returns the current record of code, or KindNotFound/KindConflict.
func loadCurrent(tx *store.Tx, op, field string, code jukinet.ResidentCode) (*Resident, error) {
	r, err := scanResident(tx.QueryRow(`SELECT `+residentColumns+` FROM residents WHERE resident_code = $1 AND status = 'current'`, string(code)))
	if errors.Is(err, sql.ErrNoRows) {
		var removed int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM residents WHERE resident_code = $1`, string(code)).Scan(&removed); err == nil && removed > 0 {
			return nil, jukinet.Errorf(op, jukinet.KindConflict, field, "the resident is not a current resident (removed record only)")
		}
		return nil, jukinet.Errorf(op, jukinet.KindNotFound, field, "no resident with this resident code")
	}
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	return r, nil
}

func insertResident(tx *store.Tx, r *Resident) error {
	if r.RecordID == "" {
		r.RecordID = newID()
	}
	_, err := tx.Exec(`INSERT INTO residents (`+residentColumns+`, kanji_key, kana_key, address_key, updated_at) VALUES
 ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28,$29,$30,$31,$32,$33,$34,$35,$36,$37)`,
		residentArgs(r, tx.NowMicro())...)
	if store.IsUniqueViolation(err) {
		return jukinet.Errorf("register", jukinet.KindConflict, "resident_code", "a current resident with this resident code already exists")
	}
	return err
}

func residentArgs(r *Resident, now int64) []any {
	return residentArgsKeyed(r, now, jukinet.SearchKey(r.Address.Text))
}

// residentArgsKeyed is residentArgs with the address's search key given
// (an import computes it once per household).
func residentArgsKeyed(r *Resident, now int64, addressKey string) []any {
	var rem Removal
	if r.Removal != nil {
		rem = *r.Removal
	}
	return []any{r.RecordID, string(r.ResidentCode), string(r.IndividualNumber), r.Name.Kanji, r.Name.Kana, r.Name.FormerSurname,
		r.Name.FormerSurnameKana, r.Name.Alias, r.Name.AliasKana, dateText(r.BirthDate), int(r.Sex), string(r.Address.LGCode),
		r.Address.Text, dateText(r.AddressSince), dateText(r.ResidentSince), r.HouseholdID, r.Relationship, r.Domicile,
		r.DomicileHead, string(r.PreviousAddress.LGCode), r.PreviousAddress.Text, boolInt(r.CardHolder), string(r.Status),
		int(rem.Reason), dateText(rem.Date), dateText(rem.PlannedDate), string(rem.Destination.LGCode), rem.Destination.Text,
		dateText(rem.NoticeDate), string(rem.ConfirmedDestination.LGCode), rem.ConfirmedDestination.Text, dateText(rem.ConfirmedDate),
		int64(r.Version), r.Name.KanjiKey(), r.Name.KanaKey(), addressKey, now}
}

func updateResident(tx *store.Tx, r *Resident) error {
	args := residentArgs(r, tx.NowMicro())
	_, err := tx.Exec(`UPDATE residents SET resident_code=$2, individual_number=$3, kanji=$4, kana=$5, former_surname=$6,
 former_surname_kana=$7, alias=$8, alias_kana=$9, birth_date=$10, sex=$11, address_lg=$12, address_text=$13, address_since=$14,
 resident_since=$15, household_id=$16, relationship=$17, domicile=$18, domicile_head=$19, previous_lg=$20, previous_address=$21,
 card_holder=$22, status=$23, removal_reason=$24, removal_date=$25, moveout_planned_date=$26, moveout_dest_lg=$27,
 moveout_dest_text=$28, movein_notice_date=$29, moveout_confirmed_lg=$30, moveout_confirmed_text=$31, moveout_confirmed_date=$32,
 version=$33, kanji_key=$34, kana_key=$35, address_key=$36, updated_at=$37 WHERE record_id=$1`, args...)
	if store.IsUniqueViolation(err) {
		return jukinet.Errorf("register", jukinet.KindConflict, "individual_number", "the individual number is already designated to another current resident")
	}
	return err
}

// record bumps the person's version, keeps the identity information in the
// history and queues the notice to the prefecture — the 記載/消除/修正 every
// event produces (法30条の6).
func (g *Register) record(tx *store.Tx, op jukinet.Operation, r *Resident, prev *Resident, change jukinet.ChangeInfo, insert bool, with ...func(*Event)) error {
	var v int64
	err := tx.QueryRow(`INSERT INTO person_versions (resident_code, version) VALUES ($1, 1)
 ON CONFLICT (resident_code) DO UPDATE SET version = person_versions.version + 1 RETURNING version`, string(r.ResidentCode)).Scan(&v)
	if err != nil {
		return jukinet.E(string(op), jukinet.KindInternal, err)
	}
	r.Version = uint64(v)
	if insert {
		err = insertResident(tx, r)
	} else {
		err = updateResident(tx, r)
	}
	if err != nil {
		return jukinet.E(string(op), err)
	}
	var notice *IdentityNotice
	if identityChanged(prev, r) {
		if notice, err = g.notifyIdentity(tx, op, r, change); err != nil {
			return err
		}
	}
	tx.SetSubject(string(r.ResidentCode))
	onEvent := g.cfg.OnEvent
	if onEvent == nil {
		onEvent = g.QueueNotice
	}
	ev := Event{Operation: op, Resident: *r, Change: change, Previous: prev, Notice: notice}
	for _, f := range with {
		f(&ev)
	}
	return onEvent(tx, ev)
}

// identityChanged reports whether an event changes 本人確認情報 (法30条の6,
// 法30条の6第1項 and 施行令30条の5): a record added or removed, or a change of
// 氏名 (with 旧氏 and 通称), 生年月日, 性別, 住所, 個人番号 or 住民票コード. A
// 世帯主変更, a 世帯分離 at the same address or a 本籍-only correction changes none
// of them and is not notified: the network receives no more personal data than
// the law allows.
func identityChanged(prev, r *Resident) bool {
	if prev == nil || prev.Status != r.Status {
		return true
	}
	return prev.Name != r.Name || prev.BirthDate != r.BirthDate || prev.Sex != r.Sex || prev.Address != r.Address ||
		prev.IndividualNumber != r.IndividualNumber || prev.ResidentCode != r.ResidentCode
}

// notifyIdentity records the identity information of r in identity_history
// and returns its notice to the prefecture, numbered by the person's notice
// counter (identity_versions), which receivers order by.
func (g *Register) notifyIdentity(tx *store.Tx, op jukinet.Operation, r *Resident, change jukinet.ChangeInfo) (*IdentityNotice, error) {
	var v int64
	err := tx.QueryRow(`INSERT INTO identity_versions (resident_code, version) VALUES ($1, 1)
 ON CONFLICT (resident_code) DO UPDATE SET version = identity_versions.version + 1 RETURNING version`, string(r.ResidentCode)).Scan(&v)
	if err != nil {
		return nil, jukinet.E(string(op), jukinet.KindInternal, err)
	}
	info := r.Identity(change)
	info.Municipality = g.cfg.Municipality
	info.Version = uint64(v)
	if err := info.Validate(); err != nil {
		return nil, jukinet.E(string(op), err)
	}
	body, err := json.Marshal(info)
	if err != nil {
		return nil, jukinet.E(string(op), jukinet.KindInternal, err)
	}
	if _, err := tx.Exec(`INSERT INTO identity_history (resident_code, version, reason, change_date, info, recorded_at) VALUES ($1,$2,$3,$4,$5,$6)`,
		string(r.ResidentCode), v, int(change.Reason), change.Date.String(), string(body), tx.NowMicro()); err != nil {
		return nil, jukinet.E(string(op), jukinet.KindInternal, err)
	}
	return &IdentityNotice{Info: info, Body: body}, nil
}

// checkAddress refuses an address outside the municipality: a 転入 or 転居
// records an address here (法22条, 法23条), never in another city.
func (g *Register) checkAddress(op, field, text string) error {
	if g.cfg.AddressPrefix != "" && text != "" && !strings.HasPrefix(text, g.cfg.AddressPrefix) {
		return jukinet.Errorf(op, jukinet.KindInvalid, field, "is not an address in %s: this municipality records addresses in it only", g.cfg.AddressPrefix)
	}
	return nil
}

// update runs one event through the write path.
func (g *Register) update(ctx context.Context, op jukinet.Operation, subject jukinet.ResidentCode, purpose string, fn func(tx *store.Tx) error) error {
	return g.db.Update(ctx, store.Op{Operation: op, Subject: string(subject), Purpose: purpose}, fn)
}

// newID returns a time-ordered UUIDv7: records inserted together land
// together in the primary-key index instead of at random places.
func newID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}
