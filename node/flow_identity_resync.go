package node

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
)

// A national server restored from a backup has lost the 本人確認情報 it
// received after the backup, and its per-person applied versions
// (inbox_versions) are the backup's: a person's next notice arrives with a
// version gap and would be parked for ever. So, at the same start as the
// code recovery (RecoverGrantedCodes), it asks every municipality for the
// current notice of each person changed since a little before the backup
// (identity.resync.request); each CS answers with its newest recorded
// notice of each (identity.resync, signed by the CS itself), and the
// national server applies each one as the person's current state: a
// version it already holds or has passed is skipped, a newer one is stored
// under the ordering rules of any report (storeReport) and becomes the
// key's applied version, so the notices parked behind the gap apply next
// (docs/decisions/0015-restored-national-resyncs-identities.md).

// identityResyncMargin is how long before the backup a person's newest
// notice may have been recorded and still be re-sent: a notice recorded
// before the backup but delivered after it (a CS or prefecture cut off for
// days) was lost by the restore too.
const identityResyncMargin = 7 * 24 * time.Hour

// identityResyncKey holds, at the national server, the run of the last
// identity.resync.request: only its answers are applied, so that no CS can
// move a person's version forward past the prefecture unasked.
const identityResyncKey = "flows_identity_resync"

// MaxIdentityResync is the most records one identity.resync part carries;
// a part also stays under maxIdentityResyncBytes of JSON.
const MaxIdentityResync = 1000

// maxIdentityResyncBytes bounds a part's records' JSON, well under
// network.MaxBodySize.
const maxIdentityResyncBytes = 160 << 10

// IdentityResyncRequest is the body of identity.resync.request (national → CS).
type IdentityResyncRequest struct {
	Run   string `json:"run"`   // the recovery run (a UUID)
	Since string `json:"since"` // RFC 3339: persons whose newest notice was recorded at or after it; "" every person
}

// Validate checks every field (KindInvalid naming it).
func (b IdentityResyncRequest) Validate() error {
	const op = "node.IdentityResyncRequest"
	if _, err := uuid.Parse(b.Run); err != nil {
		return invalid(op, "run", "a UUID")
	}
	if _, err := b.since(); err != nil {
		return invalid(op, "since", "empty or an RFC 3339 time")
	}
	return nil
}

// since is Since as a time (zero for every person).
func (b IdentityResyncRequest) since() (time.Time, error) {
	if b.Since == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, b.Since)
}

// IdentityResync is the body of identity.resync (CS → national): one part of
// the current notices the CS re-sends.
type IdentityResync struct {
	Run          string                 `json:"run"`
	Municipality jukinet.LGCode         `json:"municipality"`
	Part         int                    `json:"part"`    // 1..Parts
	Parts        int                    `json:"parts"`   // how many parts the answer has
	Records      []jukinet.IdentityInfo `json:"records"` // may be empty (nothing changed)
	// Confirms are the CS's 転出確定 of the persons it released since then,
	// without which a destination's 記載 would wait for them for good.
	Confirms []MoveOutConfirm `json:"confirms,omitempty"`
}

// Validate checks every field (KindInvalid naming it); a record's field is
// named records[i].field, never by the person's resident code.
func (b IdentityResync) Validate() error {
	const op = "node.IdentityResync"
	if err := validateAnswerPart(op, b.Run, b.Municipality, b.Part, b.Parts); err != nil {
		return err
	}
	if len(b.Records)+len(b.Confirms) > MaxIdentityResync {
		return invalid(op, "records", "at most %d with the confirms", MaxIdentityResync)
	}
	for i, c := range b.Confirms {
		field := "confirms[" + strconv.Itoa(i) + "]"
		if err := c.Validate(); err != nil {
			return invalid(op, field+"."+jukinet.ErrorField(err), "invalid move-out confirmation")
		}
		if c.Municipality != b.Municipality {
			return invalid(op, field+".municipality", "not the municipality of the answer")
		}
	}
	seen := make(map[jukinet.ResidentCode]bool, len(b.Records))
	for i, r := range b.Records {
		field := "records[" + strconv.Itoa(i) + "]"
		if err := r.Validate(); err != nil {
			return invalid(op, field+"."+jukinet.ErrorField(err), "invalid identity information")
		}
		if r.Municipality != b.Municipality {
			return invalid(op, field+".municipality", "not the municipality of the answer")
		}
		if seen[r.ResidentCode] {
			return invalid(op, field+".resident_code", "repeated")
		}
		seen[r.ResidentCode] = true
	}
	return nil
}

