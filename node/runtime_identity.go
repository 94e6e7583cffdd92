package node

// A minimal identity flow (本人確認情報通知, 法30条の6 and 30条の7) so the network
// runs before the full flow handlers exist. The flows helper replaces this
// file: DefaultHandlers then returns its MunicipalityHandlers /
// PrefectureHandlers / NationalHandlers.

import (
	"encoding/json"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
)

// DefaultHandlers returns the handlers a node of role accepts by default.
func DefaultHandlers(role network.Role) Handlers {
	switch role {
	case network.RolePrefecture:
		return Handlers{network.KindIdentityNotify: prefectureIdentityNotify}
	case network.RoleNational:
		return Handlers{network.KindIdentityRelay: nationalIdentityRelay}
	}
	return Handlers{}
}

// prefectureIdentityNotify stores a municipality's identity information and
// relays the original signed envelope to the national server (法30条の7).
func prefectureIdentityNotify(tx *store.Tx, env *network.Envelope) error {
	info, err := identityOf(env)
	if err != nil {
		return err
	}
	if err := storeIdentity(tx, info, env.ID.String()); err != nil {
		return err
	}
	orig, err := network.EncodeEnvelope(env)
	if err != nil {
		return jukinet.E("node.prefectureIdentityNotify", jukinet.KindInternal, err)
	}
	tx.Send(store.Message{Kind: network.KindIdentityRelay.String(), To: network.NationalID,
		OrderingKey: env.OrderingKey, Version: env.Version, Body: []byte{}, Envelope: orig})
	return nil
}

// nationalIdentityRelay stores the identity information inside a relayed
// envelope (the transport has verified the municipality's signature).
func nationalIdentityRelay(tx *store.Tx, env *network.Envelope) error {
	inner, err := network.DecodeEnvelope(env.Body)
	if err != nil {
		return jukinet.E("node.nationalIdentityRelay", jukinet.KindInvalid, jukinet.Field("body"), err)
	}
	if inner.Kind != network.KindIdentityNotify {
		return jukinet.Errorf("node.nationalIdentityRelay", jukinet.KindInvalid, "body.kind", "relayed %s has no handler here", inner.Kind)
	}
	if inner.OrderingKey != env.OrderingKey || inner.Version != env.Version {
		return jukinet.Errorf("node.nationalIdentityRelay", jukinet.KindInvalid, "ordering_key", "the relay's ordering key and version must be the relayed message's")
	}
	info, err := identityOf(inner)
	if err != nil {
		return err
	}
	return storeIdentity(tx, info, inner.ID.String())
}

// identityOf decodes and validates the identity information of an
// identity.notify envelope, which must come from the municipality it is about.
func identityOf(env *network.Envelope) (jukinet.IdentityInfo, error) {
	const op = "node.identity"
	var info jukinet.IdentityInfo
	if err := Decode(env, &info); err != nil {
		return info, err
	}
	if err := info.Validate(); err != nil {
		return info, jukinet.E(op, jukinet.Field("body"), err)
	}
	if string(info.Municipality) != env.From {
		return info, jukinet.Errorf(op, jukinet.KindInvalid, "body.municipality", "a municipality reports only its own residents")
	}
	if info.OrderingKey() != env.OrderingKey || info.Version != env.Version {
		return info, jukinet.Errorf(op, jukinet.KindInvalid, "ordering_key", "the envelope's ordering key and version must be the body's")
	}
	return info, nil
}

// storeIdentity records info as current (unless a newer version is) and
// appends it to the history.
func storeIdentity(tx *store.Tx, info jukinet.IdentityInfo, messageID string) error {
	const op = "node.storeIdentity"
	b, err := json.Marshal(info)
	if err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	now := tx.NowMicro()
	if _, err := tx.Exec(`INSERT INTO identity_info (municipality, resident_code, version, info, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (municipality, resident_code) DO UPDATE SET version = excluded.version, info = excluded.info, updated_at = excluded.updated_at
		WHERE excluded.version > identity_info.version`,
		string(info.Municipality), string(info.ResidentCode), int64(info.Version), string(b), now); err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	if _, err := tx.Exec(`INSERT INTO identity_info_history (municipality, resident_code, version, message_id, info, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		string(info.Municipality), string(info.ResidentCode), int64(info.Version), messageID, string(b), now); err != nil {
		if store.IsUniqueViolation(err) {
			return jukinet.Errorf(op, jukinet.KindConflict, "version", "version %d of this person is already recorded", info.Version)
		}
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	return nil
}
