package node

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/store"
	"golang.org/x/mod/sumdb/note"
)

// The operation-log witness over the network (G15, docs/oplog.md): each
// node's Checkpointer signs checkpoints of its log with the node's network
// signing key (key name = its origin) and has its witness cosign them with
// checkpoint.cosign.request / checkpoint.cosign.response. The witness
// checks that each checkpoint extends the last one it cosigned for that
// origin (no rollback, no fork) and signs with its own network signing key
// under the name oplog.WitnessKeyName(domain, witness). Who witnesses whom
// (WitnessOf): a municipality's CS → its prefecture; a prefecture → the
// national server; the national server → the prefecture with the smallest
// code. Every key is the signing key in the network description, so
// `jukinet oplog verify --network FILE` needs nothing else.

// DefaultLogDomain is the domain of the network's log origins
// (origin = DOMAIN/oplog/NODE).
const DefaultLogDomain = "jukinet.example"

// WitnessOf returns the node that witnesses node id's operation log.
// Errors: KindNotFound for a node not in d or a network without a witness
// for it (the national server in a network without prefectures).
func WitnessOf(d *network.Description, id string) (string, error) {
	const op = "node.WitnessOf"
	n, ok := d.Node(id)
	if !ok {
		return "", jukinet.Errorf(op, jukinet.KindNotFound, "node", "node %s is not in the network description", id)
	}
	switch n.Role {
	case network.RoleMunicipality:
		return n.Prefecture, nil
	case network.RolePrefecture:
		if _, ok := d.Node(network.NationalID); ok {
			return network.NationalID, nil
		}
	case network.RoleNational:
		var prefs []string
		for _, p := range d.Nodes() {
			if p.Role == network.RolePrefecture {
				prefs = append(prefs, p.ID)
			}
		}
		if len(prefs) > 0 {
			sort.Strings(prefs)
			return prefs[0], nil
		}
	}
	return "", jukinet.Errorf(op, jukinet.KindNotFound, "node", "no witness for node %s in the network description", id)
}

// LogVerifiers returns the keys that sign node id's checkpoints: the log's
// key (its signing key named by its origin) and its witness's key (the
// witness's signing key named by oplog.WitnessKeyName), both from d.
func LogVerifiers(d *network.Description, domain, id string) (logKey, witnessKey note.Verifier, err error) {
	const op = "node.LogVerifiers"
	n, ok := d.Node(id)
	if !ok {
		return nil, nil, jukinet.Errorf(op, jukinet.KindNotFound, "node", "node %s is not in the network description", id)
	}
	wid, err := WitnessOf(d, id)
	if err != nil {
		return nil, nil, err
	}
	w, _ := d.Node(wid)
	if logKey, err = oplog.NewVerifier(oplog.Origin(domain, id), n.SigningKey); err != nil {
		return nil, nil, jukinet.E(op, err)
	}
	if witnessKey, err = oplog.NewVerifier(oplog.WitnessKeyName(domain, wid), w.SigningKey); err != nil {
		return nil, nil, jukinet.E(op, err)
	}
	return logKey, witnessKey, nil
}

// CosignRequest is the body of checkpoint.cosign.request: a checkpoint
// signed by the log's key and the consistency proof from the last size the
// witness cosigned (empty for the first checkpoint, or the same size).
type CosignRequest struct {
	Checkpoint []byte   `json:"checkpoint"`
	Proof      [][]byte `json:"proof,omitempty"`
}

// maxCosignNote and maxProofHashes bound a request (a proof of a log of
// 2^63 leaves has at most 2·63 hashes).
const (
	maxCosignNote  = 16 << 10
	maxProofHashes = 128
)

// Validate checks the request's shape (signatures are the witness's job).
func (r CosignRequest) Validate() error {
	const op = "node.CosignRequest.Validate"
	switch {
	case len(r.Checkpoint) == 0:
		return invalid(op, "checkpoint", "the checkpoint is missing")
	case len(r.Checkpoint) > maxCosignNote:
		return invalid(op, "checkpoint", "the checkpoint is %d bytes, limit %d", len(r.Checkpoint), maxCosignNote)
	case len(r.Proof) > maxProofHashes:
		return invalid(op, "proof", "the proof has %d hashes, limit %d", len(r.Proof), maxProofHashes)
	}
	for i, h := range r.Proof {
		if len(h) != 32 {
			return invalid(op, fmt.Sprintf("proof[%d]", i), "a proof hash is %d bytes, want 32", len(h))
		}
	}
	return nil
}

