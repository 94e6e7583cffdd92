package oplog

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"golang.org/x/mod/sumdb/note"
)

// WitnessKeyPrefix is the path segment between the domain and the node code
// in a witness's key name: "jukinet.example/witness/350001".
const WitnessKeyPrefix = "/witness/"

// WitnessKeyName names the key a node signs cosignatures with when it
// witnesses other nodes' logs. It is the node's network signing key under
// another name, so a verifier finds it in the network description.
func WitnessKeyName(domain, nodeCode string) string { return domain + WitnessKeyPrefix + nodeCode }

// StoreCosigned stores a witness's answer to a checkpoint.cosign.request in
// tx: the note must be signed by every verifier given (the log's key and the
// witness's), and its size and root must be those of a stored checkpoint,
// which becomes 'cosigned'. Storing an already cosigned checkpoint again
// changes nothing. It returns the checkpoint's size. Errors: KindInvalid for
// a bad note or signature; KindNotFound when no stored checkpoint has that
// size; KindConflict when the stored one has another root.
func StoreCosigned(tx *store.Tx, cosigned []byte, verifiers ...note.Verifier) (uint64, error) {
	const op = "oplog.StoreCosigned"
	c, err := ParseCheckpoint(cosigned, verifiers...)
	if err != nil {
		return 0, jukinet.E(op, err)
	}
	var root []byte
	var state string
	err = tx.QueryRow(`SELECT root, state FROM oplog_checkpoint WHERE size = $1`, int64(c.Size)).Scan(&root, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, jukinet.Errorf(op, jukinet.KindNotFound, "size", "no stored checkpoint of size %d", c.Size)
	}
	if err != nil {
		return 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	if h, err := toHash(root); err != nil || h != c.Root {
		return 0, jukinet.Errorf(op, jukinet.KindConflict, "root", "the cosigned checkpoint of size %d has another root than the stored one", c.Size)
	}
	if state == "cosigned" {
		return c.Size, nil
	}
	if _, err := tx.Exec(`UPDATE oplog_checkpoint SET note = $1, state = 'cosigned' WHERE size = $2 AND state = 'pending'`, cosigned, int64(c.Size)); err != nil {
		return 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	return c.Size, nil
}

// TxWitnessStore is the witness state (table witness_state) inside one
// store transaction: a witness answering a checkpoint.cosign.request over
// the network updates its state in the same transaction that queues the
// answer, so both happen or neither.
type TxWitnessStore struct {
	tx *store.Tx
}

// NewTxWitnessStore returns the witness state store of tx.
func NewTxWitnessStore(tx *store.Tx) *TxWitnessStore { return &TxWitnessStore{tx: tx} }

// WitnessState implements WitnessStore.
func (s *TxWitnessStore) WitnessState(_ context.Context, origin string) (WitnessState, bool, error) {
	var size int64
	var root []byte
	err := s.tx.QueryRow(`SELECT size, root FROM witness_state WHERE origin = $1`, origin).Scan(&size, &root)
	if errors.Is(err, sql.ErrNoRows) {
		return WitnessState{}, false, nil
	}
	if err != nil {
		return WitnessState{}, false, jukinet.E("oplog.TxWitnessStore", jukinet.KindInternal, err)
	}
	h, err := toHash(root)
	if err != nil {
		return WitnessState{}, false, jukinet.E("oplog.TxWitnessStore", jukinet.KindInternal, err)
	}
	return WitnessState{Size: uint64(size), Root: h}, true, nil
}

// SetWitnessState implements WitnessStore.
func (s *TxWitnessStore) SetWitnessState(_ context.Context, origin string, old *WitnessState, next WitnessState) error {
	const op = "oplog.TxWitnessStore.SetWitnessState"
	var res sql.Result
	var err error
	if old == nil {
		res, err = s.tx.Exec(`INSERT INTO witness_state (origin, size, root, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (origin) DO NOTHING`,
			origin, int64(next.Size), next.Root[:], s.tx.NowMicro())
	} else {
		res, err = s.tx.Exec(`UPDATE witness_state SET size = $1, root = $2, updated_at = $3 WHERE origin = $4 AND size = $5 AND root = $6`,
			int64(next.Size), next.Root[:], s.tx.NowMicro(), origin, int64(old.Size), old.Root[:])
	}
	if err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return jukinet.Errorf(op, jukinet.KindConflict, "origin", "witness state of %s changed meanwhile", origin)
	}
	return nil
}
