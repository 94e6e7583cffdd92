// Package node hosts the three node kinds of the network — a municipality's CS,
// a prefecture server and the national server — and their message handlers,
// one per flow of docs/domain.md §3.
package node

import (
	"encoding/json"
	"io"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
)

// Handler applies one received, verified envelope inside the receiving
// node's transaction (the inbox deduplicates and orders before calling it).
// An error of a business kind rejects the message for good (it goes to the
// sender's dead-letter list): KindInvalid or KindTooLarge with reason
// invalid_body, KindNotFound, KindConflict, KindForbidden or KindExpired with
// reason refused. Any other error is internal: that message alone is retried
// (network.MaxMessageRetries), the others of its batch go on.
type Handler func(tx *store.Tx, env *network.Envelope) error

// Handlers maps each kind a node accepts to its handler. A kind without a
// handler is refused (deny by default).
type Handlers map[network.Kind]Handler

// Queue appends a message to the outbox of the current transaction: the one
// way a node sends anything (docs/design.md §1.1). body is encoded as JSON.
func Queue(tx *store.Tx, kind network.Kind, to, orderingKey string, version uint64, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return jukinet.E("node.Queue", jukinet.KindInternal, err)
	}
	tx.Send(store.Message{Kind: kind.String(), To: to, OrderingKey: orderingKey, Version: version, Body: b})
	return nil
}

// Decode decodes an envelope's JSON body strictly, as KindInvalid on failure.
func Decode(env *network.Envelope, v any) error {
	dec := json.NewDecoder(bytesReader(env.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jukinet.E("node.Decode", jukinet.KindInvalid, jukinet.Field("body"), "body of "+env.Kind.String()+" does not decode", err)
	}
	// One JSON value and nothing after it: a Decoder alone would ignore
	// trailing bytes, and handlers may keep the body as received.
	if _, err := dec.Token(); err != io.EOF {
		return jukinet.Errorf("node.Decode", jukinet.KindInvalid, "body", "body of %s has data after its JSON value", env.Kind)
	}
	return nil
}
