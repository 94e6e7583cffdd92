package node

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/store"
)

// AssemblyConfig says which node to assemble on which database.
type AssemblyConfig struct {
	DB          *store.DB
	Description *network.Description
	SigningKey  ed25519.PrivateKey // the node's network signing key (also signs its log's checkpoints)
	Agencies    *Agencies          // national only: the agencies it may provide to (nil: none)
	// CheckpointEvery and CheckpointInterval pace the operation-log
	// checkpointer (defaults DefaultCheckpointEvery records and
	// DefaultCheckpointInterval).
	CheckpointEvery    uint64
	CheckpointInterval time.Duration
	Logger             *slog.Logger // checkpoint events; nil discards
	// DomicileCodes is a municipality's map of 本籍 to municipality; nil
	// means DomicileCodesOf(Description). A process hosting many nodes of
	// one description (jukinet bench country) computes it once and gives
	// it to each: it is read only, and a map per node is one entry per
	// municipality of the country at every municipality.
	DomicileCodes map[string]jukinet.LGCode
}

// The operation-log checkpointer's default pace: a signed, witnessed
// checkpoint at most DefaultCheckpointInterval after a record is appended,
// sooner once DefaultCheckpointEvery records have accumulated. The interval
// is the bound that matters (how long a record waits to be covered); the
// count only keeps one checkpoint's work small. At 1,000 records a busy
// prefecture checkpointed — and asked its witness to cosign — about 24 times
// a second, ~8 % of the network pipeline's throughput (docs/performance.md).
const (
	DefaultCheckpointEvery    = 20000
	DefaultCheckpointInterval = 5 * time.Second
)

// Assembly is one node ready to start: the Go API of its role, the witness
// flow of its operation log and its checkpointer, and every handler the
// runtime dispatches to. `jukinet serve` and the demo network both build
// their nodes with Assemble, so a node runs the same code either way.
type Assembly struct {
	Role         network.Role
	Municipality *Municipality // set for a municipality
	Prefecture   *Prefecture   // set for a prefecture
	National     *National     // set for the national server
	Witness      *LogWitness
	Checkpointer *oplog.Checkpointer
	Handlers     Handlers
}

// Assemble builds node cfg.DB.Node() of the description.
func Assemble(ctx context.Context, cfg AssemblyConfig) (*Assembly, error) {
	const op = "node.Assemble"
	id := cfg.DB.Node()
	self, ok := cfg.Description.Node(id)
	if !ok {
		return nil, invalid(op, "node", "node %s is not in the network description", id)
	}
	a := &Assembly{Role: self.Role, Handlers: Handlers{}}
	var own Handlers
	switch self.Role {
	case network.RoleMunicipality:
		domicile := cfg.DomicileCodes
		if domicile == nil {
			domicile = DomicileCodesOf(cfg.Description)
		}
		m, err := NewMunicipality(cfg.DB, MunicipalityConfig{Municipality: jukinet.LGCode(id), Prefecture: self.Prefecture,
			DomicileCodes: domicile})
		if err != nil {
			return nil, err
		}
		// A municipality asks for resident codes as it starts (法30条の2): the
		// grant is queued now and delivered once the network is up.
		if err := m.EnsureCodePool(jukinet.WithActor(ctx, jukinet.SystemActor("node-start"))); err != nil {
			return nil, err
		}
		// … and, before it draws one, checks with the national server that
		// its database holds every grant (a restore nobody marked).
		if err := m.CheckCodePool(jukinet.WithActor(ctx, jukinet.SystemActor("node-start"))); err != nil {
			return nil, err
		}
		a.Municipality, own = m, m.Handlers()
	case network.RolePrefecture:
		p, err := NewPrefecture(cfg.DB, PrefectureConfig{ID: jukinet.LGCode(id)})
		if err != nil {
			return nil, err
		}
		a.Prefecture, own = p, p.Handlers()
	case network.RoleNational:
		nat, err := NewNational(ctx, cfg.DB, NationalConfig{Agencies: cfg.Agencies})
		if err != nil {
			return nil, err
		}
		// A restored national server learns the codes granted after its
		// backup from every municipality before it grants again.
		var munis []jukinet.LGCode
		for _, nd := range cfg.Description.Nodes() {
			if nd.Role == network.RoleMunicipality {
				munis = append(munis, jukinet.LGCode(nd.ID))
			}
		}
		if err := nat.RecoverGrantedCodes(jukinet.WithActor(ctx, jukinet.SystemActor("node-start")), munis); err != nil {
			return nil, err
		}
		// Unmarked, it may still be restored: every municipality's count of
		// grants tells, before any code is granted.
		if err := nat.CheckGrantCounts(jukinet.WithActor(ctx, jukinet.SystemActor("node-start")), munis); err != nil {
			return nil, err
		}
		a.National, own = nat, nat.Handlers()
	default:
		return nil, invalid(op, "role", "unknown role %q", self.Role)
	}
	if cfg.CheckpointEvery == 0 {
		cfg.CheckpointEvery = DefaultCheckpointEvery
	}
	if cfg.CheckpointInterval <= 0 {
		cfg.CheckpointInterval = DefaultCheckpointInterval
	}
	lw, err := NewLogWitness(LogWitnessConfig{DB: cfg.DB, Description: cfg.Description, SigningKey: cfg.SigningKey, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	if a.Checkpointer, err = lw.Checkpointer(cfg.CheckpointEvery, cfg.CheckpointInterval); err != nil {
		return nil, err
	}
	a.Witness = lw
	for k, f := range lw.Handlers() {
		a.Handlers[k] = f
	}
	for k, f := range own {
		a.Handlers[k] = f
	}
	return a, nil
}

// RunCheckpointer runs the assembly's checkpointer until ctx ends, reporting
// errors to logf; the returned function stops it and waits.
func (a *Assembly) RunCheckpointer(ctx context.Context, logf func(format string, args ...any)) (stop func()) {
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Checkpointer.Run(cctx, func(err error) {
			if logf != nil && cctx.Err() == nil {
				logf("checkpointer: %v", err)
			}
		})
	}()
	return func() { cancel(); <-done }
}

// MaintenanceInterval is how often a running node does its periodic
// housekeeping (Assembly.RunMaintenance).
const MaintenanceInterval = time.Hour

// RunMaintenance does the node's periodic housekeeping as it starts and then
// every interval until ctx ends, reporting errors to logf; the returned
// function stops it and waits. A municipality lapses the 個人番号カード whose
// 継続利用 was not done in time and the 転出証明書情報 past its window
// (ExpireCards, 番号法17条; 住民基本台帳法24条の2): without it a lapsed card
// would stay usable until someone ran the sweep by hand.
func (a *Assembly) RunMaintenance(ctx context.Context, interval time.Duration, logf func(format string, args ...any)) (stop func()) {
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if a.Municipality == nil {
			return
		}
		actx := jukinet.WithActor(cctx, jukinet.SystemActor("maintenance"))
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if _, _, err := a.Municipality.ExpireCards(actx); err != nil && logf != nil && cctx.Err() == nil {
				logf("maintenance: lapsing overdue cards: %v", err)
			}
			select {
			case <-cctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}
