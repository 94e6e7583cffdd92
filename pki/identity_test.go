package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
)

// craftCert signs a certificate with arbitrary SANs, to test the readers
// against certificates IssueNode would never produce.
func craftCert(t *testing.T, ca *CA, uris []string, dnsNames []string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: "crafted"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     dnsNames,
	}
	for _, s := range uris {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatalf("url.Parse(%q): %v", s, err)
		}
		tmpl.URIs = append(tmpl.URIs, u)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestNodeIDFromCert(t *testing.T) {
	ca := testCA(t, "network CA")
	tests := []struct {
		name   string
		uris   []string
		dns    []string
		wantID string // empty: an error is wanted
	}{
		{name: "municipality", uris: []string{"jukinet:node:352063"}, wantID: "352063"},
		{name: "national", uris: []string{"jukinet:node:national"}, dns: []string{"national.node.jukinet"}, wantID: "national"},
		{name: "other URIs ignored", uris: []string{"https://example.org/x", "jukinet:node:350001"}, wantID: "350001"},
		{name: "upper-case scheme", uris: []string{"JUKINET:node:350001"}, wantID: "350001"},
		{name: "no URI"},
		{name: "two node URIs", uris: []string{"jukinet:node:352063", "jukinet:node:350001"}},
		{name: "same node twice", uris: []string{"jukinet:node:352063", "jukinet:node:352063"}},
		{name: "node and terminal", uris: []string{"jukinet:node:352063", "jukinet:terminal:352063/T01"}},
		{name: "terminal only", uris: []string{"jukinet:terminal:352063/T01"}},
		{name: "unknown jukinet URI", uris: []string{"jukinet:node:352063", "jukinet:operator:x"}},
		{name: "empty node ID", uris: []string{"jukinet:node:"}},
		{name: "upper-case node ID", uris: []string{"jukinet:node:National"}},
		{name: "path traversal", uris: []string{"jukinet:node:.."}},
		{name: "hierarchical form", uris: []string{"jukinet://node/352063"}},
		{name: "DNS name of another node", uris: []string{"jukinet:node:352063"}, dns: []string{"350001.node.jukinet"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert := craftCert(t, ca, tt.uris, tt.dns)
			got, err := NodeIDFromCert(cert)
			if tt.wantID == "" {
				if !jukinet.IsKind(err, jukinet.KindUnauthorized) {
					t.Errorf("NodeIDFromCert(URIs %v, DNS %v) = %q, %v; want a KindUnauthorized error", tt.uris, tt.dns, got, err)
				}
				return
			}
			if err != nil || got != tt.wantID {
				t.Errorf("NodeIDFromCert(URIs %v) = %q, %v; want %q", tt.uris, got, err, tt.wantID)
			}
		})
	}
	if _, err := NodeIDFromCert(nil); err == nil {
		t.Error("NodeIDFromCert(nil) succeeded; want an error")
	}
}

func TestTerminalFromCert(t *testing.T) {
	ca := testCA(t, "network CA")
	tests := []struct {
		name               string
		uris               []string
		wantNode, wantTerm string // empty: an error is wanted
	}{
		{name: "terminal", uris: []string{"jukinet:terminal:352063/T01"}, wantNode: "352063", wantTerm: "T01"},
		{name: "underscore and hyphen", uris: []string{"jukinet:terminal:352063/desk_2-a"}, wantNode: "352063", wantTerm: "desk_2-a"},
		{name: "no URI"},
		{name: "node URI", uris: []string{"jukinet:node:352063"}},
		{name: "two terminals", uris: []string{"jukinet:terminal:352063/T01", "jukinet:terminal:352063/T02"}},
		{name: "terminal and node", uris: []string{"jukinet:terminal:352063/T01", "jukinet:node:352063"}},
		{name: "no node", uris: []string{"jukinet:terminal:T01"}},
		{name: "empty terminal", uris: []string{"jukinet:terminal:352063/"}},
		{name: "nested path", uris: []string{"jukinet:terminal:352063/T01/x"}},
		{name: "dot-dot terminal", uris: []string{"jukinet:terminal:352063/.."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			node, term, err := TerminalFromCert(craftCert(t, ca, tt.uris, nil))
			if tt.wantNode == "" {
				if !jukinet.IsKind(err, jukinet.KindUnauthorized) {
					t.Errorf("TerminalFromCert(%v) = %q, %q, %v; want a KindUnauthorized error", tt.uris, node, term, err)
				}
				return
			}
			if err != nil || node != tt.wantNode || term != tt.wantTerm {
				t.Errorf("TerminalFromCert(%v) = %q, %q, %v; want %q, %q", tt.uris, node, term, err, tt.wantNode, tt.wantTerm)
			}
		})
	}
}

