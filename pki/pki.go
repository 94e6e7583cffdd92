// Package pki is the public-key infrastructure of a jukinet network: the
// network CA, the TLS certificates of nodes (a municipality's CS, a prefecture
// server, the national server) and of terminals (統合端末, integrated
// terminals), and the Ed25519 keys nodes sign messages with (docs/design.md §3–4).
//
// Identity lives in URI subject alternative names, never in the common name:
// a node certificate carries exactly one "jukinet:node:<ID>" and a terminal
// certificate exactly one "jukinet:terminal:<node>/<terminal>".
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jukinet/jukinet"
)

const (
	// uriScheme is the scheme of every identity URI jukinet puts in a certificate.
	uriScheme = "jukinet"
	// nodeDNSSuffix makes a node ID into a DNS name (<id>.node.jukinet) that
	// clients use as the TLS server name, so the standard hostname check
	// already binds the connection to the expected node.
	nodeDNSSuffix = ".node.jukinet"
	// clockSkew backdates NotBefore so a peer whose clock runs a little slow
	// still accepts a certificate issued a moment ago.
	clockSkew = 5 * time.Minute
	// maxIDLength bounds node and terminal IDs: they become DNS labels and
	// file names.
	maxIDLength = 63
)

// CA is the network certificate authority: it issues the certificates of
// every node and terminal, and is the only root a network listener trusts.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// NewCA creates a self-signed ECDSA P-256 CA valid from now for validity.
// Errors: KindInvalid for an empty name or a non-positive validity.
func NewCA(name string, now time.Time, validity time.Duration) (*CA, error) {
	const op = "pki.NewCA"
	if strings.TrimSpace(name) == "" {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("name"), "the CA name must not be empty")
	}
	if validity <= 0 {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("validity"), "validity must be positive")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, "generating the CA key", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"jukinet"}},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true, // the CA signs leaves only
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, "creating the CA certificate", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	return &CA{Cert: cert, Key: key}, nil
}

// NotAfter is when the CA certificate expires (shown in the admin console).
func (ca *CA) NotAfter() time.Time { return ca.Cert.NotAfter }

// Pool returns a certificate pool holding only this CA.
func (ca *CA) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return pool
}

// NodeCredentials is what a node needs on the network: its TLS certificate
// and key, its Ed25519 message-signing key and the network CA.
type NodeCredentials struct {
	NodeID      string
	Certificate tls.Certificate // Leaf is set
	SigningKey  ed25519.PrivateKey
	CA          *x509.Certificate
	CAPool      *x509.CertPool
	// Revocations is checked for every peer certificate by the TLS
	// configurations below and by the per-request peer checks; nil revokes
	// nothing. LoadNode and IssueNode set an empty list.
	Revocations *Revocations
	// Sessions keeps the TLS sessions the node's peers issued, one per peer
	// (keyed by the server name ClientTLSConfig sets), so that a connection
	// to a peer met before resumes without verifying certificate chains
	// again; ClientTLSConfig's revocation check still runs on a resumed
	// handshake. nil resumes nothing. LoadNode and IssueNode set one of
	// SessionCacheCapacity.
	Sessions tls.ClientSessionCache
}

// SessionCacheCapacity is how many peers' TLS sessions a node keeps: every
// other node of the whole country (1,789 nodes), so that no peer's session
// is evicted by another's. An entry is a ticket and the peer's
// certificate, and only peers the node has called have one.
const SessionCacheCapacity = 2048

// Leaf returns the node's parsed TLS certificate.
func (c *NodeCredentials) Leaf() *x509.Certificate { return c.Certificate.Leaf }

// NotAfter is when the node's TLS certificate expires (shown in the admin console).
func (c *NodeCredentials) NotAfter() time.Time { return c.Certificate.Leaf.NotAfter }

// SigningPublicKey returns the public half of the message-signing key.
func (c *NodeCredentials) SigningPublicKey() ed25519.PublicKey {
	return c.SigningKey.Public().(ed25519.PublicKey)
}

// TerminalCredentials is a terminal's client certificate and key.
type TerminalCredentials struct {
	NodeID      string
	TerminalID  string
	Certificate tls.Certificate // Leaf is set
	CA          *x509.Certificate
}

// NotAfter is when the terminal certificate expires.
func (c *TerminalCredentials) NotAfter() time.Time { return c.Certificate.Leaf.NotAfter }

