package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"golang.org/x/mod/sumdb/note"
)

// rfc6962Root is the Merkle tree hash of RFC 6962 section 2.1 over leaf
// hashes, written here from the RFC so that the test does not use the
// code it checks.
func rfc6962Root(leaves [][]byte) []byte {
	switch n := len(leaves); n {
	case 0:
		h := sha256.Sum256(nil)
		return h[:]
	case 1:
		return leaves[0]
	default:
		k := 1
		for k*2 < n {
			k *= 2
		}
		h := sha256.New()
		h.Write([]byte{1})
		h.Write(rfc6962Root(leaves[:k]))
		h.Write(rfc6962Root(leaves[k:]))
		return h.Sum(nil)
	}
}

// checkExport reads an export as an outside auditor would: each line's
// canonical bytes hash (SHA-256 of 0x00 ‖ bytes) to its leaf hash, indices
// run 0, 1, 2 …, and the root of the leaf hashes is the one the head line
// and its signed checkpoint (verified with the log's key) name.
func checkExport(t *testing.T, out string, logKey string) (records []map[string]any) {
	t.Helper()
	var leaves [][]byte
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	var head struct {
		TreeSize   uint64 `json:"tree_size"`
		Root       string `json:"root"`
		Checkpoint string `json:"checkpoint"`
	}
	for sc.Scan() {
		var line struct {
			Index    *uint64 `json:"idx"`
			LeafHash string  `json:"leaf_hash"`
			Leaf     string  `json:"leaf"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if line.Index == nil {
			if err := json.Unmarshal(sc.Bytes(), &head); err != nil {
				t.Fatal(err)
			}
			if sc.Scan() {
				t.Fatalf("a line after the head: %q", sc.Text())
			}
			break
		}
		if *line.Index != uint64(len(leaves)) {
			t.Fatalf("line for index %d, want %d", *line.Index, len(leaves))
		}
		h := sha256.Sum256(append([]byte{0}, line.Leaf...))
		if hex.EncodeToString(h[:]) != line.LeafHash {
			t.Fatalf("record %d: its bytes hash to %x, the line says %s", *line.Index, h, line.LeafHash)
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line.Leaf), &rec); err != nil {
			t.Fatalf("record %d is not JSON: %v", *line.Index, err)
		}
		if rec["idx"] != float64(*line.Index) {
			t.Fatalf("record %d says idx %v", *line.Index, rec["idx"])
		}
		records = append(records, rec)
		leaves = append(leaves, h[:])
	}
	if head.Checkpoint == "" {
		t.Fatalf("no head line at the end of the export")
	}
	root := rfc6962Root(leaves)
	if head.TreeSize != uint64(len(leaves)) || head.Root != hex.EncodeToString(root) {
		t.Fatalf("head says %d records, root %s; the export holds %d giving %x", head.TreeSize, head.Root, len(leaves), root)
	}
	v, err := note.NewVerifier(logKey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open([]byte(head.Checkpoint), note.VerifierList(v))
	if err != nil {
		t.Fatalf("the head's checkpoint does not verify with the log key: %v", err)
	}
	want := fmt.Sprintf("%d\n%s\n", len(leaves), base64.StdEncoding.EncodeToString(root))
	if !strings.HasSuffix(n.Text, want) {
		t.Fatalf("the signed checkpoint %q does not commit to %d records with root %x", n.Text, len(leaves), root)
	}
	return records
}

// TestOplogExport: an auditor exports the log and recomputes the signed
// root with RFC 6962 alone; records of runs come out one by one; the export
// holds subject tokens, never resident codes; a lookup operator may not
// export; a changed record, or a record changed together with its hash, is
// refused with no head line.
func TestOplogExport(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "352063.db")
	keysDir := filepath.Join(dir, "keys")
	db, err := store.Open(context.Background(), store.Config{Path: dbPath, Node: "352063"})
	if err != nil {
		t.Fatal(err)
	}
	op := jukinet.WithActor(context.Background(), jukinet.Actor{CollationID: "C1", OperatorID: "O1", Authority: jukinet.AuthorityLookup, Terminal: "T1"})
	for i := range 12 {
		if err := db.Update(op, store.Op{Operation: jukinet.OpResidentRead, Subject: fmt.Sprintf("1000000000%d", i%10), Purpose: "case"}, func(*store.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	// A network batch: its per-message records are stored as one run row.
	sys := jukinet.WithActor(context.Background(), jukinet.SystemActor("network"))
	if err := db.Update(sys, store.Op{Operation: jukinet.OpNetworkReceive, Detail: "batch"}, func(tx *store.Tx) error {
		for i := range 30 {
			tx.Log(jukinet.OpNetworkReceive, "", "applied", fmt.Sprintf("identity.notify m-%03d from 352064", i))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	seedOperatorsAt(t, dbPath, "352063", keysDir)
	writeKey(t, filepath.Join(dir, "node.key"))
	writeKey(t, filepath.Join(dir, "witness.key"))
	base := []string{"--db", dbPath, "--node", "352063"}
	code, out, stderr := exec(t, "", append([]string{"oplog", "checkpoint", "--key", filepath.Join(dir, "node.key"), "--witness-signing-key", filepath.Join(dir, "witness.key")}, base...)...)
	if code != 0 {
		t.Fatalf("checkpoint: exit %d: %s", code, stderr)
	}
	logKey := regexp.MustCompile(`(?m)^log key\s+(\S+)$`).FindStringSubmatch(out)
	if logKey == nil {
		t.Fatalf("checkpoint output %q names no log key", out)
	}
	auditor := func() []string { return tokenArgs(t, dbPath, "352063", keysDir, 1, "C-AUDIT", jukinet.AuthorityAudit) }

	code, out, stderr = exec(t, "", append(append([]string{"oplog", "export"}, auditor()...), base...)...)
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	records := checkExport(t, out, logKey[1])
	batch := 0
	for _, r := range records {
		if r["operation"] == string(jukinet.OpNetworkReceive) && strings.HasPrefix(r["detail"].(string), "identity.notify m-") {
			batch++
		}
	}
	if batch != 30 {
		t.Errorf("%d records of the network batch's run exported, want 30", batch)
	}
	if strings.Contains(out, "10000000003") {
		t.Error("the export holds a resident code; records keep subject tokens")
	}

	if code, _, _ := exec(t, "", append(append([]string{"oplog", "export"}, tokenArgs(t, dbPath, "352063", keysDir, 1, "C-CLERK", jukinet.AuthorityLookup)...), base...)...); code != 1 {
		t.Errorf("export by a lookup operator: exit %d, want 1 (forbidden)", code)
	}

	// Tamper with record 5: its bytes alone, then its bytes and its hash.
	tamper := func(q string, args ...any) {
		t.Helper()
		db, err := store.Open(context.Background(), store.Config{Path: dbPath, Node: "352063"})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.Bookkeeping(store.Inspect).Exec(`DROP TRIGGER IF EXISTS oplog_no_update`)
		if _, err := db.Bookkeeping(store.Inspect).Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	tamper(`UPDATE oplog SET leaf = replace(leaf, '"purpose":"case"', '"purpose":"cas2"') WHERE idx = 5`)
	code, out, stderr = exec(t, "", append(append([]string{"oplog", "export"}, auditor()...), base...)...)
	if code != 1 || !strings.Contains(stderr, "record 5") || strings.Contains(out, `"tree_size"`) {
		t.Errorf("export of a changed record: exit %d, stderr %q, head written %v; want 1 naming record 5 and no head", code, stderr, strings.Contains(out, `"tree_size"`))
	}
	var leaf []byte
	db, err = store.Open(context.Background(), store.Config{Path: dbPath, Node: "352063"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT leaf FROM oplog WHERE idx = 5`).Scan(&leaf); err != nil {
		t.Fatal(err)
	}
	db.Close()
	h := store.LeafHash(leaf)
	tamper(`UPDATE oplog SET leaf_hash = $1 WHERE idx = 5`, h[:])
	code, out, stderr = exec(t, "", append(append([]string{"oplog", "export"}, auditor()...), base...)...)
	if code != 1 || !strings.Contains(stderr, "root") || strings.Contains(out, `"tree_size"`) {
		t.Errorf("export of a record changed with its hash: exit %d, stderr %q; want 1 naming the root and no head", code, stderr)
	}
}
