package node

import (
	"context"
	"strconv"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
)

// 住民票コード pool (法30条の2 ff.): the national server hands each CS unused
// resident codes, never the same code twice; the CS draws from its pool at
// random and asks for more when it runs low.

// MaxPoolGrant is the most codes one grant carries.
const MaxPoolGrant = 1000

const poolRequestedKey = "flows_pool_requested"

// codeUsedSQL counts the uses of resident code $1: granted to a
// municipality, or held as identity information.
var codeUsedSQL = byCode("f", "$1").wrap(`SELECT (SELECT COUNT(*) FROM flow_codes_granted WHERE code = $1) + (SELECT COUNT(*) FROM flow_identity f WHERE `, `)`)

// CodePoolRequest is the body of rescode.pool.request (CS → national).
type CodePoolRequest struct {
	Municipality jukinet.LGCode `json:"municipality"`
	Count        int            `json:"count"`
	// Grants is how many grants the CS holds (flow_pool_tally.go): more
	// than the server made tells it that it was restored.
	Grants int64 `json:"grants,omitempty"`
}

// Validate checks every field (KindInvalid naming it).
func (b CodePoolRequest) Validate() error {
	if !jukinet.ValidLGCode(string(b.Municipality)) || b.Municipality.IsPrefecture() {
		return invalid("node.CodePoolRequest", "municipality", "not a municipality's code")
	}
	if b.Count < 1 || b.Count > MaxPoolGrant {
		return invalid("node.CodePoolRequest", "count", "1 to %d", MaxPoolGrant)
	}
	if b.Grants < 0 || b.Grants > maxGrants {
		return invalid("node.CodePoolRequest", "grants", "0 to %d", maxGrants)
	}
	return nil
}

// CodePoolGrant is the body of rescode.pool.grant (national → CS).
type CodePoolGrant struct {
	Municipality jukinet.LGCode         `json:"municipality"`
	Codes        []jukinet.ResidentCode `json:"codes"`
	// Grants is how many grants the server has made to the municipality,
	// this one included (flow_pool_tally.go).
	Grants int64 `json:"grants,omitempty"`
}

// Validate checks every field (KindInvalid naming it).
func (b CodePoolGrant) Validate() error {
	if !jukinet.ValidLGCode(string(b.Municipality)) || b.Municipality.IsPrefecture() {
		return invalid("node.CodePoolGrant", "municipality", "not a municipality's code")
	}
	if len(b.Codes) < 1 || len(b.Codes) > MaxPoolGrant {
		return invalid("node.CodePoolGrant", "codes", "1 to %d codes", MaxPoolGrant)
	}
	if b.Grants < 0 || b.Grants > maxGrants {
		return invalid("node.CodePoolGrant", "grants", "0 to %d", maxGrants)
	}
	seen := make(map[jukinet.ResidentCode]bool, len(b.Codes))
	for i, c := range b.Codes {
		if !jukinet.ValidResidentCode(string(c)) || seen[c] {
			return invalid("node.CodePoolGrant", "codes["+strconv.Itoa(i)+"]", "not a resident code, or repeated")
		}
		seen[c] = true
	}
	return nil
}

// poolCodes is the register's CodeSource over the pool.
type poolCodes struct{ m *Municipality }