// The refusal reasons of a CosignResponse.
const (
	RefusalRollback   = "rollback"    // smaller than the last cosigned size
	RefusalFork       = "fork"        // not an extension of the last cosigned checkpoint
	RefusalUnknownLog = "unknown_log" // not a log this witness serves
	RefusalInvalid    = "invalid"     // bad note or signature
)

var refusals = map[string]bool{RefusalRollback: true, RefusalFork: true, RefusalUnknownLog: true, RefusalInvalid: true}

// CosignResponse is the body of checkpoint.cosign.response: the checkpoint
// with the witness's cosignature added, or the reason it was refused.
type CosignResponse struct {
	Size     uint64 `json:"size"`
	Cosigned []byte `json:"cosigned,omitempty"`
	Refusal  string `json:"refusal,omitempty"`
	Detail   string `json:"detail,omitempty"`
}

// Validate checks that exactly one of Cosigned and Refusal is set.
func (r CosignResponse) Validate() error {
	const op = "node.CosignResponse.Validate"
	switch {
	case (len(r.Cosigned) == 0) == (r.Refusal == ""):
		return invalid(op, "cosigned", "exactly one of cosigned and refusal is required")
	case len(r.Cosigned) > maxCosignNote:
		return invalid(op, "cosigned", "the note is %d bytes, limit %d", len(r.Cosigned), maxCosignNote)
	case r.Refusal != "" && !refusals[r.Refusal]:
		return invalid(op, "refusal", "unknown refusal reason %q", r.Refusal)
	case len(r.Detail) > 1000:
		return invalid(op, "detail", "the detail is %d bytes, limit 1000", len(r.Detail))
	}
	return nil
}

// LogWitnessConfig configures a node's side of the witness flow.
type LogWitnessConfig struct {
	DB          *store.DB
	Description *network.Description
	SigningKey  ed25519.PrivateKey // the node's network signing key
	Domain      string             // default DefaultLogDomain
	// ResendAfter is how long a request stays unanswered before the
	// checkpointer asks again (default 1 minute; the outbox retries
	// deliveries by itself, this covers a refusal or a lost answer).
	ResendAfter time.Duration
	Logger      *slog.Logger // checkpoints signed, cosigned and refused; nil discards
}

// LogWitness is one node's part of the operation-log witness flow: it is
// the oplog.Cosigner of the node's own Checkpointer (asking its witness over
// the network) and, for the nodes it witnesses, the witness itself.
type LogWitness struct {
	cfg       LogWitnessConfig
	self      network.Node
	witness   string
	logSigner note.Signer // names the node's origin
	witSigner note.Signer // names the node as a witness

	mu      sync.Mutex
	askedAt map[uint64]time.Time // checkpoint size → when its request was queued
}

// NewLogWitness returns the witness flow of the node whose database is
// cfg.DB. Errors: KindInvalid for a bad config; KindNotFound for a node not
// in the description or without a witness.
func NewLogWitness(cfg LogWitnessConfig) (*LogWitness, error) {
	const op = "node.NewLogWitness"
	if cfg.DB == nil || cfg.Description == nil || len(cfg.SigningKey) != ed25519.PrivateKeySize {
		return nil, invalid(op, "config", "DB, Description and an Ed25519 SigningKey are required")
	}
	if cfg.Domain == "" {
		cfg.Domain = DefaultLogDomain
	}
	if cfg.ResendAfter <= 0 {
		cfg.ResendAfter = time.Minute
	}
	self, ok := cfg.Description.Node(cfg.DB.Node())
	if !ok {
		return nil, jukinet.Errorf(op, jukinet.KindNotFound, "node", "node %s is not in the network description", cfg.DB.Node())
	}
	if !self.SigningKey.Equal(cfg.SigningKey.Public()) {
		return nil, invalid(op, "signing_key", "the description's signing key of %s is not this node's key", self.ID)
	}
	wid, err := WitnessOf(cfg.Description, self.ID)
	if err != nil {
		return nil, err
	}
	w := &LogWitness{cfg: cfg, self: self, witness: wid, askedAt: map[uint64]time.Time{}}
	if w.logSigner, err = oplog.NewSigner(oplog.Origin(cfg.Domain, self.ID), cfg.SigningKey); err != nil {
		return nil, jukinet.E(op, err)
	}
	if w.witSigner, err = oplog.NewSigner(oplog.WitnessKeyName(cfg.Domain, self.ID), cfg.SigningKey); err != nil {
		return nil, jukinet.E(op, err)
	}
	return w, nil
}

