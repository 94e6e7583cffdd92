package biometric

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/jukinet/jukinet"
)

const (
	// CodeBits is the length of a vein code in bits.
	CodeBits = 4096
	// TemplateFormat is the version of the stored template layout and scheme.
	TemplateFormat = 1

	innerBlocks      = CodeBits / innerBits // 64 Hadamard blocks = RS code length
	outerK           = 40                   // RS dimension: 40 key symbols of 7 bits = 280-bit key
	erasureThreshold = 22                   // erase a block whose best |correlation| < 22 (> 21 bit errors)
	helperBytes      = CodeBits / 8
	magic            = "JKBT"
	headerBytes      = 4 + 1 + 4 + 8 + 8 + 16 + 2
	templateBytes    = headerBytes + helperBytes + 2*sha256.Size
)

// Params are the code parameters a template was made with. Format 1 supports
// exactly DefaultParams; they are stored so that a template says how to read
// it and a future format can change them.
type Params struct {
	InnerOrder       uint8  // m of the inner Reed–Muller code RM(1,m): 2^m bits per block
	FieldBits        uint8  // outer Reed–Solomon symbols are in GF(2^FieldBits)
	OuterN           uint16 // RS code length = number of inner blocks
	OuterK           uint16 // RS dimension = number of key symbols
	ErasureThreshold uint16 // an inner block whose best correlation is below this is erased
}

// DefaultParams are the parameters of format 1: RM(1,6) inside RS(64,40)
// over GF(2^7), erasure threshold 22. See the package documentation for the
// error rates they give.
func DefaultParams() Params {
	return Params{InnerOrder: innerOrder, FieldBits: fieldBits, OuterN: innerBlocks, OuterK: outerK, ErasureThreshold: erasureThreshold}
}

var defaultCode = newReedSolomon(innerBlocks, outerK)

// Template is the protected 照合情報 stored for an operator (G2.6): helper
// data (an RS∘Hadamard codeword XOR the node-transformed reading), a salt and
// a hash of the committed random key. The reading itself is not recoverable
// from it without a reading close to the enrolled one and the node secret.
type Template struct {
	Format     uint8
	KeyVersion uint32  // NodeKey.Version it was enrolled under
	KeyID      [8]byte // NodeKey.ID it was enrolled under
	Params     Params
	Salt       [16]byte
	Helper     []byte   // CodeBits/8 bytes
	Check      [32]byte // SHA-256 over the header and the committed key
	Seal       [32]byte // HMAC under the node key over all fields above: detects corruption and substitution
}

// EnrolledUnder reports whether t was made with key. When the node moves to a
// new key version, templates for which this is false need re-enrolment
// (Renew, or Enroll from a fresh reading).
func (t Template) EnrolledUnder(key NodeKey) bool {
	return t.KeyVersion == key.Version && t.KeyID == key.ID()
}

// String summarises the template without its helper data.
func (t Template) String() string {
	return fmt.Sprintf("biometric.Template{Format: %d, KeyVersion: %d, KeyID: %x}", t.Format, t.KeyVersion, t.KeyID)
}

// MarshalBinary encodes a valid template in format 1 (big-endian, 619 bytes).
func (t Template) MarshalBinary() ([]byte, error) {
	if err := t.validate("biometric.Template.MarshalBinary"); err != nil {
		return nil, err
	}
	b := make([]byte, 0, templateBytes)
	b = append(b, magic...)
	b = append(b, t.Format)
	b = t.appendHeader(b)
	b = binary.BigEndian.AppendUint16(b, uint16(len(t.Helper)))
	b = append(b, t.Helper...)
	b = append(b, t.Check[:]...)
	b = append(b, t.Seal[:]...)
	return b, nil
}

// seal computes the template's HMAC under sealKey (derived from the node key).
func (t *Template) seal(sealKey []byte) [32]byte {
	m := hmac.New(sha256.New, sealKey)
	m.Write([]byte(magic))
	m.Write([]byte{t.Format})
	m.Write(t.appendHeader(nil))
	m.Write(t.Helper)
	m.Write(t.Check[:])
	var sum [32]byte
	m.Sum(sum[:0])
	return sum
}

