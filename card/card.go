// Package card is the 個人番号カード as a node sees it through a card reader:
// the 利用者証明用電子証明書 of 公的個人認証 (JPKI) and a private key that never
// leaves the card. The card checks its own PIN and signs a challenge the node
// chooses; the node verifies the signature with the certificate it recorded
// for the person. No PIN, hash or verifier of a PIN is ever given to a node.
//
// Card and Reader are where a real card-reader driver plugs in (a PC/SC
// driver sending VERIFY and INTERNAL AUTHENTICATE to the chip); Synthetic is
// the demo's and the tests' software card.
package card

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// MaxPINTries is how many wrong PINs in a row lock the 利用者証明用 PIN. The
// JPKI 利用者証明用電子証明書's PIN (4 digits) locks after 3 wrong entries; the
// 署名用 password after 5. A locked card is reset only at the municipality
// counter (not modelled: a locked synthetic card stays locked).
const MaxPINTries = 3

// Errors a card returns from Sign.
var (
	ErrLocked = errors.New("the card's PIN is locked after 3 wrong PINs")
	ErrNoCard = errors.New("no card with this serial in the reader")
)

// WrongPINError is a wrong PIN the card refused and counted.
type WrongPINError struct{ Left int }

func (e *WrongPINError) Error() string { return fmt.Sprintf("wrong PIN (%d tries left)", e.Left) }

// Card is a 個人番号カード in a reader.
type Card interface {
	// Serial is the card's serial number (printed on the card).
	Serial() string
	// Certificate is the DER of the card's 利用者証明用電子証明書.
	Certificate() []byte
	// Sign checks pin on the card and, if it is right, signs challenge with
	// the card's private key. A wrong PIN returns *WrongPINError and counts
	// on the card; after MaxPINTries the card returns ErrLocked.
	Sign(pin string, challenge []byte) ([]byte, error)
}

// Reader is the terminal's card reader.
type Reader interface {
	// Card returns the card with this serial presented in the reader
	// (ErrNoCard when none).
	Card(serial string) (Card, error)
	// Issue returns a new card handed over at the counter (交付), with the
	// PIN the holder sets on it. The PIN goes to the card only.
	Issue(serial, pin string) (Card, error)
}

// signedMessage is what a card signs: a domain label and the challenge, so
// a signature made for a 特例転入 is good for nothing else.
func signedMessage(challenge []byte) []byte {
	h := sha256.New()
	h.Write([]byte("jukinet card challenge v1\x00"))
	h.Write(challenge)
	return h.Sum(nil)
}

// ParseCertificate parses and sanity-checks a card certificate.
func ParseCertificate(der []byte) (*x509.Certificate, error) {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("card certificate: %w", err)
	}
	switch c.PublicKey.(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey, ed25519.PublicKey:
	default:
		return nil, fmt.Errorf("card certificate: unsupported key type %T", c.PublicKey)
	}
	return c, nil
}

// Verify checks that sig is the card's signature over challenge, made with
// the key of certDER, and that the certificate is within its validity at
// now. RSA (JPKI's cards) and ECDSA (the synthetic cards) keys are accepted.
func Verify(certDER, challenge, sig []byte, now time.Time) error {
	c, err := ParseCertificate(certDER)
	if err != nil {
		return err
	}
	if err := validAt(c, now); err != nil {
		return err
	}
	digest := signedMessage(challenge)
	switch k := c.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, digest, sig) {
			return errors.New("the card's signature does not verify")
		}
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(k, crypto.SHA256, digest, sig); err != nil {
			return errors.New("the card's signature does not verify")
		}
	case ed25519.PublicKey:
		if !ed25519.Verify(k, digest, sig) {
			return errors.New("the card's signature does not verify")
		}
	}
	return nil
}

// ErrExpired is a card certificate outside its validity.
var ErrExpired = errors.New("the card certificate is not valid at this time (expired)")

func validAt(c *x509.Certificate, now time.Time) error {
	if now.Before(c.NotBefore) || now.After(c.NotAfter) {
		return ErrExpired
	}
	return nil
}

// CheckValidity parses certDER and checks that it is valid at now.
func CheckValidity(certDER []byte, now time.Time) error {
	c, err := ParseCertificate(certDER)
	if err != nil {
		return err
	}
	return validAt(c, now)
}
