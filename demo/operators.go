package demo

import (
	"context"
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

// demoOperators are invented staff of a city hall.
var demoOperators = []struct {
	id, name, dept, role string
	auths                []jukinet.Authority
}{
	{"C-ADMIN", "山田 花子", "市民課", "アクセス管理責任者・セキュリティ責任者 (市民課長)", []jukinet.Authority{jukinet.AuthorityAccessAdmin}},
	{"C-CLERK", "佐藤 一郎", "市民課", "窓口 (記録・照会)", []jukinet.Authority{jukinet.AuthorityRecord, jukinet.AuthorityLookup}},
	{"C-ISSUE", "鈴木 美咲", "市民課", "交付・特例転入", []jukinet.Authority{jukinet.AuthorityIssue, jukinet.AuthoritySpecialMoveIn}},
	{"C-NUMBER", "高橋 健", "市民課", "個人番号", []jukinet.Authority{jukinet.AuthorityNumber}},
	{"C-AUDIT", "田中 直子", "総務課", "監査", []jukinet.Authority{jukinet.AuthorityAudit}},
	{"C-SYSADM", "伊藤 誠", "デジタル推進課", "システム管理者", []jukinet.Authority{jukinet.AuthoritySystemAdmin}},
}

// SeedOperators creates the demo's synthetic operators with 照合情報
// enrolled from reader (a noise-free reading of each), 操作者ID valid for a
// year decided with the アクセス管理責任者 (who is also the セキュリティ責任者,
// as in 防府市: both are the head of the Citizen Division, G5, G11-2), and
// the terminal TerminalID. It acts as the system principal "demo-seed"
// (bootstrap: there is no admin yet). Not idempotent: KindConflict on a
// second run.
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
	manager := demoOperators[0].id
	var out []Operator
	for _, d := range demoOperators {
		if err := s.CreateOperator(ctx, access.Operator{CollationID: d.id, Name: d.name, Department: d.dept}); err != nil {
			return nil, err
		}
		if err := s.Enroll(ctx, d.id, reader.Template(d.id)); err != nil {
			return nil, err
		}
		op := Operator{CollationID: d.id, Name: d.name, Department: d.dept, Role: d.role}
		for _, a := range d.auths {
			id, err := s.Assign(ctx, access.Assignment{
				OperatorID: "OP-" + d.id[2:] + "-" + string(a), CollationID: d.id, Authority: a, Scope: "node:" + db.Node(),
				ValidFrom: from, ValidUntil: until, SecurityManager: manager, DecisionRef: "demo-seed",
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
