package store

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
)

// A record run is one oplog row holding consecutive records that a system
// principal appended in one transaction under one operation — the
// per-message records of a network batch (every message sent or received is
// a record). Each record keeps its own index, canonical bytes, leaf hash and
// Merkle leaf; only the row that holds it is shared. A row per record cost
// the network pipeline about a quarter of its rate: most of a
// row's cost is per row (bound values, the B-tree cell, index entries) and
// per byte written (the WAL, then the checkpoint), not per record.
//
// Layout (migration 0600): idx is the first record's index and run the
// number of records; leaf_hash holds their 32-byte leaf hashes in order;
// leaf holds the records compactly — what they share once, then what each
// has of its own, written against the record before it — from which each
// record's canonical bytes are rebuilt exactly (LogRecord.Leaf is
// deterministic). A record's canonical bytes repeat its field names and the
// shared values (~480 bytes for a network record); the run keeps ~40 of
// them. A change to any stored byte changes the rebuilt canonical bytes, so
// verification sees it as it sees a changed leaf.
//
//	leaf   = layout(1 byte, 2 or 3) shared record*
//	shared = v time(varint) node collation_id operator_id authority terminal principal operation policy_version [client_addr]
//	record = flags [subject] [purpose] [result] detail
//	detail = prefix(uvarint) suffix(uvarint) middle
//
// v is a uvarint; strings are a uvarint length then the bytes. Each
// record's values are written against the previous record's (the first
// record's "previous" values are empty): flags say which of subject,
// purpose and result equal the previous one's (then nothing is written),
// whether the subject is a token (24 lowercase hex digits, written as its
// 12 bytes) and number_accessed. The detail is the previous detail's first
// prefix and last suffix bytes around middle (consecutive messages' details
// differ in a few characters of their id). Every choice is forced —
// lengths minimal, a flag set whenever it can be, prefix and then suffix
// as long as they can be — so a run has one encoding only. Layout 3 is
// layout 2 with the run's client address (an operator's person records come
// from one request, so one terminal address) after the policy version; it
// is written when, and only when, that address is not empty. Layout 1, each
// record's values in full, is no longer read: migration 0860 rewrote it.
//
// The row's time, principal, operation and policy version repeat the
// shared values for the indexes; its other columns are empty, and the
// records' residents are in oplog_resident.

// RunAlign bounds runs: no run crosses a multiple of it, so readers that
// read the log in chunks of a multiple of RunAlign indices find every run
// whole inside one chunk.
const RunAlign = 4096

// minRun is the shortest run worth a row of its own kind.
const minRun = 2

// Run layouts: the first byte of a run's leaf column.
const (
	runLayoutFull = 1 // each record's values in full: rewritten by migration 0860, refused by readers
	runLayout     = 2 // each record's values against the previous record's
	runLayoutAddr = 3 // layout 2 with a client address among the shared values
)

// Flags of a layout-2 record.
const (
	runNumberAccessed = 1 << iota
	runSubjectToken   // subject: 12 bytes, its 24 lowercase hex digits
	runSubjectSame    // subject: the previous record's
	runPurposeSame
	runResultSame
	runFlagsAll = 1<<iota - 1
)

// sameShared reports whether two records of a transaction share every
// value the run stores once.
func sameShared(a, b *LogRecord) bool {
	return a.V == b.V && a.Time == b.Time && a.Node == b.Node && a.CollationID == b.CollationID &&
		a.OperatorID == b.OperatorID && a.Authority == b.Authority && a.Terminal == b.Terminal &&
		a.Principal == b.Principal && a.Operation == b.Operation && a.PolicyVersion == b.PolicyVersion &&
		a.ClientAddr == b.ClientAddr
}

// runLeaf builds the canonical bytes of a run's records: the parts they
// share are written once, so each record costs only its own fields (the
// leaves of a network batch are built inside the writer's critical
// section). It gives exactly LogRecord.Leaf (FuzzRunRecords, FuzzEncodeRun).
type runLeaf struct {
	head []byte // {"v":V,"idx":
	mid  []byte // ,"time":T,"node":…,"operation":"…"
	pv   []byte // ,"policy_version":"…"
	addr []byte // ,"client_addr":"…"}, or } when the run has none
}