// appendHeader appends the fields that the check hash binds.
func (t *Template) appendHeader(b []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, t.KeyVersion)
	b = append(b, t.KeyID[:]...)
	b = append(b, t.Params.InnerOrder, t.Params.FieldBits)
	b = binary.BigEndian.AppendUint16(b, t.Params.OuterN)
	b = binary.BigEndian.AppendUint16(b, t.Params.OuterK)
	b = binary.BigEndian.AppendUint16(b, t.Params.ErasureThreshold)
	return append(b, t.Salt[:]...)
}

// UnmarshalBinary decodes format 1 strictly: exact length, known magic,
// format and parameters. Errors are KindInvalid and name the field.
func (t *Template) UnmarshalBinary(b []byte) error {
	const op = "biometric.Template.UnmarshalBinary"
	if len(b) != templateBytes {
		return jukinet.Errorf(op, jukinet.KindInvalid, "template", "must be %d bytes, got %d", templateBytes, len(b))
	}
	if string(b[:4]) != magic {
		return jukinet.E(op, jukinet.KindInvalid, jukinet.Field("template"), "not a biometric template (bad magic)")
	}
	var d Template
	d.Format = b[4]
	d.KeyVersion = binary.BigEndian.Uint32(b[5:])
	copy(d.KeyID[:], b[9:17])
	d.Params = Params{
		InnerOrder:       b[17],
		FieldBits:        b[18],
		OuterN:           binary.BigEndian.Uint16(b[19:]),
		OuterK:           binary.BigEndian.Uint16(b[21:]),
		ErasureThreshold: binary.BigEndian.Uint16(b[23:]),
	}
	copy(d.Salt[:], b[25:41])
	if n := binary.BigEndian.Uint16(b[41:]); int(n) != helperBytes {
		return jukinet.Errorf(op, jukinet.KindInvalid, "helper", "length must be %d, got %d", helperBytes, n)
	}
	d.Helper = append([]byte(nil), b[headerBytes:headerBytes+helperBytes]...)
	copy(d.Check[:], b[headerBytes+helperBytes:])
	copy(d.Seal[:], b[headerBytes+helperBytes+sha256.Size:])
	if err := d.validate(op); err != nil {
		return err
	}
	*t = d
	return nil
}

// validate checks the structure (not the match) of a template.
func (t *Template) validate(op string) error {
	switch {
	case t.Format != TemplateFormat:
		return jukinet.Errorf(op, jukinet.KindInvalid, "format", "unsupported template format %d (want %d)", t.Format, TemplateFormat)
	case t.Params != DefaultParams():
		return jukinet.Errorf(op, jukinet.KindInvalid, "params", "unsupported code parameters %+v for format %d", t.Params, TemplateFormat)
	case len(t.Helper) != helperBytes:
		return jukinet.Errorf(op, jukinet.KindInvalid, "helper", "length must be %d, got %d", helperBytes, len(t.Helper))
	}
	return nil
}

// checkHash is SHA-256 over a domain label, the header and the key. A slow
// KDF would not help: the key has 280 random bits.
func (t *Template) checkHash(key []uint8) [32]byte {
	h := sha256.New()
	h.Write([]byte("jukinet/biometric/v1/check"))
	h.Write([]byte{t.Format})
	h.Write(t.appendHeader(nil))
	h.Write(key)
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// Matcher enrols and verifies under one node key. It derives the node
// transform once, so a node that verifies often keeps one Matcher per key
// version; it is safe for concurrent use.
type Matcher struct {
	key     NodeKey
	id      [8]byte
	sealKey []byte
	tr      *transform
}

// NewMatcher derives the transform of key.
func NewMatcher(key NodeKey) *Matcher {
	return &Matcher{key: key, id: key.ID(), sealKey: key.derive("template-seal"), tr: newTransform(key)}
}

// Enroll registers a reading under the node key: it commits a fresh random
// key with the reading and returns the template to store (G2.6, G13.2). rand
// is crypto/rand.Reader in production. The reading is not kept.
func Enroll(key NodeKey, r Reading, rand io.Reader) (Template, error) {
	return NewMatcher(key).Enroll(r, rand)
}

// Enroll is the package-level Enroll with the Matcher's key.
func (m *Matcher) Enroll(r Reading, rand io.Reader) (Template, error) {
	const op = "biometric.Enroll"
	if rand == nil {
		return Template{}, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("rand"), "a random source is required")
	}
	t := Template{Format: TemplateFormat, KeyVersion: m.key.Version, KeyID: m.id, Params: DefaultParams()}
	secret := make([]uint8, outerK)
	defer clear(secret)
	if _, err := io.ReadFull(rand, secret); err != nil {
		return Template{}, jukinet.E(op, jukinet.KindInternal, "cannot read random bytes", err)
	}
	if _, err := io.ReadFull(rand, t.Salt[:]); err != nil {
		return Template{}, jukinet.E(op, jukinet.KindInternal, "cannot read random bytes", err)
	}
	for i := range secret {
		secret[i] &= fieldOrder
	}
	codeword := defaultCode.encode(secret)
	defer clear(codeword)
	x := m.tr.apply(&r)
	defer clear(x[:])
	t.Helper = make([]byte, helperBytes)
	for i, sym := range codeword {
		binary.LittleEndian.PutUint64(t.Helper[8*i:], hadamardEncode(sym)^x[i])
	}
	t.Check = t.checkHash(secret)
	t.Seal = t.seal(m.sealKey)
	return t, nil
}

