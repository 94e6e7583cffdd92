package node

import (
	"context"
	"strconv"

	"github.com/google/uuid"
	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
)

// A restore nobody marked (a file copy, a snapshot, pg_restore without
// `--mark-restored`) is found by a count both sides keep and a restore
// rolls back on one side only
// (docs/decisions/0017-grant-counts-find-unmarked-restores.md). The
// national server counts the grants of 住民票コード it makes to each
// municipality (flow_codes_grant_counts), every grant carries the count
// after it, and the CS keeps the last one it received (codesGrantsKey).
//
//   - A CS that holds fewer grants than the server made was restored: the
//     codes of the grants it lost were issued to persons, or will be drawn
//     by whoever holds them (法30条の2: one code, one person). It runs the
//     recovery of a marked restore: it discards its unused codes and asks
//     for a fresh grant.
//   - A CS that holds more grants than the server made outlived the
//     server's backup: the server runs the recovery of decisions 0014 and
//     0015, as on a marked restore.
//
// The comparison is made when a CS starts (rescode.tally, answered with
// rescode.tally.answer; no code is drawn before the answer), on every pool
// request, and when the national server starts (rescode.tally.request to
// every municipality; no code is granted before every answer).

// maxGrants bounds a count of grants: more than the code space holds.
const maxGrants = 1 << 40

// codesGrantsKey holds, at a CS, the count the last grant it received
// carried: how many grants the national server had made to it then.
const codesGrantsKey = "flows_codes_grants"

// codesCheckKey holds, at a CS, the run of the check it made as it
// started, until the national server answers; no code is drawn meanwhile.
const codesCheckKey = "flows_codes_check"

// codesTallyKey holds, at the national server, the run of the check it
// made as it started, until every municipality has answered; no code is
// granted meanwhile.
const codesTallyKey = "flows_codes_tally"

// CodeTally is the body of rescode.tally (CS → national: the grants the CS
// holds and its unused codes) and of rescode.tally.answer (national → CS:
// the grants the server made to it, and which of those codes it holds
// identity information for).
type CodeTally struct {
	Run          string                 `json:"run"` // the check (a UUID) the tally belongs to
	Municipality jukinet.LGCode         `json:"municipality"`
	Grants       int64                  `json:"grants"`
	Pool         []jukinet.ResidentCode `json:"pool,omitempty"`   // rescode.tally: the CS's unused codes (at most MaxCodeReport)
	Issued       []jukinet.ResidentCode `json:"issued,omitempty"` // rescode.tally.answer: codes of Pool that are a person's
}

// Validate checks every field (KindInvalid naming it).
func (b CodeTally) Validate() error {
	const op = "node.CodeTally"
	if _, err := uuid.Parse(b.Run); err != nil {
		return invalid(op, "run", "a UUID")
	}
	if !jukinet.ValidLGCode(string(b.Municipality)) || b.Municipality.IsPrefecture() {
		return invalid(op, "municipality", "not a municipality's code")
	}
	if b.Grants < 0 || b.Grants > maxGrants {
		return invalid(op, "grants", "0 to %d", maxGrants)
	}
	for _, f := range []struct {
		name  string
		codes []jukinet.ResidentCode
	}{{"pool", b.Pool}, {"issued", b.Issued}} {
		name, codes := f.name, f.codes
		if len(codes) > MaxCodeReport {
			return invalid(op, name, "at most %d", MaxCodeReport)
		}
		seen := make(map[jukinet.ResidentCode]bool, len(codes))
		for i, c := range codes {
			if !jukinet.ValidResidentCode(string(c)) || seen[c] {
				return invalid(op, name+"["+strconv.Itoa(i)+"]", "not a resident code, or repeated")
			}
			seen[c] = true
		}
	}
	return nil
}

// CodeTallyRequest is the body of rescode.tally.request (national → CS).
type CodeTallyRequest struct {
	Run string `json:"run"` // the national server's check (a UUID)
}

// Validate checks every field (KindInvalid naming it).
func (b CodeTallyRequest) Validate() error {
	if _, err := uuid.Parse(b.Run); err != nil {
		return invalid("node.CodeTallyRequest", "run", "a UUID")
	}
	return nil
}

