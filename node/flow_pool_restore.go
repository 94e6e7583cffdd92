package node

import (
	"context"
	"sort"
	"strconv"

	"github.com/google/uuid"
	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
)

// A national server restored from a backup has forgotten the 住民票コード it
// granted after the backup, and the identity information it received after
// it: drawing at random, it could grant a code again that one municipality
// holds unused or has issued (法30条の2: one code, one person). So a restored
// national server grants nothing until every municipality in the network
// has reported the codes it holds — its unused pool and every code it has
// notified — and has learnt them into flow_codes_granted
// (docs/decisions/0014-restored-national-learns-codes.md).
//
//  1. At start (RecoverGrantedCodes), on a database marked as a backup
//     (store.BackupTakenKey), the server records a recovery run, asks every
//     municipality with rescode.report.request and removes the mark.
//  2. Each CS answers with rescode.report, in parts of MaxCodeReport codes.
//  3. A pool request that arrives meanwhile is deferred (a refusal in the
//     operation log); when the last part arrives, the deferred requests
//     are granted, from codes checked against everything learnt.

// MaxCodeReport is the most codes one rescode.report part carries (about
// 14 bytes each in JSON: well under network.MaxBodySize).
const MaxCodeReport = 10000

// maxCodeReportParts bounds a report's parts: 10⁹ codes, more than the
// code space a municipality could hold.
const maxCodeReportParts = 100000

// codesRecoveryKey holds, at the national server, the run ID of the
// recovery in progress; no code is granted while it is set.
const codesRecoveryKey = "flows_codes_recovery"

// nationalRestoredKey holds, at a CS, when the national server's restored
// backup was taken, from its rescode.report.request until the next grant:
// the counter's message for an empty pool names the cause.
const nationalRestoredKey = "flows_national_restored"

// CodeReportRequest is the body of rescode.report.request (national → CS).
type CodeReportRequest struct {
	Run      string `json:"run"`      // the recovery run (a UUID)
	Restored string `json:"restored"` // when the restored backup was taken, as the national server knows it
}

// Validate checks every field (KindInvalid naming it).
func (b CodeReportRequest) Validate() error {
	if _, err := uuid.Parse(b.Run); err != nil {
		return invalid("node.CodeReportRequest", "run", "a UUID")
	}
	if b.Restored == "" || len(b.Restored) > 200 {
		return invalid("node.CodeReportRequest", "restored", "1 to 200 bytes")
	}
	return nil
}

// validateAnswerPart checks the fields every part of a municipality's answer
// to a restored national server has (rescode.report, identity.resync): the
// recovery run, the municipality, and the part among at most
// maxCodeReportParts. Errors: KindInvalid naming the field, under op.
func validateAnswerPart(op, run string, m jukinet.LGCode, part, parts int) error {
	if _, err := uuid.Parse(run); err != nil {
		return invalid(op, "run", "a UUID")
	}
	if !jukinet.ValidLGCode(string(m)) || m.IsPrefecture() {
		return invalid(op, "municipality", "not a municipality's code")
	}
	if parts < 1 || parts > maxCodeReportParts {
		return invalid(op, "parts", "1 to %d", maxCodeReportParts)
	}
	if part < 1 || part > parts {
		return invalid(op, "part", "%d to %d", 1, parts)
	}
	return nil
}

// CodeReport is the body of rescode.report (CS → national): one part of the
// codes the municipality holds.
type CodeReport struct {
	Run          string                 `json:"run"`
	Municipality jukinet.LGCode         `json:"municipality"`
	Part         int                    `json:"part"`  // 1..Parts
	Parts        int                    `json:"parts"` // how many parts the report has
	Codes        []jukinet.ResidentCode `json:"codes"` // may be empty (a municipality that holds none)
	// Grants is how many grants the municipality holds (flow_pool_tally.go):
	// the server's count is raised to it, so that the recovery ends the
	// difference that found the restore.
	Grants int64 `json:"grants,omitempty"`
}

// Validate checks every field (KindInvalid naming it).
func (b CodeReport) Validate() error {
	const op = "node.CodeReport"
	if err := validateAnswerPart(op, b.Run, b.Municipality, b.Part, b.Parts); err != nil {
		return err
	}
	if len(b.Codes) > MaxCodeReport {
		return invalid(op, "codes", "at most %d", MaxCodeReport)
	}
	if b.Grants < 0 || b.Grants > maxGrants {
		return invalid(op, "grants", "0 to %d", maxGrants)
	}
	seen := make(map[jukinet.ResidentCode]bool, len(b.Codes))
	for i, c := range b.Codes {
		if !jukinet.ValidResidentCode(string(c)) || seen[c] {
			return invalid(op, "codes["+strconv.Itoa(i)+"]", "not a resident code, or repeated")
		}
		seen[c] = true
	}
	return nil
}