// Verify matches a reading against a template enrolled under key (照合).
// It returns true for a match and false for a non-match. It returns an error
// (and false) when the template is malformed, unsupported or fails its seal
// (KindInvalid, field "template", "format", "params" or "helper") or was
// enrolled under another node key or key version (KindConflict, field
// "key_version" or "key_id": re-enrol the operator).
func Verify(key NodeKey, t Template, r Reading) (bool, error) {
	return NewMatcher(key).Verify(t, r)
}

// Verify is the package-level Verify with the Matcher's key.
func (m *Matcher) Verify(t Template, r Reading) (bool, error) {
	const op = "biometric.Verify"
	if err := t.validate(op); err != nil {
		return false, err
	}
	if t.KeyVersion != m.key.Version {
		return false, jukinet.Errorf(op, jukinet.KindConflict, "key_version", "template was enrolled under node key version %d, not %d; re-enrol", t.KeyVersion, m.key.Version)
	}
	if t.KeyID != m.id {
		return false, jukinet.Errorf(op, jukinet.KindConflict, "key_id", "template was enrolled under another node key with version %d; re-enrol", m.key.Version)
	}
	if want := t.seal(m.sealKey); !hmac.Equal(want[:], t.Seal[:]) {
		return false, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("template"), "template fails its integrity check (corrupted or altered)")
	}
	return verifyWith(m.tr, &t, &r), nil
}

// verifyWith decodes helper ⊕ T(reading) and compares the recovered key's
// hash. t must be valid.
func verifyWith(tr *transform, t *Template, r *Reading) bool {
	var received [innerBlocks]uint8
	defer clear(received[:])
	erasures := make([]int, 0, innerBlocks)
	if !decodeBlocks(tr, t, r, &received, &erasures) {
		return false // beyond the erasure budget: no need to run the RS decoder
	}
	secret, ok := defaultCode.decode(received[:], erasures)
	if !ok {
		return false
	}
	defer clear(secret)
	sum := t.checkHash(secret)
	return subtle.ConstantTimeCompare(sum[:], t.Check[:]) == 1
}

// decodeBlocks runs the inner decoder on every block of helper ⊕ T(reading),
// writing the symbols and appending erased block numbers. It stops early and
// returns false once the erasures alone exceed the outer code's radius.
func decodeBlocks(tr *transform, t *Template, r *Reading, received *[innerBlocks]uint8, erasures *[]int) bool {
	x := tr.apply(r)
	defer clear(x[:])
	threshold := int(t.Params.ErasureThreshold)
	for i := range received {
		sym, ok := hadamardDecode(binary.LittleEndian.Uint64(t.Helper[8*i:])^x[i], threshold)
		if !ok {
			*erasures = append(*erasures, i)
			if len(*erasures) > innerBlocks-outerK {
				return false
			}
		}
		received[i] = sym
	}
	return true
}

// Renew re-enrols an operator under a new node key version: the reading must
// first match the template under the old key (KindUnauthorized if it does
// not), then it is enrolled under next.
func Renew(old, next NodeKey, t Template, r Reading, rand io.Reader) (Template, error) {
	ok, err := Verify(old, t, r)
	if err != nil {
		return Template{}, err
	}
	if !ok {
		return Template{}, jukinet.E("biometric.Renew", jukinet.KindUnauthorized, jukinet.Field("reading"), "reading does not match the template")
	}
	return Enroll(next, r, rand)
}
