// Package access implements operator access control (G11–G14, docs/design.md §6):
// operators and their 照合ID (CollationID), the protected 照合情報 (a
// biometric template, never the reading), 操作者ID (OperatorID) with an
// authority, a validity period and a scope, the registered 統合端末
// (terminals), login by 照合ID + a reading, sessions bound to a terminal,
// lockout, the 管理簿 (registers) of 照合ID and 操作者ID with their history,
// the watch list of residents whose every lookup deserves a second look, and
// the record of the OS password policy (G12.2).
//
// Every change goes through store.DB.Update and leaves an operation-log
// record; so does every login attempt, success, failure, lockout, unlock and
// logout. No reading is ever stored or logged.
package access

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/time/rate"
	"unicode"
	"unicode/utf8"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/store"
)

// Status is an operator's standing.
type Status string

// Operator statuses. Only an active operator may log in.
const (
	StatusActive      Status = "active"      // 在職
	StatusRetired     Status = "retired"     // 退職: 照合情報 deleted, sessions ended
	StatusTransferred Status = "transferred" // 異動: moved out of the using department
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	return s == StatusActive || s == StatusRetired || s == StatusTransferred
}

// Operator is a person who works on the network, identified by one
// 照合ID (G2.7).
type Operator struct {
	CollationID string    `json:"collation_id"` // 照合ID
	Name        string    `json:"name"`
	Department  string    `json:"department"`
	Status      Status    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
	Failures    int       `json:"failures"` // consecutive failed logins
	Locked      bool      `json:"locked"`
	// TemplateVersion is the node key version of the enrolled 照合情報, 0 when
	// none is enrolled (never enrolled, revoked or retired).
	TemplateVersion uint32    `json:"template_version"`
	EnrolledAt      time.Time `json:"enrolled_at"`
}

// Assignment asks for a 操作者ID (G2.8) for an operator. G13.3: which
// operators hold which type is decided by the アクセス管理責任者 together with
// the セキュリティ責任者, so the assignment names the decision the person
// holding the セキュリティ責任者 role recorded in governance
// (governance.DecideAccess); the register keeps its maker and its ID.
type Assignment struct {
	OperatorID  string            // optional; generated when empty
	CollationID string            // whose
	Authority   jukinet.Authority // its type
	Scope       string            // the terminals it may be used on: "node:*" (or ""), "node:<this node>", "terminal:<ID>" (scope.go)
	ValidFrom   time.Time
	ValidUntil  time.Time
	DecisionID  string // the セキュリティ責任者's decision (governance.AccessDecision.ID)
}

// OperatorIDRecord is one 操作者ID as the register keeps it.
type OperatorIDRecord struct {
	OperatorID      string            `json:"operator_id"`
	CollationID     string            `json:"collation_id"`
	Authority       jukinet.Authority `json:"authority"`
	Scope           string            `json:"scope"`
	ValidFrom       time.Time         `json:"valid_from"`
	ValidUntil      time.Time         `json:"valid_until"`
	SecurityManager string            `json:"security_manager"`
	DecisionRef     string            `json:"decision_ref"`
	AssignedAt      time.Time         `json:"assigned_at"`
	AssignedBy      string            `json:"assigned_by"`
	WithdrawnAt     time.Time         `json:"withdrawn_at"` // zero while in force
	WithdrawnBy     string            `json:"withdrawn_by"`
}

// ValidAt reports whether the 操作者ID may be used at t.
func (r OperatorIDRecord) ValidAt(t time.Time) bool {
	return r.WithdrawnAt.IsZero() && !t.Before(r.ValidFrom) && t.Before(r.ValidUntil)
}

// Terminal is a registered 統合端末 (G2.5) of this node.
type Terminal struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Location string `json:"location"`
	Active   bool   `json:"active"`
}

// Options tune a Service. Zero fields take the defaults noted.
type Options struct {
	Now            func() time.Time // default: the database's clock
	IdleTimeout    time.Duration    // default 15 min
	AbsoluteLimit  time.Duration    // default 8 h
	ChooseTimeout  time.Duration    // time to pick a 操作者ID after 照合; default 2 min
	MaxFailures    int              // consecutive failures that lock a 照合ID; default 5
	Rand           io.Reader        // default crypto/rand.Reader
	SystemName     string           // system principal of login records; default "access"
	TouchThreshold time.Duration    // how stale last-seen may get before a request refreshes it; default IdleTimeout/15
	// Login attempts per source address and per terminal (throttle.go);
	// defaults DefaultLoginSourceRate/Burst, DefaultLoginTermRate/Burst.
	LoginSourceRate, LoginTerminalRate   rate.Limit
	LoginSourceBurst, LoginTerminalBurst int
	Logger                               *slog.Logger // lockouts (the terminal, never the 照合ID); default discards
}