func TestIssueNode(t *testing.T) {
	ca := testCA(t, "network CA")
	now := time.Now()
	creds, err := ca.IssueNode("352063", []string{"127.0.0.1", "localhost", "::1", "localhost", "cs.hofu.example"}, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	leaf := creds.Leaf()
	if id, err := NodeIDFromCert(leaf); err != nil || id != "352063" {
		t.Errorf("NodeIDFromCert(issued) = %q, %v; want 352063", id, err)
	}
	wantDNS := []string{"352063.node.jukinet", "localhost", "cs.hofu.example"}
	if !slices.Equal(leaf.DNSNames, wantDNS) {
		t.Errorf("DNSNames = %v, want %v", leaf.DNSNames, wantDNS)
	}
	wantIPs := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}
	if !slices.EqualFunc(leaf.IPAddresses, wantIPs, net.IP.Equal) {
		t.Errorf("IPAddresses = %v, want %v", leaf.IPAddresses, wantIPs)
	}
	if !creds.NotAfter().Equal(now.Add(time.Hour).Truncate(time.Second)) {
		t.Errorf("NotAfter = %v, want %v", creds.NotAfter(), now.Add(time.Hour).Truncate(time.Second))
	}
	wantEKU := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	if !slices.Equal(leaf.ExtKeyUsage, wantEKU) {
		t.Errorf("ExtKeyUsage = %v, want %v", leaf.ExtKeyUsage, wantEKU)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: creds.CAPool, DNSName: "127.0.0.1"}); err != nil {
		t.Errorf("verifying the node certificate for 127.0.0.1: %v", err)
	}
	if len(creds.SigningKey) == 0 {
		t.Error("no signing key")
	}

	term, err := ca.IssueTerminal("352063", "T01", now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(term.Certificate.Leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) {
		t.Errorf("terminal ExtKeyUsage = %v, want client auth only", term.Certificate.Leaf.ExtKeyUsage)
	}
	if _, err := term.Certificate.Leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err == nil {
		t.Error("a terminal certificate verified for server auth; want it refused")
	}
}

func TestIssueRejects(t *testing.T) {
	ca := testCA(t, "network CA")
	now := time.Now()
	tests := []struct {
		name      string
		node      string
		hosts     []string
		now       time.Time
		validity  time.Duration
		wantField string
	}{
		{name: "empty node", node: "", validity: time.Hour, wantField: "node"},
		{name: "upper case node", node: "National", validity: time.Hour, wantField: "node"},
		{name: "slash in node", node: "35/063", validity: time.Hour, wantField: "node"},
		{name: "leading hyphen", node: "-352063", validity: time.Hour, wantField: "node"},
		{name: "trailing hyphen", node: "352063-", validity: time.Hour, wantField: "node"},
		{name: "too long", node: strings.Repeat("a", 64), validity: time.Hour, wantField: "node"},
		{name: "bad host", node: "352063", hosts: []string{"bad host"}, validity: time.Hour, wantField: "host"},
		{name: "empty host", node: "352063", hosts: []string{""}, validity: time.Hour, wantField: "host"},
		{name: "wildcard host", node: "352063", hosts: []string{"*.example"}, validity: time.Hour, wantField: "host"},
		{name: "reserved host", node: "352063", hosts: []string{"350001.node.jukinet"}, validity: time.Hour, wantField: "host"},
		{name: "zero validity", node: "352063", validity: 0, wantField: "validity"},
		{name: "outlives the CA", node: "352063", validity: 72 * time.Hour, wantField: "validity"},
		{name: "before the CA", node: "352063", now: now.Add(-48 * time.Hour), validity: time.Hour, wantField: "now"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := tt.now
			if at.IsZero() {
				at = now
			}
			_, err := ca.IssueNode(tt.node, tt.hosts, at, tt.validity)
			if !jukinet.IsKind(err, jukinet.KindInvalid) || jukinet.ErrorField(err) != tt.wantField {
				t.Errorf("IssueNode(%q, %q, validity %v) error = %v (field %q); want KindInvalid on field %q",
					tt.node, tt.hosts, tt.validity, err, jukinet.ErrorField(err), tt.wantField)
			}
		})
	}
	for _, term := range []string{"", "_x", "-x", "a/b", "..", "a.b", "端末", strings.Repeat("T", 64)} {
		if _, err := ca.IssueTerminal("352063", term, now, time.Hour); jukinet.ErrorField(err) != "terminal" {
			t.Errorf("IssueTerminal(352063, %q) error = %v; want KindInvalid on field terminal", term, err)
		}
	}
	if _, err := NewCA("", now, time.Hour); jukinet.ErrorField(err) != "name" {
		t.Errorf("NewCA(\"\") error = %v; want field name", err)
	}
	if _, err := NewCA("x", now, -time.Hour); jukinet.ErrorField(err) != "validity" {
		t.Errorf("NewCA(validity -1h) error = %v; want field validity", err)
	}
}

// FuzzValidateNodeID checks that every accepted node ID is safe as a file
// name, a DNS label and an opaque URI, and round-trips through a certificate URI.
func FuzzValidateNodeID(f *testing.F) {
	for _, s := range []string{"352063", "national", "", "..", "a-b", "-a", "A", "a/b", "a\x00b", "３５２０６３"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if ValidateNodeID(id) != nil {
			return
		}
		if filepath.Base(id) != id || id == "." || id == ".." || strings.ContainsAny(id, "/\\:. ") {
			t.Errorf("ValidateNodeID accepted %q, which is unsafe as a file name", id)
		}
		if err := validateDNSName(id); err != nil {
			t.Errorf("ValidateNodeID accepted %q, which is not a DNS label: %v", id, err)
		}
		u, err := url.Parse(nodeURI(id).String())
		if err != nil || u.Opaque != "node:"+id {
			t.Errorf("node URI of %q does not round-trip: %v, %v", id, u, err)
		}
	})
}
