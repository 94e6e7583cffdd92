package node

import (
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
)

// MunicipalityConfig configures a municipality's CS.
type MunicipalityConfig struct {
	Municipality jukinet.LGCode
	// Prefecture is the prefecture server's node ID; default: the
	// municipality's prefecture code.
	Prefecture string
	// DomicileCodes maps the start of a 本籍 text (prefecture + city name) to
	// the municipality that keeps its 戸籍 and 戸籍の附票 (Assemble: the
	// network's municipalities, DomicileCodesOf). A 本籍 matching none gets
	// no annex notice.
	DomicileCodes map[string]jukinet.LGCode
	// New resident codes come from the pool the national server grants
	// (法30条の2, 法30条の3); nothing draws them locally. PoolLow is the pool size below which more codes are requested
	// (default 20); PoolBatch how many are asked for (default 100).
	PoolLow, PoolBatch int
}

// DomicileCodesOf resolves a 本籍 to the municipality of the network that
// keeps its 戸籍の附票: 本籍 texts start with the prefecture's and the city's
// names, as the network description names the nodes (山口県 + 防府市).
func DomicileCodesOf(d *network.Description) map[string]jukinet.LGCode {
	out := map[string]jukinet.LGCode{}
	for _, n := range d.Nodes() {
		if n.Role != network.RoleMunicipality {
			continue
		}
		if p, ok := d.Node(n.Prefecture); ok {
			out[p.Name+n.Name] = jukinet.LGCode(n.ID)
		}
	}
	return out
}

// Municipality is a municipality's CS (コミュニケーションサーバ): its resident
// register and the flows the register's events cause.
type Municipality struct {
	db  *store.DB
	reg *register.Register
	cfg MunicipalityConfig
}

// NewMunicipality returns the CS of cfg.Municipality on db, with a register
// whose events queue their flows in the same transaction (転入通知,
// 転出証明書情報, 戸籍の附票記載事項通知). Errors: KindInvalid for a bad config.
func NewMunicipality(db *store.DB, cfg MunicipalityConfig) (*Municipality, error) {
	const op = "node.NewMunicipality"
	if cfg.PoolLow <= 0 {
		cfg.PoolLow = 20
	}
	if cfg.PoolBatch <= 0 {
		cfg.PoolBatch = 100
	}
	if cfg.PoolBatch > MaxPoolGrant {
		return nil, invalid(op, "pool_batch", "at most %d", MaxPoolGrant)
	}
	m := &Municipality{db: db, cfg: cfg}
	rc := register.Config{Municipality: cfg.Municipality, Prefecture: cfg.Prefecture, OnEvent: m.onEvent, Codes: poolCodes{m},
		AddressPrefix: ownPlaceName(cfg.DomicileCodes, cfg.Municipality)}
	reg, err := register.New(db, rc)
	if err != nil {
		return nil, jukinet.E(op, err)
	}
	m.reg = reg
	if m.cfg.Prefecture == "" {
		m.cfg.Prefecture = string(cfg.Municipality.PrefectureCode())
	}
	return m, nil
}

// ownPlaceName finds the municipality's own "prefecture + city" name in the
// place-name table ("" when it is not there: addresses are then not checked).
func ownPlaceName(places map[string]jukinet.LGCode, self jukinet.LGCode) string {
	name := ""
	for prefix, code := range places {
		if code == self && len(prefix) > len(name) {
			name = prefix
		}
	}
	return name
}

// Register is the municipality's resident register.
func (m *Municipality) Register() *register.Register { return m.reg }

// DB is the CS's database.
func (m *Municipality) DB() *store.DB { return m.db }

// Code is the municipality's LG code.
func (m *Municipality) Code() jukinet.LGCode { return m.cfg.Municipality }

// Handlers are the kinds a CS accepts.
func (m *Municipality) Handlers() Handlers {
	return Handlers{
		network.KindMoveInNotice:            m.municipalityMoveInNotice,
		network.KindMoveOutCertificate:      m.municipalityMoveOutCertificate,
		network.KindCopyRequest:             m.municipalityCopyRequest,
		network.KindCopyResponse:            m.municipalityCopyResponse,
		network.KindAnnexNotice:             m.municipalityAnnexNotice,
		network.KindMyNumberResponse:        m.municipalityMyNumberResponse,
		network.KindLinkCodeResponse:        m.municipalityLinkCodeResponse,
		network.KindCardStatus:              m.municipalityCardStatus,
		network.KindResidentCodePoolGrant:   m.municipalityCodePoolGrant,
		network.KindResidentCodeReportAsk:   m.municipalityCodeReportAsk,
		network.KindIdentityResyncAsk:       m.municipalityIdentityResyncAsk,
		network.KindResidentCodeTallyAsk:    m.municipalityCodeTallyAsk,
		network.KindResidentCodeTallyAnswer: m.municipalityCodeTallyAnswer,
		network.KindSupportMeasure:          m.municipalitySupportMeasure,
		network.KindReconcileDigests:        m.municipalityReconcileDigests,
	}
}

// DomicileMunicipality resolves a 本籍 text to the municipality keeping it
// ("" when no entry of the table matches).
func (m *Municipality) DomicileMunicipality(domicile string) jukinet.LGCode {
	best := ""
	for prefix := range m.cfg.DomicileCodes {
		if strings.HasPrefix(domicile, prefix) && len(prefix) > len(best) {
			best = prefix
		}
	}
	if best == "" {
		return ""
	}
	return m.cfg.DomicileCodes[best]
}

// onEvent queues every message a register event causes, inside its
// transaction — the identity notice (法30条の6) first, then the flows — so
// that an event's outgoing messages are queued in this one place.
func (m *Municipality) onEvent(tx *store.Tx, ev register.Event) error {
	if err := m.reg.QueueNotice(tx, ev); err != nil {
		return err
	}
	r := &ev.Resident
	switch ev.Change.Reason {
	case jukinet.ReasonMoveInDomestic:
		if err := m.queueMoveInNotice(tx, ev); err != nil {
			return err
		}
		if err := startCardContinuation(tx, r.ResidentCode, ev.Change.Date); err != nil {
			return err
		}
	case jukinet.ReasonMoveOutDomestic:
		if ev.Previous != nil {
			if err := m.queueMoveOutCertificate(tx, r, ev.Previous.CardHolder); err != nil {
				return err
			}
		}
	}
	return m.queueAnnexNotice(tx, ev)
}
