package pki

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/jukinet/jukinet"
)

// CRLFile is the network's certificate revocation list (PEM "X509 CRL"),
// signed by the network CA. `jukinet pki revoke` writes it at the root of a
// PKI directory; `jukinet serve` reads DATA/crl.pem at start and on SIGHUP.
const CRLFile = "crl.pem"

// DefaultCRLValidity is how far ahead a new list's NextUpdate lies.
const DefaultCRLValidity = 30 * 24 * time.Hour

// crlPEMType is the PEM block type of a CRL (RFC 7468 §5).
const crlPEMType = "X509 CRL"

// RevocationList creates a CRL signed by the CA listing entries, with the
// given CRL number (which must grow with every list the CA issues).
// Errors: KindInvalid for a missing number or a NextUpdate not after now.
func (ca *CA) RevocationList(entries []x509.RevocationListEntry, number *big.Int, now, nextUpdate time.Time) (*x509.RevocationList, error) {
	const op = "pki.CA.RevocationList"
	if number == nil || number.Sign() <= 0 {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("number"), "the CRL number must be positive")
	}
	if !nextUpdate.After(now) {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("next_update"), "the next update must be after this update")
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		RevokedCertificateEntries: entries,
		Number:                    number,
		ThisUpdate:                now,
		NextUpdate:                nextUpdate,
	}, ca.Cert, ca.Key)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, "creating the CRL", err)
	}
	rl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	return rl, nil
}

// EncodeCRLPEM returns the PEM form of a CRL.
func EncodeCRLPEM(rl *x509.RevocationList) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: crlPEMType, Bytes: rl.Raw})
}

// ParseCRL parses a PEM CRL and checks that ca signed it.
// Errors: KindInvalid for anything else (another CA's list, a forged
// signature, not a CRL).
func ParseCRL(data []byte, ca *x509.Certificate) (*x509.RevocationList, error) {
	const op = "pki.ParseCRL"
	block, rest := pem.Decode(data)
	if block == nil || block.Type != crlPEMType {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("crl"), "not a PEM \"X509 CRL\" block")
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("crl"), "data after the CRL")
	}
	rl, err := x509.ParseRevocationList(block.Bytes)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("crl"), err)
	}
	if err := rl.CheckSignatureFrom(ca); err != nil {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("crl"), "the CRL is not signed by the network CA")
	}
	if rl.Number == nil {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("crl"), "the CRL has no CRL number")
	}
	return rl, nil
}

// RevokeFiles adds serials to the CRL of the PKI directory dir (creating it
// if absent) and writes the new list, numbered one past the old, signed by
// the CA in dir. A serial already listed keeps its first revocation time.
// opts.Validity sets NextUpdate (default DefaultCRLValidity).
// Errors: as for LoadCA; KindInvalid for an existing crl.pem that does not
// verify, or no serial.
func RevokeFiles(dir string, serials []*big.Int, reason int, opts Options) (*x509.RevocationList, error) {
	const op = "pki.RevokeFiles"
	if len(serials) == 0 {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("serial"), "nothing to revoke")
	}
	ca, err := LoadCA(dir)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, CRLFile)
	var entries []x509.RevocationListEntry
	number := big.NewInt(1)
	if data, err := readFile(op, path); err == nil {
		old, err := ParseCRL(data, ca.Cert)
		if err != nil {
			return nil, jukinet.E(op, fmt.Sprintf("reading %s", path), err)
		}
		entries = old.RevokedCertificateEntries
		number.Add(old.Number, big.NewInt(1))
	} else if !jukinet.IsKind(err, jukinet.KindNotFound) {
		return nil, err
	}
	now := opts.now()
	listed := map[string]bool{}
	for _, e := range entries {
		listed[e.SerialNumber.String()] = true
	}
	for _, s := range serials {
		if s == nil || s.Sign() <= 0 {
			return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("serial"), "a serial number must be positive")
		}
		if listed[s.String()] {
			continue
		}
		listed[s.String()] = true
		entries = append(entries, x509.RevocationListEntry{SerialNumber: s, RevocationTime: now, ReasonCode: reason})
	}
	rl, err := ca.RevocationList(entries, number, now, now.Add(opts.validity(DefaultCRLValidity)))
	if err != nil {
		return nil, jukinet.E(op, err)
	}
	if err := writeFiles(op, dir, true, []fileSpec{{CRLFile, EncodeCRLPEM(rl), publicFileMode}}); err != nil {
		return nil, err
	}
	return rl, nil
}