// NextResidentCode draws a code from the pool at random and, below the
// threshold, queues a request for more in the same transaction. An empty
// pool is KindUnavailable (the request is then made with RequestCodePool).
func (p poolCodes) NextResidentCode(tx *store.Tx) (jukinet.ResidentCode, error) {
	const op = "municipality.NextResidentCode"
	// A restored backup's pool may hold codes issued after the backup:
	// none is drawn before EnsureCodePool has discarded them.
	if taken, err := tx.Meta(store.BackupTakenKey); err != nil {
		return "", internal(op, err)
	} else if taken != "" {
		return "", jukinet.E(op, jukinet.KindUnavailable, jukinet.Field("resident_code"),
			"this database was restored from a backup: the node discards its unused resident codes and requests new ones when it starts")
	}
	// Nor before the national server has confirmed, since the start, that
	// this database holds every grant it made (flow_pool_tally.go).
	if check, err := tx.Meta(codesCheckKey); err != nil {
		return "", internal(op, err)
	} else if check != "" {
		return "", jukinet.E(op, jukinet.KindUnavailable, jukinet.Field("resident_code"),
			"waiting for the national server to confirm the resident-code pool, as at every start (a restored database must not issue a code twice)")
	}
	var code string
	if err := tx.QueryRow(`SELECT code FROM flow_code_pool ORDER BY random() LIMIT 1`).Scan(&code); err != nil {
		if noRows(err) {
			return "", emptyPool(tx, op)
		}
		return "", internal(op, err)
	}
	if _, err := tx.Exec(`DELETE FROM flow_code_pool WHERE code = $1`, code); err != nil {
		return "", internal(op, err)
	}
	var left int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM flow_code_pool`).Scan(&left); err != nil {
		return "", internal(op, err)
	}
	if left < p.m.cfg.PoolLow {
		if err := p.m.requestPool(tx, false); err != nil {
			return "", err
		}
	}
	return jukinet.ResidentCode(code), nil
}

// emptyPool is the error for an empty pool, naming the cause when the
// national server said it was restored and grants no codes for now.
func emptyPool(tx *store.Tx, op string) error {
	restored, err := tx.Meta(nationalRestoredKey)
	if err != nil {
		return internal(op, err)
	}
	if restored != "" {
		return jukinet.E(op, jukinet.KindUnavailable, jukinet.Field("resident_code"),
			"the resident-code pool is empty: the national server was restored from a backup taken at "+restored+
				" and grants no codes until every municipality has reported the codes it holds; the pending request is granted then")
	}
	return jukinet.E(op, jukinet.KindUnavailable, jukinet.Field("resident_code"), "the resident-code pool is empty: request more codes from the national server")
}

// requestPool queues a pool request unless one is pending (or force).
func (m *Municipality) requestPool(tx *store.Tx, force bool) error {
	const op = "municipality.requestPool"
	pending, err := tx.Meta(poolRequestedKey)
	if err != nil {
		return internal(op, err)
	}
	if pending != "" && !force {
		return nil
	}
	if err := tx.SetMeta(poolRequestedKey, strconv.FormatInt(tx.NowMicro(), 10)); err != nil {
		return internal(op, err)
	}
	grants, err := heldGrants(tx)
	if err != nil {
		return err
	}
	return Queue(tx, network.KindResidentCodePoolRequest, network.NationalID, "", 0, CodePoolRequest{Municipality: m.cfg.Municipality, Count: m.cfg.PoolBatch, Grants: grants})
}

// RequestCodePool asks the national server for more resident codes now.
func (m *Municipality) RequestCodePool(ctx context.Context) error {
	return m.db.Update(ctx, store.Op{Operation: jukinet.OpCodePoolRequest}, func(tx *store.Tx) error { return m.requestPool(tx, true) })
}

// EnsureCodePool asks the national server for codes when the pool is below
// its low mark and no request is pending; a node calls it when it starts, so
// that a new municipality has codes before its first birth. On a database
// restored from a backup it first discards the pool (discardRestoredPool).
func (m *Municipality) EnsureCodePool(ctx context.Context) error {
	if err := m.discardRestoredPool(ctx); err != nil {
		return err
	}
	n, err := m.PoolSize(ctx)
	if err != nil {
		return internal("municipality.EnsureCodePool", err)
	}
	if n >= m.cfg.PoolLow {
		return nil
	}
	return m.db.Update(ctx, store.Op{Operation: jukinet.OpCodePoolRequest}, func(tx *store.Tx) error { return m.requestPool(tx, false) })
}

// discardRestoredPool: a database restored from a backup (store.BackupTakenKey)
// holds the pool as it was when the backup was taken, and the codes drawn
// since then are in it again, though the national server and the
// prefecture hold them as some person's code. The national server never
// grants a code twice, so the node drops every unused code, forgets any
// pending request and asks for a fresh grant, in one operation that removes
// the marker. Nothing else is lost: only unused codes go, and what the
// register held at the backup stays as the backup has it.
func (m *Municipality) discardRestoredPool(ctx context.Context) error {
	const op = "municipality.discardRestoredPool"
	taken, err := m.db.Meta(ctx, store.BackupTakenKey)
	if err != nil {
		return internal(op, err)
	}
	if taken == "" {
		return nil
	}
	detail := "restored from a backup taken at " + taken
	return m.db.Update(ctx, store.Op{Operation: jukinet.OpCodePoolRequest, Detail: detail}, func(tx *store.Tx) error {
		n, err := m.discardPool(tx)
		if err != nil {
			return err
		}
		if err := tx.DeleteMeta(store.BackupTakenKey); err != nil {
			return internal(op, err)
		}
		tx.Note("", strconv.FormatInt(n, 10)+" unused resident codes discarded")
		return nil
	})
}

// discardPool drops every unused code and asks for a fresh grant, in tx:
// the recovery of a restored CS. It returns how many codes it dropped.
func (m *Municipality) discardPool(tx *store.Tx) (int64, error) {
	const op = "municipality.discardPool"
	res, err := tx.Exec(`DELETE FROM flow_code_pool`)
	if err != nil {
		return 0, internal(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, internal(op, err)
	}
	return n, m.requestPool(tx, true)
}

// PoolSize is the number of unused codes in the pool.
func (m *Municipality) PoolSize(ctx context.Context) (int, error) {
	var n int
	err := m.db.Bookkeeping(store.Status).QueryRowContext(ctx, `SELECT COUNT(*) FROM flow_code_pool`).Scan(&n)
	return n, err
}

func (m *Municipality) municipalityCodePoolGrant(tx *store.Tx, env *network.Envelope) error {
	const op = "municipality.rescode.pool.grant"
	var b CodePoolGrant
	if err := Decode(env, &b); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
	}
	if env.From != network.NationalID || b.Municipality != m.cfg.Municipality {
		return invalid(op, "municipality", "grant for %s from %s", b.Municipality, env.From)
	}
	if err := m.grantsSkipped(tx, b.Grants); err != nil {
		return err
	}
	args := make([]any, 0, 2*len(b.Codes))
	for _, c := range b.Codes {
		args = append(args, string(c), tx.NowMicro())
	}
	for i := 0; i < len(args); i += 2 {
		if _, err := tx.Exec(`INSERT INTO flow_code_pool (code, received_at) VALUES ($1,$2) ON CONFLICT (code) DO NOTHING`, args[i], args[i+1]); err != nil {
			return internal(op, err)
		}
	}
	for _, k := range []string{poolRequestedKey, nationalRestoredKey} {
		if err := tx.DeleteMeta(k); err != nil {
			return internal(op, err)
		}
	}
	if err := holdGrants(tx, b.Grants); err != nil {
		return err
	}
	tx.Note("", strconv.Itoa(len(b.Codes))+" resident codes received")
	return nil
}

// nationalCodePoolRequest grants Count fresh codes: random, checked against
// every code granted before and every code the server has seen in identity
// information, and recorded so it is never granted again.
func (n *National) nationalCodePoolRequest(tx *store.Tx, env *network.Envelope) error {
	const op = "national.rescode.pool.request"
	var b CodePoolRequest
	if err := Decode(env, &b); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
	}
	if string(b.Municipality) != env.From {
		return invalid(op, "municipality", "%s requested by %s", b.Municipality, env.From)
	}
	// A CS holding more grants than made here finds a restore nobody
	// marked: the recovery begins and the request is deferred below.
	if _, err := n.compareGrants(tx, b.Municipality, b.Grants); err != nil {
		return err
	}
	// A restored server grants nothing before it has learnt the codes
	// granted after its backup (flow_pool_restore.go).
	if why, err := codesRecovering(tx); err != nil {
		return internal(op, err)
	} else if why != "" {
		return deferGrant(tx, b.Municipality, b.Count, why)
	}
	granted, err := n.grantCodes(tx, b.Municipality, b.Count)
	if err != nil {
		return err
	}
	tx.Note("", strconv.Itoa(granted)+" resident codes granted to "+env.From)
	return nil
}

// grantCodes grants count fresh codes to m: random, checked against every
// code granted or learnt before and every code the server has seen in
// identity information, and recorded so it is never granted again.
func (n *National) grantCodes(tx *store.Tx, m jukinet.LGCode, count int) (int, error) {
	const op = "national.grantCodes"
	grant := CodePoolGrant{Municipality: m}
	var err error
	if grant.Grants, err = countGrant(tx, m); err != nil {
		return 0, err
	}
	for tries := 0; len(grant.Codes) < count; tries++ {
		if tries > 20*count {
			return 0, jukinet.E(op, jukinet.KindInternal, "could not find unused resident codes")
		}
		c, err := jukinet.NewResidentCode(n.codeRand)
		if err != nil {
			return 0, internal(op, err)
		}
		var used int
		if err := tx.QueryRow(codeUsedSQL.of(tx.Engine()), string(c)).Scan(&used); err != nil {
			return 0, internal(op, err)
		}
		if used > 0 {
			continue
		}
		if _, err := tx.Exec(`INSERT INTO flow_codes_granted (code, municipality, granted_at) VALUES ($1,$2,$3)`, string(c), string(m), tx.NowMicro()); err != nil {
			if store.IsUniqueViolation(err) {
				continue
			}
			return 0, internal(op, err)
		}
		grant.Codes = append(grant.Codes, c)
	}
	return len(grant.Codes), Queue(tx, network.KindResidentCodePoolGrant, string(m), "", 0, grant)
}