func newRunLeaf(r *LogRecord) runLeaf {
	var p runLeaf
	p.head = strconv.AppendInt([]byte(`{"v":`), int64(r.V), 10)
	p.head = append(p.head, `,"idx":`...)
	p.mid = strconv.AppendInt([]byte(`,"time":`), r.Time, 10)
	for _, f := range [...]struct{ name, value string }{
		{`,"node":`, r.Node}, {`,"collation_id":`, r.CollationID}, {`,"operator_id":`, r.OperatorID},
		{`,"authority":`, r.Authority}, {`,"terminal":`, r.Terminal}, {`,"principal":`, r.Principal},
		{`,"operation":`, r.Operation},
	} {
		p.mid = append(p.mid, f.name...)
		p.mid = appendJSONString(p.mid, f.value)
	}
	p.pv = appendJSONString([]byte(`,"policy_version":`), r.PolicyVersion)
	p.addr = []byte{}
	if r.ClientAddr != "" {
		p.addr = appendJSONString([]byte(`,"client_addr":`), r.ClientAddr)
	}
	p.addr = append(p.addr, '}')
	return p
}

// append appends the canonical bytes of r, whose shared values are p's.
func (p *runLeaf) append(b []byte, r *LogRecord) []byte {
	b = append(b, p.head...)
	b = strconv.AppendUint(b, r.Index, 10)
	b = append(b, p.mid...)
	b = append(b, `,"subject":`...)
	b = appendJSONString(b, r.Subject)
	b = append(b, `,"purpose":`...)
	b = appendJSONString(b, r.Purpose)
	b = append(b, `,"result":`...)
	b = appendJSONString(b, r.Result)
	b = append(b, p.pv...)
	if r.NumberAccessed {
		b = append(b, `,"number_accessed":true,"detail":`...)
	} else {
		b = append(b, `,"number_accessed":false,"detail":`...)
	}
	b = appendJSONString(b, r.Detail)
	return append(b, p.addr...)
}

// EncodeRun returns the leaf column of a run holding recs (consecutive
// indices, every shared value equal: see sameShared).
func EncodeRun(recs []LogRecord) []byte {
	layout := byte(runLayout)
	if recs[0].ClientAddr != "" {
		layout = runLayoutAddr
	}
	size := 64
	for i := range recs {
		size += 24 + len(recs[i].Detail)/2
	}
	r := &recs[0]
	b := make([]byte, 0, size+len(r.Node)+len(r.Principal)+len(r.Operation)+len(r.PolicyVersion)+len(r.Authority)+len(r.ClientAddr))
	b = append(b, layout)
	b = binary.AppendUvarint(b, uint64(r.V))
	b = binary.AppendVarint(b, r.Time)
	for _, s := range [...]string{r.Node, r.CollationID, r.OperatorID, r.Authority, r.Terminal, r.Principal, r.Operation, r.PolicyVersion} {
		b = appendString(b, s)
	}
	if layout == runLayoutAddr {
		b = appendString(b, r.ClientAddr)
	}
	prev := &LogRecord{}
	for i := range recs {
		r := &recs[i]
		b = appendRecord(b, prev, r)
		prev = r
	}
	return b
}

// appendRecord appends r's layout-2 record, written against prev's.
func appendRecord(b []byte, prev, r *LogRecord) []byte {
	var flags byte
	if r.NumberAccessed {
		flags |= runNumberAccessed
	}
	switch {
	case r.Subject == prev.Subject:
		flags |= runSubjectSame
	case isToken(r.Subject):
		flags |= runSubjectToken
	}
	if r.Purpose == prev.Purpose {
		flags |= runPurposeSame
	}
	if r.Result == prev.Result {
		flags |= runResultSame
	}
	b = append(b, flags)
	switch {
	case flags&runSubjectSame != 0:
	case flags&runSubjectToken != 0:
		b, _ = hex.AppendDecode(b, []byte(r.Subject)) // isToken: valid hex
	default:
		b = appendString(b, r.Subject)
	}
	if flags&runPurposeSame == 0 {
		b = appendString(b, r.Purpose)
	}
	if flags&runResultSame == 0 {
		b = appendString(b, r.Result)
	}
	p, s := affixes(prev.Detail, r.Detail)
	b = binary.AppendUvarint(b, uint64(p))
	b = binary.AppendUvarint(b, uint64(s))
	return appendString(b, r.Detail[p:len(r.Detail)-s])
}

