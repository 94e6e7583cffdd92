package oplog

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
	"iter"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/transparency-dev/merkle/compact"
	"golang.org/x/mod/sumdb/note"
)

// Seal file format (version 1), a stream of records after a magic line:
//
//	"jukinet-oplog-seal/v1\n"
//	record := tag byte, uvarint payload length, payload
//	'H' header:     first index (8 bytes big-endian) || month "YYYY-MM"
//	'R' row, ×count: index (8 bytes big-endian) || leaf bytes
//	'B' boundaries: the compact ranges [0, first) and [first+count, size)
//	                of the global tree at the checkpoint, 32-byte hashes
//	'C' checkpoint: the global signed (cosigned) checkpoint note
//	'M' manifest:   a note signed by the node key, text sealManifest…
//	end of file
//
// The boundaries let a reader rebuild the checkpoint's root from the month's
// rows alone, so the archive proves its rows are exactly leaves
// [first, first+count) of the signed log. The manifest signs the SHA-256 of
// every byte before the 'M' record.
const sealMagic = "jukinet-oplog-seal/v1\n"

// MaxLeafSize bounds one record's canonical bytes in a seal file.
const MaxLeafSize = 1 << 20

const (
	tagHeader     = 'H'
	tagRow        = 'R'
	tagBoundaries = 'B'
	tagCheckpoint = 'C'
	tagManifest   = 'M'
)

// SealSummary describes a verified (or written) monthly archive.
type SealSummary struct {
	Origin         string
	Month          string // "YYYY-MM"
	First          uint64 // global index of the month's first row
	Count          uint64
	Root           Hash   // RFC 6962 root over the month's leaves alone
	CheckpointSize uint64 // the global checkpoint sealed with the month
	CheckpointRoot Hash
	FileHash       Hash // SHA-256 of the file before the manifest, as signed
}

// SealRequest is what Seal archives.
type SealRequest struct {
	Month string // "YYYY-MM"
	First uint64 // global index of the month's first row
	// Rows are that month's rows in index order, starting at First.
	Rows iter.Seq2[Row, error]
	// Checkpoint is the current global checkpoint (signed and cosigned); its
	// size must be at least First plus the number of rows.
	Checkpoint []byte
	// CheckpointVerifiers must all have signed Checkpoint.
	CheckpointVerifiers []note.Verifier
	// Hashes supplies the global tree's hashes outside the month.
	Hashes HashSource
}

func validMonth(m string) bool {
	if len(m) != 7 {
		return false
	}
	_, err := time.Parse("2006-01", m)
	return err == nil
}

// Seal writes the monthly sealed archive (G15: kept verifiable for 7 years
// without the database) and signs its manifest with signer (the node key).
func Seal(ctx context.Context, w io.Writer, req SealRequest, signer note.Signer) (SealSummary, error) {
	const op = "oplog.Seal"
	if !validMonth(req.Month) {
		return SealSummary{}, jukinet.Errorf(op, jukinet.KindInvalid, "month", "month %q is not YYYY-MM", req.Month)
	}
	cp, err := ParseCheckpoint(req.Checkpoint, req.CheckpointVerifiers...)
	if err != nil {
		return SealSummary{}, jukinet.E(op, err)
	}
	sw := &sealWriter{w: bufio.NewWriter(w), h: sha256.New()}
	sw.raw([]byte(sealMagic))
	var hdr [8]byte
	binary.BigEndian.PutUint64(hdr[:], req.First)
	sw.record(tagHeader, append(hdr[:], req.Month...))

	var month Tree
	monthRange := rangeFactory.NewEmptyRange(req.First)
	next := req.First
	var buf []byte
	for row, err := range req.Rows {
		if err != nil {
			return SealSummary{}, jukinet.E(op, jukinet.KindInternal, "cannot read rows", err)
		}
		if row.Index != next {
			return SealSummary{}, jukinet.Errorf(op, jukinet.KindInvalid, "rows", "row index %d, want %d", row.Index, next)
		}
		if len(row.Leaf) > MaxLeafSize {
			return SealSummary{}, jukinet.Errorf(op, jukinet.KindTooLarge, "rows", "leaf %d is %d bytes, limit %d", row.Index, len(row.Leaf), MaxLeafSize)
		}
		lh := LeafHash(row.Leaf)
		if lh != row.LeafHash {
			return SealSummary{}, jukinet.Errorf(op, jukinet.KindConflict, "rows", "leaf %d does not match its stored hash", row.Index)
		}
		month.Append(lh)
		if err := monthRange.Append(append([]byte(nil), lh[:]...), nil); err != nil {
			return SealSummary{}, jukinet.E(op, jukinet.KindInternal, err)
		}
		buf = binary.BigEndian.AppendUint64(buf[:0], row.Index)
		sw.record(tagRow, append(buf, row.Leaf...))
		next++
	}
	end := next
	if cp.Size < end {
		return SealSummary{}, jukinet.Errorf(op, jukinet.KindInvalid, "checkpoint", "checkpoint size %d does not cover the month's rows up to %d", cp.Size, end)
	}
	var bnd []byte
	for _, ids := range [][]compact.NodeID{compact.RangeNodes(0, req.First, nil), compact.RangeNodes(end, cp.Size, nil)} {
		for _, id := range ids {
			h, err := subtreeHash(ctx, req.Hashes, id)
			if err != nil {
				return SealSummary{}, jukinet.E(op, jukinet.KindInternal, "cannot read boundary hashes", err)
			}
			bnd = append(bnd, h[:]...)
		}
	}
	sw.record(tagBoundaries, bnd)
	sw.record(tagCheckpoint, req.Checkpoint)

	s := SealSummary{Origin: cp.Origin, Month: req.Month, First: req.First, Count: end - req.First, Root: month.Root(),
		CheckpointSize: cp.Size, CheckpointRoot: cp.Root}
	sw.h.Sum(s.FileHash[:0])
	// Check the boundaries now rather than let a reader find a bad archive.
	if root, err := rebuildRoot(req.First, end, cp.Size, bnd, monthRange); err != nil || root != cp.Root {
		return SealSummary{}, jukinet.E(op, jukinet.KindConflict, jukinet.Field("rows"), "the month's rows and stored hashes do not rebuild the checkpoint root")
	}
	manifest, err := note.Sign(&note.Note{Text: manifestText(s, sha256.Sum256(req.Checkpoint))}, signer)
	if err != nil {
		return SealSummary{}, jukinet.E(op, jukinet.KindInternal, "cannot sign manifest", err)
	}
	sw.record(tagManifest, manifest)
	if sw.err == nil {
		sw.err = sw.w.Flush()
	}
	if sw.err != nil {
		return SealSummary{}, jukinet.E(op, jukinet.KindInternal, "cannot write archive", sw.err)
	}
	return s, nil
}

