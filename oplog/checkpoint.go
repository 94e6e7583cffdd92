package oplog

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jukinet/jukinet"
	"golang.org/x/mod/sumdb/note"
)

// OriginPrefix is the path segment between the domain and the node code in
// an origin: "jukinet.example/oplog/352063".
const OriginPrefix = "/oplog/"

// Origin names a node's log: domain + "/oplog/" + node code
// (e.g. the 6-digit local government code).
func Origin(domain, nodeCode string) string { return domain + OriginPrefix + nodeCode }

// maxOriginLen bounds the first line of a checkpoint.
const maxOriginLen = 255

// validName reports whether s can be a note key name or checkpoint origin:
// non-empty, valid UTF-8, no spaces, no '+', no control characters.
func validName(s string) bool {
	return s != "" && len(s) <= maxOriginLen && utf8.ValidString(s) &&
		!strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '+' })
}

// ed25519Signer is a note.Signer using the note package's Ed25519 scheme.
type ed25519Signer struct {
	name string
	hash uint32
	key  ed25519.PrivateKey
}

func (s *ed25519Signer) Name() string    { return s.name }
func (s *ed25519Signer) KeyHash() uint32 { return s.hash }
func (s *ed25519Signer) Sign(msg []byte) ([]byte, error) {
	return ed25519.Sign(s.key, msg), nil
}

// ed25519KeyHash is note's key hash: the first 4 bytes (big-endian) of
// SHA-256(name || 0x0A || 0x01 || public key).
func ed25519KeyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', 0x01})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// NewSigner returns a note signer for a node's existing Ed25519 key. Its
// signatures verify with NewVerifier(name, key.Public()) and with any note
// verifier built from note.NewEd25519VerifierKey.
func NewSigner(name string, key ed25519.PrivateKey) (note.Signer, error) {
	const op = "oplog.NewSigner"
	if !validName(name) {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "name", "key name %q must be non-empty, without spaces or '+'", name)
	}
	if len(key) != ed25519.PrivateKeySize {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "key", "Ed25519 private key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	pub := key.Public().(ed25519.PublicKey)
	return &ed25519Signer{name: name, hash: ed25519KeyHash(name, pub), key: key}, nil
}

// NewVerifier returns a note verifier for an Ed25519 public key.
func NewVerifier(name string, pub ed25519.PublicKey) (note.Verifier, error) {
	const op = "oplog.NewVerifier"
	if !validName(name) {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "name", "key name %q must be non-empty, without spaces or '+'", name)
	}
	if len(pub) != ed25519.PublicKeySize {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "key", "Ed25519 public key is %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("key"), "cannot build verifier key", err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("key"), "cannot build verifier", err)
	}
	return v, nil
}

// Checkpoint is a parsed, verified C2SP tlog-checkpoint: the log's origin,
// its size and root hash at one moment.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   Hash
	// Signers lists the key names whose signatures verified, in note order.
	Signers []string
}

// CheckpointBody is the unsigned C2SP checkpoint text: origin, decimal size,
// base64 root hash, each on its own line.
func CheckpointBody(origin string, size uint64, root Hash) string {
	return origin + "\n" + strconv.FormatUint(size, 10) + "\n" + base64.StdEncoding.EncodeToString(root[:]) + "\n"
}

// SignCheckpoint returns the signed note for a checkpoint.
func SignCheckpoint(origin string, size uint64, root Hash, signer note.Signer) ([]byte, error) {
	const op = "oplog.SignCheckpoint"
	if !validName(origin) {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "origin", "origin %q must be non-empty, at most %d bytes, without spaces or '+'", origin, maxOriginLen)
	}
	msg, err := note.Sign(&note.Note{Text: CheckpointBody(origin, size, root)}, signer)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, "cannot sign checkpoint", err)
	}
	return msg, nil
}

