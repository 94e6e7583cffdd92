package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/google/uuid"
	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// Provision to agencies (法30条の9, 別表): the national server provides
// identity information only to the agencies listed here and only for the
// tasks listed for each; every provision is recorded and the person can see
// who received what about them (法30条の32).
//
// The list is TOML:
//
//	[[agency]]
//	id = "pension"
//	name = "日本年金機構"
//	tasks = ["年金給付の支給"]
//	individual_number = true   # the 別表 allows the 個人番号 for these tasks
//	persons_per_second = 500   # quota: persons asked for per second, and per request (default 10,000)
//	persons_per_day = 1000000  # quota: persons asked for per day, JST (default 1,000,000)
//
// The quotas bound what one agency certificate can ask for: without them
// one certificate could test tens of thousands of codes a second.
type Agency struct {
	ID               string   `toml:"id"`
	Name             string   `toml:"name"`
	Tasks            []string `toml:"tasks"`
	IndividualNumber bool     `toml:"individual_number"`
	PersonsPerSecond float64  `toml:"persons_per_second"`
	PersonsPerDay    int      `toml:"persons_per_day"`
}

// Default agency quotas (Agency.PersonsPerSecond, PersonsPerDay).
const (
	DefaultAgencyPersonsPerSecond = MaxProvideBatch
	DefaultAgencyPersonsPerDay    = 1_000_000
)

// Agencies is the loaded list.
type Agencies struct {
	list []Agency
	byID map[string]*Agency
}

// MaxProvideBatch is the most persons one provision request may ask for
// (one request is one batch: one transaction, one batch ID).
const MaxProvideBatch = 10000

// LoadAgencies reads the agency list from a file (see ParseAgencies).
func LoadAgencies(path string) (*Agencies, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, jukinet.E("node.LoadAgencies", jukinet.KindInvalid, jukinet.Field("agencies"), err)
	}
	return ParseAgencies(b)
}

// ParseAgencies parses the agency list strictly: unknown keys, a missing or
// repeated ID, a missing name, an agency without tasks or a repeated task
// are errors (KindInvalid) naming the line.
func ParseAgencies(data []byte) (*Agencies, error) {
	const op = "node.ParseAgencies"
	var doc struct {
		Agency []Agency `toml:"agency"`
	}
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&doc)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("agencies"), err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		k := und[0]
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "agencies", "line %d: unknown key %q", lineOf(data, k[len(k)-1], 0), k.String())
	}
	a := &Agencies{byID: map[string]*Agency{}}
	ids := map[string]bool{}
	for i, ag := range doc.Agency {
		line := lineOfBlock(data, i)
		switch {
		case ag.ID == "" || !isAgencyID(ag.ID):
			return nil, jukinet.Errorf(op, jukinet.KindInvalid, "agencies", "line %d: agency %d: id must be 1 to 32 of a-z 0-9 _ -", line, i+1)
		case ids[ag.ID]:
			return nil, jukinet.Errorf(op, jukinet.KindInvalid, "agencies", "line %d: agency %q listed twice", line, ag.ID)
		case strings.TrimSpace(ag.Name) == "":
			return nil, jukinet.Errorf(op, jukinet.KindInvalid, "agencies", "line %d: agency %q: name is required", line, ag.ID)
		case len(ag.Tasks) == 0:
			return nil, jukinet.Errorf(op, jukinet.KindInvalid, "agencies", "line %d: agency %q: no tasks (the law lists the tasks each agency may receive information for)", line, ag.ID)
		case ag.PersonsPerSecond < 0 || ag.PersonsPerDay < 0:
			return nil, jukinet.Errorf(op, jukinet.KindInvalid, "agencies", "line %d: agency %q: persons_per_second and persons_per_day must not be negative", line, ag.ID)
		}
		if ag.PersonsPerSecond == 0 {
			ag.PersonsPerSecond = DefaultAgencyPersonsPerSecond
		}
		if ag.PersonsPerDay == 0 {
			ag.PersonsPerDay = DefaultAgencyPersonsPerDay
		}
		seen := map[string]bool{}
		for _, t := range ag.Tasks {
			if strings.TrimSpace(t) == "" || seen[t] {
				return nil, jukinet.Errorf(op, jukinet.KindInvalid, "agencies", "line %d: agency %q: empty or repeated task %q", line, ag.ID, t)
			}
			seen[t] = true
		}
		ids[ag.ID] = true
		a.list = append(a.list, ag)
	}
	for i := range a.list {
		a.byID[a.list[i].ID] = &a.list[i]
	}
	return a, nil
}

func isAgencyID(s string) bool {
	if len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// lineOfBlock returns the line of the i-th [[agency]] header (1-based).
func lineOfBlock(data []byte, i int) int {
	n := 0
	for ln, l := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(l) == "[[agency]]" {
			if n == i {
				return ln + 1
			}
			n++
		}
	}
	return 0
}

