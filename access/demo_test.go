package access

import (
	"context"
	"strings"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/store"
)

// The access tests' own operators: the demo network's (package demo seeds
// the same staff; this package cannot import it).

// DemoTerminal is the terminal SeedDemoOperators registers.
const DemoTerminal = "T-01"

// DemoOperator is an operator SeedDemoOperators created. The web UI's
// 仮想リーダー reads them with reader.Genuine(CollationID, 0.1).
type DemoOperator struct {
	CollationID string
	Name        string
	Department  string
	Role        string   // what the demo uses them for
	OperatorIDs []string // one per authority, in the order of Authorities
	Authorities []jukinet.Authority
}

// DemoPerson is one invented member of 防府市's staff: the one list of the
// demo's people, whose names the governance records use too.
type DemoPerson struct {
	CollationID string
	Name        string
	Department  string
	Role        string // their post and what the demo uses them for
	Authorities []jukinet.Authority
}

// DemoPeople are invented staff of a city hall. As the guideline has it, the
// head of the Citizen Division is セキュリティ責任者 (G5), アクセス管理責任者
// (G11-2) and 本人確認情報管理責任者 (G16.2); the head of Digital Promotion is
// システム管理者 (G4) and 情報資産管理責任者 (G16.2).
var DemoPeople = []DemoPerson{
	{"C-DEPUTY-MAYOR", "防府 太郎", "副市長", "セキュリティ統括責任者 (副市長)", []jukinet.Authority{jukinet.AuthorityGovernance}},
	{"C-CITIZEN-HEAD", "三田尻 花子", "市民課", "セキュリティ責任者・アクセス管理責任者・本人確認情報管理責任者 (市民課長)",
		[]jukinet.Authority{jukinet.AuthorityAccessAdmin, jukinet.AuthorityGovernance, jukinet.AuthorityIdentityManager}},
	{"C-ADMIN", "牟礼 一郎", "市民課", "アクセス管理 (市民課長補佐)", []jukinet.Authority{jukinet.AuthorityAccessAdmin}},
	{"C-CLERK", "華城 さくら", "市民課", "窓口 (記録・照会)、セキュリティ会議の庶務", []jukinet.Authority{jukinet.AuthorityRecord, jukinet.AuthorityLookup, jukinet.AuthorityGovernance}},
	{"C-ISSUE", "富海 健", "市民課", "交付・特例転入", []jukinet.Authority{jukinet.AuthorityIssue, jukinet.AuthoritySpecialMoveIn}},
	{"C-NUMBER", "大道 明", "市民課", "個人番号", []jukinet.Authority{jukinet.AuthorityNumber}},
	{"C-AUDIT", "田中 直子", "総務課", "監査", []jukinet.Authority{jukinet.AuthorityAudit}},
	{"C-SYSADM", "佐波 次郎", "デジタル推進課", "システム管理者・情報資産管理責任者 (デジタル推進課長)", []jukinet.Authority{jukinet.AuthoritySystemAdmin, jukinet.AuthorityGovernance}},
}

// DemoPersonOf returns the demo person with collationID.
func DemoPersonOf(collationID string) (DemoPerson, bool) {
	for _, p := range DemoPeople {
		if p.CollationID == collationID {
			return p, true
		}
	}
	return DemoPerson{}, false
}

// DemoOperatorID is the 操作者ID SeedDemoOperators gives a demo person for authority a.
func DemoOperatorID(collationID string, a jukinet.Authority) string {
	return "OP-" + strings.TrimPrefix(collationID, "C-") + "-" + string(a)
}

// SeedDemoOperators creates the demo's people as operators with 照合情報
// enrolled from reader (a noise-free reading of each), 操作者ID valid for a
// year and the terminal DemoTerminal. It acts as the system principal
// "demo-seed": it bootstraps a new node, before any セキュリティ責任者 is
// appointed, so the register records each 操作者ID as "bootstrap:demo-seed"
// (Assign). Not idempotent: KindConflict on a second run.
func SeedDemoOperators(ctx context.Context, db *store.DB, reader *biometric.SyntheticReader, key biometric.NodeKey) ([]DemoOperator, error) {
	ring, err := NewKeyRing(key)
	if err != nil {
		return nil, err
	}
	s, err := New(db, ring, Options{})
	if err != nil {
		return nil, err
	}
	ctx = jukinet.WithActor(ctx, jukinet.SystemActor("demo-seed"))
	if err := s.RegisterTerminal(ctx, Terminal{ID: DemoTerminal, Name: "統合端末1", Location: "市民課窓口"}); err != nil {
		return nil, err
	}
	now := db.Now().UTC()
	from := now.Add(-time.Hour)
	until := now.AddDate(1, 0, 0)
	var out []DemoOperator
	for _, d := range DemoPeople {
		if err := s.CreateOperator(ctx, Operator{CollationID: d.CollationID, Name: d.Name, Department: d.Department}); err != nil {
			return nil, err
		}
		if err := s.Enroll(ctx, d.CollationID, reader.Template(d.CollationID)); err != nil {
			return nil, err
		}
		op := DemoOperator{CollationID: d.CollationID, Name: d.Name, Department: d.Department, Role: d.Role}
		for _, a := range d.Authorities {
			id, err := s.Assign(ctx, Assignment{
				OperatorID: DemoOperatorID(d.CollationID, a), CollationID: d.CollationID, Authority: a, Scope: "node:" + db.Node(),
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