// parseCheckpointBody parses the note text strictly: exactly three lines, a
// valid origin, a canonical decimal size and a canonical base64 32-byte root.
// Extension lines are refused: jukinet never writes them.
func parseCheckpointBody(text string) (Checkpoint, error) {
	const op = "oplog.ParseCheckpoint"
	lines := strings.Split(text, "\n")
	if len(lines) != 4 || lines[3] != "" {
		return Checkpoint{}, jukinet.Errorf(op, jukinet.KindInvalid, "checkpoint", "body has %d lines, want exactly 3 (origin, size, root)", len(lines)-1)
	}
	var c Checkpoint
	c.Origin = lines[0]
	if !validName(c.Origin) {
		return Checkpoint{}, jukinet.Errorf(op, jukinet.KindInvalid, "origin", "origin must be non-empty, at most %d bytes, without spaces or '+'", maxOriginLen)
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != lines[1] {
		return Checkpoint{}, jukinet.Errorf(op, jukinet.KindInvalid, "size", "size %q is not a canonical decimal number", lines[1])
	}
	c.Size = size
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != 32 {
		return Checkpoint{}, jukinet.Errorf(op, jukinet.KindInvalid, "root", "root hash is not 32 bytes in standard base64")
	}
	c.Root = Hash(root)
	return c, nil
}

// sigProblem tells apart why a checkpoint's signatures are not acceptable.
type sigProblem int

const (
	sigOK      sigProblem = iota
	sigInvalid            // a known key's signature does not verify
	sigMissing            // a required key has not signed
	sigFormat             // the note or body is malformed
)

// openCheckpoint verifies that every verifier has signed noteBytes and
// parses the body. Unknown signatures are kept in the note but ignored.
func openCheckpoint(noteBytes []byte, verifiers []note.Verifier) (Checkpoint, *note.Note, sigProblem, error) {
	const op = "oplog.ParseCheckpoint"
	if len(verifiers) == 0 {
		return Checkpoint{}, nil, sigMissing, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("verifiers"), "at least one verifier is required")
	}
	if len(noteBytes) > maxNoteSize {
		return Checkpoint{}, nil, sigFormat, jukinet.Errorf(op, jukinet.KindTooLarge, "checkpoint", "checkpoint is %d bytes, limit %d", len(noteBytes), maxNoteSize)
	}
	n, err := note.Open(noteBytes, note.VerifierList(verifiers...))
	if err != nil {
		var invalid *note.InvalidSignatureError
		var unverified *note.UnverifiedNoteError
		switch {
		case errors.As(err, &invalid):
			return Checkpoint{}, nil, sigInvalid, jukinet.Errorf(op, jukinet.KindInvalid, "signature", "signature by %q does not verify", invalid.Name)
		case errors.As(err, &unverified):
			return Checkpoint{}, nil, sigMissing, jukinet.Errorf(op, jukinet.KindInvalid, "signature", "no signature by %q", verifiers[0].Name())
		}
		return Checkpoint{}, nil, sigFormat, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("checkpoint"), "malformed signed note", err)
	}
	for _, v := range verifiers {
		found := false
		for _, s := range n.Sigs {
			if s.Name == v.Name() && s.Hash == v.KeyHash() {
				found = true
				break
			}
		}
		if !found {
			return Checkpoint{}, nil, sigMissing, jukinet.Errorf(op, jukinet.KindInvalid, "signature", "no signature by %q", v.Name())
		}
	}
	c, err := parseCheckpointBody(n.Text)
	if err != nil {
		return Checkpoint{}, nil, sigFormat, err
	}
	for _, s := range n.Sigs {
		c.Signers = append(c.Signers, s.Name)
	}
	return c, n, sigOK, nil
}

// maxNoteSize bounds a checkpoint note (body plus a few signatures).
const maxNoteSize = 16 << 10

// ParseCheckpoint verifies a signed checkpoint note and parses it strictly.
// Every verifier given must have signed it (typically the log's key and the
// witness's); a signature by a given key that fails is an error; signatures
// by other keys are ignored. Errors are KindInvalid (KindTooLarge for an
// oversized note) and name the field: checkpoint, signature, origin, size or
// root.
func ParseCheckpoint(noteBytes []byte, verifiers ...note.Verifier) (Checkpoint, error) {
	c, _, _, err := openCheckpoint(noteBytes, verifiers)
	return c, err
}
