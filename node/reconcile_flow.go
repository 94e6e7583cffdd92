package node

import (
	"encoding/hex"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
)

// validate checks a reconcile.request from node from: the municipality is
// the sender itself (a CS learns nothing of another municipality's
// residents, not even digests: KindForbidden) and belongs to prefecture
// pref; the buckets are ascending and well formed.
func (r ReconcileRequest) validate(op, from string, pref jukinet.LGCode) error {
	if _, err := uuid.Parse(r.Run); err != nil {
		return invalid(op, "run", "must be a UUID")
	}
	if string(r.Municipality) != from {
		return jukinet.Errorf(op, jukinet.KindForbidden, "municipality",
			"%s asked for the digests of %s: a municipality may compare only its own residents", from, r.Municipality)
	}
	if !jukinet.ValidLGCode(string(r.Municipality)) || r.Municipality.PrefectureCode() != pref {
		return jukinet.Errorf(op, jukinet.KindForbidden, "municipality", "%s is not a municipality of prefecture %s", r.Municipality, pref)
	}
	if len(r.Buckets) > ReconcileBuckets {
		return invalid(op, "buckets", "at most %d", ReconcileBuckets)
	}
	for i, b := range r.Buckets {
		switch {
		case b.Bucket < 0 || b.Bucket >= ReconcileBuckets:
			return invalid(op, "buckets.bucket", "must be 0..%d", ReconcileBuckets-1)
		case i > 0 && b.Bucket <= r.Buckets[i-1].Bucket:
			return invalid(op, "buckets.bucket", "must be ascending without repeats")
		case b.Count < 1:
			return invalid(op, "buckets.count", "must be 1 or more")
		case !isHex(b.Digest, 64):
			return invalid(op, "buckets.digest", "must be 64 hex digits")
		}
	}
	return nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// prefectureReconcileRequest answers a CS's reconcile.request with the
// per-person entries of every bucket whose digest differs from the
// prefecture's, in parts of whole buckets (one empty part when none
// differs).
func (p *Prefecture) prefectureReconcileRequest(tx *store.Tx, env *network.Envelope) error {
	const op = "prefecture.reconcile.request"
	var req ReconcileRequest
	if err := Decode(env, &req); err != nil {
		return err
	}
	if err := req.validate(op, env.From, p.id); err != nil {
		return err
	}
	theirs, err := heldEntries(tx, req.Municipality)
	if err != nil {
		return err
	}
	mine := digestBuckets(theirs)
	sent := map[int]BucketDigest{}
	for _, b := range req.Buckets {
		sent[b.Bucket] = b
	}
	var differ []int
	for b := 0; b < ReconcileBuckets; b++ {
		if sent[b] != mine[b] {
			differ = append(differ, b)
		}
	}
	parts := splitBuckets(differ, theirs)
	for i, part := range parts {
		part.Run, part.Part, part.Parts = req.Run, i+1, len(parts)
		if err := Queue(tx, network.KindReconcileDigests, env.From, "", 0, part); err != nil {
			return err
		}
	}
	tx.Note("", "CS 整合性確認 of "+env.From+": "+uintText(uint64(len(differ)))+" of "+uintText(ReconcileBuckets)+" buckets differ")
	return nil
}

// splitBuckets groups the entries of the differing buckets into parts of
// whole buckets of at most maxDigestEntries entries (a bucket larger than
// that gets a part of its own).
func splitBuckets(differ []int, entries map[jukinet.ResidentCode]PersonDigest) []ReconcileDigests {
	per := map[int][]PersonDigest{}
	for _, e := range entries {
		b := bucketOf(e.Code)
		per[b] = append(per[b], e)
	}
	parts := []ReconcileDigests{{}}
	for _, b := range differ {
		es := per[b]
		slices.SortFunc(es, func(x, y PersonDigest) int { return strings.Compare(string(x.Code), string(y.Code)) })
		last := &parts[len(parts)-1]
		if len(last.Buckets) > 0 && len(last.Entries)+len(es) > maxDigestEntries {
			parts = append(parts, ReconcileDigests{})
			last = &parts[len(parts)-1]
		}
		last.Buckets = append(last.Buckets, b)
		last.Entries = append(last.Entries, es...)
	}
	return parts
}

// heldEntries is what the prefecture holds of municipality m's persons: per
// person the version its inbox applied (what the next notice must follow)
// and the hash of the newest content it keeps — current or held for a 転入
// (ordering.go) — "" when the rows are gone.
func heldEntries(tx *store.Tx, m jukinet.LGCode) (map[jukinet.ResidentCode]PersonDigest, error) {
	const op = "node.heldEntries"
	out := map[jukinet.ResidentCode]PersonDigest{}
	versions := map[jukinet.ResidentCode]uint64{}
	for _, q := range []string{`SELECT resident_code, version, info FROM flow_identity WHERE municipality = $1`,
		`SELECT resident_code, version, info FROM flow_identity_held WHERE municipality = $1`} {
		if err := scanInfos(tx, q, string(m), func(code jukinet.ResidentCode, v uint64, info string) error {
			if v <= versions[code] {
				return nil
			}
			h, err := contentHash([]byte(info))
			if err != nil {
				return internal(op, err)
			}
			versions[code] = v
			out[code] = PersonDigest{Code: code, Version: v, Hash: h}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	applied, err := network.AppliedVersions(tx, string(m)+"/")
	if err != nil {
		return nil, err
	}
	for key, v := range applied {
		code := jukinet.ResidentCode(strings.TrimPrefix(key, string(m)+"/"))
		if e := out[code]; v > e.Version {
			e.Code, e.Version = code, v
			out[code] = e
		}
	}
	return out, nil
}

func scanInfos(tx *store.Tx, q, arg string, f func(jukinet.ResidentCode, uint64, string) error) error {
	rows, err := tx.Query(q, arg)
	if err != nil {
		return internal("node.scanInfos", err)
	}
	defer rows.Close()
	for rows.Next() {
		var code, info string
		var v int64
		if err := rows.Scan(&code, &v, &info); err != nil {
			return internal("node.scanInfos", err)
		}
		if err := f(jukinet.ResidentCode(code), uint64(v), info); err != nil {
			return err
		}
	}
	return rows.Err()
}

// validate checks one part of a prefecture's answer.
func (d ReconcileDigests) validate(op string) error {
	if _, err := uuid.Parse(d.Run); err != nil {
		return invalid(op, "run", "must be a UUID")
	}
	if d.Parts < 1 || d.Parts > ReconcileBuckets || d.Part < 1 || d.Part > d.Parts {
		return invalid(op, "part", "must be 1..parts, parts 1..%d", ReconcileBuckets)
	}
	in := map[int]bool{}
	for _, b := range d.Buckets {
		if b < 0 || b >= ReconcileBuckets || in[b] {
			return invalid(op, "buckets", "must be distinct buckets 0..%d", ReconcileBuckets-1)
		}
		in[b] = true
	}
	seen := map[jukinet.ResidentCode]bool{}
	for _, e := range d.Entries {
		switch {
		case !jukinet.ValidResidentCode(string(e.Code)) || seen[e.Code]:
			return invalid(op, "entries.code", "must be distinct valid resident codes")
		case !in[bucketOf(e.Code)]:
			return invalid(op, "entries.code", "is not in one of the part's buckets")
		case e.Version < 1:
			return invalid(op, "entries.version", "must be 1 or more")
		case e.Hash != "" && !isHex(e.Hash, 32):
			return invalid(op, "entries.hash", "must be 32 hex digits or empty")
		}
		seen[e.Code] = true
	}
	return nil
}

// reconcileTally counts what one part of an answer made the CS do.
type reconcileTally struct {
	resent, messages, peerOnly, unresolved int
}

// municipalityReconcileDigests compares one part of the prefecture's
// answer with the CS's current notices and resends what differs.
func (m *Municipality) municipalityReconcileDigests(tx *store.Tx, env *network.Envelope) error {
	const op = "municipality.reconcile.digests"
	var d ReconcileDigests
	if err := Decode(env, &d); err != nil {
		return err
	}
	if err := d.validate(op); err != nil {
		return err
	}
	var peer string
	var done *int64
	err := tx.QueryRow(`SELECT peer, done_at FROM reconcile_runs WHERE id = $1`, d.Run).Scan(&peer, &done)
	if noRows(err) || err == nil && (peer != env.From || done != nil) {
		return jukinet.Errorf(op, jukinet.KindNotFound, "run", "no open CS 整合性確認 run %s with %s", d.Run, env.From)
	}
	if err != nil {
		return internal(op, err)
	}
	mine, err := ownEntries(tx)
	if err != nil {
		return err
	}
	t, err := m.resolve(tx, d, mine)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE reconcile_runs SET parts = $1, parts_received = parts_received + 1, differing_buckets = differing_buckets + $2,
 resent_persons = resent_persons + $3, messages = messages + $4, peer_only = peer_only + $5, unresolved = unresolved + $6,
 done_at = CASE WHEN parts_received + 1 >= $1 THEN CAST($7 AS BIGINT) ELSE NULL END WHERE id = $8`,
		d.Parts, len(d.Buckets), t.resent, t.messages, t.peerOnly, t.unresolved, tx.NowMicro(), d.Run); err != nil {
		return internal(op, err)
	}
	tx.Note("", "CS 整合性確認 "+d.Run+" part "+uintText(uint64(d.Part))+": "+uintText(uint64(t.resent))+" persons resent")
	return nil
}

// resolve resends, for every person of d's buckets, what the prefecture's
// entry lacks: the notices after its version when it is behind (they are
// recorded here), else the current notice under a version above its own.
func (m *Municipality) resolve(tx *store.Tx, d ReconcileDigests, mine map[jukinet.ResidentCode]PersonDigest) (reconcileTally, error) {
	var t reconcileTally
	theirs := make(map[jukinet.ResidentCode]PersonDigest, len(d.Entries))
	for _, e := range d.Entries {
		theirs[e.Code] = e
		if _, ok := mine[e.Code]; !ok {
			t.peerOnly++ // the CS has no record of the person (restored from an older backup): the operator re-enters it
		}
	}
	in := map[int]bool{}
	for _, b := range d.Buckets {
		in[b] = true
	}
	codes := make([]jukinet.ResidentCode, 0, len(mine))
	for c := range mine {
		if in[bucketOf(c)] {
			codes = append(codes, c)
		}
	}
	slices.Sort(codes)
	for _, c := range codes {
		own, peer := mine[c], theirs[c]
		switch {
		case own.Version == peer.Version && own.Hash == peer.Hash:
			continue
		case peer.Version < own.Version:
			ok, err := m.reg.ResendNotices(tx, c, peer.Version+1, own.Version)
			if err != nil {
				return t, err
			}
			if !ok {
				// A notice in between is not recorded here: a later version
				// would wait at the prefecture for it forever.
				t.unresolved++
				continue
			}
			t.resent++
			t.messages += int(own.Version - peer.Version)
		default:
			if _, err := m.reg.Renotify(tx, c, peer.Version); err != nil {
				return t, err
			}
			t.resent++
			t.messages++
		}
	}
	return t, nil
}
