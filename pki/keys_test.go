package pki

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/jukinet/jukinet"
)

func TestPublicKeyText(t *testing.T) {
	key, err := NewSigningKey(bytes.NewReader(bytes.Repeat([]byte{7}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	pub := key.Public().(ed25519.PublicKey)
	text := FormatPublicKey(pub)
	got, err := ParsePublicKey(text)
	if err != nil || !got.Equal(pub) {
		t.Fatalf("ParsePublicKey(FormatPublicKey(k)) = %x, %v; want %x", got, err, pub)
	}
	b64 := strings.TrimPrefix(text, "ed25519:")
	// The last base64 character of 32 bytes carries 4 bits of data and 2
	// padding bits; changing only those bits must be refused.
	stray := []byte(b64)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	stray[len(stray)-2] = alphabet[strings.IndexByte(alphabet, stray[len(stray)-2])^1]
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"no prefix", b64},
		{"upper-case prefix", "ED25519:" + b64},
		{"other algorithm", "ecdsa:" + b64},
		{"space after prefix", "ed25519: " + b64},
		{"trailing newline", text + "\n"},
		{"leading space", " " + text},
		{"unpadded", "ed25519:" + strings.TrimRight(b64, "=")},
		{"url alphabet", "ed25519:" + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xff}, 32))},
		{"31 bytes", "ed25519:" + base64.StdEncoding.EncodeToString(make([]byte, 31))},
		{"33 bytes", "ed25519:" + base64.StdEncoding.EncodeToString(make([]byte, 33))},
		{"64-byte private key", "ed25519:" + base64.StdEncoding.EncodeToString(key)},
		{"non-canonical padding bits", "ed25519:" + string(stray)},
		{"inner newline", "ed25519:" + b64[:20] + "\n" + b64[20:43]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePublicKey(tt.in)
			if !jukinet.IsKind(err, jukinet.KindInvalid) || jukinet.ErrorField(err) != "public_key" {
				t.Errorf("ParsePublicKey(%q) = %x, %v; want KindInvalid on field public_key", tt.in, got, err)
			}
		})
	}
}

// FuzzParsePublicKey: never panics, and an accepted text is the one
// canonical form of its key.
func FuzzParsePublicKey(f *testing.F) {
	f.Add("ed25519:" + base64.StdEncoding.EncodeToString(make([]byte, 32)))
	f.Add("ed25519:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xff}, 32)))
	f.Add("ed25519:AAAA")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		pub, err := ParsePublicKey(s)
		if err != nil {
			if pub != nil {
				t.Errorf("ParsePublicKey(%q) returned a key with error %v", s, err)
			}
			return
		}
		if len(pub) != ed25519.PublicKeySize {
			t.Errorf("ParsePublicKey(%q) returned %d bytes", s, len(pub))
		}
		if back := FormatPublicKey(pub); back != s {
			t.Errorf("ParsePublicKey(%q) accepted a non-canonical form of %q", s, back)
		}
	})
}

func TestNewSigningKey(t *testing.T) {
	seed := bytes.Repeat([]byte{1}, 32)
	a, err := NewSigningKey(bytes.NewReader(seed))
	if err != nil {
		t.Fatal(err)
	}
	if want := ed25519.NewKeyFromSeed(seed); !a.Equal(want) {
		t.Errorf("NewSigningKey(seed reader) did not use the reader's bytes as the seed")
	}
	if _, err := NewSigningKey(bytes.NewReader(seed[:31])); !jukinet.IsKind(err, jukinet.KindInternal) {
		t.Errorf("NewSigningKey(31 bytes) error = %v; want KindInternal", err)
	}
	if _, err := NewSigningKey(iotest.ErrReader(bytes.ErrTooLarge)); err == nil {
		t.Error("NewSigningKey(failing reader) succeeded; want an error")
	}
	b, err := NewSigningKey(nil)
	if err != nil || b.Equal(a) {
		t.Errorf("NewSigningKey(nil) = %v; want a fresh random key", err)
	}
}

