package web

import (
	"context"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/access"
	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/governance"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
)

// This file is the one place that wires the screens to the real services:
// Auth is *access.Service, Counter is *register.Register, VirtualReader is
// *biometric.SyntheticReader (demo only), and Admin is NewAdmin(db).

var (
	_ Auth          = (*access.Service)(nil)
	_ Admin         = dbAdmin{}
	_ VirtualReader = (*biometric.SyntheticReader)(nil)
	_ Counter       = (*register.Register)(nil)
)

// NewAdmin returns the admin console's backend over a node's database: the
// operation log (oplog.Query), the 管理簿 (access.Registers), the queues
// (network.QueueStatus) and the compliance report (governance).
func NewAdmin(db *store.DB) Admin { return dbAdmin{db: db, gov: governance.New(db)} }

type dbAdmin struct {
	db  *store.DB
	gov *governance.Service
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

func (a dbAdmin) Compliance(ctx context.Context, asOf jukinet.Date) (governance.Report, error) {
	return a.gov.ComplianceReport(ctx, asOf)
}