// affixes returns the lengths of the longest common prefix of a and b and
// then of the longest common suffix of what is left of them.
func affixes(a, b string) (prefix, suffix int) {
	n := min(len(a), len(b))
	for prefix < n && a[prefix] == b[prefix] {
		prefix++
	}
	for suffix < n-prefix && a[len(a)-1-suffix] == b[len(b)-1-suffix] {
		suffix++
	}
	return prefix, suffix
}

// isToken reports whether s is a subject token's form: 24 lowercase hex
// digits (DB.SubjectToken).
func isToken(s string) bool {
	if len(s) != 24 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// ErrBadRun means a run row's columns do not hold the records its run
// length says (a changed row: verification names the index).
var ErrBadRun = errors.New("run row does not hold its records")

// runReader reads a run's leaf column.
type runReader struct {
	b   []byte
	err error
}

func (r *runReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, k := binary.Uvarint(r.b)
	if k <= 0 || k != uvarintLen(v) {
		r.err = ErrBadRun
		return 0
	}
	r.b = r.b[k:]
	return v
}

func (r *runReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, k := binary.Varint(r.b)
	if k <= 0 || k != len(binary.AppendVarint(nil, v)) {
		r.err = ErrBadRun
		return 0
	}
	r.b = r.b[k:]
	return v
}

func (r *runReader) str() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.err = ErrBadRun
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *runReader) flag() bool {
	if r.err != nil {
		return false
	}
	if len(r.b) == 0 || r.b[0] > 1 {
		r.err = ErrBadRun
		return false
	}
	v := r.b[0] == 1
	r.b = r.b[1:]
	return v
}

// record reads a layout-2 record into r (whose shared values are set)
// against prev, and checks that it is written the one way it can be.
func (rd *runReader) record(prev, r *LogRecord) {
	if rd.err != nil {
		return
	}
	if len(rd.b) == 0 || rd.b[0]&^runFlagsAll != 0 || rd.b[0]&(runSubjectSame|runSubjectToken) == runSubjectSame|runSubjectToken {
		rd.err = ErrBadRun
		return
	}
	flags := rd.b[0]
	rd.b = rd.b[1:]
	r.NumberAccessed = flags&runNumberAccessed != 0
	switch {
	case flags&runSubjectSame != 0:
		r.Subject = prev.Subject
	case flags&runSubjectToken != 0:
		if len(rd.b) < 12 {
			rd.err = ErrBadRun
			return
		}
		r.Subject = hex.EncodeToString(rd.b[:12])
		rd.b = rd.b[12:]
	default:
		// A value the flags could have said is not written out.
		if r.Subject = rd.str(); r.Subject == prev.Subject || isToken(r.Subject) {
			rd.err = ErrBadRun
		}
	}
	r.Purpose, r.Result = rd.againstPrev(flags&runPurposeSame != 0, prev.Purpose), rd.againstPrev(flags&runResultSame != 0, prev.Result)
	p, s := rd.uvarint(), rd.uvarint()
	mid := rd.str()
	if rd.err != nil {
		return
	}
	if p > uint64(len(prev.Detail)) || s > uint64(len(prev.Detail))-p { // not p+s: it can wrap around
		rd.err = ErrBadRun
		return
	}
	if p == uint64(len(prev.Detail)) && s == 0 && mid == "" {
		r.Detail = prev.Detail // the same detail again: no copy
	} else {
		r.Detail = prev.Detail[:p] + mid + prev.Detail[uint64(len(prev.Detail))-s:]
	}
	if cp, cs := affixes(prev.Detail, r.Detail); uint64(cp) != p || uint64(cs) != s {
		rd.err = ErrBadRun
	}
}

// againstPrev reads a value that same says is prev's, or else is written
// (and then is not prev's).
func (rd *runReader) againstPrev(same bool, prev string) string {
	if same {
		return prev
	}
	v := rd.str()
	if v == prev {
		rd.err = ErrBadRun
	}
	return v
}

// RunRecords calls fn for each of the n records of the run row starting at
// index first, in order, with the record's canonical bytes rebuilt from the
// leaf column (valid only during the call) and its stored hash (a slice of
// hashes). A nil leaves column gives no leaves (hashes only). A record that
// cannot be read is given with a nil leaf, and every record after it too;
// hashes not 32 bytes a record are given as nil; the error is then
// ErrBadRun. A nil hashes column gives no hashes (leaves only). fn
// returning false stops.
func RunRecords(first uint64, leaves, hashes []byte, n int, fn func(i int, leaf, hash []byte) bool) error {
	return runRecords(first, leaves, hashes, n, nil, fn)
}

