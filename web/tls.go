package web

import (
	"net/http"

	"github.com/jukinet/jukinet/pki"
)

// TerminalFromCert is Config.TerminalOf for a listener configured with
// pki's TerminalServerTLSConfig (G2.5, G12): the terminal is the one its
// verified client certificate names for node. A request without one gets
// fallback: the demo setting's certificate-less terminal, or "" (which no
// login accepts) in production, where the handshake already requires one.
func TerminalFromCert(node, fallback string) func(*http.Request) string {
	return func(r *http.Request) string {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			return fallback
		}
		id, err := pki.PeerTerminalID(r.TLS, node)
		if err != nil {
			return ""
		}
		return id
	}
}
