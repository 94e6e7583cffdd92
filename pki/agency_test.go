package pki

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
)

func TestAgencyFromCert(t *testing.T) {
	ca := testCA(t, "network CA")
	tests := []struct {
		name string
		uris []string
		want string // empty: a KindUnauthorized error is wanted
	}{
		{name: "agency", uris: []string{"jukinet:agency:pension"}, want: "pension"},
		{name: "digits, hyphen and underscore", uris: []string{"jukinet:agency:mhlw_2-a"}, want: "mhlw_2-a"},
		{name: "other URIs ignored", uris: []string{"https://example.org/", "jukinet:agency:tax"}, want: "tax"},
		{name: "no URI"},
		{name: "node URI", uris: []string{"jukinet:node:national"}},
		{name: "terminal URI", uris: []string{"jukinet:terminal:352063/T01"}},
		{name: "agency and node", uris: []string{"jukinet:agency:pension", "jukinet:node:national"}},
		{name: "agency and terminal", uris: []string{"jukinet:agency:pension", "jukinet:terminal:352063/T01"}},
		{name: "two agencies", uris: []string{"jukinet:agency:pension", "jukinet:agency:tax"}},
		{name: "empty ID", uris: []string{"jukinet:agency:"}},
		{name: "upper case", uris: []string{"jukinet:agency:Pension"}},
		{name: "leading hyphen", uris: []string{"jukinet:agency:-x"}},
		{name: "path traversal", uris: []string{"jukinet:agency:.."}},
		{name: "too long", uris: []string{"jukinet:agency:" + strings.Repeat("a", 33)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AgencyFromCert(craftCert(t, ca, tt.uris, nil))
			if tt.want == "" {
				if !jukinet.IsKind(err, jukinet.KindUnauthorized) {
					t.Errorf("AgencyFromCert(%v) = %q, %v; want a KindUnauthorized error", tt.uris, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("AgencyFromCert(%v) = %q, %v; want %q", tt.uris, got, err, tt.want)
			}
		})
	}
	if _, err := AgencyFromCert(nil); !jukinet.IsKind(err, jukinet.KindUnauthorized) {
		t.Errorf("AgencyFromCert(nil) error = %v; want KindUnauthorized", err)
	}
	// An agency certificate is neither a node's nor a terminal's.
	ag := craftCert(t, ca, []string{"jukinet:agency:pension"}, nil)
	if id, err := NodeIDFromCert(ag); err == nil {
		t.Errorf("NodeIDFromCert(agency cert) = %q; want an error", id)
	}
	if n, term, err := TerminalFromCert(ag); err == nil {
		t.Errorf("TerminalFromCert(agency cert) = %q/%q; want an error", n, term)
	}
}

func TestIssueAgency(t *testing.T) {
	ca := testCA(t, "network CA")
	creds, err := ca.IssueAgency("pension", time.Now(), time.Hour)
	if err != nil {
		t.Fatalf("IssueAgency(pension): %v", err)
	}
	leaf := creds.Certificate.Leaf
	if got, err := AgencyFromCert(leaf); err != nil || got != "pension" {
		t.Errorf("AgencyFromCert(issued) = %q, %v; want pension", got, err)
	}
	if len(leaf.ExtKeyUsage) != 1 || leaf.ExtKeyUsage[0] != 2 /* x509.ExtKeyUsageClientAuth */ {
		t.Errorf("ExtKeyUsage = %v; want client authentication only", leaf.ExtKeyUsage)
	}
	for _, bad := range []string{"", "Pension", "-x", "a/b", strings.Repeat("p", 33)} {
		if _, err := ca.IssueAgency(bad, time.Now(), time.Hour); !jukinet.IsKind(err, jukinet.KindInvalid) || jukinet.ErrorField(err) != "agency" {
			t.Errorf("IssueAgency(%q) error = %v (field %q); want KindInvalid on field agency", bad, err, jukinet.ErrorField(err))
		}
	}
	if _, err := ca.IssueAgency("pension", time.Now(), 0); !jukinet.IsKind(err, jukinet.KindInvalid) {
		t.Errorf("IssueAgency(validity 0) error = %v; want KindInvalid", err)
	}
}

func TestAgencyFiles(t *testing.T) {
	dir, _ := initDir(t)
	issued, err := IssueAgencyFiles(dir, "pension", Options{})
	if err != nil {
		t.Fatalf("IssueAgencyFiles: %v", err)
	}
	keyPath := filepath.Join(dir, AgenciesDir, "pension", AgencyKeyFile)
	if m := fileMode(t, keyPath); m != 0o600 {
		t.Errorf("mode of %s = %v; want 0600", keyPath, m)
	}
	loaded, err := LoadAgency(dir, "pension")
	if err != nil {
		t.Fatalf("LoadAgency: %v", err)
	}
	if !loaded.Certificate.Leaf.Equal(issued.Certificate.Leaf) || loaded.AgencyID != "pension" {
		t.Errorf("LoadAgency returned %s with another certificate than issued", loaded.AgencyID)
	}
	if _, err := IssueAgencyFiles(dir, "pension", Options{}); !jukinet.IsKind(err, jukinet.KindConflict) {
		t.Errorf("second IssueAgencyFiles error = %v; want KindConflict", err)
	}
	if _, err := LoadAgency(dir, "tax"); !jukinet.IsKind(err, jukinet.KindNotFound) {
		t.Errorf("LoadAgency(tax) error = %v; want KindNotFound", err)
	}
	// A certificate of another agency copied over is refused.
	if _, err := IssueAgencyFiles(dir, "tax", Options{}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{AgencyCertFile, AgencyKeyFile} {
		b, err := os.ReadFile(filepath.Join(dir, AgenciesDir, "tax", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, AgenciesDir, "pension", f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := LoadAgency(dir, "pension"); !jukinet.IsKind(err, jukinet.KindInvalid) {
		t.Errorf("LoadAgency(pension holding tax's certificate) error = %v; want KindInvalid", err)
	}
}

// agencyHandshake connects client to a server using AgencyServerTLSConfig
// and returns the agency the server saw or the server's error.
func agencyHandshake(t *testing.T, server, client *tls.Config) (string, error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type outcome struct {
		peer string
		err  error
	}
	done := make(chan outcome, 1)
	go func() { // owned here: the function waits for done
		conn, err := ln.Accept()
		if err != nil {
			done <- outcome{err: err}
			return
		}
		defer conn.Close()
		tc := tls.Server(conn, server)
		if err := tc.HandshakeContext(ctx); err != nil {
			done <- outcome{err: err}
			return
		}
		cs := tc.ConnectionState()
		peer, err := PeerAgencyID(&cs)
		if err == nil {
			_, err = tc.Write([]byte("ok"))
		}
		done <- outcome{peer, err}
	}()
	conn, err := (&tls.Dialer{Config: client}).DialContext(ctx, "tcp", ln.Addr().String())
	if err == nil {
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.ReadFull(conn, make([]byte, 2))
		conn.Close()
	}
	ln.Close()
	o := <-done
	return o.peer, o.err
}

func TestAgencyServerTLS(t *testing.T) {
	ca := testCA(t, "network CA")
	national := testNode(t, ca, "national")
	muni := testNode(t, ca, "352063")
	pension, err := ca.IssueAgency("pension", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	terminal, err := ca.IssueTerminal("352063", "T01", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	withCert := func(c tls.Certificate) *tls.Config {
		cfg := pension.ClientTLSConfig("national")
		cfg.Certificates = []tls.Certificate{c}
		return cfg
	}
	tests := []struct {
		name    string
		client  *tls.Config
		want    string
		wantErr string
	}{
		{name: "agency certificate", client: pension.ClientTLSConfig("national"), want: "pension"},
		{name: "node certificate", client: withCert(muni.Certificate), wantErr: "node certificate is not an agency certificate"},
		{name: "terminal certificate", client: withCert(terminal.Certificate), wantErr: "terminal certificate is not an agency certificate"},
		{name: "no certificate", client: withCert(tls.Certificate{}), wantErr: "didn't provide a certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := agencyHandshake(t, national.AgencyServerTLSConfig(), tt.client)
			if tt.want != "" {
				if err != nil || got != tt.want {
					t.Errorf("agency handshake = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("agency handshake = %q, %v; want the server to refuse with %q", got, err, tt.wantErr)
			}
		})
	}
	// The agency client refuses a server that is not the national node.
	if _, err := agencyHandshake(t, muni.AgencyServerTLSConfig(), pension.ClientTLSConfig("national")); err == nil {
		t.Error("agency client accepted node 352063 as the national server")
	}
}

func FuzzValidateAgencyID(f *testing.F) {
	for _, s := range []string{"pension", "", "-a", "a_b-c", "A", strings.Repeat("x", 33), "a/b", "年金"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		err := ValidateAgencyID(id)
		if err != nil {
			if !jukinet.IsKind(err, jukinet.KindInvalid) {
				t.Fatalf("ValidateAgencyID(%q) error kind %v; want KindInvalid", id, jukinet.ErrorKind(err))
			}
			return
		}
		// A valid ID round-trips through a URI SAN and is a plain file name.
		if len(id) == 0 || len(id) > 32 || strings.ContainsAny(id, "/.:\\ ") {
			t.Fatalf("ValidateAgencyID(%q) accepted an unsafe ID", id)
		}
		u := agencyURI(id)
		if got := u.String(); got != "jukinet:agency:"+id {
			t.Fatalf("agencyURI(%q) = %q", id, got)
		}
	})
}
