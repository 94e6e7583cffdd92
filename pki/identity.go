package pki

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jukinet/jukinet"
)

// ValidateNodeID checks that id can name a node: 1–63 characters of
// lower-case ASCII letters, digits and inner hyphens — a 6-digit local
// government code such as "352063", or a fixed name such as "national".
// The rule keeps an ID safe as a DNS label and as a directory name.
// Errors: KindInvalid, field "node".
func ValidateNodeID(id string) error {
	if err := checkLabel(id, false); err != nil {
		return jukinet.Errorf("pki.ValidateNodeID", jukinet.KindInvalid, "node", "node ID %q: %v", truncate(id), err)
	}
	return nil
}

// ValidateTerminalID checks that id can name a terminal (統合端末) of a node:
// 1–63 ASCII letters, digits, hyphens and underscores, starting with a letter
// or digit. Errors: KindInvalid, field "terminal".
func ValidateTerminalID(id string) error {
	if err := checkLabel(id, true); err != nil {
		return jukinet.Errorf("pki.ValidateTerminalID", jukinet.KindInvalid, "terminal", "terminal ID %q: %v", truncate(id), err)
	}
	return nil
}

func checkLabel(id string, terminal bool) error {
	if id == "" {
		return errors.New("must not be empty")
	}
	if len(id) > maxIDLength {
		return fmt.Errorf("must be at most %d characters", maxIDLength)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-' && i > 0 && (terminal || i < len(id)-1):
		case terminal && ('A' <= c && c <= 'Z'):
		case terminal && c == '_' && i > 0:
		default:
			if terminal {
				return errors.New("only letters, digits, '-' and '_' are allowed, starting with a letter or digit")
			}
			return errors.New("only lower-case letters, digits and inner '-' are allowed")
		}
	}
	return nil
}

// truncate keeps error messages short when the input is long.
func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// NodeDNSName is the DNS name a node's certificate carries and its peers use
// as the TLS server name: "<id>.node.jukinet".
func NodeDNSName(nodeID string) string { return nodeID + nodeDNSSuffix }

func nodeURI(nodeID string) *url.URL {
	return &url.URL{Scheme: uriScheme, Opaque: "node:" + nodeID}
}

func terminalURI(nodeID, terminalID string) *url.URL {
	return &url.URL{Scheme: uriScheme, Opaque: "terminal:" + nodeID + "/" + terminalID}
}

// identity is what the jukinet SANs of a certificate say.
type identity struct {
	nodes     []string // from jukinet:node:<ID>
	terminals [][2]string
	agencies  []string // from jukinet:agency:<ID>
}

// readIdentity collects the jukinet URIs of cert; any jukinet URI it cannot
// read makes the certificate unusable rather than silently ignored.
func readIdentity(cert *x509.Certificate) (identity, error) {
	var id identity
	for _, u := range cert.URIs {
		if !strings.EqualFold(u.Scheme, uriScheme) {
			continue
		}
		kind, rest, ok := strings.Cut(u.Opaque, ":")
		if !ok || u.Host != "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
			return id, fmt.Errorf("malformed jukinet URI %q", truncate(u.String()))
		}
		switch kind {
		case "node":
			if err := checkLabel(rest, false); err != nil {
				return id, fmt.Errorf("node URI %q: %v", truncate(u.String()), err)
			}
			id.nodes = append(id.nodes, rest)
		case "terminal":
			node, term, ok := strings.Cut(rest, "/")
			if !ok {
				return id, fmt.Errorf("terminal URI %q lacks the node", truncate(u.String()))
			}
			if err := checkLabel(node, false); err != nil {
				return id, fmt.Errorf("terminal URI %q: node: %v", truncate(u.String()), err)
			}
			if err := checkLabel(term, true); err != nil {
				return id, fmt.Errorf("terminal URI %q: terminal: %v", truncate(u.String()), err)
			}
			id.terminals = append(id.terminals, [2]string{node, term})
		case "agency":
			if err := checkAgencyID(rest); err != nil {
				return id, fmt.Errorf("agency URI %q: %v", truncate(u.String()), err)
			}
			id.agencies = append(id.agencies, rest)
		default:
			return id, fmt.Errorf("unknown jukinet URI %q", truncate(u.String()))
		}
	}
	return id, nil
}

