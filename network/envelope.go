package network

import (
	"github.com/google/uuid"

	"github.com/jukinet/jukinet"
)

// NationalID is the node ID of the national server (全国サーバ). Every other
// node is named by its 6-digit local-government code.
const NationalID = "national"

// Limits enforced by the codec and the transport.
const (
	MaxBodySize        = 256 << 10 // bytes of one envelope body
	MaxOrderingKeySize = 128       // bytes of an ordering key
	MaxDetailSize      = 256       // bytes of a receipt's detail text
	MaxBatchEnvelopes  = 4096      // envelopes (or receipts) in one batch
	MaxProofHashes     = 64        // hashes in one inclusion proof (2^64 leaves)
)

// Envelope is one message between nodes. Everything but Sig is the signed
// content; Sig binds it to a batch root signed by From.
type Envelope struct {
	ID          uuid.UUID // UUIDv7, unique per message: receivers deduplicate on it
	Kind        Kind
	From        string // the node that created and signed the message
	To          string // the node it is for
	CreatedAt   int64  // unix microseconds
	OrderingKey string // per-person ordering key, e.g. "352063/12345678901"; "" when unordered
	Version     uint64 // position in the ordering key's sequence; 0 = unordered
	Body        []byte // JSON of the kind's body type (node package)
	Sig         BatchSignature
}

// BatchSignature makes one envelope (or receipt) verifiable on its own: the
// signer signed Root, the RFC 6962 Merkle root over BatchSize leaves, and
// Proof shows that this record is leaf LeafIndex of that tree.
type BatchSignature struct {
	Signer    string
	BatchSize uint64
	LeafIndex uint64
	Root      []byte   // 32 bytes
	Signature []byte   // Ed25519, 64 bytes
	Proof     [][]byte // 32 bytes each
}

// NewEnvelope returns an unsigned envelope with a fresh UUIDv7 ID.
// createdAt is unix microseconds.
func NewEnvelope(kind Kind, from, to string, createdAt int64, body []byte) (*Envelope, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return nil, jukinet.E("network.NewEnvelope", jukinet.KindInternal, err)
	}
	env := &Envelope{ID: id, Kind: kind, From: from, To: to, CreatedAt: createdAt, Body: body}
	if err := env.validateContent("network.NewEnvelope"); err != nil {
		return nil, err
	}
	return env, nil
}

// validateContent checks the signed fields. Errors are KindInvalid and name the field.
func (e *Envelope) validateContent(op string) error {
	if e.ID.Version() != 7 || e.ID.Variant() != uuid.RFC4122 {
		return jukinet.Errorf(op, jukinet.KindInvalid, "id", "message ID must be a UUIDv7")
	}
	if !e.Kind.Valid() {
		return jukinet.Errorf(op, jukinet.KindInvalid, "kind", "unknown message kind %d", uint16(e.Kind))
	}
	if !ValidNodeID(e.From) {
		return jukinet.Errorf(op, jukinet.KindInvalid, "from", "not a node ID (a 6-digit local-government code or %q)", NationalID)
	}
	if !ValidNodeID(e.To) {
		return jukinet.Errorf(op, jukinet.KindInvalid, "to", "not a node ID (a 6-digit local-government code or %q)", NationalID)
	}
	if e.CreatedAt <= 0 {
		return jukinet.Errorf(op, jukinet.KindInvalid, "created_at", "must be a positive unix-microsecond time")
	}
	if len(e.OrderingKey) > MaxOrderingKeySize {
		return jukinet.Errorf(op, jukinet.KindTooLarge, "ordering_key", "longer than %d bytes", MaxOrderingKeySize)
	}
	for i := 0; i < len(e.OrderingKey); i++ {
		if c := e.OrderingKey[i]; c < 0x21 || c > 0x7e {
			return jukinet.Errorf(op, jukinet.KindInvalid, "ordering_key", "byte %d is not printable ASCII", i)
		}
	}
	if (e.OrderingKey == "") != (e.Version == 0) {
		return jukinet.Errorf(op, jukinet.KindInvalid, "version", "an ordering key needs a version > 0 and version > 0 needs an ordering key")
	}
	if len(e.Body) > MaxBodySize {
		return jukinet.Errorf(op, jukinet.KindTooLarge, "body", "longer than %d bytes", MaxBodySize)
	}
	return nil
}

// ValidNodeID reports whether id is "national" or a local-government code
// with a correct check digit.
func ValidNodeID(id string) bool {
	return id == NationalID || validLGCode(id)
}

// validLGCode checks a 全国地方公共団体コード: 5 digits + check digit,
// r = (6a+5b+4c+3d+2e) mod 11, CD = last digit of 11−r (docs/domain.md §4).
// TODO(lead): replace with jukinet.ParseLGCode once it exists.
func validLGCode(s string) bool {
	if len(s) != 6 {
		return false
	}
	sum := 0
	for i := 0; i < 6; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		if i < 5 {
			sum += int(s[i]-'0') * (6 - i)
		}
	}
	return int(s[5]-'0') == (11-sum%11)%10
}