// queueIdentityResync asks each municipality for its persons changed since
// shortly before the backup taken at taken (every person when the time is
// unknown, as after --mark-restored), and says whose.
func queueIdentityResync(tx *store.Tx, run, taken string, municipalities []jukinet.LGCode) (string, error) {
	req := IdentityResyncRequest{Run: run}
	if t, err := time.Parse(time.RFC3339Nano, taken); err == nil {
		req.Since = t.Add(-identityResyncMargin).UTC().Format(time.RFC3339Nano)
	}
	for _, m := range municipalities {
		if err := Queue(tx, network.KindIdentityResyncAsk, string(m), "", 0, req); err != nil {
			return "", err
		}
	}
	if err := tx.SetMeta(identityResyncKey, run); err != nil {
		return "", internal("national.queueIdentityResync", err)
	}
	if req.Since == "" {
		return "every person", nil
	}
	return "the persons changed since " + req.Since, nil
}

// municipalityIdentityResyncAsk answers a restored national server with the
// newest notice of every person changed since the time asked, in parts, all
// queued in this transaction; later notices follow through the prefecture
// as usual, and the national server orders them after these.
func (m *Municipality) municipalityIdentityResyncAsk(tx *store.Tx, env *network.Envelope) error {
	const op = "municipality.identity.resync.request"
	var b IdentityResyncRequest
	if err := Decode(env, &b); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
	}
	if env.From != network.NationalID {
		return invalid(op, "from", "sent by %s, not the national server", env.From)
	}
	since, _ := b.since()
	var records []jukinet.IdentityInfo
	err := register.CurrentNoticesSince(tx, since, func(n register.Notice) error {
		var info jukinet.IdentityInfo
		if err := json.Unmarshal(n.Body, &info); err != nil {
			return internal(op, err)
		}
		records = append(records, info)
		return nil
	})
	if err != nil {
		return err
	}
	var confirms []MoveOutConfirm
	err = register.ConfirmedMoveOutsSince(tx, since, func(r *register.Resident) error {
		rem := r.Removal
		confirms = append(confirms, MoveOutConfirm{Municipality: m.cfg.Municipality, ResidentCode: r.ResidentCode, PlannedDate: rem.PlannedDate,
			ConfirmedDate: rem.ConfirmedDate, ConfirmedDestination: rem.ConfirmedDestination, NoticeDate: rem.NoticeDate})
		return nil
	})
	if err != nil {
		return err
	}
	parts, err := splitResync(IdentityResync{Run: b.Run, Municipality: m.cfg.Municipality}, records, confirms)
	if err != nil {
		return internal(op, err)
	}
	for _, p := range parts {
		if err := Queue(tx, network.KindIdentityResync, network.NationalID, "", 0, p); err != nil {
			return err
		}
	}
	total := len(records)
	tx.Note("", strconv.Itoa(total)+" persons' identity information and "+strconv.Itoa(len(confirms))+
		" move-out confirmations re-sent to the restored national server in "+strconv.Itoa(len(parts))+" parts")
	return nil
}

// splitResync puts records, then confirms, into parts of head's run and
// municipality, each within MaxIdentityResync items and
// maxIdentityResyncBytes of JSON; there is always at least one part.
func splitResync(head IdentityResync, records []jukinet.IdentityInfo, confirms []MoveOutConfirm) ([]IdentityResync, error) {
	var parts []IdentityResync
	cur, size := head, 0
	add := func(v any, put func(*IdentityResync)) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if n := len(cur.Records) + len(cur.Confirms); n == MaxIdentityResync || n > 0 && size+len(b) > maxIdentityResyncBytes {
			parts, cur, size = append(parts, cur), head, 0
		}
		put(&cur)
		size += len(b) + 1
		return nil
	}
	for _, r := range records {
		if err := add(r, func(p *IdentityResync) { p.Records = append(p.Records, r) }); err != nil {
			return nil, err
		}
	}
	for _, c := range confirms {
		if err := add(c, func(p *IdentityResync) { p.Confirms = append(p.Confirms, c) }); err != nil {
			return nil, err
		}
	}
	parts = append(parts, cur)
	for i := range parts {
		parts[i].Part, parts[i].Parts = i+1, len(parts)
	}
	return parts, nil
}