// Witness is the node that witnesses this node's log.
func (w *LogWitness) Witness() string { return w.witness }

// Origin is this node's log origin.
func (w *LogWitness) Origin() string { return oplog.Origin(w.cfg.Domain, w.self.ID) }

// Checkpointer returns the checkpointer of the node's log, signing with the
// node's key and cosigned over the network, making a checkpoint every
// everyRecords records or interval.
func (w *LogWitness) Checkpointer(everyRecords uint64, interval time.Duration) (*oplog.Checkpointer, error) {
	return oplog.NewCheckpointer(oplog.NewSQLLog(w.cfg.DB), oplog.CheckpointerConfig{
		Origin: w.Origin(), Signer: w.logSigner, Witness: w,
		EveryRecords: everyRecords, Interval: interval, Quiet: QuietRecord, Logger: w.cfg.Logger,
	})
}

// QuietRecord reports the records the witness flow itself appends (the
// queued request, the delivery and receipt of requests and answers): they
// do not call for a new checkpoint by themselves (oplog.CheckpointerConfig).
func QuietRecord(r store.LogRecord) bool {
	switch jukinet.Operation(r.Operation) {
	case jukinet.OpOplogCosignRequest:
		return true
	case jukinet.OpNetworkReceive, jukinet.OpNetworkDeliveryResult:
		// The per-message records name the kind first; the batch record
		// alone says nothing, and any other message in it is not quiet.
		return strings.HasPrefix(r.Detail, "checkpoint.cosign.") || strings.HasPrefix(r.Detail, "batch of ")
	}
	return false
}

// Cosign implements oplog.Cosigner: it queues checkpoint.cosign.request to
// the witness (unless one for this checkpoint is still unanswered) and
// returns an error wrapping oplog.ErrCosignPending; the answer is stored by
// the response handler.
func (w *LogWitness) Cosign(ctx context.Context, checkpoint []byte, proof [][]byte) ([]byte, error) {
	const op = "node.LogWitness.Cosign"
	c, err := oplog.ParseCheckpoint(checkpoint, w.logVerifier())
	if err != nil {
		return nil, jukinet.E(op, err)
	}
	now := w.cfg.DB.Now()
	w.mu.Lock()
	at, asked := w.askedAt[c.Size]
	w.mu.Unlock()
	if asked && now.Sub(at) < w.cfg.ResendAfter {
		return nil, oplog.ErrCosignPending
	}
	body := CosignRequest{Checkpoint: checkpoint, Proof: proof}
	if err := body.Validate(); err != nil {
		return nil, jukinet.E(op, err)
	}
	err = w.cfg.DB.Update(jukinet.WithActor(ctx, jukinet.SystemActor("checkpointer")), store.Op{Operation: jukinet.OpOplogCosignRequest,
		Detail: fmt.Sprintf("checkpoint %d to %s", c.Size, w.witness)}, func(tx *store.Tx) error {
		return Queue(tx, network.KindCheckpointCosignRequest, w.witness, "", 0, body)
	})
	if err != nil {
		return nil, jukinet.E(op, err)
	}
	w.mu.Lock()
	w.askedAt = map[uint64]time.Time{c.Size: now} // only the smallest pending one is ever asked
	w.mu.Unlock()
	return nil, fmt.Errorf("%w: checkpoint %d to %s", oplog.ErrCosignPending, c.Size, w.witness)
}

func (w *LogWitness) logVerifier() note.Verifier {
	v, _ := oplog.NewVerifier(w.Origin(), w.self.SigningKey) // the name and key were checked by NewLogWitness
	return v
}

// Handlers are the kinds of the witness flow this node accepts: the answer
// of its witness, and the requests of the nodes it witnesses (if any).
func (w *LogWitness) Handlers() Handlers {
	h := Handlers{network.KindCheckpointCosignResponse: w.handleResponse}
	for _, n := range w.cfg.Description.Nodes() {
		if wid, err := WitnessOf(w.cfg.Description, n.ID); err == nil && wid == w.self.ID {
			h[network.KindCheckpointCosignRequest] = w.handleRequest
			break
		}
	}
	return h
}