// Revocations is the revocation list a node's listeners and clients check
// every peer certificate against (node, terminal and agency certificates
// alike). It is safe for concurrent use; Load swaps the list atomically, so
// a reload takes effect on the next handshake and the next request without
// restarting a listener.
type Revocations struct {
	ca  *x509.Certificate
	cur atomic.Pointer[revocationSet]
}

type revocationSet struct {
	serials    map[string]bool // big.Int.String of each revoked serial
	number     *big.Int
	nextUpdate time.Time
}

// NewRevocations returns an empty list that accepts CRLs signed by ca.
func NewRevocations(ca *x509.Certificate) *Revocations { return &Revocations{ca: ca} }

// Load replaces the list with the PEM CRL in data. A list numbered below the
// loaded one is refused, so an old file put back cannot un-revoke a
// certificate. Errors: KindInvalid (see ParseCRL); KindConflict for an
// older list.
func (r *Revocations) Load(data []byte) error {
	const op = "pki.Revocations.Load"
	rl, err := ParseCRL(data, r.ca)
	if err != nil {
		return jukinet.E(op, err)
	}
	if old := r.cur.Load(); old != nil && rl.Number.Cmp(old.number) < 0 {
		newer, loaded := rl.Number, old.number // a CRL number, not a personal one
		return jukinet.Errorf(op, jukinet.KindConflict, "crl", "CRL number %s is older than the loaded list's %s", newer, loaded)
	}
	set := &revocationSet{serials: make(map[string]bool, len(rl.RevokedCertificateEntries)), number: rl.Number, nextUpdate: rl.NextUpdate}
	for _, e := range rl.RevokedCertificateEntries {
		set.serials[e.SerialNumber.String()] = true
	}
	r.cur.Store(set)
	return nil
}

// LoadFile loads the CRL at path; a missing file leaves the list as it is
// (found is false): removing the file must not un-revoke anything.
// Errors: as for Load, and reading the file.
func (r *Revocations) LoadFile(path string) (found bool, err error) {
	const op = "pki.Revocations.LoadFile"
	data, err := readFile(op, path)
	if jukinet.IsKind(err, jukinet.KindNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := r.Load(data); err != nil {
		return true, jukinet.E(op, fmt.Sprintf("reading %s", path), err)
	}
	return true, nil
}

// Len is the number of revoked serials (0 for a nil list).
func (r *Revocations) Len() int {
	if r == nil {
		return 0
	}
	if s := r.cur.Load(); s != nil {
		return len(s.serials)
	}
	return 0
}

// Number is the loaded CRL's number and NextUpdate (nil before any load).
func (r *Revocations) Number() (*big.Int, time.Time) {
	if r == nil {
		return nil, time.Time{}
	}
	if s := r.cur.Load(); s != nil {
		return new(big.Int).Set(s.number), s.nextUpdate
	}
	return nil, time.Time{}
}

// Check refuses a revoked certificate. A nil list revokes nothing.
// Errors: KindUnauthorized naming the serial (never the subject: a
// terminal's or agency's name is not needed to act on it).
func (r *Revocations) Check(cert *x509.Certificate) error {
	if r == nil || cert == nil {
		return nil
	}
	s := r.cur.Load()
	if s == nil || !s.serials[cert.SerialNumber.String()] {
		return nil
	}
	crl := s.number
	return jukinet.Errorf("pki.Revocations", jukinet.KindUnauthorized, "certificate", "certificate serial %x is revoked (CRL %s)", cert.SerialNumber, crl)
}

// VerifyConnection checks the peer's leaf certificate: set it as (or call it
// from) a tls.Config's VerifyConnection, and call it per request too
// (CheckState) so a connection opened before a revocation is refused after
// it. The network CA issues leaves only, so the leaf is the one to check.
func (r *Revocations) VerifyConnection(cs tls.ConnectionState) error {
	return r.CheckState(&cs)
}

// CheckState is VerifyConnection for a request's *tls.ConnectionState.
func (r *Revocations) CheckState(cs *tls.ConnectionState) error {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return nil
	}
	return r.Check(cs.PeerCertificates[0])
}

// ReadCertificateFile reads one PEM certificate (e.g. the one to revoke).
// Errors: KindNotFound, KindInvalid.
func ReadCertificateFile(path string) (*x509.Certificate, error) {
	return readCertificate("pki.ReadCertificateFile", path)
}