type sealWriter struct {
	w   *bufio.Writer
	h   hash.Hash
	err error
}

func (sw *sealWriter) raw(p []byte) {
	if sw.err != nil {
		return
	}
	sw.h.Write(p)
	_, sw.err = sw.w.Write(p)
}

func (sw *sealWriter) record(tag byte, payload []byte) {
	var hdr [1 + binary.MaxVarintLen64]byte
	hdr[0] = tag
	n := binary.PutUvarint(hdr[1:], uint64(len(payload)))
	if tag != tagManifest {
		sw.raw(hdr[:1+n])
		sw.raw(payload)
		return
	}
	// The manifest is not part of the hash it signs.
	if sw.err == nil {
		_, sw.err = sw.w.Write(hdr[:1+n])
	}
	if sw.err == nil {
		_, sw.err = sw.w.Write(payload)
	}
}

func manifestText(s SealSummary, checkpointHash Hash) string {
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("jukinet-oplog-seal/v1\n%s\nmonth %s\nfirst %d\ncount %d\nroot %s\ncheckpoint %d %s %s\nfile %s\n",
		s.Origin, s.Month, s.First, s.Count, b64(s.Root[:]), s.CheckpointSize, b64(s.CheckpointRoot[:]), b64(checkpointHash[:]), b64(s.FileHash[:]))
}

// rebuildRoot merges the boundary ranges around the month's compact range
// [first, end) into the root of the tree of the given size.
func rebuildRoot(first, end, size uint64, bnd []byte, month *compact.Range) (Hash, error) {
	nl, nr := compact.RangeSize(0, first), compact.RangeSize(end, size)
	if len(bnd) != 32*(nl+nr) {
		return Hash{}, fmt.Errorf("boundaries are %d bytes, want %d", len(bnd), 32*(nl+nr))
	}
	split := func(b []byte) [][]byte {
		out := make([][]byte, len(b)/32)
		for i := range out {
			out[i] = append([]byte(nil), b[32*i:32*(i+1)]...)
		}
		return out
	}
	left, err := rangeFactory.NewRange(0, first, split(bnd[:32*nl]))
	if err != nil {
		return Hash{}, err
	}
	right, err := rangeFactory.NewRange(end, size, split(bnd[32*nl:]))
	if err != nil {
		return Hash{}, err
	}
	if err := left.AppendRange(month, nil); err != nil {
		return Hash{}, err
	}
	if err := left.AppendRange(right, nil); err != nil {
		return Hash{}, err
	}
	if size == 0 {
		return emptyRoot(), nil
	}
	root, err := left.GetRootHash(nil)
	if err != nil {
		return Hash{}, err
	}
	return Hash(root), nil
}

// sealReader reads records, hashing every byte before the manifest.
type sealReader struct {
	r *bufio.Reader
	h hash.Hash
}

// maxSealNote bounds the checkpoint and manifest records.
const maxSealNote = 64 << 10

