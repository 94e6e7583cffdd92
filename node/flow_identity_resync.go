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
}

// Validate checks every field (KindInvalid naming it); a record's field is
// named records[i].field, never by the person's resident code.
func (b IdentityResync) Validate() error {
	const op = "node.IdentityResync"
	if _, err := uuid.Parse(b.Run); err != nil {
		return invalid(op, "run", "a UUID")
	}
	if !jukinet.ValidLGCode(string(b.Municipality)) || b.Municipality.IsPrefecture() {
		return invalid(op, "municipality", "not a municipality's code")
	}
	if b.Parts < 1 || b.Parts > maxCodeReportParts {
		return invalid(op, "parts", "1 to %d", maxCodeReportParts)
	}
	if b.Part < 1 || b.Part > b.Parts {
		return invalid(op, "part", "%d to %d", 1, b.Parts)
	}
	if len(b.Records) > MaxIdentityResync {
		return invalid(op, "records", "at most %d", MaxIdentityResync)
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
	var parts [][]jukinet.IdentityInfo
	var cur []jukinet.IdentityInfo
	size, total := 0, 0
	err := register.CurrentNoticesSince(tx, since, func(n register.Notice) error {
		var info jukinet.IdentityInfo
		if err := json.Unmarshal(n.Body, &info); err != nil {
			return internal(op, err)
		}
		if len(cur) == MaxIdentityResync || len(cur) > 0 && size+len(n.Body) > maxIdentityResyncBytes {
			parts, cur, size = append(parts, cur), nil, 0
		}
		cur, size, total = append(cur, info), size+len(n.Body)+1, total+1
		return nil
	})
	if err != nil {
		return err
	}
	parts = append(parts, cur) // the last part, or the one empty part
	for i, p := range parts {
		if err := Queue(tx, network.KindIdentityResync, network.NationalID, "", 0,
			IdentityResync{Run: b.Run, Municipality: m.cfg.Municipality, Part: i + 1, Parts: len(parts), Records: p}); err != nil {
			return err
		}
	}
	tx.Note("", strconv.Itoa(total)+" persons' identity information re-sent to the restored national server in "+strconv.Itoa(len(parts))+" parts")
	return nil
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
		if err := storeReport(tx, info, nil, nil); jukinet.ErrorKind(err) == jukinet.KindConflict {
			// Another municipality holds the person here: its own notices decide.
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
	tx.Note("", "part "+strconv.Itoa(b.Part)+" of "+strconv.Itoa(b.Parts)+" of recovery "+b.Run+": "+strconv.Itoa(applied)+" applied, "+
		strconv.Itoa(held)+" already held, "+strconv.Itoa(refused)+" held by another municipality")
	return nil
}
