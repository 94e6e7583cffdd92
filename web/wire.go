package web

import (
	"context"
	"fmt"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/access"
	"github.com/jukinet/jukinet/compliance"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
)

// This file is the one place that wires the screens to the real services:
// Auth is *access.Service, Counter is *register.Register, VirtualReader is
// *biometric.SyntheticReader (demo only), and Admin is NewAdmin(db).

var (
	_ Auth          = (*access.Service)(nil)
	_ OperatorAdmin = (*access.Service)(nil)
	_ Disclosure    = (*node.National)(nil)
	_ Flows         = municipalityFlows{}
	_ RefusalLog    = dbAdmin{}
	_ Admin         = dbAdmin{}
	_ Counter       = (*register.Register)(nil)
)

// NewAdmin returns the admin console's backend over a node's database: the
// operation log (oplog.Query), the 管理簿 (access.Registers), the queues
// (network.QueueStatus) and the compliance report (compliance).
func NewAdmin(db *store.DB) Admin { return dbAdmin{db: db} }

// NewAdminVerified is NewAdmin with the log's keys: LogStatus then
// recomputes the whole log (oplog.SQLLog.Verify) against them.
func NewAdminVerified(db *store.DB, v oplog.Verifier) Admin {
	return dbAdmin{db: db, verifier: &v}
}

// NewAdminLive is NewAdminVerified whose compliance report also runs the
// live checks (G2.4, G2.5, G12.1) on the facts live returns at report time.
func NewAdminLive(db *store.DB, v oplog.Verifier, live func() compliance.LiveFacts) Admin {
	return dbAdmin{db: db, verifier: &v, live: live}
}

type dbAdmin struct {
	db       *store.DB
	verifier *oplog.Verifier
	live     func() compliance.LiveFacts // nil: the live checks are not-checked
}

// LogStatus is the operation log's state: its size, the latest checkpoint
// and, when the keys are known, the outcome of verifying every record.
type LogStatus struct {
	Size       uint64
	Checkpoint *oplog.StoredCheckpoint // nil before the first one
	Pending    int                     // checkpoints waiting for a cosignature
	Verified   bool                    // Report is the outcome of a full verification
	Report     oplog.Report
	Took       time.Duration
}

// LogStatus reads the log as a query of it (OpOplogQuery, logged).
func (a dbAdmin) LogStatus(ctx context.Context) (LogStatus, error) {
	var st LogStatus
	if err := a.db.View(ctx, store.Op{Operation: jukinet.OpOplogQuery, Detail: "verify"}, nil); err != nil {
		return st, err
	}
	l := oplog.NewSQLLog(a.db)
	var err error
	if st.Size, err = l.Size(ctx); err != nil {
		return st, err
	}
	cp, ok, err := l.LatestCheckpoint(ctx, false)
	if err != nil {
		return st, err
	}
	if ok {
		st.Checkpoint = &cp
	}
	if st.Pending, err = l.PendingCheckpoints(ctx); err != nil {
		return st, err
	}
	if a.verifier != nil {
		start := time.Now()
		if st.Report, err = l.Verify(ctx, *a.verifier); err != nil {
			return st, err
		}
		st.Verified, st.Took = true, time.Since(start)
	}
	return st, nil
}

// Prove logs the export (OpOplogProve) and builds the proof.
func (a dbAdmin) Prove(ctx context.Context, index uint64) (oplog.Proof, error) {
	if err := a.db.View(ctx, store.Op{Operation: jukinet.OpOplogProve, Detail: fmt.Sprintf("prove %d", index)}, nil); err != nil {
		return oplog.Proof{}, err
	}
	return oplog.Prove(ctx, oplog.NewSQLLog(a.db), index)
}

func (a dbAdmin) Analyse(ctx context.Context, from, to time.Time) (oplog.AnalysisReport, error) {
	return oplog.Analyse(ctx, a.db, oplog.ReportConfig{From: from, To: to})
}

// LogRefusal records the terminal's refusal of op: the store's refusal
// helper authorizes op, so an actor who may not perform it is recorded as
// forbidden.
func (a dbAdmin) LogRefusal(ctx context.Context, op jukinet.Operation) {
	_ = a.db.RecordRefusal(ctx, store.Op{Operation: op, Detail: "refused by the terminal"})
}

// NewFlows adapts a municipality's CS to the counter's inter-node screens.
func NewFlows(m *node.Municipality) Flows { return municipalityFlows{m} }

type municipalityFlows struct{ *node.Municipality }

// Certificates lists the unused 転出証明書情報 (node owns the table).
func (f municipalityFlows) Certificates(ctx context.Context) ([]ReceivedCertificate, error) {
	return f.Municipality.ReceivedCertificates(ctx)
}

func (a dbAdmin) QueryLog(ctx context.Context, f oplog.Filter) ([]oplog.Entry, error) {
	return oplog.Query(ctx, a.db, f)
}

func (a dbAdmin) Registers(ctx context.Context) (access.RegisterBook, error) {
	return access.Registers(ctx, a.db)
}

// NetworkStatus reads queue metadata only; the policy check is the route's
// (OpNetworkStatusView), as QueueStatus itself is not an operation.
func (a dbAdmin) NetworkStatus(ctx context.Context) (network.StatusReport, error) {
	actor, _ := jukinet.ActorFrom(ctx)
	if err := jukinet.Authorize(OpNetworkStatusView, actor); err != nil {
		return network.StatusReport{}, err
	}
	return network.QueueStatus(ctx, a.db)
}

// NetworkRefusals reads the refusal counts; the route checks OpNetworkStatusView.
func (a dbAdmin) NetworkRefusals(ctx context.Context, since time.Time) ([]network.RefusalCount, error) {
	actor, _ := jukinet.ActorFrom(ctx)
	if err := jukinet.Authorize(OpNetworkStatusView, actor); err != nil {
		return nil, err
	}
	return network.Refusals(ctx, a.db, since)
}

// Compliance builds the report from the records, and runs the live checks
// (G2.4, G2.5, G12.1) on the node's facts when the console knows them
// (NewAdminLive); otherwise they show not-checked and `jukinet compliance
// report` runs them.
func (a dbAdmin) Compliance(ctx context.Context, asOf jukinet.Date) (compliance.Report, error) {
	var live compliance.LiveFacts
	if a.live != nil {
		live = a.live()
	}
	return compliance.Generate(ctx, a.db, asOf, live)
}