func (sr *sealReader) next(hashed bool) (tag byte, payload []byte, err error) {
	tag, err = sr.r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	n, err := binary.ReadUvarint(sr.r)
	if err != nil {
		return 0, nil, io.ErrUnexpectedEOF
	}
	limit := uint64(maxSealNote)
	switch tag {
	case tagRow:
		limit = 8 + MaxLeafSize
	case tagBoundaries:
		limit = 2 * 64 * 32
	}
	if n > limit {
		return 0, nil, fmt.Errorf("record %q of %d bytes exceeds the limit %d", tag, n, limit)
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(sr.r, payload); err != nil {
		return 0, nil, io.ErrUnexpectedEOF
	}
	if hashed {
		var hdr [1 + binary.MaxVarintLen64]byte
		hdr[0] = tag
		k := binary.PutUvarint(hdr[1:], n)
		sr.h.Write(hdr[:1+k])
		sr.h.Write(payload)
	}
	return tag, payload, nil
}

// VerifySeal checks a sealed archive on its own, with no database: the
// manifest is signed by signer (the node key), the checkpoint by signer and
// every witness, the rows are contiguous from the header's first index, their
// Merkle root is the manifest's, and together with the boundary hashes they
// rebuild the checkpoint's root. Errors are KindInvalid (KindTooLarge for an
// oversized record) and name what is wrong.
func VerifySeal(r io.Reader, signer note.Verifier, witnesses ...note.Verifier) (SealSummary, error) {
	const op = "oplog.VerifySeal"
	bad := func(field, format string, args ...any) (SealSummary, error) {
		return SealSummary{}, jukinet.Errorf(op, jukinet.KindInvalid, field, format, args...)
	}
	if signer == nil {
		return bad("signer", "a verifier for the node key is required")
	}
	sr := &sealReader{r: bufio.NewReader(r), h: sha256.New()}
	magic := make([]byte, len(sealMagic))
	if _, err := io.ReadFull(sr.r, magic); err != nil || string(magic) != sealMagic {
		return bad("archive", "not a jukinet oplog seal (bad magic)")
	}
	sr.h.Write(magic)
	tag, p, err := sr.next(true)
	if err != nil || tag != tagHeader || len(p) != 15 || !validMonth(string(p[8:])) {
		return bad("header", "missing or malformed header")
	}
	var s SealSummary
	s.First, s.Month = binary.BigEndian.Uint64(p[:8]), string(p[8:])
	var month Tree
	monthRange := rangeFactory.NewEmptyRange(s.First)
	next := s.First
	for {
		tag, p, err = sr.next(true)
		if err != nil {
			return bad("archive", "truncated or malformed record after row %d: %v", next, err)
		}
		if tag != tagRow {
			break
		}
		if len(p) < 8 {
			return bad("rows", "row record of %d bytes", len(p))
		}
		if idx := binary.BigEndian.Uint64(p[:8]); idx != next {
			return bad("rows", "row index %d, want %d", idx, next)
		}
		if next == ^uint64(0) {
			return bad("rows", "row index overflows")
		}
		lh := LeafHash(p[8:])
		month.Append(lh)
		if err := monthRange.Append(lh[:], nil); err != nil {
			return bad("rows", "%v", err)
		}
		next++
	}
	s.Count = next - s.First
	s.Root = month.Root()
	if tag != tagBoundaries {
		return bad("boundaries", "record %q where boundaries were expected", tag)
	}
	bnd := p
	tag, p, err = sr.next(true)
	if err != nil || tag != tagCheckpoint {
		return bad("checkpoint", "missing checkpoint record")
	}
	cp, err := ParseCheckpoint(p, append([]note.Verifier{signer}, witnesses...)...)
	if err != nil {
		return SealSummary{}, jukinet.E(op, err)
	}
	s.Origin, s.CheckpointSize, s.CheckpointRoot = cp.Origin, cp.Size, cp.Root
	if cp.Size < next {
		return bad("checkpoint", "checkpoint size %d does not cover rows up to %d", cp.Size, next)
	}
	root, err := rebuildRoot(s.First, next, cp.Size, bnd, monthRange)
	if err != nil {
		return bad("boundaries", "%v", err)
	}
	if root != cp.Root {
		return bad("rows", "rows [%d, %d) with the boundary hashes do not rebuild the checkpoint root", s.First, next)
	}
	checkpointHash := sha256.Sum256(p)
	sr.h.Sum(s.FileHash[:0])
	tag, p, err = sr.next(false)
	if err != nil || tag != tagManifest {
		return bad("manifest", "missing manifest record")
	}
	if _, err := sr.r.ReadByte(); err != io.EOF {
		return bad("archive", "data after the manifest")
	}
	n, err := note.Open(p, note.VerifierList(signer))
	if err != nil {
		return bad("manifest", "manifest is not signed by %q: %v", signer.Name(), err)
	}
	if n.Text != manifestText(s, checkpointHash) {
		return bad("manifest", "signed manifest does not match the archive's contents")
	}
	return s, nil
}
