package biometric

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"

	"github.com/jukinet/jukinet"
)

// NodeKey is a node's secret, versioned transform key. Every node has its own,
// so templates of one finger enrolled at two nodes cannot be linked; a new
// version renews all templates (re-enrolment), and an old version can be
// withdrawn. The secret never leaves the node and is never printed.
type NodeKey struct {
	Version uint32
	Secret  [32]byte
}

// NewNodeKey draws a fresh secret from rand (crypto/rand.Reader in production).
func NewNodeKey(version uint32, rand io.Reader) (NodeKey, error) {
	k := NodeKey{Version: version}
	if rand == nil {
		return NodeKey{}, jukinet.E("biometric.NewNodeKey", jukinet.KindInvalid, jukinet.Field("rand"), "a random source is required")
	}
	if _, err := io.ReadFull(rand, k.Secret[:]); err != nil {
		return NodeKey{}, jukinet.E("biometric.NewNodeKey", jukinet.KindInternal, "cannot read random bytes", err)
	}
	return k, nil
}

// ID is the public identifier of the key: an HMAC of the version under the
// secret, safe to store and print. Templates record it so that Verify can tell
// a wrong key from a non-match.
func (k NodeKey) ID() [8]byte {
	var id [8]byte
	copy(id[:], k.derive("key-id"))
	return id
}

// String prints the version and ID, never the secret.
func (k NodeKey) String() string {
	id := k.ID()
	return fmt.Sprintf("biometric.NodeKey{Version: %d, ID: %s, Secret: redacted}", k.Version, hex.EncodeToString(id[:]))
}

// GoString is String, so %#v does not print the secret either.
func (k NodeKey) GoString() string { return k.String() }

// Format makes every fmt verb print String.
func (k NodeKey) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// LogValue keeps the secret out of structured logs.
func (k NodeKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// derive returns HMAC-SHA256(secret, "jukinet/biometric/v1/"+label ‖ version).
func (k NodeKey) derive(label string) []byte {
	m := hmac.New(sha256.New, k.Secret[:])
	m.Write([]byte("jukinet/biometric/v1/" + label))
	m.Write(binary.BigEndian.AppendUint32(nil, k.Version))
	return m.Sum(nil)
}

// transform is the node's secret bijection on readings: a keyed permutation of
// the 4096 bits followed by a keyed XOR mask. The permutation also spreads a
// burst of errors across the 64 code blocks.
type transform struct {
	perm [CodeBits]uint16 // output bit j takes input bit perm[j]
	mask [innerBlocks]uint64
}

func newTransform(k NodeKey) *transform {
	t := new(transform)
	var seed [32]byte
	copy(seed[:], k.derive("permutation"))
	rng := rand.New(rand.NewChaCha8(seed))
	for i := range t.perm {
		t.perm[i] = uint16(i)
	}
	for i := CodeBits - 1; i > 0; i-- {
		j := rng.IntN(i + 1)
		t.perm[i], t.perm[j] = t.perm[j], t.perm[i]
	}
	copy(seed[:], k.derive("mask"))
	maskSource := rand.NewChaCha8(seed)
	for i := range t.mask {
		t.mask[i] = maskSource.Uint64()
	}
	return t
}

// apply returns the transformed reading as 64 blocks of 64 bits.
func (t *transform) apply(r *Reading) [innerBlocks]uint64 {
	var out [innerBlocks]uint64
	for j, src := range t.perm {
		bit := uint64(r[src>>3]>>(src&7)) & 1
		out[j>>6] |= bit << (j & 63)
	}
	for i := range out {
		out[i] ^= t.mask[i]
	}
	return out
}