// heldGrants is how many grants this CS holds (0 before the first).
func heldGrants(tx *store.Tx) (int64, error) {
	v, err := tx.Meta(codesGrantsKey)
	if err != nil || v == "" {
		return 0, internalOrNil("municipality.heldGrants", err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, internal("municipality.heldGrants", err)
	}
	return n, nil
}

// holdGrants records that this CS holds grants grants, unless it holds
// more (a grant carrying no count, from a server before the counts, is 0).
func holdGrants(tx *store.Tx, grants int64) error {
	held, err := heldGrants(tx)
	if err != nil || grants <= held {
		return err
	}
	if err := tx.SetMeta(codesGrantsKey, strconv.FormatInt(grants, 10)); err != nil {
		return internal("municipality.holdGrants", err)
	}
	return nil
}

// internalOrNil is internal(op, err), or nil for a nil err.
func internalOrNil(op string, err error) error {
	if err == nil {
		return nil
	}
	return internal(op, err)
}

// tally is this CS's rescode.tally for run: the grants it holds and its
// unused codes (the first MaxCodeReport, in order).
func (m *Municipality) tally(tx *store.Tx, run string) (CodeTally, error) {
	const op = "municipality.tally"
	b := CodeTally{Run: run, Municipality: m.cfg.Municipality}
	var err error
	if b.Grants, err = heldGrants(tx); err != nil {
		return b, err
	}
	err = eachRow(tx, `SELECT code FROM flow_code_pool ORDER BY code LIMIT `+strconv.Itoa(MaxCodeReport), func(scan func(...any) error) error {
		var c string
		if err := scan(&c); err != nil {
			return err
		}
		b.Pool = append(b.Pool, jukinet.ResidentCode(c))
		return nil
	})
	if err != nil {
		return b, internal(op, err)
	}
	return b, nil
}

// CheckCodePool asks the national server how many grants of resident codes
// it made to this municipality, and draws no code before the answer; a
// node calls it when it starts (after EnsureCodePool). Errors: KindInternal.
func (m *Municipality) CheckCodePool(ctx context.Context) error {
	const op = "municipality.CheckCodePool"
	run := uuid.NewString()
	return m.db.Update(ctx, store.Op{Operation: jukinet.OpCodePoolRequest, Detail: "start: check " + run + " of the grants of resident codes"}, func(tx *store.Tx) error {
		b, err := m.tally(tx, run)
		if err != nil {
			return err
		}
		if err := tx.SetMeta(codesCheckKey, run); err != nil {
			return internal(op, err)
		}
		tx.Note("", "this database holds "+strconv.FormatInt(b.Grants, 10)+" grants and "+strconv.Itoa(len(b.Pool))+" unused codes; no resident code is drawn before the national server answers")
		return Queue(tx, network.KindResidentCodeTally, network.NationalID, "", 0, b)
	})
}

// CodesChecked reports whether the national server has answered this CS's
// check of its start (codes may be drawn), or none is pending.
func (m *Municipality) CodesChecked(ctx context.Context) (bool, error) {
	run, err := m.db.Meta(ctx, codesCheckKey)
	return run == "", err
}

// municipalityCodeTallyAsk answers the national server's check at its
// start with the grants this CS holds.
func (m *Municipality) municipalityCodeTallyAsk(tx *store.Tx, env *network.Envelope) error {
	const op = "municipality.rescode.tally.request"
	var b CodeTallyRequest
	if err := Decode(env, &b); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
	}
	if env.From != network.NationalID {
		return invalid(op, "from", "sent by %s, not the national server", env.From)
	}
	t, err := m.tally(tx, b.Run)
	if err != nil {
		return err
	}
	tx.Note("", "the national server's check "+b.Run+": this database holds "+strconv.FormatInt(t.Grants, 10)+" grants of resident codes")
	return Queue(tx, network.KindResidentCodeTally, network.NationalID, "", 0, t)
}

