package node

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// MaxLookupBatch bounds the resident codes of one batch lookup.
const MaxLookupBatch = 10000

// LookupIdentity returns the current identity information (本人確認情報) held
// by this prefecture or national server for a resident code. The read is
// logged (G15) with purpose. Errors: KindInvalid (code, purpose),
// KindNotFound, and the authorization errors of store.DB.Update.
func LookupIdentity(ctx context.Context, db *store.DB, residentCode, purpose string) (jukinet.IdentityInfo, error) {
	got, err := LookupIdentities(ctx, db, []string{residentCode}, purpose)
	if err != nil {
		return jukinet.IdentityInfo{}, err
	}
	info, ok := got[residentCode]
	if !ok {
		return info, jukinet.Errorf("node.LookupIdentity", jukinet.KindNotFound, "resident_code", "no identity information for this resident code")
	}
	return info, nil
}

// LookupIdentities looks up a batch of resident codes and returns what is
// held, keyed by resident code (codes with nothing held are absent). When a
// person has records from several municipalities (a move), the most recently
// updated one is returned.
//
// The lookup is ONE operation-log record (G15: who, what, on whom — the
// resident when there is one code —, with purpose), written by
// store.DB.Update only when the read succeeded and committed before anything
// is returned. Nothing is read for an actor the policy refuses; Update logs
// the refusal as for any operation. On SQLite a batch that finds the
// writer idle is read in its logging transaction, on the writer's
// connection, whose page cache survives commits (store.DB.ViewIfIdle); one
// that finds it busy, and every large batch on PostgreSQL, is read beside
// the writer: on reader connections (WAL readers do not wait for the
// writer; a standby with a read DSN), by up to lookupReaders readers in
// parallel, before the record is written (docs/scale.md).
func LookupIdentities(ctx context.Context, db *store.DB, codes []string, purpose string) (map[string]jukinet.IdentityInfo, error) {
	const op = "node.LookupIdentities"
	if len(codes) == 0 || len(codes) > MaxLookupBatch {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "resident_codes", "give 1..%d resident codes, got %d", MaxLookupBatch, len(codes))
	}
	if strings.TrimSpace(purpose) == "" {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "purpose", "a lookup requires a purpose or case number")
	}
	for i, c := range codes {
		if _, err := jukinet.ParseResidentCode(c); err != nil {
			return nil, jukinet.E(op, jukinet.Field(fmt.Sprintf("resident_codes[%d]", i)), err)
		}
	}
	subject := ""
	if len(codes) == 1 {
		subject = codes[0]
	}
	record := store.Op{Operation: jukinet.OpIdentityLookup, Subject: subject, Purpose: purpose,
		Detail: strconv.Itoa(len(codes)) + " resident codes"}
	// Each code read once, in order: on PostgreSQL each reader walks the
	// key in order over a range of its own, and a code has several rows
	// only for a person who moved (newest).
	codes = slices.Clone(codes)
	slices.Sort(codes)
	codes = slices.Compact(codes)
	if len(codes) < lookupParallel {
		// A small lookup reads in its own logging transaction, on the
		// writer's connection (statements prepared once, pages cached: a
		// pool connection cost ~25 µs more per lookup one by one, measured),
		// and decodes after the commit.
		var rows []heldRow
		err := db.Update(ctx, record, func(tx *store.Tx) error {
			var err error
			if rows, err = readChunk(tx.Query, db.Engine(), codes, false); err != nil {
				return jukinet.E(op, jukinet.KindInternal, err)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		decodeRows(rows)
		return newest([][]heldRow{rows}, len(codes))
	}
	// On SQLite a batch that finds the writer idle reads in its logging
	// transaction on the writer's connection, whose page cache lasts (a
	// reader's is emptied by every commit of another connection: 0.6–0.7×
	// the CPU per record at 1 M persons, measured); one that finds it busy
	// reads beside it, below.
	var rows []heldRow
	ran, err := db.ViewIfIdle(ctx, record, func(tx *store.Tx) error {
		var err error
		if rows, err = readYielding(tx, codes); err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		return nil
	})
	if ran || err != nil {
		if err != nil {
			return nil, err
		}
		decodeRows(rows)
		return newest([][]heldRow{rows}, len(codes))
	}
	if actor, ok := jukinet.ActorFrom(ctx); !ok || jukinet.Authorize(record.Operation, actor) != nil {
		// Update refuses without running fn, and logs the refusal.
		err := db.Update(ctx, record, func(*store.Tx) error {
			return jukinet.E(op, jukinet.KindInternal, "store.DB.Update allowed a lookup the policy refuses")
		})
		return nil, err
	}
	chunks, err := readIdentities(ctx, db, codes)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	// The record is written once the read succeeded; the result is built
	// meanwhile and returned only when the record is committed.
	logged := make(chan error, 1)
	go func() { logged <- db.View(ctx, record, nil) }()
	out, err := newest(chunks, len(codes))
	if lerr := <-logged; lerr != nil {
		return nil, lerr
	}
	return out, err
}

// newest returns each code's newest record: of the rows in the order one
// query per chunk returns them, chunks in order, the first with the greatest
// updated_at. Errors: KindInternal if a returned record does not decode.
// The codes were read once each (LookupIdentities), so a code has several
// rows only for a person with records from several municipalities (a
// move): the answer is built straight from the rows, and only a batch that
// holds such a person compares them (newestOfSeveral).
func newest(chunks [][]heldRow, n int) (map[string]jukinet.IdentityInfo, error) {
	out := make(map[string]jukinet.IdentityInfo, n)
	for _, chunk := range chunks {
		for i := range chunk {
			r := &chunk[i]
			if _, seen := out[r.code]; seen || r.err != nil {
				// An undecodable row fails only if it is the newest.
				return newestOfSeveral(chunks, n)
			}
			out[r.code] = r.info
		}
	}
	return out, nil
}

// newestOfSeveral is newest for rows of which several share a code.
func newestOfSeveral(chunks [][]heldRow, n int) (map[string]jukinet.IdentityInfo, error) {
	best := make(map[string]*heldRow, n)
	for _, chunk := range chunks {
		for i := range chunk {
			r := &chunk[i]
			if prev, ok := best[r.code]; ok && prev.updated >= r.updated {
				continue
			}
			best[r.code] = r
		}
	}
	out := make(map[string]jukinet.IdentityInfo, len(best))
	for code, r := range best {
		if r.err != nil {
			return nil, jukinet.E("node.LookupIdentities", jukinet.KindInternal, r.err)
		}
		out[code] = r.info
	}
	return out, nil
}

// heldRow is one stored record of identity information.
type heldRow struct {
	code    string
	updated int64
	raw     string               // the stored JSON
	info    jukinet.IdentityInfo // raw decoded (decodeRows)
	err     error                // decoding raw; an error only if this record is the one returned
}

// decodeRows decodes the rows' stored JSON.
func decodeRows(rows []heldRow) {
	for i := range rows {
		r := &rows[i]
		r.err = unmarshalIdentityString(r.raw, &r.info)
	}
}

const (
	lookupReaders = 2 // parallel readers (connections) per lookup, at most
	// lookupParallel is the smallest batch read by more than one reader.
	lookupParallel = 64
)

// readIdentities reads the records held for codes: on each of up to
// lookupReaders connections, a contiguous part of codes; one result per part,
// in input order.
func readIdentities(ctx context.Context, db *store.DB, codes []string) ([][]heldRow, error) {
	readers := 1
	if len(codes) >= lookupParallel {
		readers = max(1, min(lookupReaders, runtime.GOMAXPROCS(0)))
	}
	size := (len(codes) + readers - 1) / readers

	chunks := make([][]heldRow, (len(codes)+size-1)/size)
	readers = min(readers, len(chunks))
	errs := make([]error, readers)
	read := func(w int) {
		// A standby may serve this read (store.Config.ReadDSN): the answer
		// is as of the replication delay, the log record still commits on
		// the primary before anything is returned.
		conn, err := db.ReadConn(ctx)
		if err != nil {
			errs[w] = err
			return
		}
		defer conn.Close()
		query := func(q string, args ...any) (*sql.Rows, error) { return conn.QueryContext(ctx, q, args...) }
		for c := w; c < len(chunks) && errs[w] == nil; c += readers {
			part := codes[c*size : min((c+1)*size, len(codes))]
			if db.Engine() == store.Postgres {
				chunks[c], errs[w] = readChunkText(ctx, db, conn, part)
			} else {
				chunks[c], errs[w] = readChunk(query, db.Engine(), part, true)
			}
			decodeRows(chunks[c])
		}
	}
	if readers == 1 {
		read(0)
		return chunks, errs[0]
	}
	var wg sync.WaitGroup
	for w := 1; w < readers; w++ {
		wg.Go(func() { read(w) })
	}
	read(0)
	wg.Wait()
	return chunks, errors.Join(errs...)
}

// lookupSQLite selects the records of the resident codes given as one JSON
// array: one parameter, and the same text for every batch, instead of a
// statement with a parameter per code (measured: −0.4 µs CPU per record).
// The array holds each code's first row_key (flow_identity_key.go), in
// order: SQLite walks it and reads the range of row_key of each code from
// flow_identity's only b-tree, neighbouring codes on neighbouring pages
// (TestLookupPlanUsesIndex).
const lookupSQLite = `SELECT f.resident_code, f.info, f.updated_at FROM json_each(?) j CROSS JOIN flow_identity f
 WHERE f.row_key BETWEEN j.value AND j.value + 999999`

// lookupOneSQLite is lookupSQLite for one code: its range of row_key.
const lookupOneSQLite = `SELECT resident_code, info, updated_at FROM flow_identity WHERE row_key BETWEEN ? AND ?`

// lookupPostgres is lookupSQLite on PostgreSQL: the codes as a text array.
const lookupPostgres = `SELECT resident_code, info, updated_at FROM flow_identity WHERE resident_code = ANY($1::text[])`

// readChunk reads the records held for codes in one statement: on SQLite
// with the codes as one JSON array (lookupSQLite) if asArray or more than
// one, else with a parameter per code (cheaper for a few codes, measured:
// ~5 µs per lookup one by one).
func readChunk(query func(q string, args ...any) (*sql.Rows, error), engine store.Engine, codes []string, asArray bool) ([]heldRow, error) {
	var rows *sql.Rows
	var err error
	if engine == store.SQLite && (asArray || len(codes) > 1) {
		rows, err = query(lookupSQLite, codeKeysJSON(codes))
	} else if engine == store.SQLite {
		// A code that is not 11 ASCII digits has no row: the empty range.
		lo, hi, _ := identityCodeRange(codes[0])
		rows, err = query(lookupOneSQLite, lo, hi)
	} else if asArray {
		// PostgreSQL: the codes (sorted by LookupIdentities) as one array,
		// so that the index is walked in order (neighbouring codes share
		// pages), and one plan for every batch size.
		rows, err = query(lookupPostgres, codes)
	} else {
		args := make([]any, len(codes))
		for i, c := range codes {
			args[i] = c
		}
		rows, err = query(`SELECT resident_code, info, updated_at FROM flow_identity WHERE resident_code IN (`+placeholders(engine, len(codes))+`)`, args...)
	}
	if err != nil {
		return nil, err
	}
	return scanHeld(rows, make([]heldRow, 0, len(codes)))
}

// readChunkText is readChunk's array lookup on PostgreSQL, reading the
// rows' text straight from the driver (store.DB.QueryText).
func readChunkText(ctx context.Context, db *store.DB, conn *sql.Conn, codes []string) ([]heldRow, error) {
	out := make([]heldRow, 0, len(codes))
	err := db.QueryText(ctx, conn, lookupPostgres, []any{codes}, func(cols [][]byte) error {
		updated, err := strconv.ParseInt(string(cols[2]), 10, 64)
		if err != nil || cols[0] == nil || cols[1] == nil {
			return fmt.Errorf("an identity row of %d columns, updated_at %q: %v", len(cols), cols[2], err)
		}
		out = append(out, heldRow{code: string(cols[0]), raw: string(cols[1]), updated: updated})
		return nil
	})
	return out, err
}

// scanHeld appends the rows of a lookup statement to out and closes them.
func scanHeld(rows *sql.Rows, out []heldRow) ([]heldRow, error) {
	defer rows.Close()
	for rows.Next() {
		out = append(out, heldRow{})
		r := &out[len(out)-1]
		if err := rows.Scan(&r.code, &r.raw, &r.updated); err != nil {
			return nil, err
		}
	}
	return out, rows.Close()
}

// yieldEvery is how many codes the writer's connection reads between two
// chances for the log records waiting for it to commit (store.Tx.Yield):
// about a millisecond of reading.
const yieldEvery = 128

// readYielding reads the records held for codes on the writer's connection
// (SQLite, store.DB.ViewIfIdle) in parts of yieldEvery codes, in key order,
// letting the log records of the batches read beside it commit between
// two parts: they wait for one part, not for the whole batch.
func readYielding(tx *store.Tx, codes []string) ([]heldRow, error) {
	keys := codeKeys(codes)
	out := make([]heldRow, 0, len(codes))
	for lo := 0; lo < len(keys); lo += yieldEvery {
		if lo > 0 {
			if err := tx.Yield(); err != nil {
				return nil, err
			}
		}
		rows, err := tx.Query(lookupSQLite, keysJSON(keys[lo:min(lo+yieldEvery, len(keys))]))
		if err != nil {
			return nil, err
		}
		if out, err = scanHeld(rows, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// codeKeysJSON returns the JSON array of the first row_key of each code,
// ascending and each once. A code that is not 11 ASCII digits has no row
// and is left out.
func codeKeysJSON(codes []string) string { return keysJSON(codeKeys(codes)) }

// codeKeys returns the first row_key of each code, ascending and each
// once, leaving out a code that is not 11 ASCII digits.
func codeKeys(codes []string) []int64 {
	keys := make([]int64, 0, len(codes))
	for _, c := range codes {
		if lo, _, ok := identityCodeRange(c); ok {
			keys = append(keys, lo)
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// keysJSON returns keys as a JSON array.
func keysJSON(keys []int64) string {
	b := make([]byte, 0, len(keys)*18+2)
	b = append(b, '[')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, k, 10)
	}
	return string(append(b, ']'))
}

// placeholders returns n parameter markers: "?" on SQLite, where
// modernc.org/sqlite resolves "$N" by a linear search per parameter
// (store.InsertRows).
func placeholders(e store.Engine, n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteByte(',')
		}
		if e == store.SQLite {
			b.WriteByte('?')
		} else {
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(i))
		}
	}
	return b.String()
}