// NodeIDFromCert returns the node ID of a node certificate. The certificate
// must carry exactly one jukinet:node URI, no terminal URI, and no
// *.node.jukinet DNS name for another node.
// Errors: KindUnauthorized when the identity is missing or ambiguous.
func NodeIDFromCert(cert *x509.Certificate) (string, error) {
	const op = "pki.NodeIDFromCert"
	if cert == nil {
		return "", jukinet.E(op, jukinet.KindUnauthorized, "no certificate")
	}
	id, err := readIdentity(cert)
	if err != nil {
		return "", jukinet.E(op, jukinet.KindUnauthorized, err.Error())
	}
	switch {
	case len(id.terminals) > 0:
		return "", jukinet.E(op, jukinet.KindUnauthorized, "a terminal certificate is not a node certificate")
	case len(id.agencies) > 0:
		return "", jukinet.E(op, jukinet.KindUnauthorized, "an agency certificate is not a node certificate")
	case len(id.nodes) == 0:
		return "", jukinet.E(op, jukinet.KindUnauthorized, "the certificate names no jukinet node")
	case len(id.nodes) > 1:
		return "", jukinet.E(op, jukinet.KindUnauthorized, "the certificate names more than one jukinet node")
	}
	node := id.nodes[0]
	for _, name := range cert.DNSNames {
		if strings.HasSuffix(strings.ToLower(name), nodeDNSSuffix) && !strings.EqualFold(name, NodeDNSName(node)) {
			return "", jukinet.Errorf(op, jukinet.KindUnauthorized, "", "the certificate of node %s also names %q", node, truncate(name))
		}
	}
	return node, nil
}

// TerminalFromCert returns the node and terminal IDs of a terminal
// certificate, which must carry exactly one jukinet:terminal URI and no node URI.
// Errors: KindUnauthorized when the identity is missing or ambiguous.
func TerminalFromCert(cert *x509.Certificate) (nodeID, terminalID string, err error) {
	const op = "pki.TerminalFromCert"
	if cert == nil {
		return "", "", jukinet.E(op, jukinet.KindUnauthorized, "no certificate")
	}
	id, err := readIdentity(cert)
	if err != nil {
		return "", "", jukinet.E(op, jukinet.KindUnauthorized, err.Error())
	}
	switch {
	case len(id.nodes) > 0:
		return "", "", jukinet.E(op, jukinet.KindUnauthorized, "a node certificate is not a terminal certificate")
	case len(id.agencies) > 0:
		return "", "", jukinet.E(op, jukinet.KindUnauthorized, "an agency certificate is not a terminal certificate")
	case len(id.terminals) == 0:
		return "", "", jukinet.E(op, jukinet.KindUnauthorized, "the certificate names no jukinet terminal")
	case len(id.terminals) > 1:
		return "", "", jukinet.E(op, jukinet.KindUnauthorized, "the certificate names more than one jukinet terminal")
	}
	return id.terminals[0][0], id.terminals[0][1], nil
}

// validateDNSName checks a host name given for a node certificate.
func validateDNSName(name string) error {
	if name == "" || len(name) > 253 {
		return fmt.Errorf("host %q must be an IP address or a DNS name of 1–253 characters", truncate(name))
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("host %q is not a valid DNS name", truncate(name))
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return fmt.Errorf("host %q is not a valid DNS name", truncate(name))
			}
		}
	}
	if strings.HasSuffix(strings.ToLower(name), nodeDNSSuffix) {
		return fmt.Errorf("host %q: names under %s are reserved for node IDs", truncate(name), nodeDNSSuffix[1:])
	}
	return nil
}
