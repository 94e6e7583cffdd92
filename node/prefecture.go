package node

import (
	"context"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
)

// PrefectureConfig configures a prefecture server (都道府県サーバ).
type PrefectureConfig struct {
	// ID is the prefecture's own LG code, e.g. 350001 (山口県).
	ID jukinet.LGCode
}

// Prefecture is a prefecture server: it keeps the identity information of the
// prefecture's residents and relays what the municipalities notify to the
// national server (法30条の7).
type Prefecture struct {
	db *store.DB
	id jukinet.LGCode
}

// NewPrefecture returns the prefecture server on db. Errors: KindInvalid for
// an ID that is not a prefecture's LG code.
func NewPrefecture(db *store.DB, cfg PrefectureConfig) (*Prefecture, error) {
	const op = "node.NewPrefecture"
	if _, err := jukinet.ParseLGCode(string(cfg.ID)); err != nil {
		return nil, jukinet.E(op, err)
	}
	if !cfg.ID.IsPrefecture() {
		return nil, invalid(op, "id", "%s is not a prefecture's code", cfg.ID)
	}
	return &Prefecture{db: db, id: cfg.ID}, nil
}

// ID is the prefecture's LG code.
func (p *Prefecture) ID() jukinet.LGCode { return p.id }

// DB is the prefecture's database.
func (p *Prefecture) DB() *store.DB { return p.db }

// Handlers are the kinds a prefecture accepts.
func (p *Prefecture) Handlers() Handlers {
	return Handlers{
		network.KindIdentityNotify:      p.prefectureIdentityNotify,
		network.KindMoveOutConfirm:      p.prefectureMoveOutConfirm,
		network.KindAnnexIdentityNotify: p.prefectureAnnexIdentity,
		network.KindReconcileRequest:    p.prefectureReconcileRequest,
	}
}

// Identity returns the current identity information of a person as the
// prefecture holds it, and its history (oldest first). Logged (OpFlowsRead).
func (p *Prefecture) Identity(ctx context.Context, municipality jukinet.LGCode, code jukinet.ResidentCode, purpose string) (*jukinet.IdentityInfo, []jukinet.IdentityInfo, error) {
	var cur *jukinet.IdentityInfo
	var hist []jukinet.IdentityInfo
	err := p.db.Update(ctx, store.Op{Operation: jukinet.OpFlowsRead, Subject: string(code), Purpose: purpose}, func(tx *store.Tx) error {
		var err error
		cur, hist, err = readIdentity(tx, municipality, code)
		return err
	})
	return cur, hist, err
}

// LinkedCodes returns the resident codes that replaced code.
func (p *Prefecture) LinkedCodes(ctx context.Context, code jukinet.ResidentCode) ([]jukinet.ResidentCode, error) {
	var out []jukinet.ResidentCode
	err := p.db.Update(ctx, store.Op{Operation: jukinet.OpFlowsRead, Subject: string(code), Purpose: "code link"}, func(tx *store.Tx) error {
		var err error
		out, err = linkedCodes(tx, code)
		return err
	})
	return out, err
}
