package pki

import (
	"crypto/tls"

	"github.com/jukinet/jukinet"
)

// ServerTLSConfig is the configuration of the network listener (docs/design.md §3–4):
// TLS 1.3 only, and a client certificate is required, verified against the
// network CA alone, and must be a node certificate — a terminal certificate
// from the same CA is refused. Handlers learn the peer with PeerNodeID.
func (c *NodeCredentials) ServerTLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{c.Certificate},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    c.CAPool,
		VerifyConnection: func(cs tls.ConnectionState) error {
			_, err := c.PeerNodeID(&cs)
			return err
		},
	}
}

// ClientTLSConfig is the configuration for calling node peerNodeID: TLS 1.3
// only, presenting this node's certificate, trusting only the network CA, and
// requiring the server certificate to name peerNodeID. The server name is
// "<peer>.node.jukinet", so the address dialled does not need to appear in
// the certificate and http.Transport keeps the name. A peer met before is
// resumed from c.Sessions (no certificate chain verified or signed again;
// the key exchange, hybrid post-quantum, runs as on a first handshake), and
// VerifyConnection runs on a resumed handshake too: a peer revoked since the
// session was issued is refused.
func (c *NodeCredentials) ClientTLSConfig(peerNodeID string) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		Certificates:       []tls.Certificate{c.Certificate},
		RootCAs:            c.CAPool,
		ServerName:         NodeDNSName(peerNodeID),
		ClientSessionCache: c.Sessions,
		VerifyConnection: func(cs tls.ConnectionState) error {
			const op = "pki.ClientTLSConfig"
			if len(cs.PeerCertificates) == 0 {
				return jukinet.E(op, jukinet.KindUnauthorized, "the server presented no certificate")
			}
			if err := c.Revocations.CheckState(&cs); err != nil {
				return jukinet.E(op, err)
			}
			got, err := NodeIDFromCert(cs.PeerCertificates[0])
			if err != nil {
				return jukinet.E(op, err)
			}
			if got != peerNodeID {
				return jukinet.Errorf(op, jukinet.KindUnauthorized, "", "expected node %s, the server is node %s", peerNodeID, got)
			}
			return nil
		},
	}
}

// PeerNodeID is the package's PeerNodeID that also refuses a revoked
// certificate: the network listener calls it per request, so a connection
// opened before a revocation is refused once the list is reloaded.
func (c *NodeCredentials) PeerNodeID(cs *tls.ConnectionState) (string, error) {
	if err := c.Revocations.CheckState(cs); err != nil {
		return "", jukinet.E("pki.PeerNodeID", err)
	}
	return PeerNodeID(cs)
}

// PeerNodeID returns the node ID of the verified client certificate of a
// connection accepted with ServerTLSConfig.
// Errors: KindUnauthorized when there is no verified node certificate.
func PeerNodeID(cs *tls.ConnectionState) (string, error) {
	const op = "pki.PeerNodeID"
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.PeerCertificates) == 0 {
		return "", jukinet.E(op, jukinet.KindUnauthorized, "no verified client certificate")
	}
	id, err := NodeIDFromCert(cs.PeerCertificates[0])
	if err != nil {
		return "", jukinet.E(op, err)
	}
	return id, nil
}

// TerminalServerTLSConfig is the configuration of the terminal listener (統合端末,
// G2.5, G12): TLS 1.3, the node's certificate, and a client certificate
// verified against the network CA that must be a terminal certificate issued
// for this node (a node's, an agency's or another node's terminal's is refused
// at the handshake). With optional (the demo setting only) a client may come
// without a certificate; one it presents is still checked. Handlers learn
// the terminal with PeerTerminalID.
func (c *NodeCredentials) TerminalServerTLSConfig(optional bool) *tls.Config {
	auth := tls.RequireAndVerifyClientCert
	if optional {
		auth = tls.VerifyClientCertIfGiven
	}
	node := c.NodeID
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{c.Certificate},
		ClientAuth:   auth,
		ClientCAs:    c.CAPool,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if optional && len(cs.PeerCertificates) == 0 {
				return nil
			}
			// A revoked terminal (a stolen PC) is refused like a revoked node.
			if c.Revocations != nil {
				if err := c.Revocations.CheckState(&cs); err != nil {
					return err
				}
			}
			_, err := PeerTerminalID(&cs, node)
			return err
		},
	}
}

// PeerTerminalID returns the terminal ID of the verified client certificate
// of a connection accepted with TerminalServerTLSConfig, which must be a
// terminal certificate of node nodeID.
// Errors: KindUnauthorized when there is none, or it is another node's.
func PeerTerminalID(cs *tls.ConnectionState, nodeID string) (string, error) {
	const op = "pki.PeerTerminalID"
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.PeerCertificates) == 0 {
		return "", jukinet.E(op, jukinet.KindUnauthorized, "no verified terminal certificate")
	}
	n, term, err := TerminalFromCert(cs.PeerCertificates[0])
	if err != nil {
		return "", jukinet.E(op, err)
	}
	if n != nodeID {
		return "", jukinet.Errorf(op, jukinet.KindUnauthorized, "", "the certificate is of a terminal of node %s, not of %s", n, nodeID)
	}
	return term, nil
}
