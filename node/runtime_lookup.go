package node

import (
	"context"
	"errors"
	"fmt"
	"runtime"
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

// LookupIdentities looks up a batch of resident codes in ONE logged
// transaction and returns what is held, keyed by resident code (codes with
// nothing held are absent). When a person has records from several
// municipalities (a move), the most recently updated one is returned.
func LookupIdentities(ctx context.Context, db *store.DB, codes []string, purpose string) (map[string]jukinet.IdentityInfo, error) {
	const op = "node.LookupIdentities"
	if len(codes) == 0 || len(codes) > MaxLookupBatch {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "resident_codes", "give 1..%d resident codes, got %d", MaxLookupBatch, len(codes))
	}
	if strings.TrimSpace(purpose) == "" {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "purpose", "a lookup requires a purpose or case number")
	}
	args := make([]any, len(codes))
	for i, c := range codes {
		if _, err := jukinet.ParseResidentCode(c); err != nil {
			return nil, jukinet.E(op, jukinet.Field(fmt.Sprintf("resident_codes[%d]", i)), err)
		}
		args[i] = c
	}
	// The transaction only reads the stored JSON; decoding it (most of a
	// lookup's CPU, see docs/performance.md) happens after the commit, on
	// every core, so the node's single SQLite writer is not held for it.
	type held struct {
		info    []byte
		updated int64
	}
	found := make(map[string]held, len(codes))
	subject := ""
	if len(codes) == 1 {
		subject = codes[0]
	}
	err := db.Update(ctx, store.Op{Operation: jukinet.OpIdentityLookup, Subject: subject, Purpose: purpose,
		Detail: fmt.Sprintf("%d resident codes", len(codes))}, func(tx *store.Tx) error {
		const chunk = 500
		for start := 0; start < len(args); start += chunk {
			end := min(start+chunk, len(args))
			q := `SELECT resident_code, info, updated_at FROM flow_identity WHERE resident_code IN (` + placeholders(tx, end-start) + `)`
			rows, err := tx.Query(q, args[start:end]...)
			if err != nil {
				return jukinet.E(op, jukinet.KindInternal, err)
			}
			for rows.Next() {
				var code string
				var h held
				if err := rows.Scan(&code, &h.info, &h.updated); err != nil {
					rows.Close()
					return jukinet.E(op, jukinet.KindInternal, err)
				}
				if prev, ok := found[code]; ok && prev.updated >= h.updated {
					continue
				}
				found[code] = h
			}
			if err := rows.Close(); err != nil {
				return jukinet.E(op, jukinet.KindInternal, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(found))
	for code := range found {
		keys = append(keys, code)
	}
	decoded := make([]jukinet.IdentityInfo, len(keys))
	workers := max(1, min(runtime.GOMAXPROCS(0), len(keys)/256))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(keys); i += workers {
				if err := unmarshalIdentity(found[keys[i]].info, &decoded[i]); err != nil {
					errs[w] = jukinet.E(op, jukinet.KindInternal, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := make(map[string]jukinet.IdentityInfo, len(keys))
	for i, code := range keys {
		out[code] = decoded[i]
	}
	return out, nil
}

// placeholders returns n parameter markers for the engine.
func placeholders(tx *store.Tx, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		if tx.Engine() == store.SQLite {
			b.WriteByte('?')
		} else {
			fmt.Fprintf(&b, "$%d", i+1)
		}
	}
	return b.String()
}
