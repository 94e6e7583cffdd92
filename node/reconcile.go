package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
)

// CS 整合性確認 (the consistency check the standard specification asks of a
// CS): a municipality compares its current 本人確認情報 with its prefecture's
// copy and resends what differs, so that a CS restored from an older backup,
// or a prefecture that lost or altered rows, converges (docs/operations.md,
// docs/protocol.md).
//
//  1. reconcile.request, CS → its prefecture: one digest per bucket of the
//     CS's persons (bucket = first byte of SHA-256 of the resident code).
//  2. reconcile.digests, prefecture → CS: for every bucket whose digest
//     differs, the prefecture's (resident code, version, content hash) of
//     that municipality's persons only — the sender's, never another's.
//  3. The CS resends, through the outbox under each person's own ordering
//     key, the notices the prefecture lacks (its versions after the
//     prefecture's), or its current notice under a version above the
//     prefecture's when the prefecture holds a newer version or other
//     content for the same version.

// ReconcileBuckets is the number of buckets persons are digested in.
const ReconcileBuckets = 256

// maxDigestEntries bounds the per-person entries of one reconcile.digests
// (≈60 bytes each in JSON, well under network.MaxBodySize).
const maxDigestEntries = 3000

// ReconcileRequest is the body of reconcile.request.
type ReconcileRequest struct {
	Run          string         `json:"run"`          // the CS's run ID (a UUID)
	Municipality jukinet.LGCode `json:"municipality"` // whose copy: the sender's own, nothing else is answered
	Buckets      []BucketDigest `json:"buckets"`      // the non-empty buckets, ascending
}

// BucketDigest is the digest of one bucket's persons.
type BucketDigest struct {
	Bucket int    `json:"bucket"` // 0..ReconcileBuckets-1
	Count  int    `json:"count"`  // persons in it
	Digest string `json:"digest"` // hex SHA-256 over the persons' "code version hash\n" in code order
}

// ReconcileDigests is the body of reconcile.digests: one part of the
// prefecture's answer, covering whole buckets.
type ReconcileDigests struct {
	Run     string         `json:"run"`
	Part    int            `json:"part"`  // 1..Parts
	Parts   int            `json:"parts"` // how many parts answer the run
	Buckets []int          `json:"buckets,omitempty"`
	Entries []PersonDigest `json:"entries,omitempty"` // the prefecture's persons of those buckets
}

// PersonDigest is one person's entry: the version the prefecture applied
// and the hash of the content it holds ("" when it holds none).
type PersonDigest struct {
	Code    jukinet.ResidentCode `json:"code"`
	Version uint64               `json:"version"`
	Hash    string               `json:"hash,omitempty"`
}

// bucketOf is the bucket of a resident code.
func bucketOf(code jukinet.ResidentCode) int {
	h := sha256.Sum256([]byte(code))
	return int(h[0])
}

// contentHash is the hash of identity information apart from its version:
// two nodes holding the same facts under different versions agree on it.
func contentHash(body []byte) (string, error) {
	var info jukinet.IdentityInfo
	if err := json.Unmarshal(body, &info); err != nil {
		return "", err
	}
	info.Version = 0
	b, err := json.Marshal(info)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16]), nil
}

// digestBuckets digests entries (any order) per bucket.
func digestBuckets(entries map[jukinet.ResidentCode]PersonDigest) map[int]BucketDigest {
	per := map[int][]PersonDigest{}
	for _, e := range entries {
		b := bucketOf(e.Code)
		per[b] = append(per[b], e)
	}
	out := make(map[int]BucketDigest, len(per))
	for b, es := range per {
		sort.Slice(es, func(i, j int) bool { return es[i].Code < es[j].Code })
		h := sha256.New()
		for _, e := range es {
			h.Write([]byte(string(e.Code) + " " + uintText(e.Version) + " " + e.Hash + "\n"))
		}
		out[b] = BucketDigest{Bucket: b, Count: len(es), Digest: hex.EncodeToString(h.Sum(nil))}
	}
	return out
}

