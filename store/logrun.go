package store

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A record run is one oplog row holding consecutive records that a system
// principal appended in one transaction under one operation — the
// per-message records of a network batch (every message sent or received is
// a record). Each record keeps its own index, canonical bytes and Merkle
// leaf; only the row that holds it is shared. A row per record cost the
// network pipeline about a quarter of its rate (issue 4): most of a row's
// cost is per row (bound values, the B-tree cell, index entries), not per
// byte.
//
// Layout (migration 0600): idx is the first record's index and run the
// number of records; leaf holds each record's canonical bytes after its
// length as a uvarint; leaf_hash holds their 32-byte leaf hashes in order.
// The row's time, principal, operation and policy version are those of
// every record in it; its subject, purpose and result are empty, and the
// records' residents are in oplog_resident (subject, idx).

// RunAlign bounds runs: no run crosses a multiple of it, so readers that
// read the log in chunks of a multiple of RunAlign indices find every run
// whole inside one chunk.
const RunAlign = 4096

// minRun is the shortest run worth a row of its own kind.
const minRun = 2

// AppendRunLeaf appends leaf to a run's leaf column.
func AppendRunLeaf(b, leaf []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(leaf)))
	return append(b, leaf...)
}

// ErrBadRun means a run row's columns do not hold the records its run
// length says (a changed row: verification names the index).
var ErrBadRun = errors.New("run row does not hold its records")

// RunRecords calls fn for each of the n records stored in a run row's leaf
// and leaf_hash columns, in order, with slices into them. A record whose
// bytes cannot be found is given with a nil leaf and a nil hash, and every
// record after it too, and the error is ErrBadRun; fn returning false stops.
func RunRecords(leaves, hashes []byte, n int, fn func(i int, leaf, hash []byte) bool) error {
	var err error
	if len(hashes) != 32*n {
		err = fmt.Errorf("%w: %d hash bytes for %d records", ErrBadRun, len(hashes), n)
		hashes = nil
	}
	for i := 0; i < n; i++ {
		var leaf, hash []byte
		if leaves != nil {
			l, k := binary.Uvarint(leaves)
			// One encoding only: a non-minimal length is damage too.
			if k <= 0 || k != uvarintLen(l) || l > uint64(len(leaves)-k) {
				err = fmt.Errorf("%w: record %d of %d is cut", ErrBadRun, i, n)
				leaves = nil
			} else {
				leaf, leaves = leaves[k:k+int(l):k+int(l)], leaves[k+int(l):]
			}
		}
		if hashes != nil {
			hash = hashes[32*i : 32*i+32 : 32*i+32]
		}
		if !fn(i, leaf, hash) {
			return err
		}
	}
	if len(leaves) != 0 && err == nil {
		err = fmt.Errorf("%w: %d bytes after the last record", ErrBadRun, len(leaves))
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