// IssueNode issues a node certificate valid for both server and client
// authentication, with the node ID as a URI SAN (jukinet:node:<ID>) and as a
// DNS SAN (<ID>.node.jukinet), and each host (an IP address or a DNS name) as
// an IP or DNS SAN. It also generates the node's Ed25519 signing key.
// Errors: KindInvalid for a bad node ID, host or validity, or a validity that
// outlasts the CA.
func (ca *CA) IssueNode(nodeID string, hosts []string, now time.Time, validity time.Duration) (*NodeCredentials, error) {
	const op = "pki.IssueNode"
	if err := ValidateNodeID(nodeID); err != nil {
		return nil, jukinet.E(op, err)
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: nodeID, Organization: []string{"jukinet"}, OrganizationalUnit: []string{"node"}},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		URIs:        []*url.URL{nodeURI(nodeID)},
		DNSNames:    []string{NodeDNSName(nodeID)},
	}
	seen := map[string]bool{NodeDNSName(nodeID): true}
	for _, h := range hosts {
		if seen[h] {
			continue
		}
		seen[h] = true
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			continue
		}
		if err := validateDNSName(h); err != nil {
			return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("host"), err.Error())
		}
		tmpl.DNSNames = append(tmpl.DNSNames, h)
	}
	cert, key, err := ca.issue(op, tmpl, now, validity)
	if err != nil {
		return nil, err
	}
	signing, err := NewSigningKey(rand.Reader)
	if err != nil {
		return nil, jukinet.E(op, err)
	}
	return &NodeCredentials{
		NodeID:      nodeID,
		Certificate: tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert},
		SigningKey:  signing,
		CA:          ca.Cert,
		CAPool:      ca.Pool(),
		Revocations: NewRevocations(ca.Cert),
		Sessions:    tls.NewLRUClientSessionCache(SessionCacheCapacity),
	}, nil
}

// IssueTerminal issues a client-only certificate for a terminal of a node,
// identified by the URI SAN jukinet:terminal:<node>/<terminal>.
// Errors: KindInvalid for a bad node or terminal ID or validity.
func (ca *CA) IssueTerminal(nodeID, terminalID string, now time.Time, validity time.Duration) (*TerminalCredentials, error) {
	const op = "pki.IssueTerminal"
	if err := ValidateNodeID(nodeID); err != nil {
		return nil, jukinet.E(op, err)
	}
	if err := ValidateTerminalID(terminalID); err != nil {
		return nil, jukinet.E(op, err)
	}
	tmpl := &x509.Certificate{
		Subject: pkix.Name{
			CommonName:         nodeID + "/" + terminalID,
			Organization:       []string{"jukinet"},
			OrganizationalUnit: []string{"terminal"},
		},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		URIs:        []*url.URL{terminalURI(nodeID, terminalID)},
	}
	cert, key, err := ca.issue(op, tmpl, now, validity)
	if err != nil {
		return nil, err
	}
	return &TerminalCredentials{
		NodeID:      nodeID,
		TerminalID:  terminalID,
		Certificate: tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert},
		CA:          ca.Cert,
	}, nil
}

// issue fills in the validity and serial of tmpl, generates a P-256 key and
// signs the certificate.
func (ca *CA) issue(op string, tmpl *x509.Certificate, now time.Time, validity time.Duration) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	if validity <= 0 {
		return nil, nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("validity"), "validity must be positive")
	}
	tmpl.NotBefore = now.Add(-clockSkew)
	tmpl.NotAfter = now.Add(validity)
	if tmpl.NotAfter.After(ca.Cert.NotAfter) {
		return nil, nil, jukinet.Errorf(op, jukinet.KindInvalid, "validity",
			"the certificate would outlive the CA (CA expires %s)", ca.Cert.NotAfter.UTC().Format(time.RFC3339))
	}
	if now.Before(ca.Cert.NotBefore) {
		return nil, nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("now"), "the CA is not yet valid at the issue time")
	}
	serial, err := newSerial()
	if err != nil {
		return nil, nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	tmpl.SerialNumber = serial
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, jukinet.E(op, jukinet.KindInternal, "generating a key", err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, nil, jukinet.E(op, jukinet.KindInternal, "signing the certificate", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	return cert, key, nil
}

// newSerial returns a random positive 128-bit serial number.
func newSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	n, err := rand.Int(rand.Reader, limit)
	if err != nil {
		return nil, err
	}
	return n.Add(n, big.NewInt(1)), nil
}