// lineOf returns the first line starting with key (after spaces), from line from.
func lineOf(data []byte, key string, from int) int {
	for ln, l := range strings.Split(string(data), "\n") {
		if ln >= from && strings.HasPrefix(strings.TrimSpace(l), key) {
			return ln + 1
		}
	}
	return 0
}

// Agency returns the agency with the given ID.
func (a *Agencies) Agency(id string) (Agency, bool) {
	ag, ok := a.byID[id]
	if !ok {
		return Agency{}, false
	}
	return *ag, true
}

// Allows reports whether agency id may receive information for task.
func (a *Agencies) Allows(id, task string) bool {
	ag, ok := a.byID[id]
	if !ok {
		return false
	}
	for _, t := range ag.Tasks {
		if t == task {
			return true
		}
	}
	return false
}

// ProvisionRecord is one provision of one person's information (法30条の9),
// as recorded and disclosed (法30条の32).
type ProvisionRecord struct {
	ID         string `json:"id"`
	BatchID    string `json:"batch_id"`
	ProvidedAt int64  `json:"provided_at"` // unix microseconds
	Agency     string `json:"agency"`
	Task       string `json:"task"`
	Items      string `json:"items"`
	Found      bool   `json:"found"`
}

// Provide answers a registered agency's request for the identity information
// of the given persons (one or a batch), for a task the law allows it. Each
// person asked for is recorded (found or not); persons the server has no
// current information for are left out of the result. The 個人番号 is
// provided only to agencies whose tasks allow it. Errors: KindInvalid (no
// codes, too many, a bad code), KindForbidden (unknown agency or task not
// allowed: recorded as refused in the operation log).
func (n *National) Provide(ctx context.Context, agencyID, task string, codes []jukinet.ResidentCode) ([]jukinet.IdentityInfo, error) {
	const op = "national.Provide"
	if len(codes) == 0 || len(codes) > MaxProvideBatch {
		return nil, invalid(op, "codes", "1 to %d resident codes", MaxProvideBatch)
	}
	for i, c := range codes {
		if !jukinet.ValidResidentCode(string(c)) {
			return nil, invalid(op, fmt.Sprintf("codes[%d]", i), "not a resident code")
		}
	}
	agencies := n.agencies.Load()
	ag, ok := agencies.Agency(agencyID)
	if !ok || !agencies.Allows(agencyID, task) {
		_ = n.db.RecordRefusal(ctx, store.Op{Operation: jukinet.OpNationalProvide, Detail: "refused: " + agencyID})
		if !ok {
			return nil, jukinet.Errorf(op, jukinet.KindForbidden, "agency", "%q is not a registered agency", agencyID)
		}
		return nil, jukinet.Errorf(op, jukinet.KindForbidden, "task", "the law does not allow agency %q information for task %q", agencyID, task)
	}
	items := "name,birth_date,sex,address,resident_code,change"
	if ag.IndividualNumber {
		items += ",individual_number"
	}
	batch := uuid.NewString()
	var out []jukinet.IdentityInfo
	// The task is the purpose of the provision: every person record
	// carries it (G11.2, 法30条の9).
	err := n.db.Update(ctx, store.Op{Operation: jukinet.OpNationalProvide, Purpose: task, Detail: fmt.Sprintf("%s/%s: %d persons, batch %s", agencyID, task, len(codes), batch),
		NumberAccessed: ag.IndividualNumber}, func(tx *store.Tx) error {
		rows := make([]any, 0, 8*len(codes))
		for _, c := range codes {
			cur, err := readCurrentIdentity(tx, c)
			found := err == nil && cur.Change.Reason.Class() != jukinet.ClassRemove
			if err != nil && jukinet.ErrorKind(err) != jukinet.KindNotFound {
				return err
			}
			id, err := uuid.NewV7() // time-ordered: the disclosure lists provisions in order
			if err != nil {
				return internal(op, err)
			}
			rows = append(rows, id.String(), batch, tx.NowMicro(), agencyID, task, items, n.db.SubjectToken(string(c)), boolInt(found))
			// Every code asked for is a person record, found or not: the
			// misuse analysis sees a sweep by its codes that match nobody.
			if !found {
				tx.Person(string(c), store.ResultNotFound, agencyID, false)
				continue
			}
			info := *cur
			if !ag.IndividualNumber {
				info.IndividualNumber = ""
			}
			out = append(out, info)
			tx.Shown(string(c), agencyID, ag.IndividualNumber)
		}
		// One multi-row insert per batch: a row-by-row INSERT was a quarter of
		// the time of a 1,000-person request.
		if err := tx.InsertRows(`INSERT INTO flow_provisions (id, batch_id, provided_at, agency, task, items, subject_token, found) VALUES `, 8, rows); err != nil {
			return internal(op, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ProvidedSince counts the persons agency asked for since t (found or not:
// every code asked for is a provision row). The agency API restores an
// agency's daily quota from it after a restart.
func (n *National) ProvidedSince(ctx context.Context, agency string, t time.Time) (int, error) {
	var c int
	err := n.db.Bookkeeping(store.Status).QueryRowContext(ctx, `SELECT COUNT(*) FROM flow_provisions WHERE agency = $1 AND provided_at >= $2`,
		agency, t.UnixMicro()).Scan(&c)
	if err != nil {
		return 0, internal("national.ProvidedSince", err)
	}
	return c, nil
}

// readCurrentIdentitySQL reads the current row of the person of code $1.
var readCurrentIdentitySQL = byCode("i", "$1").wrap(`SELECT i.info FROM flow_identity i WHERE `, currentFirst)

// readCurrentIdentity is readIdentity without the history, which a provision
// does not give out.
func readCurrentIdentity(tx *store.Tx, code jukinet.ResidentCode) (*jukinet.IdentityInfo, error) {
	const op = "node.readCurrentIdentity"
	var raw string
	err := tx.QueryRow(readCurrentIdentitySQL.of(tx.Engine()), string(code)).Scan(&raw)
	if noRows(err) {
		return nil, jukinet.Errorf(op, jukinet.KindNotFound, "resident_code", "no identity information for this resident code")
	}
	if err != nil {
		return nil, internal(op, err)
	}
	var cur jukinet.IdentityInfo
	if err := json.Unmarshal([]byte(raw), &cur); err != nil {
		return nil, internal(op, err)
	}
	return &cur, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SelfDisclosure lists every provision about a person (法30条の32), oldest first.
func (n *National) SelfDisclosure(ctx context.Context, code jukinet.ResidentCode) ([]ProvisionRecord, error) {
	const op = "national.SelfDisclosure"
	if !jukinet.ValidResidentCode(string(code)) {
		return nil, invalid(op, "resident_code", "not a resident code")
	}
	var out []ProvisionRecord
	err := n.db.Update(ctx, store.Op{Operation: jukinet.OpSelfDisclosure, Subject: string(code), Purpose: "self disclosure"}, func(tx *store.Tx) error {
		rows, err := tx.Query(`SELECT id, batch_id, provided_at, agency, task, items, found FROM flow_provisions WHERE subject_token = $1 ORDER BY provided_at, id`,
			n.db.SubjectToken(string(code)))
		if err != nil {
			return internal(op, err)
		}
		defer rows.Close()
		for rows.Next() {
			var p ProvisionRecord
			var found int
			if err := rows.Scan(&p.ID, &p.BatchID, &p.ProvidedAt, &p.Agency, &p.Task, &p.Items, &found); err != nil {
				return internal(op, err)
			}
			p.Found = found != 0
			out = append(out, p)
		}
		return rows.Err()
	})
	return out, err
}

// DiscloseIdentity discloses to the person their own 本人確認情報 as the
// national server holds it (法30条の32): the current information, nil when
// the server holds none. The request and the answer are one self-disclosure
// record of the operation log.
func (n *National) DiscloseIdentity(ctx context.Context, code jukinet.ResidentCode) (*jukinet.IdentityInfo, error) {
	return discloseIdentity(ctx, n.db, "national.DiscloseIdentity", code)
}

// DiscloseIdentity discloses to the person their own 本人確認情報 as the
// prefecture holds it (法30条の32); see National.DiscloseIdentity.
func (p *Prefecture) DiscloseIdentity(ctx context.Context, code jukinet.ResidentCode) (*jukinet.IdentityInfo, error) {
	return discloseIdentity(ctx, p.db, "prefecture.DiscloseIdentity", code)
}

func discloseIdentity(ctx context.Context, db *store.DB, op string, code jukinet.ResidentCode) (*jukinet.IdentityInfo, error) {
	if !jukinet.ValidResidentCode(string(code)) {
		return nil, invalid(op, "resident_code", "not a resident code")
	}
	var cur *jukinet.IdentityInfo
	err := db.Update(ctx, store.Op{Operation: jukinet.OpSelfDisclosure, Subject: string(code), Purpose: "self disclosure", Detail: "identity information"}, func(tx *store.Tx) error {
		var err error
		cur, _, err = readIdentity(tx, "", code)
		if jukinet.ErrorKind(err) == jukinet.KindNotFound {
			cur, err = nil, nil
		}
		return err
	})
	return cur, err
}

// List returns the agencies in file order.
func (a *Agencies) List() []Agency { return append([]Agency(nil), a.list...) }

// Agencies returns the agency list the national server provides to.
func (n *National) Agencies() *Agencies { return n.agencies.Load() }