// municipalityCodeTallyAnswer compares the grants the national server made
// to this CS with those it holds. Fewer held, or an unused code of its pool
// that the server holds as a person's (a code issued after the backup, from
// a grant the backup already held): this database was restored and nobody
// marked it, so the CS runs the recovery of a marked restore
// (discardRestoredPool) in this transaction. The answer of the start's
// check lets codes be drawn again. The national server answers after every
// grant it queued before, over the same link in order, so a grant still on
// its way is not taken for a lost one.
func (m *Municipality) municipalityCodeTallyAnswer(tx *store.Tx, env *network.Envelope) error {
	const op = "municipality.rescode.tally.answer"
	var b CodeTally
	if err := Decode(env, &b); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
	}
	if env.From != network.NationalID || b.Municipality != m.cfg.Municipality {
		return invalid(op, "municipality", "tally of %s from %s", b.Municipality, env.From)
	}
	held, err := heldGrants(tx)
	if err != nil {
		return err
	}
	if check, err := tx.Meta(codesCheckKey); err != nil {
		return internal(op, err)
	} else if check == b.Run {
		if err := tx.DeleteMeta(codesCheckKey); err != nil {
			return internal(op, err)
		}
	}
	counts := "the national server made " + strconv.FormatInt(b.Grants, 10) + " grants of resident codes to this municipality, this database holds " + strconv.FormatInt(held, 10)
	switch {
	case b.Grants > held || len(b.Issued) > 0:
		if len(b.Issued) > 0 {
			counts += "; " + strconv.Itoa(len(b.Issued)) + " of its unused resident codes are persons' codes at the national server"
		}
		n, err := m.discardPool(tx)
		if err != nil {
			return err
		}
		if err := holdGrants(tx, b.Grants); err != nil {
			return err
		}
		logRestoreDetected(tx, counts, n, "new ones requested")
	case b.Grants < held:
		tx.Note("", counts+": the national server was restored from a backup and recovers the codes it granted")
	default:
		tx.Note("", counts+": confirmed")
	}
	return nil
}

// countGrant counts one more grant to m and returns the new count.
func countGrant(tx *store.Tx, m jukinet.LGCode) (int64, error) {
	const op = "national.countGrant"
	if _, err := tx.Exec(`INSERT INTO flow_codes_grant_counts (municipality, grants) VALUES ($1, 1)
 ON CONFLICT (municipality) DO UPDATE SET grants = flow_codes_grant_counts.grants + 1`, string(m)); err != nil {
		return 0, internal(op, err)
	}
	return grantCount(tx, m)
}

// grantCount is how many grants the server has made to m.
func grantCount(tx *store.Tx, m jukinet.LGCode) (int64, error) {
	var g int64
	if err := tx.QueryRow(`SELECT grants FROM flow_codes_grant_counts WHERE municipality = $1`, string(m)).Scan(&g); err != nil && !noRows(err) {
		return 0, internal("national.grantCount", err)
	}
	return g, nil
}

// raiseGrantCount raises the count of grants made to m to grants.
func raiseGrantCount(tx *store.Tx, m jukinet.LGCode, grants int64) error {
	if grants <= 0 {
		return nil
	}
	if _, err := tx.Exec(`INSERT INTO flow_codes_grant_counts (municipality, grants) VALUES ($1, $2)
 ON CONFLICT (municipality) DO UPDATE SET grants = excluded.grants WHERE flow_codes_grant_counts.grants < excluded.grants`, string(m), grants); err != nil {
		return internal("national.raiseGrantCount", err)
	}
	return nil
}

// compareGrants compares the grants m holds with those the server made to
// it, which it returns. Holding more, m outlived the server's backup: the
// server raises its count and, unless a recovery is in progress, begins one
// (decisions 0014, 0015) in tx, the restore's time unknown.
func (n *National) compareGrants(tx *store.Tx, m jukinet.LGCode, held int64) (int64, error) {
	const op = "national.compareGrants"
	made, err := grantCount(tx, m)
	if err != nil || held <= made {
		return made, err
	}
	if err := raiseGrantCount(tx, m, held); err != nil {
		return 0, err
	}
	if run, err := tx.Meta(codesRecoveryKey); err != nil {
		return 0, internal(op, err)
	} else if run != "" {
		return made, nil
	}
	counts := string(m) + " holds " + strconv.FormatInt(held, 10) + " grants of resident codes, this server made " + strconv.FormatInt(made, 10)
	tx.Log(jukinet.OpCodePoolRequest, "", store.ResultRefused, "restore detected: "+counts+
		": this database was restored from a backup and nobody marked it; no code is granted until every municipality has reported the codes it holds")
	munis, err := n.knownMunicipalities(tx)
	if err != nil {
		return 0, err
	}
	return made, n.beginRecovery(tx, "an unknown time (found by "+string(m)+"'s count of grants)", munis)
}