func TestPEMRoundTrip(t *testing.T) {
	ca := testCA(t, "network CA")
	node := testNode(t, ca, "352063")
	certPEM := EncodeCertificatePEM(node.Leaf().Raw)
	cert, err := ParseCertificatePEM(certPEM)
	if err != nil || !cert.Equal(node.Leaf()) {
		t.Fatalf("ParseCertificatePEM(EncodeCertificatePEM(c)) = %v; want the same certificate", err)
	}
	for name, key := range map[string]crypto.Signer{"ecdsa": node.Certificate.PrivateKey.(crypto.Signer), "ed25519": node.SigningKey} {
		keyPEM, err := EncodePrivateKeyPEM(key)
		if err != nil {
			t.Fatalf("%s: EncodePrivateKeyPEM: %v", name, err)
		}
		if !bytes.HasPrefix(keyPEM, []byte("-----BEGIN PRIVATE KEY-----")) {
			t.Errorf("%s: key PEM starts %q; want a PKCS#8 PRIVATE KEY block", name, keyPEM[:30])
		}
		back, err := ParsePrivateKeyPEM(keyPEM)
		if err != nil {
			t.Fatalf("%s: ParsePrivateKeyPEM: %v", name, err)
		}
		if !back.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(key.Public()) {
			t.Errorf("%s: the parsed key differs from the encoded one", name)
		}
	}
	sigPEM, _ := EncodePrivateKeyPEM(node.SigningKey)
	if k, err := ParseSigningKeyPEM(sigPEM); err != nil || !k.Equal(node.SigningKey) {
		t.Errorf("ParseSigningKeyPEM = %v; want the signing key", err)
	}
	tlsKeyPEM, _ := EncodePrivateKeyPEM(node.Certificate.PrivateKey.(crypto.Signer))
	if _, err := ParseSigningKeyPEM(tlsKeyPEM); jukinet.ErrorField(err) != "signing_key" {
		t.Errorf("ParseSigningKeyPEM(ECDSA key) error = %v; want KindInvalid on signing_key", err)
	}

	badCerts := map[string][]byte{
		"empty":            nil,
		"key not cert":     tlsKeyPEM,
		"two certificates": append(append([]byte{}, certPEM...), certPEM...),
		"trailing garbage": append(append([]byte{}, certPEM...), "x"...),
		"garbage DER":      EncodeCertificatePEM([]byte{0x30, 0x03, 1, 2, 3}),
		"headers":          bytes.Replace(certPEM, []byte("-----\n"), []byte("-----\nProc-Type: 4,ENCRYPTED\n\n"), 1),
	}
	for name, in := range badCerts {
		if _, err := ParseCertificatePEM(in); jukinet.ErrorField(err) != "certificate" {
			t.Errorf("ParseCertificatePEM(%s) error = %v; want KindInvalid on certificate", name, err)
		}
	}
	badKeys := map[string][]byte{
		"empty":       nil,
		"certificate": certPEM,
		"garbage DER": bytes.Replace(EncodeCertificatePEM([]byte{0x30, 0x03, 1, 2, 3}), []byte("CERTIFICATE"), []byte("PRIVATE KEY"), 2),
		"two keys":    append(append([]byte{}, tlsKeyPEM...), tlsKeyPEM...),
	}
	for name, in := range badKeys {
		if _, err := ParsePrivateKeyPEM(in); jukinet.ErrorField(err) != "private_key" {
			t.Errorf("ParsePrivateKeyPEM(%s) error = %v; want KindInvalid on private_key", name, err)
		}
	}
}

// FuzzParsePEM: the PEM readers never panic, and what they accept
// re-encodes to something they accept as the same value.
func FuzzParsePEM(f *testing.F) {
	ca, err := NewCA("fuzz CA", time.Now(), time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	keyPEM, _ := EncodePrivateKeyPEM(ca.Key)
	signing, _ := NewSigningKey(nil)
	sigPEM, _ := EncodePrivateKeyPEM(signing)
	f.Add(EncodeCertificatePEM(ca.Cert.Raw))
	f.Add(keyPEM)
	f.Add(sigPEM)
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if cert, err := ParseCertificatePEM(data); err == nil {
			back, err := ParseCertificatePEM(EncodeCertificatePEM(cert.Raw))
			if err != nil || !back.Equal(cert) {
				t.Errorf("certificate does not round-trip: %v", err)
			}
		}
		if key, err := ParsePrivateKeyPEM(data); err == nil {
			again, err := EncodePrivateKeyPEM(key)
			if err != nil {
				t.Fatalf("re-encoding an accepted key: %v", err)
			}
			if _, err := ParsePrivateKeyPEM(again); err != nil {
				t.Errorf("re-encoded key refused: %v", err)
			}
		}
		_, _ = ParseSigningKeyPEM(data)
	})
}