func uintText(v uint64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// ownEntries reads the CS's current notices as digest entries.
func ownEntries(tx *store.Tx) (map[jukinet.ResidentCode]PersonDigest, error) {
	out := map[jukinet.ResidentCode]PersonDigest{}
	err := register.CurrentNotices(tx, func(n register.Notice) error {
		h, err := contentHash(n.Body)
		if err != nil {
			return internal("node.ownEntries", err)
		}
		out[n.ResidentCode] = PersonDigest{Code: n.ResidentCode, Version: n.Version, Hash: h}
		return nil
	})
	return out, err
}

// Reconcile starts a CS 整合性確認 against the prefecture's copy: it queues
// the CS's bucket digests and records the run, which the prefecture's
// answers complete (ReconcileStatus). It returns the run's ID. The operator
// needs network.reconcile; nothing personal is shown to them.
func (m *Municipality) Reconcile(ctx context.Context) (string, error) {
	const op = "node.Municipality.Reconcile"
	id := uuid.NewString()
	err := m.db.Update(ctx, store.Op{Operation: jukinet.OpNetworkReconcile, Detail: "CS 整合性確認 " + id + " against " + m.cfg.Prefecture}, func(tx *store.Tx) error {
		mine, err := ownEntries(tx)
		if err != nil {
			return err
		}
		digests := digestBuckets(mine)
		req := ReconcileRequest{Run: id, Municipality: m.cfg.Municipality}
		for b := 0; b < ReconcileBuckets; b++ {
			if d, ok := digests[b]; ok {
				req.Buckets = append(req.Buckets, d)
			}
		}
		if _, err := tx.Exec(`INSERT INTO reconcile_runs (id, peer, started_at, persons, buckets) VALUES ($1,$2,$3,$4,$5)`,
			id, m.cfg.Prefecture, tx.NowMicro(), len(mine), len(req.Buckets)); err != nil {
			return internal(op, err)
		}
		return Queue(tx, network.KindReconcileRequest, m.cfg.Prefecture, "", 0, req)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// ReconcileRun is the state of a CS 整合性確認 run (counts only).
type ReconcileRun struct {
	ID               string    `json:"id"`
	Peer             string    `json:"peer"`
	StartedAt        time.Time `json:"started_at"`
	Persons          int       `json:"persons"`           // the CS's persons compared
	Buckets          int       `json:"buckets"`           // non-empty buckets sent
	Parts            int       `json:"parts"`             // parts of the answer (0 until the first arrives)
	PartsReceived    int       `json:"parts_received"`    //
	DifferingBuckets int       `json:"differing_buckets"` // buckets whose digests differed
	ResentPersons    int       `json:"resent_persons"`    // persons whose notices were queued again
	Messages         int       `json:"messages"`          // identity.notify messages queued by the run
	PeerOnly         int       `json:"peer_only"`         // persons the prefecture holds and this CS has no record of
	Unresolved       int       `json:"unresolved"`        // persons behind at the prefecture whose missing notices are not recorded here
	Done             bool      `json:"done"`              // every part answered
}

// ReconcileStatus returns run id. Errors: KindNotFound.
func (m *Municipality) ReconcileStatus(ctx context.Context, id string) (ReconcileRun, error) {
	const op = "node.Municipality.ReconcileStatus"
	r := ReconcileRun{ID: id}
	var started int64
	var done *int64
	err := m.db.Bookkeeping(store.Status).QueryRowContext(ctx, `SELECT peer, started_at, persons, buckets, parts, parts_received, differing_buckets,
 resent_persons, messages, peer_only, unresolved, done_at FROM reconcile_runs WHERE id = $1`, id).Scan(&r.Peer, &started, &r.Persons,
		&r.Buckets, &r.Parts, &r.PartsReceived, &r.DifferingBuckets, &r.ResentPersons, &r.Messages, &r.PeerOnly, &r.Unresolved, &done)
	if noRows(err) {
		return r, jukinet.Errorf(op, jukinet.KindNotFound, "run", "no CS 整合性確認 run %s", id)
	}
	if err != nil {
		return r, internal(op, err)
	}
	r.StartedAt, r.Done = time.UnixMicro(started), done != nil
	return r, nil
}

// AwaitReconcile waits until run id is answered in full, polling every
// interval. Errors: KindUnavailable when ctx ends first.
func (m *Municipality) AwaitReconcile(ctx context.Context, id string, interval time.Duration) (ReconcileRun, error) {
	for {
		r, err := m.ReconcileStatus(ctx, id)
		if err != nil || r.Done {
			return r, err
		}
		select {
		case <-ctx.Done():
			return r, jukinet.E("node.Municipality.AwaitReconcile", jukinet.KindUnavailable, "the prefecture has not answered in full yet", ctx.Err())
		case <-time.After(interval):
		}
	}
}
