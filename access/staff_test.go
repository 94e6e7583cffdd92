package access

import (
	"context"
	"strings"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/store"
)

// The access tests' own staff (the demo's live in package demo, which this
// package must not import): one operator per part the tests play, with the
// authorities the tests rely on.

// testTerminal is the one terminal seedTestStaff registers.
const testTerminal = "T-01"

// testStaff are the fixture's operators by 照合ID and the authorities of
// their 操作者ID (testOperatorID): the role holders the governance records
// need (セキュリティ統括責任者, セキュリティ責任者 and アクセス管理責任者, G5,
// G11-2), an access administrator, counter staff, an auditor and a system
// administrator.
var testStaff = []struct {
	collationID string
	authorities []jukinet.Authority
}{
	{"C-DEPUTY-MAYOR", []jukinet.Authority{jukinet.AuthorityGovernance}},
	{"C-CITIZEN-HEAD", []jukinet.Authority{jukinet.AuthorityAccessAdmin, jukinet.AuthorityGovernance, jukinet.AuthorityIdentityManager}},
	{"C-ADMIN", []jukinet.Authority{jukinet.AuthorityAccessAdmin}},
	{"C-CLERK", []jukinet.Authority{jukinet.AuthorityRecord, jukinet.AuthorityLookup, jukinet.AuthorityGovernance}},
	{"C-ISSUE", []jukinet.Authority{jukinet.AuthorityIssue, jukinet.AuthoritySpecialMoveIn}},
	{"C-NUMBER", []jukinet.Authority{jukinet.AuthorityNumber}},
	{"C-AUDIT", []jukinet.Authority{jukinet.AuthorityAudit}},
	{"C-SYSADM", []jukinet.Authority{jukinet.AuthoritySystemAdmin, jukinet.AuthorityGovernance}},
}

// testOperatorID is the 操作者ID seedTestStaff gives collationID for a:
// "OP-CLERK-record" for C-CLERK's record authority.
func testOperatorID(collationID string, a jukinet.Authority) string {
	return "OP-" + strings.TrimPrefix(collationID, "C-") + "-" + string(a)
}

// seedTestStaff registers testTerminal and creates testStaff with 照合情報
// enrolled from reader and 操作者ID valid for a year, as the system
// principal "test-seed" (a new node: the register records each 操作者ID as
// bootstrap, Assign).
func seedTestStaff(ctx context.Context, db *store.DB, reader *biometric.SyntheticReader, key biometric.NodeKey) error {
	ring, err := NewKeyRing(key)
	if err != nil {
		return err
	}
	s, err := New(db, ring, Options{})
	if err != nil {
		return err
	}
	ctx = jukinet.WithActor(ctx, jukinet.SystemActor("test-seed"))
	if err := s.RegisterTerminal(ctx, Terminal{ID: testTerminal, Name: "統合端末1", Location: "市民課窓口"}); err != nil {
		return err
	}
	now := db.Now().UTC()
	for _, p := range testStaff {
		if err := s.CreateOperator(ctx, Operator{CollationID: p.collationID, Name: "試験 " + strings.TrimPrefix(p.collationID, "C-"), Department: "市民課"}); err != nil {
			return err
		}
		if err := s.Enroll(ctx, p.collationID, reader.Template(p.collationID)); err != nil {
			return err
		}
		for _, a := range p.authorities {
			if _, err := s.Assign(ctx, Assignment{OperatorID: testOperatorID(p.collationID, a), CollationID: p.collationID, Authority: a,
				Scope: "node:" + db.Node(), ValidFrom: now.Add(-time.Hour), ValidUntil: now.AddDate(1, 0, 0)}); err != nil {
				return err
			}
		}
	}
	return nil
}
