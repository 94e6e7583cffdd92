// Package web is the 統合端末 (integrated terminal, G2.5) of a municipality's
// CS in the browser: operator login by 照合ID and a reading, the counter work
// (窓口) on the resident register, and the admin console. Pages are rendered on
// the server from embedded templates; htmx (vendored under static/) only
// makes them quicker, every form also works without JavaScript.
//
// Handlers depend on the small interfaces below, not on the packages that
// implement them; wire.go adapts the real services.
package web

import (
	"context"
	"net/http"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/access"
	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/card"
	"github.com/jukinet/jukinet/compliance"
	"github.com/jukinet/jukinet/governance"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/register"
)

// Auth is operator login (照合情報認証, G2.6–G2.8, G11.2): 照合 by 照合ID and a
// reading, the choice of a 操作者ID, and sessions bound to the terminal.
// *access.Service implements it.
type Auth interface {
	Verify(ctx context.Context, terminal, collationID string, r biometric.Reading) (access.Challenge, error)
	Choose(ctx context.Context, challengeToken, terminal, operatorID string) (access.Session, error)
	Authenticate(ctx context.Context, token, terminal string) (jukinet.Actor, error)
	Logout(ctx context.Context, token, terminal string) error
}

// Counter is the counter work (窓口) on the municipality's resident register.
// *register.Register implements it. Every call runs under the actor in ctx.
type Counter interface {
	Municipality() jukinet.LGCode
	Search(ctx context.Context, q register.Query, purpose string) ([]register.Resident, error)
	Get(ctx context.Context, code jukinet.ResidentCode, purpose string) ([]register.Resident, error)
	MoveWithin(ctx context.Context, in register.MoveWithinInput) ([]*register.Resident, error)
	MoveOut(ctx context.Context, in register.MoveOutInput) (*register.Resident, error)
	Death(ctx context.Context, in register.DeathInput) (*register.Resident, error)
	NameChange(ctx context.Context, code jukinet.ResidentCode, name jukinet.Name, date jukinet.Date) (*register.Resident, error)
	Birth(ctx context.Context, in register.BirthInput) (*register.Resident, error)
	MoveInDomestic(ctx context.Context, in register.MoveInInput) (*register.Resident, error)
	HouseholderChange(ctx context.Context, in register.HouseholderChangeInput) ([]*register.Resident, error)
	HouseholdOf(ctx context.Context, id, purpose string) (*register.Household, error)
	HouseholdSplit(ctx context.Context, in register.HouseholdSplitInput) ([]*register.Resident, error)
	ExOfficioCorrect(ctx context.Context, in register.ChangeInput) (*register.Resident, error)
	ClericalCorrection(ctx context.Context, in register.ChangeInput) (*register.Resident, error)
	RequestIndividualNumber(ctx context.Context, code jukinet.ResidentCode, reason jukinet.ChangeReason, date jukinet.Date) error
	PendingNumberRequest(ctx context.Context, code jukinet.ResidentCode, purpose string) (*register.NumberRequest, error)
	HouseholdMerge(ctx context.Context, in register.HouseholdMergeInput) ([]*register.Resident, error)
	HouseholdChange(ctx context.Context, in register.HouseholdChangeInput) (*register.Resident, error)
	SetFormerSurname(ctx context.Context, code jukinet.ResidentCode, surname, kana string, date jukinet.Date) (*register.Resident, error)
	SetAlias(ctx context.Context, code jukinet.ResidentCode, alias, kana string, date jukinet.Date) (*register.Resident, error)
	ExOfficioRemove(ctx context.Context, code jukinet.ResidentCode, date jukinet.Date, reason jukinet.ChangeReason) (*register.Resident, error)
	ChangeResidentCode(ctx context.Context, code jukinet.ResidentCode, date jukinet.Date) (*register.Resident, error)
	MoveInFromAbroad(ctx context.Context, in register.MoveInInput) (*register.Resident, error)
	ExOfficioAdd(ctx context.Context, in register.ExOfficioAddInput) (*register.Resident, error)
	SetSupportMeasure(ctx context.Context, in register.SupportMeasureInput) (*register.SupportMeasure, error)
	LiftSupportMeasure(ctx context.Context, code jukinet.ResidentCode, reason string) error
	MoveInNoticesOverdue(ctx context.Context, asOf jukinet.Date, purpose string) ([]register.Resident, error)
	SearchPage(ctx context.Context, q register.Query, purpose string) (register.SearchPage, error)
}