// handleRequest is the witness: it cosigns the sender's checkpoint if it
// extends the last one cosigned (state in witness_state, in this
// transaction) and answers; a refusal is answered too, and logged.
func (w *LogWitness) handleRequest(tx *store.Tx, env *network.Envelope) error {
	const op = "witness.checkpoint.cosign.request"
	var req CosignRequest
	if err := Decode(env, &req); err != nil {
		return err
	}
	if err := req.Validate(); err != nil {
		return jukinet.E(op, err)
	}
	if wid, err := WitnessOf(w.cfg.Description, env.From); err != nil || wid != w.self.ID {
		return invalid(op, "from", "node %s's log is not witnessed by %s", env.From, w.self.ID)
	}
	from, _ := w.cfg.Description.Node(env.From)
	origin := oplog.Origin(w.cfg.Domain, env.From)
	logKey, err := oplog.NewVerifier(origin, from.SigningKey)
	if err != nil {
		return jukinet.E(op, jukinet.KindInvalid, err)
	}
	witness, err := oplog.NewWitness(w.witSigner, oplog.NewTxWitnessStore(tx), map[string]note.Verifier{origin: logKey})
	if err != nil {
		return internal(op, err)
	}
	resp := CosignResponse{}
	if c, err := oplog.ParseCheckpoint(req.Checkpoint, logKey); err == nil {
		resp.Size = c.Size
	}
	cosigned, err := witness.Cosign(tx.Context(), req.Checkpoint, req.Proof)
	switch {
	case err == nil:
		resp.Cosigned = cosigned
	case errors.Is(err, oplog.ErrRollback):
		resp.Refusal = RefusalRollback
	case errors.Is(err, oplog.ErrFork):
		resp.Refusal = RefusalFork
	case jukinet.ErrorKind(err) == jukinet.KindNotFound:
		resp.Refusal = RefusalUnknownLog
	case jukinet.ErrorKind(err) == jukinet.KindInvalid || jukinet.ErrorKind(err) == jukinet.KindTooLarge:
		resp.Refusal = RefusalInvalid
	default: // the state changed meanwhile, or the database failed: retry the batch
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	if resp.Refusal != "" {
		resp.Detail = truncate(err.Error(), 1000)
		tx.Log(jukinet.OpOplogCosignRequest, "", "refused", fmt.Sprintf("checkpoint %d of %s refused: %s", resp.Size, env.From, resp.Refusal))
	}
	return Queue(tx, network.KindCheckpointCosignResponse, env.From, "", 0, resp)
}

// handleResponse stores the witness's cosignature (the checkpoint becomes
// 'cosigned') or logs its refusal; either way the next round may ask again.
func (w *LogWitness) handleResponse(tx *store.Tx, env *network.Envelope) error {
	const op = "node.checkpoint.cosign.response"
	var resp CosignResponse
	if err := Decode(env, &resp); err != nil {
		return err
	}
	if err := resp.Validate(); err != nil {
		return jukinet.E(op, err)
	}
	if env.From != w.witness {
		return invalid(op, "from", "node %s is not the witness of %s (%s is)", env.From, w.self.ID, w.witness)
	}
	w.mu.Lock()
	delete(w.askedAt, resp.Size)
	w.mu.Unlock()
	if resp.Refusal != "" {
		tx.Log(jukinet.OpOplogCosignRequest, "", "refused", fmt.Sprintf("checkpoint %d refused by %s: %s", resp.Size, env.From, resp.Refusal))
		if w.cfg.Logger != nil {
			w.cfg.Logger.Warn("checkpoint cosignature refused", "size", resp.Size, "witness", env.From, "reason", truncate(resp.Refusal, 200))
		}
		return nil
	}
	logKey, witKey, err := LogVerifiers(w.cfg.Description, w.cfg.Domain, w.self.ID)
	if err != nil {
		return internal(op, err)
	}
	if _, err := oplog.StoreCosigned(tx, resp.Cosigned, logKey, witKey); err != nil {
		if k := jukinet.ErrorKind(err); k == jukinet.KindNotFound || k == jukinet.KindTooLarge {
			return jukinet.E(op, jukinet.KindInvalid, err)
		}
		return jukinet.E(op, err)
	}
	if w.cfg.Logger != nil {
		w.cfg.Logger.Info("checkpoint cosigned", "size", resp.Size, "witness", env.From)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n]
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