// RecoverGrantedCodes starts the recovery of the codes granted before a
// restore, when the national server's database is marked as a backup
// (store.BackupTakenKey: `jukinet backup`, or `--mark-restored`): in one
// operation it records a run expecting a report from each of
// municipalities, queues a rescode.report.request and an
// identity.resync.request (flow_identity_resync.go) to each and removes the
// mark. A node calls it when it starts; without the mark it does nothing.
// Errors: KindInternal.
func (n *National) RecoverGrantedCodes(ctx context.Context, municipalities []jukinet.LGCode) error {
	const op = "national.RecoverGrantedCodes"
	taken, err := n.db.Meta(ctx, store.BackupTakenKey)
	if err != nil {
		return internal(op, err)
	}
	if taken == "" {
		return nil
	}
	n.setMunicipalities(municipalities)
	detail := "restored from a backup taken at " + taken + ": no resident code is granted until every municipality has reported the codes it holds"
	return n.db.Update(ctx, store.Op{Operation: jukinet.OpCodePoolRequest, Detail: detail}, func(tx *store.Tx) error {
		if err := n.beginRecovery(tx, taken, municipalities); err != nil {
			return err
		}
		if err := tx.DeleteMeta(store.BackupTakenKey); err != nil {
			return internal("national.RecoverGrantedCodes", err)
		}
		return nil
	})
}

// beginRecovery records a recovery run expecting a report from each of
// municipalities and queues a rescode.report.request and an
// identity.resync.request to each, in tx; taken is when the restored backup
// was taken, as far as the server knows. A start check of the grant counts
// in progress ends: the recovery asks every municipality for more.
func (n *National) beginRecovery(tx *store.Tx, taken string, municipalities []jukinet.LGCode) error {
	const op = "national.beginRecovery"
	run := uuid.NewString()
	// A recovery cut short by this restore starts again, whole.
	for _, q := range []string{`DELETE FROM flow_codes_recovery`, `DELETE FROM flow_codes_report_parts`} {
		if _, err := tx.Exec(q); err != nil {
			return internal(op, err)
		}
	}
	for _, m := range municipalities {
		if _, err := tx.Exec(`INSERT INTO flow_codes_recovery (run, municipality) VALUES ($1, $2) ON CONFLICT DO NOTHING`, run, string(m)); err != nil {
			return internal(op, err)
		}
		if err := Queue(tx, network.KindResidentCodeReportAsk, string(m), "", 0, CodeReportRequest{Run: run, Restored: taken}); err != nil {
			return err
		}
	}
	whose, err := queueIdentityResync(tx, run, taken, municipalities)
	if err != nil {
		return err
	}
	if err := tx.DeleteMeta(codesTallyKey); err != nil {
		return internal(op, err)
	}
	tx.Note("", "recovery "+run+": "+strconv.Itoa(len(municipalities))+" municipalities asked for the resident codes they hold and the identity information of "+whose)
	if len(municipalities) == 0 {
		return n.grantDeferred(tx)
	}
	return tx.SetMeta(codesRecoveryKey, run)
}

// codesRecovering reports why the national server may not grant codes now
// ("" when it may): a recovery in progress, or a restored database whose
// recovery has not started.
func codesRecovering(tx *store.Tx) (string, error) {
	run, err := tx.Meta(codesRecoveryKey)
	if err != nil || run != "" {
		return "recovery " + run + " waits for the resident codes municipalities hold", err
	}
	tally, err := tx.Meta(codesTallyKey)
	if err != nil || tally != "" {
		return "check " + tally + " at the start waits for every municipality's count of grants", err
	}
	taken, err := tx.Meta(store.BackupTakenKey)
	if err != nil || taken != "" {
		return "restored from a backup taken at " + taken + "; the recovery starts with the node", err
	}
	return "", nil
}

// deferGrant records a pool request that may not be granted now, to be
// granted when the recovery ends, and the refusal in the operation log.
func deferGrant(tx *store.Tx, m jukinet.LGCode, count int, why string) error {
	if _, err := tx.Exec(`INSERT INTO flow_codes_deferred (municipality, count, requested_at) VALUES ($1, $2, $3)
 ON CONFLICT (municipality) DO UPDATE SET count = excluded.count`, string(m), count, tx.NowMicro()); err != nil {
		return internal("national.deferGrant", err)
	}
	tx.Log(jukinet.OpCodePoolRequest, "", store.ResultRefused, "grant to "+string(m)+" deferred: "+why)
	return nil
}

// grantDeferred grants the deferred pool requests, oldest first.
func (n *National) grantDeferred(tx *store.Tx) error {
	const op = "national.grantDeferred"
	type req struct {
		m     string
		count int
	}
	var reqs []req
	err := eachRow(tx, `SELECT municipality, count FROM flow_codes_deferred ORDER BY requested_at, municipality`, func(scan func(...any) error) error {
		var r req
		if err := scan(&r.m, &r.count); err != nil {
			return err
		}
		reqs = append(reqs, r)
		return nil
	})
	if err != nil {
		return internal(op, err)
	}
	for _, r := range reqs {
		granted, err := n.grantCodes(tx, jukinet.LGCode(r.m), r.count)
		if err != nil {
			return err
		}
		tx.Log(jukinet.OpCodePoolRequest, "", "ok", "deferred grant: "+strconv.Itoa(granted)+" resident codes granted to "+r.m)
	}
	if _, err := tx.Exec(`DELETE FROM flow_codes_deferred`); err != nil {
		return internal(op, err)
	}
	return nil
}

