package node

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"io"
	"sync/atomic"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
)

// NationalConfig configures the national server (全国サーバ of J-LIS).
type NationalConfig struct {
	// Agencies are the agencies the server may provide identity information
	// to (法30条の9, 別表); nil means none.
	Agencies *Agencies
	// CodeRand is the source of the random 住民票コード it grants, safe for
	// concurrent use; nil is crypto/rand. Tests replay a seeded one (one
	// handler at a time), as a restored server whose draws repeat would.
	CodeRand io.Reader
}

// National is the national server: identity information of every resident
// (relayed by the prefectures), 個人番号 generation, linking codes, card
// status, the resident-code pool, and provision to agencies.
type National struct {
	db       *store.DB
	codeRand io.Reader
	agencies atomic.Pointer[Agencies] // SetAgencies swaps it (SIGHUP)
	numberKey,
	linkKey []byte
	// municipalities are the network description's, given at start
	// (CheckGrantCounts, RecoverGrantedCodes): a restore found later asks
	// every one of them.
	municipalities atomic.Pointer[[]jukinet.LGCode]
}

// NewNational returns the national server on db. Its secret keys (for the
// 個人番号 permutation and the linking codes) are created on first use and
// kept in node_meta. Errors: KindInternal.
func NewNational(ctx context.Context, db *store.DB, cfg NationalConfig) (*National, error) {
	n := &National{db: db, codeRand: cfg.CodeRand}
	if n.codeRand == nil {
		n.codeRand = rand.Reader
	}
	n.SetAgencies(cfg.Agencies)
	var err error
	if n.numberKey, err = nodeKey(ctx, db, "flows_number_key"); err != nil {
		return nil, err
	}
	if n.linkKey, err = nodeKey(ctx, db, "flows_link_key"); err != nil {
		return nil, err
	}
	return n, nil
}

// nodeKey reads a 32-byte secret from node_meta, creating it if absent.
// Key material is not personal data and changes no business state: it is
// node metadata, the store's bookkeeping, like the store's own subject key.
func nodeKey(ctx context.Context, db *store.DB, name string) ([]byte, error) {
	const op = "node.nodeKey"
	v, err := db.Meta(ctx, name)
	if err != nil {
		return nil, err
	}
	if v == "" {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, internal(op, err)
		}
		if v, err = db.InitMeta(ctx, name, hex.EncodeToString(k)); err != nil {
			return nil, err
		}
	}
	k, err := hex.DecodeString(v)
	if err != nil || len(k) != 32 {
		return nil, jukinet.E(op, jukinet.KindInternal, "key "+name+" in node_meta is damaged")
	}
	return k, nil
}

// DB is the national server's database.
func (n *National) DB() *store.DB { return n.db }

// Handlers are the kinds the national server accepts.
func (n *National) Handlers() Handlers {
	return Handlers{
		network.KindIdentityRelay:           n.nationalIdentityRelay,
		network.KindMyNumberRequest:         n.nationalMyNumberRequest,
		network.KindLinkCodeRequest:         n.nationalLinkCodeRequest,
		network.KindCardStatus:              n.nationalCardStatus,
		network.KindResidentCodePoolRequest: n.nationalCodePoolRequest,
		network.KindResidentCodeReport:      n.nationalCodeReport,
		network.KindIdentityResync:          n.nationalIdentityResync,
		network.KindResidentCodeTally:       n.nationalCodeTally,
	}
}

// Identity returns the current identity information of a person (from the
// municipality that reported last) and its history there. Logged.
func (n *National) Identity(ctx context.Context, code jukinet.ResidentCode, purpose string) (*jukinet.IdentityInfo, []jukinet.IdentityInfo, error) {
	var cur *jukinet.IdentityInfo
	var hist []jukinet.IdentityInfo
	err := n.db.Update(ctx, store.Op{Operation: jukinet.OpFlowsRead, Subject: string(code), Purpose: purpose}, func(tx *store.Tx) error {
		var err error
		cur, hist, err = readIdentity(tx, "", code)
		return err
	})
	return cur, hist, err
}

// LinkedCodes returns the resident codes that replaced code.
func (n *National) LinkedCodes(ctx context.Context, code jukinet.ResidentCode) ([]jukinet.ResidentCode, error) {
	var out []jukinet.ResidentCode
	err := n.db.Update(ctx, store.Op{Operation: jukinet.OpFlowsRead, Subject: string(code), Purpose: "code link"}, func(tx *store.Tx) error {
		var err error
		out, err = linkedCodes(tx, code)
		return err
	})
	return out, err
}

// MoveOutConfirmations returns the 転出確定通知 received for a person.
func (n *National) MoveOutConfirmations(ctx context.Context, code jukinet.ResidentCode) ([]MoveOutConfirm, error) {
	var out []MoveOutConfirm
	err := n.db.Update(ctx, store.Op{Operation: jukinet.OpFlowsRead, Subject: string(code), Purpose: "move-out confirmation"}, func(tx *store.Tx) error {
		var err error
		out, err = moveOutConfirmations(tx, code)
		return err
	})
	return out, err
}

// MoveOutConfirmations returns the 転出確定通知 the prefecture received for a person.
func (p *Prefecture) MoveOutConfirmations(ctx context.Context, code jukinet.ResidentCode) ([]MoveOutConfirm, error) {
	var out []MoveOutConfirm
	err := p.db.Update(ctx, store.Op{Operation: jukinet.OpFlowsRead, Subject: string(code), Purpose: "move-out confirmation"}, func(tx *store.Tx) error {
		var err error
		out, err = moveOutConfirmations(tx, code)
		return err
	})
	return out, err
}

func noRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// SetAgencies replaces the agency list (法30条の9, 別表) for the requests
// that follow (`jukinet serve` reloads agencies.toml on SIGHUP); nil means
// none.
func (n *National) SetAgencies(a *Agencies) {
	if a == nil {
		a = &Agencies{}
	}
	n.agencies.Store(a)
}