// RunLeafAt returns the canonical bytes of record i (0-based) of the run
// row starting at first: the records before it are read, not rebuilt.
func RunLeafAt(first uint64, leaves []byte, n, i int) ([]byte, error) {
	if i < 0 || i >= n {
		return nil, fmt.Errorf("%w: no record %d in a run of %d", ErrBadRun, i, n)
	}
	var leaf []byte
	err := runRecords(first, leaves, nil, n, func(k int) bool { return k == i }, func(_ int, l, _ []byte) bool {
		leaf = bytes.Clone(l)
		return false
	})
	if leaf == nil {
		if err == nil {
			err = ErrBadRun
		}
		return nil, fmt.Errorf("record %d of the run at %d: %w", i, first, err)
	}
	return leaf, nil
}

// runRecords is RunRecords calling fn only for the records want accepts
// (all when want is nil); the others are read but not rebuilt.
func runRecords(first uint64, leaves, hashes []byte, n int, want func(int) bool, fn func(i int, leaf, hash []byte) bool) error {
	var err error
	if hashes != nil && len(hashes) != 32*n {
		err = fmt.Errorf("%w: %d hash bytes for %d records", ErrBadRun, len(hashes), n)
		hashes = nil
	}
	var rd *runReader
	var shared LogRecord
	var layout byte
	if leaves != nil {
		rd = &runReader{b: leaves}
		if len(rd.b) == 0 || (rd.b[0] != runLayout && rd.b[0] != runLayoutAddr) {
			rd.err = ErrBadRun
		} else {
			layout = rd.b[0]
			rd.b = rd.b[1:]
		}
		// Version 1 is the only record version (DecodeLogRecord).
		if shared.V = int(rd.uvarint()); shared.V != 1 && rd.err == nil {
			rd.err = ErrBadRun
		}
		shared.Time = rd.varint()
		shared.Node, shared.CollationID, shared.OperatorID, shared.Authority = rd.str(), rd.str(), rd.str(), rd.str()
		shared.Terminal, shared.Principal, shared.Operation, shared.PolicyVersion = rd.str(), rd.str(), rd.str(), rd.str()
		if layout == runLayoutAddr {
			// Written only when not empty: one encoding per run.
			if shared.ClientAddr = rd.str(); shared.ClientAddr == "" && rd.err == nil {
				rd.err = ErrBadRun
			}
		}
		if rd.err != nil && err == nil {
			err = fmt.Errorf("%w: the shared values cannot be read", ErrBadRun)
		}
	}
	var buf []byte
	var rl runLeaf
	if rd != nil {
		rl = newRunLeaf(&shared)
	}
	// Each record is read against the one before it, so every record is
	// read, and only those wanted are rebuilt.
	var prev, r LogRecord
	for i := 0; i < n; i++ {
		var leaf, hash []byte
		wanted := want == nil || want(i)
		switch {
		case rd == nil || rd.err != nil:
		default:
			prev, r = r, shared
			rd.record(&prev, &r)
		}
		if rd != nil && rd.err != nil && err == nil {
			err = fmt.Errorf("%w: record %d of %d cannot be read", ErrBadRun, i, n)
		}
		if !wanted {
			continue
		}
		if rd != nil && rd.err == nil {
			r.Index = first + uint64(i)
			buf = rl.append(buf[:0], &r)
			leaf = buf
		}
		if hashes != nil {
			hash = hashes[32*i : 32*i+32 : 32*i+32]
		}
		if !fn(i, leaf, hash) {
			return err
		}
	}
	if rd != nil && err == nil && len(rd.b) != 0 {
		err = fmt.Errorf("%w: %d bytes after the last record", ErrBadRun, len(rd.b))
	}
	return err
}

func uvarintLen(v uint64) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}

// SubjectKey is the key of a subject token in oplog_resident: its first 64
// bits (a token is 24 hex digits of a keyed HMAC). Distinct residents may
// share a key only by a 1-in-2^64 chance, and a query compares the
// record's own subject anyway.
func SubjectKey(token string) int64 {
	var k uint64
	for i := 0; i < 16 && i < len(token); i++ {
		c := token[i]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			c = 0
		}
		k = k<<4 | uint64(c)
	}
	return int64(k)
}
