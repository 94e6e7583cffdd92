package oplog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/jukinet/jukinet"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// ErrRollback is wrapped by Cosign's error when a checkpoint is smaller than
// the last one cosigned for its origin.
var ErrRollback = errors.New("rollback")

// ErrFork is wrapped by Cosign's error when a checkpoint is not an extension
// of the last one cosigned: same size with another root, or a consistency
// proof that does not verify.
var ErrFork = errors.New("fork")

// WitnessState is the last checkpoint a witness cosigned for one log.
type WitnessState struct {
	Size uint64
	Root Hash
}

// WitnessStore keeps the witness's state per origin (a table on the
// prefecture node).
type WitnessStore interface {
	// WitnessState returns the last cosigned state for origin; ok is false
	// when the witness has never cosigned for it.
	WitnessState(ctx context.Context, origin string) (state WitnessState, ok bool, err error)
	// SetWitnessState stores next for origin if the stored state is still old
	// (nil: none stored), atomically (compare-and-swap); otherwise it fails
	// with a KindConflict error.
	SetWitnessState(ctx context.Context, origin string, old *WitnessState, next WitnessState) error
}

// Witness is the prefecture's cosigner for its municipalities' logs: it
// cosigns a checkpoint only after checking that it extends the last one it
// cosigned, so a municipality cannot rewrite or fork its history unseen (G15).
//
// The cosignature is a plain Ed25519 note signature by the witness key over
// the checkpoint body (not the timestamped C2SP tlog-cosignature/v1 form).
type Witness struct {
	signer note.Signer
	store  WitnessStore
	logs   map[string]note.Verifier // origin → the log's key
	mu     sync.Mutex               // serialises Cosign; the store's CAS guards other processes
}

// NewWitness returns a witness that signs with signer and accepts
// checkpoints of the given logs (origin → the log's verifier).
func NewWitness(signer note.Signer, store WitnessStore, logs map[string]note.Verifier) (*Witness, error) {
	const op = "oplog.NewWitness"
	if signer == nil || store == nil {
		return nil, jukinet.E(op, jukinet.KindInvalid, "signer and store are required")
	}
	w := &Witness{signer: signer, store: store, logs: make(map[string]note.Verifier, len(logs))}
	for origin, v := range logs {
		if !validName(origin) || v == nil {
			return nil, jukinet.Errorf(op, jukinet.KindInvalid, "logs", "log %q: invalid origin or nil verifier", origin)
		}
		w.logs[origin] = v
	}
	return w, nil
}

// Cosign checks a log's signed checkpoint against the last one cosigned for
// its origin and returns the note with the witness's signature added.
// consistencyProof proves the last cosigned tree is a prefix of this one
// (ConsistencyProof(ctx, src, last.Size, new.Size)); the first checkpoint of
// an origin is trusted as it is. Errors: KindNotFound for an unknown origin;
// KindInvalid for a bad note or signature; KindConflict wrapping ErrRollback
// or ErrFork.
func (w *Witness) Cosign(ctx context.Context, checkpoint []byte, consistencyProof [][]byte) ([]byte, error) {
	const op = "oplog.Witness.Cosign"
	origin, _, _ := strings.Cut(string(checkpoint), "\n")
	logKey, ok := w.logs[origin]
	if !ok {
		return nil, jukinet.Errorf(op, jukinet.KindNotFound, "origin", "origin %q is not a log this witness serves", origin)
	}
	c, n, _, err := openCheckpoint(checkpoint, []note.Verifier{logKey})
	if err != nil {
		return nil, jukinet.E(op, err)
	}
	if c.Origin != origin {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "origin", "origin line is not canonical")
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	last, seen, err := w.store.WitnessState(ctx, origin)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, "cannot read witness state", err)
	}
	next := WitnessState{Size: c.Size, Root: c.Root}
	if seen {
		switch {
		case c.Size < last.Size:
			return nil, jukinet.E(op, jukinet.KindConflict, jukinet.Field("size"),
				fmt.Sprintf("rollback refused: %s size %d is below the last cosigned size %d", origin, c.Size, last.Size), ErrRollback)
		case c.Size == last.Size:
			if c.Root != last.Root {
				return nil, jukinet.E(op, jukinet.KindConflict, jukinet.Field("root"),
					fmt.Sprintf("fork refused: %s size %d has a root other than the one cosigned", origin, c.Size), ErrFork)
			}
		default:
			if err := proof.VerifyConsistency(rfc6962.DefaultHasher, last.Size, c.Size, consistencyProof, last.Root[:], c.Root[:]); err != nil {
				return nil, jukinet.E(op, jukinet.KindConflict, jukinet.Field("proof"),
					fmt.Sprintf("fork refused: %s size %d is not proven to extend the cosigned size %d: %v", origin, c.Size, last.Size, err), ErrFork)
			}
		}
	}
	cosigned, err := note.Sign(n, w.signer)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, "cannot cosign", err)
	}
	if !seen || next != last {
		var old *WitnessState
		if seen {
			old = &last
		}
		if err := w.store.SetWitnessState(ctx, origin, old, next); err != nil {
			return nil, jukinet.E(op, "cannot store witness state", err)
		}
	}
	return cosigned, nil
}
