package oplog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/jukinet/jukinet"
)

// ExportRecord is one line of an export: a record's index, its leaf hash
// (RFC 6962: SHA-256(0x00 ‖ leaf)) and its canonical bytes as a JSON string
// (decoded, exactly the bytes hashed). A purged record (its month sealed and
// deleted) has only its leaf hash, kept so that the root can be recomputed.
type ExportRecord struct {
	Index    uint64 `json:"idx"`
	LeafHash string `json:"leaf_hash"`
	Leaf     string `json:"leaf,omitempty"`
	Purged   bool   `json:"purged,omitempty"`
}

// ExportHead is the last line of an export: the tree the records form, and
// the signed (and cosigned) checkpoint that commits to it. TreeSize
// records, indices 0 … TreeSize−1, give Root.
type ExportHead struct {
	TreeSize   uint64 `json:"tree_size"`
	Root       string `json:"root"`       // hex
	Checkpoint string `json:"checkpoint"` // the signed note, as stored
}

// Export writes the operation log an auditor can check without jukinet
// (`jukinet oplog export`, G15): one JSON line per record covered by the
// latest cosigned checkpoint, in index order, then the ExportHead. It
// checks what it writes on the way: each record's canonical bytes hash to
// its stored leaf hash, no index is missing, and the leaf hashes give the
// checkpoint's root. A log that fails is refused with the first bad index
// and the head line is not written, so a partial export is never complete.
// Errors: KindNotFound before the first cosigned checkpoint, KindConflict
// for a log that does not match its checkpoint.
func Export(ctx context.Context, l *SQLLog, w io.Writer) (ExportHead, error) {
	const op = "oplog.Export"
	cp, ok, err := l.LatestCheckpoint(ctx, true)
	if err != nil {
		return ExportHead{}, jukinet.E(op, err)
	}
	if !ok {
		return ExportHead{}, jukinet.Errorf(op, jukinet.KindNotFound, "checkpoint", "no cosigned checkpoint yet: nothing is committed to export")
	}
	body, _, _ := strings.Cut(string(cp.Note), "\n\n")
	signed, err := parseCheckpointBody(body + "\n")
	if err != nil || signed.Size != cp.Size || signed.Root != cp.Root {
		return ExportHead{}, jukinet.Errorf(op, jukinet.KindConflict, "checkpoint", "the stored checkpoint of size %d disagrees with its signed note", cp.Size)
	}
	x := exporter{out: bufio.NewWriterSize(w, 1<<16), tree: &Tree{}, size: cp.Size}
	if err := x.purged(ctx, l); err != nil {
		return ExportHead{}, jukinet.E(op, err)
	}
	if err := x.records(ctx, l); err != nil {
		return ExportHead{}, jukinet.E(op, err)
	}
	if x.tree.Size() != cp.Size {
		return ExportHead{}, jukinet.Errorf(op, jukinet.KindConflict, "index", "record %d is missing: the log ends before its checkpoint's size %d", x.tree.Size(), cp.Size)
	}
	if x.tree.Root() != cp.Root {
		return ExportHead{}, jukinet.Errorf(op, jukinet.KindConflict, "root", "the %d records do not give the checkpoint's root: the log was changed", cp.Size)
	}
	head := ExportHead{TreeSize: cp.Size, Root: hex.EncodeToString(cp.Root[:]), Checkpoint: string(cp.Note)}
	b, _ := json.Marshal(head)
	x.out.Write(append(b, '\n'))
	if err := x.out.Flush(); err != nil {
		return ExportHead{}, jukinet.E(op, jukinet.KindInternal, err)
	}
	return head, nil
}

// exporter writes lines and grows the tree they give.
type exporter struct {
	out  *bufio.Writer
	tree *Tree
	size uint64 // the checkpoint's: records from here on are not exported
}

func (x *exporter) line(r ExportRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = x.out.Write(append(b, '\n'))
	return err
}

// purged writes the leaf hashes of the records a purge deleted.
func (x *exporter) purged(ctx context.Context, l *SQLLog) error {
	start, err := l.PurgeStart(ctx)
	if err != nil || start == nil {
		return err
	}
	hashes, err := l.LeafHashes(ctx, 0, min(start.Size(), x.size))
	if err != nil {
		return err
	}
	for i, h := range hashes {
		x.tree.Append(h)
		if err := x.line(ExportRecord{Index: uint64(i), LeafHash: hex.EncodeToString(h[:]), Purged: true}); err != nil {
			return err
		}
	}
	return nil
}

// records writes the stored records up to the checkpoint's size, each
// checked against its stored leaf hash.
func (x *exporter) records(ctx context.Context, l *SQLLog) error {
	if x.tree.Size() >= x.size {
		return nil
	}
	for row, err := range l.Rows(ctx, x.tree.Size()) {
		if err != nil {
			return err
		}
		if row.Index >= x.size {
			break
		}
		next := x.tree.Size()
		switch {
		case row.Index != next:
			return jukinet.Errorf("oplog.Export", jukinet.KindConflict, "index", "record %d is missing", next)
		case row.Leaf == nil || LeafHash(row.Leaf) != row.LeafHash:
			return jukinet.Errorf("oplog.Export", jukinet.KindConflict, "index", "record %d: its stored bytes do not hash to its leaf hash (changed)", row.Index)
		case !utf8.Valid(row.Leaf) || bytes.IndexByte(row.Leaf, '\n') >= 0:
			return jukinet.Errorf("oplog.Export", jukinet.KindConflict, "index", "record %d: its stored bytes are not canonical", row.Index)
		}
		if err := CheckRecordIndex(row.Index, row.Leaf); err != nil {
			return jukinet.Errorf("oplog.Export", jukinet.KindConflict, "index", "record %d: %v", row.Index, err)
		}
		x.tree.Append(row.LeafHash)
		if err := x.line(ExportRecord{Index: row.Index, LeafHash: hex.EncodeToString(row.LeafHash[:]), Leaf: string(row.Leaf)}); err != nil {
			return fmt.Errorf("writing record %d: %w", row.Index, err)
		}
	}
	return nil
}