// nationalCodeReport learns a municipality's reported codes (each one is
// then never granted) and, when the last expected part of the recovery
// arrives, ends it and grants the deferred requests.
func (n *National) nationalCodeReport(tx *store.Tx, env *network.Envelope) error {
	const op = "national.rescode.report"
	var b CodeReport
	if err := Decode(env, &b); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
	}
	if string(b.Municipality) != env.From {
		return invalid(op, "municipality", "%s reported by %s", b.Municipality, env.From)
	}
	args := make([]any, 0, 2*len(b.Codes))
	for _, c := range b.Codes {
		args = append(args, string(c), env.From)
	}
	if err := raiseGrantCount(tx, b.Municipality, b.Grants); err != nil {
		return err
	}
	if len(args) > 0 {
		// The code's first holder stays: a reported code only adds what was lost.
		if err := tx.InsertRows(`INSERT INTO flow_codes_granted (code, municipality, granted_at) VALUES `, 3,
			withTime(args, tx.NowMicro()), ` ON CONFLICT (code) DO NOTHING`); err != nil {
			return internal(op, err)
		}
	}
	what := strconv.Itoa(len(b.Codes)) + " resident codes learnt from " + env.From + " (part " + strconv.Itoa(b.Part) + " of " + strconv.Itoa(b.Parts) + ")"
	if err := lockRun(tx, "flow_codes_recovery", b.Run); err != nil {
		return internal(op, err)
	}
	run, err := tx.Meta(codesRecoveryKey)
	if err != nil {
		return internal(op, err)
	}
	if run != b.Run {
		tx.Note("", what+", of a recovery that is not in progress")
		return nil
	}
	res, err := tx.Exec(`INSERT INTO flow_codes_report_parts (run, municipality, part) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, run, env.From, b.Part)
	if err != nil {
		return internal(op, err)
	}
	if k, err := res.RowsAffected(); err != nil {
		return internal(op, err)
	} else if k > 0 {
		if _, err := tx.Exec(`UPDATE flow_codes_recovery SET parts = $1, received = received + 1, codes = codes + $2 WHERE run = $3 AND municipality = $4`,
			b.Parts, len(b.Codes), run, env.From); err != nil {
			return internal(op, err)
		}
	}
	return n.endRunWhenAllIn(tx, op, `SELECT COUNT(*) FROM flow_codes_recovery WHERE run = $1 AND (parts = 0 OR received < parts)`, run,
		codesRecoveryKey, what, "report", "recovery")
}

// withTime interleaves at after every pair of args: (code, municipality, at).
func withTime(pairs []any, at int64) []any {
	out := make([]any, 0, len(pairs)/2*3)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, pairs[i], pairs[i+1], at)
	}
	return out
}

// municipalityCodeReportAsk answers a restored national server with every
// code this CS holds — its unused pool and every code it has notified
// 本人確認情報 for — in parts, all queued in this transaction so that the
// report is one consistent state; the codes drawn later come from this
// pool, already reported.
func (m *Municipality) municipalityCodeReportAsk(tx *store.Tx, env *network.Envelope) error {
	const op = "municipality.rescode.report.request"
	var b CodeReportRequest
	if err := Decode(env, &b); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
	}
	if env.From != network.NationalID {
		return invalid(op, "from", "sent by %s, not the national server", env.From)
	}
	held := map[jukinet.ResidentCode]bool{}
	err := eachRow(tx, `SELECT code FROM flow_code_pool`, func(scan func(...any) error) error {
		var c string
		if err := scan(&c); err != nil {
			return err
		}
		held[jukinet.ResidentCode(c)] = true
		return nil
	})
	if err != nil {
		return internal(op, err)
	}
	if err := register.NotifiedCodes(tx, func(c jukinet.ResidentCode) error { held[c] = true; return nil }); err != nil {
		return err
	}
	codes := make([]jukinet.ResidentCode, 0, len(held))
	for c := range held {
		codes = append(codes, c)
	}
	sort.Slice(codes, func(i, j int) bool { return codes[i] < codes[j] })
	grants, err := heldGrants(tx)
	if err != nil {
		return err
	}
	parts := max(1, (len(codes)+MaxCodeReport-1)/MaxCodeReport)
	for p := range parts {
		part := codes[p*MaxCodeReport : min(len(codes), (p+1)*MaxCodeReport)]
		if err := Queue(tx, network.KindResidentCodeReport, network.NationalID, "", 0,
			CodeReport{Run: b.Run, Municipality: m.cfg.Municipality, Part: p + 1, Parts: parts, Codes: part, Grants: grants}); err != nil {
			return err
		}
	}
	if err := tx.SetMeta(nationalRestoredKey, b.Restored); err != nil {
		return internal(op, err)
	}
	tx.Note("", strconv.Itoa(len(codes))+" resident codes reported to the restored national server in "+strconv.Itoa(parts)+" parts")
	return nil
}

// eachRow runs q and calls fn with each row's scan.
func eachRow(tx *store.Tx, q string, fn func(scan func(...any) error) error) error {
	rows, err := tx.Query(q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}
