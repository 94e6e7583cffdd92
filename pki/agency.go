package pki

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"net/url"
	"path/filepath"
	"time"

	"github.com/jukinet/jukinet"
)

// Agency certificates: a registered agency (本人確認情報の提供を受ける国の機関等,
// 法30条の9) calls the national server's agency listener with a client
// certificate from the network CA carrying exactly one URI SAN
// "jukinet:agency:<ID>". The ID is the one in the agency list (node.Agencies);
// the listener takes the agency's identity from the certificate alone.
//
// On disk: D/agencies/<agency>/agency.crt, agency.key, ca.crt.
const (
	AgenciesDir    = "agencies"
	AgencyCertFile = "agency.crt"
	AgencyKeyFile  = "agency.key"
	// maxAgencyIDLength matches the agency list's rule (node.ParseAgencies).
	maxAgencyIDLength = 32
)

// ValidateAgencyID checks that id can name an agency: 1–32 lower-case ASCII
// letters, digits, '-' and '_', starting with a letter or digit (the ID
// becomes a URI SAN and a directory name). Errors: KindInvalid, field "agency".
func ValidateAgencyID(id string) error {
	if err := checkAgencyID(id); err != nil {
		return jukinet.Errorf("pki.ValidateAgencyID", jukinet.KindInvalid, "agency", "agency ID %q: %v", truncate(id), err)
	}
	return nil
}

func checkAgencyID(id string) error {
	if id == "" {
		return errors.New("must not be empty")
	}
	if len(id) > maxAgencyIDLength {
		return errors.New("must be at most 32 characters")
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case (c == '-' || c == '_') && i > 0:
		default:
			return errors.New("only lower-case letters, digits, '-' and '_' are allowed, starting with a letter or digit")
		}
	}
	return nil
}

func agencyURI(agencyID string) *url.URL {
	return &url.URL{Scheme: uriScheme, Opaque: "agency:" + agencyID}
}

// AgencyCredentials is an agency's client certificate and key.
type AgencyCredentials struct {
	AgencyID    string
	Certificate tls.Certificate // Leaf is set
	CA          *x509.Certificate
}

// NotAfter is when the agency certificate expires.
func (c *AgencyCredentials) NotAfter() time.Time { return c.Certificate.Leaf.NotAfter }

// ClientTLSConfig is the configuration for calling the national server's
// agency listener: TLS 1.3, presenting the agency certificate, trusting only
// the network CA, and requiring the server to be node nationalID.
func (c *AgencyCredentials) ClientTLSConfig(nationalID string) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(c.CA)
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{c.Certificate},
		RootCAs:      pool,
		ServerName:   NodeDNSName(nationalID),
		VerifyConnection: func(cs tls.ConnectionState) error {
			const op = "pki.AgencyCredentials.ClientTLSConfig"
			if len(cs.PeerCertificates) == 0 {
				return jukinet.E(op, jukinet.KindUnauthorized, "the server presented no certificate")
			}
			got, err := NodeIDFromCert(cs.PeerCertificates[0])
			if err != nil {
				return jukinet.E(op, err)
			}
			if got != nationalID {
				return jukinet.Errorf(op, jukinet.KindUnauthorized, "", "expected node %s, the server is node %s", nationalID, got)
			}
			return nil
		},
	}
}

// IssueAgency issues a client-only certificate for agency agencyID, identified
// by the URI SAN jukinet:agency:<ID>.
// Errors: KindInvalid for a bad agency ID or validity.
func (ca *CA) IssueAgency(agencyID string, now time.Time, validity time.Duration) (*AgencyCredentials, error) {
	const op = "pki.IssueAgency"
	if err := ValidateAgencyID(agencyID); err != nil {
		return nil, jukinet.E(op, err)
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: agencyID, Organization: []string{"jukinet"}, OrganizationalUnit: []string{"agency"}},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		URIs:        []*url.URL{agencyURI(agencyID)},
	}
	cert, key, err := ca.issue(op, tmpl, now, validity)
	if err != nil {
		return nil, err
	}
	return &AgencyCredentials{
		AgencyID:    agencyID,
		Certificate: tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert},
		CA:          ca.Cert,
	}, nil
}