// nationalIdentityResync applies a municipality's re-sent notices, each as
// the person's current state unless this server already holds that version
// or a later one; each applied record is logged like a received notice.
func (n *National) nationalIdentityResync(tx *store.Tx, env *network.Envelope) error {
	const op = "national.identity.resync"
	var b IdentityResync
	if err := Decode(env, &b); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
	}
	if string(b.Municipality) != env.From {
		return invalid(op, "municipality", "%s answered by %s", b.Municipality, env.From)
	}
	if run, err := tx.Meta(identityResyncKey); err != nil {
		return internal(op, err)
	} else if run != b.Run {
		return jukinet.Errorf(op, jukinet.KindConflict, "run", "not the identity resync this server asked for")
	}
	applied, held, refused := 0, 0, 0
	from := "identity.resync from " + env.From + ": "
	for _, info := range b.Records {
		key, code := info.OrderingKey(), string(info.ResidentCode)
		have, err := network.AppliedVersion(tx, key)
		if err != nil {
			return err
		}
		if have >= info.Version {
			held++
			continue
		}
		err = storeReport(tx, info, nil, nil)
		if jukinet.ErrorKind(err) == jukinet.KindConflict && jukinet.ErrorField(err) == "municipality" {
			err = storeResynced(tx, info)
		}
		if jukinet.ErrorKind(err) == jukinet.KindConflict {
			// The previous code of a code change is another municipality's.
			refused++
			tx.TakeNote()
			tx.Log(jukinet.OpNetworkReceive, code, store.ResultRefused, from+"version "+strconv.FormatUint(info.Version, 10)+" not applied: "+err.Error())
			continue
		} else if err != nil {
			return err
		}
		if err := network.AdvanceApplied(tx, key, info.Version); err != nil {
			return err
		}
		applied++
		_, said := tx.TakeNote()
		tx.Log(jukinet.OpNetworkReceive, code, "applied", from+"version "+strconv.FormatUint(info.Version, 10)+" (was "+strconv.FormatUint(have, 10)+"): "+said)
	}
	for _, c := range b.Confirms {
		// As relayed (nationalIdentityRelay): kept once, and the person
		// released to the destination or moved to it.
		if err := storeMoveOutConfirm(tx, c); err != nil {
			return err
		}
		if err := releaseOnConfirm(tx, c); err != nil {
			return err
		}
		_, said := tx.TakeNote()
		tx.Log(jukinet.OpNetworkReceive, string(c.ResidentCode), "applied", from+"move-out confirmation to "+string(c.ConfirmedDestination.LGCode)+": "+said)
	}
	tx.Note("", "part "+strconv.Itoa(b.Part)+" of "+strconv.Itoa(b.Parts)+" of recovery "+b.Run+": "+strconv.Itoa(applied)+" applied, "+
		strconv.Itoa(held)+" already held, "+strconv.Itoa(refused)+" refused, "+strconv.Itoa(len(b.Confirms))+" move-out confirmations")
	return nil
}

// storeResynced stores a re-sent record of a person another municipality
// holds here. The newest notice of a person who moved in after the backup
// need not be the 転入's 記載, so, unlike storeReport, it does not wait on the
// reason: the person moves to the sender if the holder has released it
// there (its 転出確定, perhaps from the same catch-up), else the record is
// held until that 転出確定 comes, as a 転入 would be.
func storeResynced(tx *store.Tx, info jukinet.IdentityInfo) error {
	code, m := string(info.ResidentCode), string(info.Municipality)
	h, _, err := readHolder(tx, code)
	if err != nil {
		return err
	}
	free, err := released(tx, h, m, code, nil)
	if err != nil {
		return err
	}
	if free {
		return transfer(tx, code, m, &info, nil)
	}
	return hold(tx, info, nil, h.municipality)
}