// Flows are the counter's inter-node work at a municipality's CS: 特例転入
// from the 転出証明書情報 received (法24条の2), 住民票の写しの広域交付
// (法12条の4) and the 戸籍の附票 notices received. NewFlows adapts a
// *node.Municipality.
type Flows interface {
	Certificates(ctx context.Context) ([]ReceivedCertificate, error)
	SpecialMoveIn(ctx context.Context, in node.SpecialMoveInInput) (*register.Resident, error)
	IssueCard(ctx context.Context, in node.IssueCardInput) error
	RequestCopy(ctx context.Context, in node.CopyRequestInput) (string, error)
	AwaitCopy(ctx context.Context, id string) (*node.CopyAnswer, error)
	Annex(ctx context.Context, domicile, purpose string) ([]node.AnnexNotice, error)
}

// Disclosure is the national server's 本人確認情報の提供状況の開示 (法30条の32).
// *node.National implements it.
type Disclosure interface {
	SelfDisclosure(ctx context.Context, code jukinet.ResidentCode) ([]node.ProvisionRecord, error)
	DiscloseIdentity(ctx context.Context, code jukinet.ResidentCode) (*jukinet.IdentityInfo, error)
	Agencies() *node.Agencies
}

// OperatorAdmin is the アクセス管理責任者's work on operators (G13):
// 照合情報 enrolment, renewal and deletion, 操作者ID assignment and
// withdrawal, unlocking. *access.Service implements it.
type OperatorAdmin interface {
	Operator(ctx context.Context, collationID string) (access.Operator, error)
	OperatorIDs(ctx context.Context, collationID string) ([]access.OperatorIDRecord, error)
	Enroll(ctx context.Context, collationID string, r biometric.Reading) error
	Renew(ctx context.Context, collationID string, r biometric.Reading) error
	Reenroll(ctx context.Context, collationID string, current, fresh biometric.Reading) error
	ReplaceLost(ctx context.Context, in access.Replacement) error
	Revoke(ctx context.Context, collationID, reason string) error
	Assign(ctx context.Context, a access.Assignment) (string, error)
	Withdraw(ctx context.Context, operatorID, reason string) error
	Unlock(ctx context.Context, collationID string) error
}

// RefusalLog records a request the route guard refused (G15: refused
// operations are in the operation log too). NewAdmin's value implements it.
type RefusalLog interface {
	LogRefusal(ctx context.Context, op jukinet.Operation)
}

// Admin is the admin console's backend: the operation log (G15), the
// registers of 照合ID and 操作者ID (G13.4), the network queues and the
// compliance report.
type Admin interface {
	QueryLog(ctx context.Context, f oplog.Filter) ([]oplog.Entry, error)
	Registers(ctx context.Context) (access.RegisterBook, error)
	NetworkStatus(ctx context.Context) (network.StatusReport, error)
	// NetworkRefusals is what the network listener refused since since, by
	// peer and reason (G2.4).
	NetworkRefusals(ctx context.Context, since time.Time) ([]network.RefusalCount, error)
	Compliance(ctx context.Context, asOf jukinet.Date) (compliance.Report, error)
	// LogStatus verifies the whole operation log (when the log's keys are
	// known) and reports its size and latest checkpoint.
	LogStatus(ctx context.Context) (LogStatus, error)
	// Prove exports one record with its inclusion proof (logged).
	Prove(ctx context.Context, index uint64) (oplog.Proof, error)
	// Analyse is the periodic misuse analysis over [from, to).
	Analyse(ctx context.Context, from, to time.Time) (oplog.AnalysisReport, error)
}

// Config configures the terminal's web handler.
type Config struct {
	// Terminal is the registered terminal ID this listener serves; sessions
	// are bound to it (G2.5). TerminalOf, if set, decides it per request
	// instead (e.g. from the client certificate).
	Terminal   string
	TerminalOf func(*http.Request) string
	// Title names the node on every page, e.g. "防府市".
	Title   string
	Auth    Auth
	Counter Counter // nil: the counter screens answer 503
	Flows   Flows   // nil: the inter-node counter screens answer 503
	// Cards is the terminal's card reader (個人番号カード); nil: the card
	// screens answer 503. The demo's is card.SyntheticReader.
	Cards card.Reader
	Admin Admin // nil: the admin screens answer 503
	// Operators is the operator administration; nil: those screens answer 503.
	Operators OperatorAdmin
	// National, on the national server's terminal, is its self-disclosure.
	National Disclosure
	// Refusals records refused requests; nil: Admin's, when it has one.
	Refusals RefusalLog
	// Gov is operation management (運用管理): screens and /api/gov; nil: they answer 503.
	Gov *governance.Service
	// Demo marks a demo node (node.toml demo = true): every page says so,
	// and the login page offers the 仮想リーダー (package demo answers it;
	// production terminals have a reader agent, docs/reader.md).
	Demo bool
	Now  func() time.Time
	Logf func(format string, args ...any)
}
