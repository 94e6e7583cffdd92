package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io"
	"strings"

	"github.com/jukinet/jukinet"
)

// publicKeyPrefix starts the text form of an Ed25519 public key.
const publicKeyPrefix = "ed25519:"

const (
	pemCertificate = "CERTIFICATE"
	pemPrivateKey  = "PRIVATE KEY" // PKCS#8
)

// NewSigningKey generates an Ed25519 message-signing key from r (crypto/rand
// when r is nil). Errors: KindInternal when r fails.
func NewSigningKey(r io.Reader) (ed25519.PrivateKey, error) {
	if r == nil {
		r = rand.Reader
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := io.ReadFull(r, seed); err != nil {
		return nil, jukinet.E("pki.NewSigningKey", jukinet.KindInternal, "reading randomness", err)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// FormatPublicKey returns the text form of an Ed25519 public key used in the
// network description: "ed25519:" followed by the 32 bytes in padded standard
// base64.
func FormatPublicKey(pub ed25519.PublicKey) string {
	return publicKeyPrefix + base64.StdEncoding.EncodeToString(pub)
}

// ParsePublicKey parses the text form written by FormatPublicKey. It is
// strict: the prefix is lower case, the base64 is canonical (padded, no
// whitespace, no stray bits) and decodes to exactly 32 bytes, so one key has
// exactly one text form. Errors: KindInvalid, field "public_key".
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	const op = "pki.ParsePublicKey"
	invalid := func(msg string) error {
		return jukinet.E(op, jukinet.KindInvalid, jukinet.Field("public_key"), msg)
	}
	rest, ok := strings.CutPrefix(s, publicKeyPrefix)
	if !ok {
		return nil, invalid(`an Ed25519 public key must start with "ed25519:"`)
	}
	if len(rest) != base64.StdEncoding.EncodedLen(ed25519.PublicKeySize) {
		return nil, invalid("an Ed25519 public key must be 44 base64 characters after the prefix")
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(rest)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, invalid("the public key is not canonical base64 of 32 bytes")
	}
	return ed25519.PublicKey(raw), nil
}

// EncodeCertificatePEM returns cert as a PEM "CERTIFICATE" block.
func EncodeCertificatePEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: pemCertificate, Bytes: der})
}

// ParseCertificatePEM parses data holding exactly one PEM "CERTIFICATE"
// block and nothing else but whitespace. Errors: KindInvalid, field "certificate".
func ParseCertificatePEM(data []byte) (*x509.Certificate, error) {
	const op = "pki.ParseCertificatePEM"
	der, err := singlePEM(data, pemCertificate)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("certificate"), err.Error())
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("certificate"), "not a valid X.509 certificate")
	}
	return cert, nil
}

// EncodePrivateKeyPEM returns key (ECDSA or Ed25519) as a PKCS#8 PEM
// "PRIVATE KEY" block. Errors: KindInvalid for another key type.
func EncodePrivateKeyPEM(key crypto.Signer) ([]byte, error) {
	switch key.(type) {
	case *ecdsa.PrivateKey, ed25519.PrivateKey:
	default:
		return nil, jukinet.Errorf("pki.EncodePrivateKeyPEM", jukinet.KindInvalid, "key", "unsupported key type %T", key)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, jukinet.E("pki.EncodePrivateKeyPEM", jukinet.KindInternal, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: der}), nil
}

// ParsePrivateKeyPEM parses one PKCS#8 PEM "PRIVATE KEY" block holding an
// ECDSA or Ed25519 key. Error messages never include key material.
// Errors: KindInvalid, field "private_key".
func ParsePrivateKeyPEM(data []byte) (crypto.Signer, error) {
	const op = "pki.ParsePrivateKeyPEM"
	der, err := singlePEM(data, pemPrivateKey)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("private_key"), err.Error())
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		// The parser's message may quote the input; do not pass it on.
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("private_key"), "not a valid PKCS#8 private key")
	}
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("private_key"), "only ECDSA and Ed25519 keys are supported")
}

// ParseSigningKeyPEM parses a PKCS#8 PEM Ed25519 message-signing key.
// Errors: KindInvalid, field "signing_key".
func ParseSigningKeyPEM(data []byte) (ed25519.PrivateKey, error) {
	key, err := ParsePrivateKeyPEM(data)
	if err != nil {
		return nil, jukinet.E("pki.ParseSigningKeyPEM", jukinet.Field("signing_key"), err)
	}
	ed, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, jukinet.E("pki.ParseSigningKeyPEM", jukinet.KindInvalid, jukinet.Field("signing_key"), "a signing key must be Ed25519")
	}
	return ed, nil
}

// singlePEM returns the bytes of the one PEM block of type typ in data.
func singlePEM(data []byte, typ string) ([]byte, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errorString("no PEM " + typ + " block")
	}
	if block.Type != typ {
		return nil, errorString("expected a PEM " + typ + " block, found " + truncate(block.Type))
	}
	if len(block.Headers) != 0 {
		return nil, errorString("PEM headers are not allowed")
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errorString("unexpected data after the PEM " + typ + " block")
	}
	return block.Bytes, nil
}

type errorString string

func (e errorString) Error() string { return string(e) }
