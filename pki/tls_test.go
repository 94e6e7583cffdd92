package pki

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
)

// testCA creates a CA valid from a day ago for two days, so certificates can
// be issued in the past (to expire them) and still verify now.
func testCA(t testing.TB, name string) *CA {
	t.Helper()
	ca, err := NewCA(name, time.Now().Add(-24*time.Hour), 48*time.Hour)
	if err != nil {
		t.Fatalf("NewCA(%q): %v", name, err)
	}
	return ca
}

func testNode(t testing.TB, ca *CA, id string) *NodeCredentials {
	t.Helper()
	creds, err := ca.IssueNode(id, []string{"127.0.0.1", "localhost"}, time.Now(), time.Hour)
	if err != nil {
		t.Fatalf("IssueNode(%q): %v", id, err)
	}
	return creds
}

type handshakeResult struct {
	serverPeer string // PeerNodeID seen by the server
	serverErr  error
	clientErr  error
	clientPeer string      // PeerNodeID of the client's connection state
	resumed    bool        // the client's connection resumed a session
	curve      tls.CurveID // the key exchange the client's connection used
}

// handshake runs one TLS connection over loopback. The server writes "ok"
// after a successful handshake and the client reads it, because in TLS 1.3
// the client's handshake completes before the server has judged the client
// certificate: a refusal shows only on the client's first read.
func handshake(t *testing.T, serverCfg, clientCfg *tls.Config) handshakeResult {
	t.Helper()
	return handshakeWith(t, serverCfg, clientCfg, PeerNodeID)
}

// handshakeWith is handshake with the server learning its peer with peerID.
func handshakeWith(t *testing.T, serverCfg, clientCfg *tls.Config, peerID func(*tls.ConnectionState) (string, error)) handshakeResult {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type serverOutcome struct {
		peer string
		err  error
	}
	done := make(chan serverOutcome, 1)
	go func() { // owned by this function: it returns only after reading done
		conn, err := ln.Accept()
		if err != nil {
			done <- serverOutcome{err: err}
			return
		}
		defer conn.Close()
		tc := tls.Server(conn, serverCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			done <- serverOutcome{err: err}
			return
		}
		cs := tc.ConnectionState()
		peer, err := peerID(&cs)
		if err == nil {
			_, err = tc.Write([]byte("ok"))
		}
		done <- serverOutcome{peer: peer, err: err}
	}()

	dialer := tls.Dialer{Config: clientCfg}
	var resumed bool
	var curve tls.CurveID
	var clientPeer string
	conn, err := dialer.DialContext(ctx, "tcp", ln.Addr().String())
	if err == nil {
		if dl, ok := ctx.Deadline(); ok {
			conn.SetDeadline(dl)
		}
		buf := make([]byte, 2)
		_, err = io.ReadFull(conn, buf)
		if err == nil && string(buf) != "ok" {
			err = errors.New("unexpected reply " + string(buf))
		}
		cs := conn.(*tls.Conn).ConnectionState()
		resumed, curve = cs.DidResume, cs.CurveID
		clientPeer, _ = PeerNodeID(&cs)
		conn.Close()
	}
	ln.Close() // unblocks Accept if the client never connected
	s := <-done
	return handshakeResult{serverPeer: s.peer, serverErr: s.err, clientErr: err, clientPeer: clientPeer, resumed: resumed, curve: curve}
}

