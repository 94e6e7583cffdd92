package access

import (
	"context"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/store"
)

// FirstOperator is a deployed node's first operator: the アクセス管理責任者
// who, from the admin console, enrols every other operator (G13).
type FirstOperator struct {
	CollationID string
	Name        string
	Department  string
	Reading     biometric.Reading // from the node's reader (docs/reader.md)
	DecisionRef string            // reference of the decision appointing them (G5)
	ValidFor    time.Duration     // default one year
	// Terminals are the 統合端末 to register (G2.5), each with a terminal
	// certificate issued by `jukinet pki issue --terminal`.
	Terminals []Terminal
}

// Bootstrap registers a node's terminals and its first operator, who holds
// an アクセス管理責任者 操作者ID valid on this node. Nobody decides about
// themselves (G13.3): it acts as the system principal "bootstrap", which may
// assign without a recorded decision only before a セキュリティ責任者 is
// appointed, so the 操作者ID 管理簿 names "bootstrap:bootstrap" (Assign); the
// reference of the decision appointing the first operator is kept in the
// register's history. It runs only on a node without operators: afterwards
// operators are the アクセス管理責任者's work.
// Returns the 操作者ID. Errors: KindConflict (the node has operators),
// those of RegisterTerminal, CreateOperator, Enroll and Assign.
func (s *Service) Bootstrap(ctx context.Context, f FirstOperator) (string, error) {
	const op = "access.Bootstrap"
	var n int
	if err := s.db.Bookkeeping(store.Status).QueryRowContext(ctx, `SELECT COUNT(*) FROM access_operators`).Scan(&n); err != nil {
		return "", jukinet.E(op, jukinet.KindInternal, err)
	}
	if n > 0 {
		return "", jukinet.Errorf(op, jukinet.KindConflict, "collation_id", "the node already has %d operator(s): the アクセス管理責任者 adds operators at the admin console", n)
	}
	if f.DecisionRef == "" {
		return "", jukinet.E(op, jukinet.KindInvalid, jukinet.Field("decision"), "the reference of the decision appointing the first operator is required")
	}
	if f.ValidFor <= 0 {
		f.ValidFor = 365 * 24 * time.Hour
	}
	ctx = jukinet.WithActor(ctx, jukinet.SystemActor("bootstrap"))
	for _, t := range f.Terminals {
		// A terminal registered by an earlier, interrupted run stays.
		if err := s.RegisterTerminal(ctx, t); err != nil && !jukinet.IsKind(err, jukinet.KindConflict) {
			return "", err
		}
	}
	if err := s.CreateOperator(ctx, Operator{CollationID: f.CollationID, Name: f.Name, Department: f.Department}); err != nil {
		return "", err
	}
	if err := s.Enroll(ctx, f.CollationID, f.Reading); err != nil {
		return "", err
	}
	now := s.db.Now().UTC()
	id, err := s.Assign(ctx, Assignment{CollationID: f.CollationID, Authority: jukinet.AuthorityAccessAdmin, Scope: "node:" + s.db.Node(),
		ValidFrom: now.Add(-time.Minute), ValidUntil: now.Add(f.ValidFor)})
	if err != nil {
		return "", err
	}
	detail := "operator_id=" + id + " appointed=" + logText(f.DecisionRef)
	err = s.act(ctx, jukinet.OpAccessAssign, detail, func(tx *store.Tx) error {
		return addHistory(tx, registerOperator, id, "appointed", "decision="+logText(f.DecisionRef))
	})
	if err != nil {
		return "", err
	}
	return id, nil
}