// AgencyFromCert returns the agency ID of an agency certificate, which must
// carry exactly one jukinet:agency URI and no node or terminal URI: a node
// or terminal certificate from the same CA is not an agency's.
// Errors: KindUnauthorized when the identity is missing or ambiguous.
func AgencyFromCert(cert *x509.Certificate) (string, error) {
	const op = "pki.AgencyFromCert"
	if cert == nil {
		return "", jukinet.E(op, jukinet.KindUnauthorized, "no certificate")
	}
	id, err := readIdentity(cert)
	if err != nil {
		return "", jukinet.E(op, jukinet.KindUnauthorized, err.Error())
	}
	switch {
	case len(id.nodes) > 0:
		return "", jukinet.E(op, jukinet.KindUnauthorized, "a node certificate is not an agency certificate")
	case len(id.terminals) > 0:
		return "", jukinet.E(op, jukinet.KindUnauthorized, "a terminal certificate is not an agency certificate")
	case len(id.agencies) == 0:
		return "", jukinet.E(op, jukinet.KindUnauthorized, "the certificate names no jukinet agency")
	case len(id.agencies) > 1:
		return "", jukinet.E(op, jukinet.KindUnauthorized, "the certificate names more than one jukinet agency")
	}
	return id.agencies[0], nil
}

// PeerAgencyID returns the agency ID of the verified client certificate of a
// connection accepted with AgencyServerTLSConfig.
// Errors: KindUnauthorized when there is no verified agency certificate.
func PeerAgencyID(cs *tls.ConnectionState) (string, error) {
	const op = "pki.PeerAgencyID"
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.PeerCertificates) == 0 {
		return "", jukinet.E(op, jukinet.KindUnauthorized, "no verified client certificate")
	}
	id, err := AgencyFromCert(cs.PeerCertificates[0])
	if err != nil {
		return "", jukinet.E(op, err)
	}
	return id, nil
}

// AgencyServerTLSConfig is the configuration of the national server's agency
// listener (a port of its own: the network listener speaks only the
// inter-node protocol): TLS 1.3 only, a client certificate is required,
// verified against the network CA alone, and must be an agency certificate —
// node and terminal certificates are refused at the handshake.
func (c *NodeCredentials) AgencyServerTLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{c.Certificate},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    c.CAPool,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if err := c.Revocations.CheckState(&cs); err != nil {
				return err
			}
			_, err := PeerAgencyID(&cs)
			return err
		},
	}
}

// IssueAgencyFiles loads the CA from dir, issues an agency certificate and
// writes it under dir/agencies/<agency>/ (key 0600).
// Errors: as for LoadCA, CA.IssueAgency and WriteNodeFiles.
func IssueAgencyFiles(dir, agencyID string, opts Options) (*AgencyCredentials, error) {
	const op = "pki.IssueAgencyFiles"
	if err := ValidateAgencyID(agencyID); err != nil {
		return nil, jukinet.E(op, err)
	}
	ca, err := LoadCA(dir)
	if err != nil {
		return nil, err
	}
	creds, err := ca.IssueAgency(agencyID, opts.now(), opts.validity(DefaultCertValidity))
	if err != nil {
		return nil, err
	}
	keyPEM, err := EncodePrivateKeyPEM(creds.Certificate.PrivateKey.(crypto.Signer))
	if err != nil {
		return nil, jukinet.E(op, err)
	}
	for _, d := range []string{dir, filepath.Join(dir, AgenciesDir)} {
		if err := ensureDir(op, d); err != nil {
			return nil, err
		}
	}
	err = writeFiles(op, filepath.Join(dir, AgenciesDir, agencyID), opts.Overwrite, []fileSpec{
		{AgencyKeyFile, keyPEM, keyFileMode},
		{AgencyCertFile, EncodeCertificatePEM(creds.Certificate.Leaf.Raw), publicFileMode},
		{CACertFile, EncodeCertificatePEM(creds.CA.Raw), publicFileMode},
	})
	if err != nil {
		return nil, err
	}
	return creds, nil
}

// LoadAgency reads the agency credentials written by IssueAgencyFiles.
// Errors: KindNotFound, KindForbidden, KindInvalid.
func LoadAgency(dir, agencyID string) (*AgencyCredentials, error) {
	const op = "pki.LoadAgency"
	if err := ValidateAgencyID(agencyID); err != nil {
		return nil, jukinet.E(op, err)
	}
	agDir := filepath.Join(dir, AgenciesDir, agencyID)
	caCert, err := readCertificate(op, filepath.Join(agDir, CACertFile))
	if err != nil {
		return nil, err
	}
	cert, err := readCertificate(op, filepath.Join(agDir, AgencyCertFile))
	if err != nil {
		return nil, err
	}
	key, err := readPrivateKey(op, filepath.Join(agDir, AgencyKeyFile))
	if err != nil {
		return nil, err
	}
	if err := checkKeyMatches(op, cert, key); err != nil {
		return nil, err
	}
	got, err := AgencyFromCert(cert)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("certificate"), err)
	}
	if got != agencyID {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "certificate", "agency.crt in %s names agency %s", agDir, got)
	}
	if err := cert.CheckSignatureFrom(caCert); err != nil {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("certificate"), "agency.crt is not signed by ca.crt")
	}
	return &AgencyCredentials{
		AgencyID:    agencyID,
		Certificate: tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert},
		CA:          caCert,
	}, nil
}
