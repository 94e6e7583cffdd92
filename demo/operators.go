package demo

import (
	"context"
	"strings"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/access"
	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/store"
)

// TerminalID is the terminal SeedOperators registers at every demo node:
// the terminal of a browser without a terminal certificate in the demo
// setting, and the one LayOut issues a certificate for.
const TerminalID = "T-01"

// Operator is an operator SeedOperators created. The web UI's
// 仮想リーダー reads them with reader.Genuine(CollationID, 0.1).
type Operator struct {
	CollationID string
	Name        string
	Department  string
	Role        string   // what the demo uses them for
	OperatorIDs []string // one per authority, in the order of Authorities
	Authorities []jukinet.Authority
}

// Person is one invented member of 防府市's staff: the one list of the
// demo's people, whose names the governance records use too.
type Person struct {
	CollationID string
	Name        string
	Department  string
	Role        string // their post and what the demo uses them for
	Authorities []jukinet.Authority
}

// People are invented staff of a city hall. As the guideline has it, the
// head of the Citizen Division is セキュリティ責任者 (G5), アクセス管理責任者
// (G11-2) and 本人確認情報管理責任者 (G16.2); the head of Digital Promotion is
// システム管理者 (G4) and 情報資産管理責任者 (G16.2).
var People = []Person{
	{DemoDeputyMayor, "防府 太郎", "副市長", "セキュリティ統括責任者 (副市長)", []jukinet.Authority{jukinet.AuthorityGovernance}},
	{DemoCitizenHead, "三田尻 花子", "市民課", "セキュリティ責任者・アクセス管理責任者・本人確認情報管理責任者 (市民課長)",
		[]jukinet.Authority{jukinet.AuthorityAccessAdmin, jukinet.AuthorityGovernance, jukinet.AuthorityIdentityManager}},
	{DemoAccessAdmin, "牟礼 一郎", "市民課", "アクセス管理 (市民課長補佐)", []jukinet.Authority{jukinet.AuthorityAccessAdmin}},
	{DemoClerk, "華城 さくら", "市民課", "窓口 (記録・照会)、セキュリティ会議の庶務", []jukinet.Authority{jukinet.AuthorityRecord, jukinet.AuthorityLookup, jukinet.AuthorityGovernance}},
	{DemoIssuer, "富海 健", "市民課", "交付・特例転入", []jukinet.Authority{jukinet.AuthorityIssue, jukinet.AuthoritySpecialMoveIn}},
	{DemoNumber, "大道 明", "市民課", "個人番号", []jukinet.Authority{jukinet.AuthorityNumber}},
	{DemoAuditor, "田中 直子", "総務課", "監査", []jukinet.Authority{jukinet.AuthorityAudit}},
	{DemoSysAdmin, "佐波 次郎", "デジタル推進課", "システム管理者・情報資産管理責任者 (デジタル推進課長)", []jukinet.Authority{jukinet.AuthoritySystemAdmin, jukinet.AuthorityGovernance}},
}

// PersonOf returns the demo person with collationID.
func PersonOf(collationID string) (Person, bool) {
	for _, p := range People {
		if p.CollationID == collationID {
			return p, true
		}
	}
	return Person{}, false
}

// OperatorID is the 操作者ID SeedOperators gives a demo person for authority a.
func OperatorID(collationID string, a jukinet.Authority) string {
	return "OP-" + strings.TrimPrefix(collationID, "C-") + "-" + string(a)
}

// SeedOperators creates the demo's people as operators with 照合情報
// enrolled from reader (a noise-free reading of each), 操作者ID valid for a
// year and the terminal TerminalID. It acts as the system principal
// "demo-seed": it bootstraps a new node, before any セキュリティ責任者 is
// appointed, so the register records each 操作者ID as "bootstrap:demo-seed"
// (access.Service.Assign). Not idempotent: KindConflict on a second run.
func SeedOperators(ctx context.Context, db *store.DB, reader *biometric.SyntheticReader, key biometric.NodeKey) ([]Operator, error) {
	ring, err := access.NewKeyRing(key)
	if err != nil {
		return nil, err
	}
	s, err := access.New(db, ring, access.Options{})
	if err != nil {
		return nil, err
	}
	ctx = jukinet.WithActor(ctx, jukinet.SystemActor("demo-seed"))
	if err := s.RegisterTerminal(ctx, access.Terminal{ID: TerminalID, Name: "統合端末1", Location: "市民課窓口"}); err != nil {
		return nil, err
	}
	now := db.Now().UTC()
	from := now.Add(-time.Hour)
	until := now.AddDate(1, 0, 0)
	var out []Operator
	for _, d := range People {
		if err := s.CreateOperator(ctx, access.Operator{CollationID: d.CollationID, Name: d.Name, Department: d.Department}); err != nil {
			return nil, err
		}
		if err := s.Enroll(ctx, d.CollationID, reader.Template(d.CollationID)); err != nil {
			return nil, err
		}
		op := Operator{CollationID: d.CollationID, Name: d.Name, Department: d.Department, Role: d.Role}
		for _, a := range d.Authorities {
			id, err := s.Assign(ctx, access.Assignment{
				OperatorID: OperatorID(d.CollationID, a), CollationID: d.CollationID, Authority: a, Scope: "node:" + db.Node(),
				ValidFrom: from, ValidUntil: until,
			})
			if err != nil {
				return nil, err
			}
			op.OperatorIDs = append(op.OperatorIDs, id)
			op.Authorities = append(op.Authorities, a)
		}
		out = append(out, op)
	}
	return out, nil
}
