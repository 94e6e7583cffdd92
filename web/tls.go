package web

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"time"

	"github.com/jukinet/jukinet/pki"
)

// SelfSignedTLS returns a TLS configuration with a fresh self-signed
// certificate for hosts, for the demo's terminal listener only: production
// terminals get a certificate from the network CA (pki). The key lives in
// memory and is gone when the process ends.
func SelfSignedTLS(hosts ...string) (*tls.Config, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "jukinet demo terminal"},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.AddDate(0, 0, 30),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return &tls.Config{MinVersion: tls.VersionTLS13,
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, nil
}

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