// knownMunicipalities is the municipalities of the network description the
// node started with, or, before it was given them, those the server has
// granted codes to.
func (n *National) knownMunicipalities(tx *store.Tx) ([]jukinet.LGCode, error) {
	if p := n.municipalities.Load(); p != nil {
		return *p, nil
	}
	var out []jukinet.LGCode
	err := eachRow(tx, `SELECT municipality FROM flow_codes_grant_counts ORDER BY municipality`, func(scan func(...any) error) error {
		var m string
		if err := scan(&m); err != nil {
			return err
		}
		out = append(out, jukinet.LGCode(m))
		return nil
	})
	if err != nil {
		return nil, internal("national.knownMunicipalities", err)
	}
	return out, nil
}

// setMunicipalities keeps the municipalities of the network description.
func (n *National) setMunicipalities(munis []jukinet.LGCode) {
	c := append([]jukinet.LGCode(nil), munis...)
	n.municipalities.Store(&c)
}

// CheckGrantCounts asks every municipality how many grants of resident codes
// it holds, and grants no code before each has answered (a CS holding more
// than the server made finds a restore nobody marked); a node calls it when
// it starts, after RecoverGrantedCodes, and skips it while a recovery runs:
// the recovery asks for more. Errors: KindInternal.
func (n *National) CheckGrantCounts(ctx context.Context, municipalities []jukinet.LGCode) error {
	const op = "national.CheckGrantCounts"
	n.setMunicipalities(municipalities)
	run := uuid.NewString()
	return n.db.Update(ctx, store.Op{Operation: jukinet.OpCodePoolRequest, Detail: "start: check " + run + " of the grants of resident codes"}, func(tx *store.Tx) error {
		if rec, err := tx.Meta(codesRecoveryKey); err != nil {
			return internal(op, err)
		} else if rec != "" {
			tx.Note("", "skipped: recovery "+rec+" in progress")
			return nil
		}
		if _, err := tx.Exec(`DELETE FROM flow_codes_tally`); err != nil {
			return internal(op, err)
		}
		for _, m := range municipalities {
			if _, err := tx.Exec(`INSERT INTO flow_codes_tally (run, municipality) VALUES ($1, $2) ON CONFLICT DO NOTHING`, run, string(m)); err != nil {
				return internal(op, err)
			}
			if err := Queue(tx, network.KindResidentCodeTallyAsk, string(m), "", 0, CodeTallyRequest{Run: run}); err != nil {
				return err
			}
		}
		tx.Note("", strconv.Itoa(len(municipalities))+" municipalities asked how many grants they hold; no resident code is granted before every answer")
		if len(municipalities) == 0 {
			return tx.DeleteMeta(codesTallyKey)
		}
		return tx.SetMeta(codesTallyKey, run)
	})
}

// nationalCodeTally compares a CS's grants with the server's, answers with
// the server's count, and counts the answer to the start's check: the last
// one ends it and grants the requests deferred meanwhile.
func (n *National) nationalCodeTally(tx *store.Tx, env *network.Envelope) error {
	const op = "national.rescode.tally"
	var b CodeTally
	if err := Decode(env, &b); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
	}
	if string(b.Municipality) != env.From {
		return invalid(op, "municipality", "%s counted by %s", b.Municipality, env.From)
	}
	made, err := n.compareGrants(tx, b.Municipality, b.Grants)
	if err != nil {
		return err
	}
	issued, err := identityCodes(tx, b.Pool)
	if err != nil {
		return err
	}
	if err := Queue(tx, network.KindResidentCodeTallyAnswer, env.From, "", 0, CodeTally{Run: b.Run, Municipality: b.Municipality, Grants: made, Issued: issued}); err != nil {
		return err
	}
	what := env.From + " holds " + strconv.FormatInt(b.Grants, 10) + " grants of resident codes, this server made " + strconv.FormatInt(made, 10)
	if err := lockRun(tx, "flow_codes_tally", b.Run); err != nil {
		return internal(op, err)
	}
	run, err := tx.Meta(codesTallyKey)
	if err != nil {
		return internal(op, err)
	}
	if run == "" || run != b.Run {
		tx.Note("", what)
		return nil
	}
	if _, err := tx.Exec(`UPDATE flow_codes_tally SET answered = 1 WHERE run = $1 AND municipality = $2`, run, env.From); err != nil {
		return internal(op, err)
	}
	return n.endRunWhenAllIn(tx, op, `SELECT COUNT(*) FROM flow_codes_tally WHERE run = $1 AND answered = 0`, run, codesTallyKey,
		what, "answer", "check")
}