func TestMutualTLS(t *testing.T) {
	ca := testCA(t, "network CA")
	other := testCA(t, "rogue CA")
	nodeA := testNode(t, ca, "352063")
	nodeB := testNode(t, ca, "350001")
	nodeC := testNode(t, ca, "national")
	rogueA := testNode(t, other, "352063")
	rogueB := testNode(t, other, "350001")

	expiredA, err := ca.IssueNode("352063", nil, time.Now().Add(-3*time.Hour), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	expiredB, err := ca.IssueNode("350001", nil, time.Now().Add(-3*time.Hour), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	expiredA.SigningKey, expiredB.SigningKey = nodeA.SigningKey, nodeB.SigningKey
	terminal, err := ca.IssueTerminal("352063", "T01", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	tls12 := nodeA.ClientTLSConfig("350001")
	tls12.MaxVersion = tls.VersionTLS12
	tls12.MinVersion = tls.VersionTLS12

	// The client trusts the right CA but presents a certificate from another.
	// GetClientCertificate sends it even though the server asks for its CA.
	rogueClient := nodeA.ClientTLSConfig("350001")
	rogueClient.Certificates = nil
	rogueClient.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		return &rogueA.Certificate, nil
	}

	withTerminalCert := nodeA.ClientTLSConfig("350001")
	withTerminalCert.Certificates = []tls.Certificate{terminal.Certificate}

	noClientCert := nodeA.ClientTLSConfig("350001")
	noClientCert.Certificates = nil

	// The host name check passes (national's DNS name), so only the
	// VerifyConnection check of the URI stands between A and the wrong node.
	serverNameOverride := nodeA.ClientTLSConfig("350001")
	serverNameOverride.ServerName = NodeDNSName("national")

	tests := []struct {
		name       string
		server     *tls.Config
		client     *tls.Config
		wantPeer   string // PeerNodeID seen by the server; empty: the handshake must fail
		clientSide bool   // the failure is decided by the client (else by the server)
		wantErr    string // in the deciding side's error
	}{
		{name: "A to B succeeds", server: nodeB.ServerTLSConfig(), client: nodeA.ClientTLSConfig("350001"), wantPeer: "352063"},
		{name: "B to national succeeds", server: nodeC.ServerTLSConfig(), client: nodeB.ClientTLSConfig("national"), wantPeer: "350001"},
		// A calls B's listener: B's handlers see A, whatever they expected.
		{name: "server sees the caller's real ID", server: nodeB.ServerTLSConfig(), client: nodeC.ClientTLSConfig("350001"), wantPeer: "national"},
		{name: "client cert from another CA", server: nodeB.ServerTLSConfig(), client: rogueClient, wantErr: "unknown authority"},
		{name: "server cert from another CA", server: rogueB.ServerTLSConfig(), client: nodeA.ClientTLSConfig("350001"), clientSide: true, wantErr: "unknown authority"},
		{name: "TLS 1.2 forced on the client", server: nodeB.ServerTLSConfig(), client: tls12, wantErr: "unsupported versions"},
		{name: "server is not the expected peer", server: nodeC.ServerTLSConfig(), client: nodeA.ClientTLSConfig("350001"), clientSide: true, wantErr: "not 350001.node.jukinet"},
		{name: "server name overridden, URI still checked", server: nodeC.ServerTLSConfig(), client: serverNameOverride, clientSide: true, wantErr: "expected node 350001, the server is node national"},
		{name: "expired client certificate", server: nodeB.ServerTLSConfig(), client: expiredA.ClientTLSConfig("350001"), wantErr: "expired"},
		{name: "expired server certificate", server: expiredB.ServerTLSConfig(), client: nodeA.ClientTLSConfig("350001"), clientSide: true, wantErr: "expired"},
		{name: "terminal certificate on the network listener", server: nodeB.ServerTLSConfig(), client: withTerminalCert, wantErr: "terminal certificate is not a node certificate"},
		{name: "no client certificate", server: nodeB.ServerTLSConfig(), client: noClientCert, wantErr: "didn't provide a certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := handshake(t, tt.server, tt.client)
			if tt.wantPeer != "" {
				if r.serverErr != nil || r.clientErr != nil {
					t.Fatalf("handshake failed: server error %v, client error %v; want success", r.serverErr, r.clientErr)
				}
				if r.serverPeer != tt.wantPeer {
					t.Errorf("server's PeerNodeID = %q, want %q", r.serverPeer, tt.wantPeer)
				}
				return
			}
			if r.serverErr == nil || r.clientErr == nil {
				t.Fatalf("handshake: server error %v, client error %v; want both to fail", r.serverErr, r.clientErr)
			}
			// Check the side that decides, so a case cannot pass for the
			// wrong reason; the other side only sees the alert.
			decider, side := r.serverErr, "server"
			if tt.clientSide {
				decider, side = r.clientErr, "client"
			}
			if isRemoteAlert(decider) || !strings.Contains(decider.Error(), tt.wantErr) {
				t.Errorf("%s error = %v; want the %s to refuse with %q", side, decider, side, tt.wantErr)
			}
		})
	}
}

// isRemoteAlert reports whether err is an alert received from the other side.
func isRemoteAlert(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error"
}

func TestPeerNodeIDWithoutVerifiedChain(t *testing.T) {
	ca := testCA(t, "network CA")
	node := testNode(t, ca, "352063")
	tests := []struct {
		name string
		cs   *tls.ConnectionState
	}{
		{"nil state", nil},
		{"no certificates", &tls.ConnectionState{}},
		{"unverified certificate", &tls.ConnectionState{PeerCertificates: []*x509.Certificate{node.Leaf()}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := PeerNodeID(tt.cs)
			if !jukinet.IsKind(err, jukinet.KindUnauthorized) {
				t.Errorf("PeerNodeID = %q, %v; want a KindUnauthorized error", id, err)
			}
		})
	}
}

// The terminal listener (G2.5, G12) admits a terminal certificate of its own
// node and learns the terminal from it; another node's terminal, a node's
// certificate, a certificate from another CA and (outside the demo setting)
// no certificate are refused at the handshake.
func TestTerminalTLS(t *testing.T) {
	ca := testCA(t, "network CA")
	other := testCA(t, "rogue CA")
	hofu := testNode(t, ca, "352063")
	yamaguchi := testNode(t, ca, "352012")
	issue := func(ca *CA, node, term string) tls.Certificate {
		c, err := ca.IssueTerminal(node, term, time.Now(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return c.Certificate
	}
	client := func(certs ...tls.Certificate) *tls.Config {
		// The terminal trusts the network CA for the node's server certificate.
		return &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: ca.Pool(), ServerName: "127.0.0.1", Certificates: certs}
	}
	// GetClientCertificate sends a certificate even when the server asks for
	// another CA's.
	rogue := client()
	rogueCert := issue(other, "352063", "T01")
	rogue.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &rogueCert, nil }
	peer := func(cs *tls.ConnectionState) (string, error) {
		if len(cs.PeerCertificates) == 0 {
			return "", nil // the demo setting's terminal without a certificate
		}
		return PeerTerminalID(cs, "352063")
	}
	tests := []struct {
		name     string
		optional bool
		client   *tls.Config
		wantPeer string
		wantErr  string // in the server's error; "" with wantPeer "" means success without a certificate
		fail     bool
	}{
		{name: "own terminal", client: client(issue(ca, "352063", "T01")), wantPeer: "T01"},
		{name: "another node's terminal", client: client(issue(ca, "352012", "T01")), fail: true, wantErr: "terminal of node 352012, not of 352063"},
		{name: "a node certificate", client: client(yamaguchi.Certificate), fail: true, wantErr: "node certificate is not a terminal certificate"},
		{name: "terminal of another CA", client: rogue, fail: true, wantErr: "unknown authority"},
		{name: "no certificate", client: client(), fail: true, wantErr: "didn't provide a certificate"},
		{name: "demo: no certificate", optional: true, client: client()},
		{name: "demo: own terminal", optional: true, client: client(issue(ca, "352063", "T02")), wantPeer: "T02"},
		{name: "demo: another node's terminal", optional: true, client: client(issue(ca, "352012", "T01")), fail: true, wantErr: "terminal of node 352012"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := handshakeWith(t, hofu.TerminalServerTLSConfig(tt.optional), tt.client, peer)
			if !tt.fail {
				if r.serverErr != nil || r.clientErr != nil {
					t.Fatalf("handshake failed: server %v, client %v", r.serverErr, r.clientErr)
				}
				if r.serverPeer != tt.wantPeer {
					t.Errorf("terminal = %q, want %q", r.serverPeer, tt.wantPeer)
				}
				return
			}
			if r.serverErr == nil || r.clientErr == nil {
				t.Fatalf("handshake: server %v, client %v; want both to fail", r.serverErr, r.clientErr)
			}
			if isRemoteAlert(r.serverErr) || !strings.Contains(r.serverErr.Error(), tt.wantErr) {
				t.Errorf("server error = %v, want %q", r.serverErr, tt.wantErr)
			}
		})
	}
}
