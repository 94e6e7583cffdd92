package card

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"sync"
	"time"
)

// SyntheticCA is a software card CA standing for the one that issues the
// 利用者証明用電子証明書 (J-LIS). It exists for the demo and the tests only.
type SyntheticCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	now  func() time.Time
}

// NewSyntheticCA makes a CA with a fresh P-256 key. now is the clock of the
// certificates it issues (nil: time.Now).
func NewSyntheticCA(name string, now func() time.Time) (*SyntheticCA, error) {
	if now == nil {
		now = time.Now
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	t := now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name + " (synthetic card CA)"},
		NotBefore: t.Add(-time.Hour), NotAfter: t.AddDate(20, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &SyntheticCA{cert: cert, key: key, now: now}, nil
}

// Certificate is the CA's own certificate.
func (ca *SyntheticCA) Certificate() *x509.Certificate { return ca.cert }

// NewCard makes a card with a fresh key, a certificate valid for validFor
// (the 利用者証明用電子証明書 is valid until the 5th birthday after issue; the
// demo uses a fixed span) and pin set. The certificate names no person, as
// the JPKI 利用者証明用 certificate does not.
func (ca *SyntheticCA) NewCard(serial, pin string, validFor time.Duration) (*Synthetic, error) {
	if !ValidPIN(pin) {
		return nil, fmt.Errorf("pin: 4 digits")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	sn, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, err
	}
	t := ca.now()
	tmpl := &x509.Certificate{SerialNumber: sn, Subject: pkix.Name{CommonName: "利用者証明用 " + serial},
		NotBefore: t.Add(-time.Hour), NotAfter: t.Add(validFor), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, err
	}
	return &Synthetic{serial: serial, key: key, cert: der, pin: pin}, nil
}

// ValidPIN says whether pin is 4 ASCII digits (the 利用者証明用 PIN).
func ValidPIN(pin string) bool {
	if len(pin) != 4 {
		return false
	}
	for i := 0; i < 4; i++ {
		if pin[i] < '0' || pin[i] > '9' {
			return false
		}
	}
	return true
}

// Synthetic is a software 個人番号カード: a private key, its certificate, the
// PIN and the wrong-PIN counter, all inside the object as they are inside
// the chip. It is the demo's and the tests' card, never a production one.
type Synthetic struct {
	mu     sync.Mutex
	serial string
	key    *ecdsa.PrivateKey
	cert   []byte
	pin    string
	wrong  int
}

// Serial implements Card.
func (c *Synthetic) Serial() string { return c.serial }

// Certificate implements Card.
func (c *Synthetic) Certificate() []byte { return append([]byte(nil), c.cert...) }

// TriesLeft is how many wrong PINs the card still accepts before it locks.
func (c *Synthetic) TriesLeft() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return MaxPINTries - c.wrong
}

// Sign implements Card: the PIN check and the counter are the card's.
func (c *Synthetic) Sign(pin string, challenge []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.wrong >= MaxPINTries {
		return nil, ErrLocked
	}
	if subtle.ConstantTimeCompare([]byte(pin), []byte(c.pin)) != 1 {
		c.wrong++ // the third wrong PIN is refused as wrong; the card is locked from then on
		return nil, &WrongPINError{Left: MaxPINTries - c.wrong}
	}
	c.wrong = 0
	return ecdsa.SignASN1(rand.Reader, c.key, signedMessage(challenge))
}

// SyntheticReader is the demo terminal's virtual card reader: the cards the
// demo issued, kept in memory, and a SyntheticCA that makes new ones.
type SyntheticReader struct {
	CA       *SyntheticCA
	ValidFor time.Duration // default 5 years
	mu       sync.Mutex
	cards    map[string]*Synthetic
}

// Card implements Reader.
func (r *SyntheticReader) Card(serial string) (Card, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.cards[serial]; ok {
		return c, nil
	}
	return nil, ErrNoCard
}

// Issue implements Reader: the synthetic CA makes the card.
func (r *SyntheticReader) Issue(serial, pin string) (Card, error) {
	v := r.ValidFor
	if v == 0 {
		v = 5 * 365 * 24 * time.Hour
	}
	c, err := r.CA.NewCard(serial, pin, v)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cards == nil {
		r.cards = map[string]*Synthetic{}
	}
	if _, ok := r.cards[serial]; ok {
		return nil, fmt.Errorf("serial: card %s exists", serial)
	}
	r.cards[serial] = c
	return c, nil
}