// Service is the access control of one node. It is safe for concurrent use.
type Service struct {
	db       *store.DB
	keys     KeyRing
	matchers map[uint32]*biometric.Matcher
	// dummy is a template of random bits under the current key: an unknown
	// 照合ID is verified against it so that a failure costs the same work
	// whether or not the ID exists (no user enumeration by timing).
	dummy    biometric.Template
	opt      Options
	throttle throttle
}

// New returns the access service of db with the node's biometric keys.
func New(db *store.DB, keys KeyRing, opt Options) (*Service, error) {
	if len(keys.keys) == 0 {
		return nil, jukinet.E("access.New", jukinet.KindInvalid, jukinet.Field("keys"), "the node key ring is empty")
	}
	if opt.Now == nil {
		opt.Now = db.Now
	}
	if opt.IdleTimeout <= 0 {
		opt.IdleTimeout = 15 * time.Minute
	}
	if opt.AbsoluteLimit <= 0 {
		opt.AbsoluteLimit = 8 * time.Hour
	}
	if opt.ChooseTimeout <= 0 {
		opt.ChooseTimeout = 2 * time.Minute
	}
	if opt.MaxFailures <= 0 {
		opt.MaxFailures = 5
	}
	if opt.Rand == nil {
		opt.Rand = rand.Reader
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.SystemName == "" {
		opt.SystemName = "access"
	}
	if opt.TouchThreshold <= 0 {
		opt.TouchThreshold = opt.IdleTimeout / 15
	}
	if opt.LoginSourceRate <= 0 {
		opt.LoginSourceRate = DefaultLoginSourceRate
	}
	if opt.LoginSourceBurst <= 0 {
		opt.LoginSourceBurst = DefaultLoginSourceBurst
	}
	if opt.LoginTerminalRate <= 0 {
		opt.LoginTerminalRate = DefaultLoginTermRate
	}
	if opt.LoginTerminalBurst <= 0 {
		opt.LoginTerminalBurst = DefaultLoginTermBurst
	}
	s := &Service{db: db, keys: keys, matchers: map[uint32]*biometric.Matcher{}, opt: opt}
	for _, k := range keys.keys {
		s.matchers[k.Version] = biometric.NewMatcher(k)
	}
	var noise biometric.Reading
	if _, err := io.ReadFull(opt.Rand, noise[:]); err != nil {
		return nil, jukinet.E("access.New", jukinet.KindInternal, err)
	}
	dummy, err := s.current().Enroll(noise, opt.Rand)
	if err != nil {
		return nil, jukinet.E("access.New", jukinet.KindInternal, err)
	}
	s.dummy = dummy
	return s, nil
}

// DB is the service's database.
func (s *Service) DB() *store.DB { return s.db }

// Keys is the service's node key ring.
func (s *Service) Keys() KeyRing { return s.keys }

func (s *Service) current() *biometric.Matcher { return s.matchers[s.keys.Current().Version] }

func (s *Service) now() time.Time { return s.opt.Now() }

func (s *Service) system(ctx context.Context) context.Context {
	return jukinet.WithActor(ctx, jukinet.SystemActor(s.opt.SystemName))
}

// validText checks a free-text field: valid UTF-8, not blank, no control
// characters, at most max runes.
func validText(op, field, s string, max int) error {
	if strings.TrimSpace(s) == "" {
		return jukinet.Errorf(op, jukinet.KindInvalid, field, "%s is required", field)
	}
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return jukinet.Errorf(op, jukinet.KindInvalid, field, "%s must be valid text of at most %d characters", field, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return jukinet.Errorf(op, jukinet.KindInvalid, field, "%s must not contain control characters", field)
		}
	}
	return nil
}

func checkID(op, field, id string) error {
	if !jukinet.ValidID(id) {
		return jukinet.Errorf(op, jukinet.KindInvalid, field, "%s must be 1–32 letters, digits, '-' or '_'", field)
	}
	return nil
}

// logID renders an ID for a log detail: as is when valid, else a marker
// (whatever someone typed must not land in the log unchecked).
func logID(id string) string {
	if jukinet.ValidID(id) {
		return id
	}
	return "(invalid)"
}

func micro(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicro(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

// addHistory appends a 管理簿 history row (G13.4) in tx.
func addHistory(tx *store.Tx, register, id, event, detail string) error {
	_, err := tx.Exec(`INSERT INTO access_history (time, register, id, event, detail, actor) VALUES ($1, $2, $3, $4, $5, $6)`,
		tx.NowMicro(), register, id, event, detail, tx.Actor().String())
	return err
}

// The registers a history row belongs to.
const (
	registerCollation = "collation" // 照合ID 管理簿
	registerOperator  = "operator"  // 操作者ID 管理簿
	registerTerminal  = "terminal"
)