// endRunWhenAllIn ends run (a start check or a recovery, held under key) once
// countLeft counts no municipality left, and grants the requests deferred
// meanwhile; until then it notes how many are still to come.
func (n *National) endRunWhenAllIn(tx *store.Tx, op, countLeft, run, key, what, awaited, kind string) error {
	var left int
	if err := tx.QueryRow(countLeft, run).Scan(&left); err != nil {
		return internal(op, err)
	}
	if left > 0 {
		tx.Note("", what+"; "+strconv.Itoa(left)+" municipalities still to "+awaited)
		return nil
	}
	if err := tx.DeleteMeta(key); err != nil {
		return internal(op, err)
	}
	tx.Note("", what+"; "+kind+" "+run+" complete: resident codes are granted again")
	return n.grantDeferred(tx)
}

// identityCodeSQL counts the identity information held for code $1.
var identityCodeSQL = byCode("f", "$1").wrap(`SELECT COUNT(*) FROM flow_identity f WHERE `, ``)

// identityCodes are the codes of codes the server holds identity
// information for: persons' codes, which no pool may hold unused.
func identityCodes(tx *store.Tx, codes []jukinet.ResidentCode) ([]jukinet.ResidentCode, error) {
	var out []jukinet.ResidentCode
	q := identityCodeSQL.of(tx.Engine())
	for _, c := range codes {
		var k int
		if err := tx.QueryRow(q, string(c)).Scan(&k); err != nil {
			return nil, internal("national.identityCodes", err)
		}
		if k > 0 {
			out = append(out, c)
		}
	}
	return out, nil
}

// logRestoreDetected records, with result refused, that this CS found its
// database restored without a mark, and what it did.
func logRestoreDetected(tx *store.Tx, counts string, discarded int64, then string) {
	tx.Log(jukinet.OpCodePoolRequest, "", store.ResultRefused, "restore detected: "+counts+
		": this database was restored from a backup and nobody marked it; "+strconv.FormatInt(discarded, 10)+
		" unused resident codes discarded, "+then+"; run `jukinet network reconcile`")
}

// grantsSkipped checks a grant's count before its codes enter the pool:
// grants to this CS come over one link in order, each counting one more, so
// a count beyond the next one follows grants this database never received
// — it was restored, whatever a start's check found (a pool request queued
// before the check brings the count up to date). The stale pool goes; the
// grant's codes are fresh.
func (m *Municipality) grantsSkipped(tx *store.Tx, grants int64) error {
	held, err := heldGrants(tx)
	if err != nil || grants <= held+1 {
		return err
	}
	res, err := tx.Exec(`DELETE FROM flow_code_pool`)
	if err != nil {
		return internal("municipality.grantsSkipped", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return internal("municipality.grantsSkipped", err)
	}
	logRestoreDetected(tx, "this grant brings the national server's grants of resident codes to this municipality to "+
		strconv.FormatInt(grants, 10)+", this database holds "+strconv.FormatInt(held, 10), n, "the grant's codes kept")
	return nil
}

// lockRun takes, on PostgreSQL, the row locks of run's rows of table (one of
// the national server's per-municipality tables of a check or a recovery)
// before the caller reads the run and counts the answers left. Two answers
// applied at once by separate inbox transactions (READ COMMITTED) would
// otherwise each count the other's answer as missing, and neither would end
// the run: the server would grant no code again. The second transaction
// waits here for the first to commit, and its following statements see it.
// SQLite has one writer at a time: nothing to take.
func lockRun(tx *store.Tx, table, run string) error {
	if tx.Engine() != store.Postgres {
		return nil
	}
	rows, err := tx.Query(`SELECT municipality FROM `+table+` WHERE run = $1 ORDER BY municipality FOR UPDATE`, run)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}
