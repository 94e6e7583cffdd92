package pki

import (
	"crypto/tls"
	"crypto/x509"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
)

// revoke makes creds' list revoke serials, as a reload of a fresh CRL would.
func revoke(t *testing.T, ca *CA, r *Revocations, number int64, serials ...*big.Int) {
	t.Helper()
	var entries []x509.RevocationListEntry
	for _, s := range serials {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: s, RevocationTime: time.Now()})
	}
	rl, err := ca.RevocationList(entries, big.NewInt(number), time.Now(), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Load(EncodeCRLPEM(rl)); err != nil {
		t.Fatalf("Load: %v", err)
	}
}

// A revoked peer is refused at the handshake on both sides of the network
// listener, and the same configuration accepted it before the list was
// loaded: the reload reaches a configuration built earlier.
func TestRevokedPeerRefusedAtHandshake(t *testing.T) {
	ca := testCA(t, "network CA")
	server := testNode(t, ca, "350001")
	client := testNode(t, ca, "352063")
	other := testNode(t, ca, "402036")
	serverCfg, clientCfg := server.ServerTLSConfig(), client.ClientTLSConfig("350001")

	if got := handshake(t, serverCfg, clientCfg); got.serverErr != nil || got.clientErr != nil {
		t.Fatalf("before revocation: server %v, client %v", got.serverErr, got.clientErr)
	}
	revoke(t, ca, server.Revocations, 1, client.Leaf().SerialNumber)
	got := handshake(t, serverCfg, clientCfg)
	if got.serverErr == nil || !strings.Contains(got.serverErr.Error(), "revoked") {
		t.Errorf("revoked client: server error %v, want a revocation", got.serverErr)
	}
	if got.clientErr == nil {
		t.Error("revoked client: the client's first read succeeded")
	}
	// Another node is still accepted by the same configuration.
	if got := handshake(t, serverCfg, other.ClientTLSConfig("350001")); got.serverErr != nil || got.clientErr != nil {
		t.Errorf("unrevoked client: server %v, client %v", got.serverErr, got.clientErr)
	}
	// A client refuses a revoked server.
	revoke(t, ca, client.Revocations, 1, server.Leaf().SerialNumber)
	if got := handshake(t, server.ServerTLSConfig(), clientCfg); got.clientErr == nil || !strings.Contains(got.clientErr.Error(), "revoked") {
		t.Errorf("revoked server: client error %v, want a revocation", got.clientErr)
	}
}

func TestRevokedAgencyRefusedAtHandshake(t *testing.T) {
	ca := testCA(t, "network CA")
	national := testNode(t, ca, "national")
	agency, err := ca.IssueAgency("pension", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	serverCfg := national.AgencyServerTLSConfig()
	clientCfg := agency.ClientTLSConfig("national")
	clientCfg.RootCAs = ca.Pool()
	// The helper's server side asks for a node ID after the handshake, so
	// an agency passes the handshake and then fails that question.
	before := handshake(t, serverCfg, clientCfg)
	if before.serverErr == nil || strings.Contains(before.serverErr.Error(), "revoked") || strings.Contains(before.serverErr.Error(), "handshake") {
		t.Fatalf("before revocation: server %v, want only the helper's node-ID refusal", before.serverErr)
	}
	revoke(t, ca, national.Revocations, 1, agency.Certificate.Leaf.SerialNumber)
	if got := handshake(t, serverCfg, clientCfg); got.serverErr == nil || !strings.Contains(got.serverErr.Error(), "revoked") {
		t.Errorf("revoked agency: server %v, want a revocation at the handshake", got.serverErr)
	}
}

func TestRevokedTerminalCheck(t *testing.T) {
	ca := testCA(t, "network CA")
	term, err := ca.IssueTerminal("352063", "T01", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	r := NewRevocations(ca.Cert)
	if err := r.Check(term.Certificate.Leaf); err != nil {
		t.Fatalf("empty list: %v", err)
	}
	revoke(t, ca, r, 1, term.Certificate.Leaf.SerialNumber)
	if err := r.Check(term.Certificate.Leaf); !jukinet.IsKind(err, jukinet.KindUnauthorized) {
		t.Errorf("revoked terminal: %v, want KindUnauthorized", err)
	}
}

func TestRevocationsLoadRefuses(t *testing.T) {
	ca := testCA(t, "network CA")
	rogue := testCA(t, "rogue CA")
	n := testNode(t, ca, "352063")
	r := NewRevocations(ca.Cert)
	revoke(t, ca, r, 5, n.Leaf().SerialNumber)

	rl, err := rogue.RevocationList(nil, big.NewInt(9), time.Now(), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Load(EncodeCRLPEM(rl)); !jukinet.IsKind(err, jukinet.KindInvalid) {
		t.Errorf("another CA's list: %v, want KindInvalid", err)
	}
	older, err := ca.RevocationList(nil, big.NewInt(4), time.Now(), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Load(EncodeCRLPEM(older)); !jukinet.IsKind(err, jukinet.KindConflict) {
		t.Errorf("an older list: %v, want KindConflict", err)
	}
	if err := r.Load([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")); !jukinet.IsKind(err, jukinet.KindInvalid) {
		t.Errorf("not a CRL: %v, want KindInvalid", err)
	}
	// None of the refused lists replaced the loaded one.
	if err := r.Check(n.Leaf()); err == nil {
		t.Error("the revocation was lost after refused loads")
	}
	if num, _ := r.Number(); num.Int64() != 5 {
		t.Errorf("Number = %v, want 5", num)
	}
}

// RevokeFiles writes a list the node's files load, numbered one past the
// last, keeping earlier entries; a missing file does not clear a loaded list.
func TestRevokeFilesRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	if _, err := Init(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	a, err := IssueNodeFiles(dir, "352063", nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := IssueNodeFiles(dir, "352012", nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RevokeFiles(dir, []*big.Int{a.Leaf().SerialNumber}, 1, Options{}); err != nil {
		t.Fatal(err)
	}
	rl, err := RevokeFiles(dir, []*big.Int{b.Leaf().SerialNumber, a.Leaf().SerialNumber}, 0, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rl.Number.Int64() != 2 || len(rl.RevokedCertificateEntries) != 2 {
		t.Errorf("second list: number %v with %d entries, want 2 with 2", rl.Number, len(rl.RevokedCertificateEntries))
	}
	creds, err := LoadNode(dir, "352063")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, CRLFile)
	if found, err := creds.Revocations.LoadFile(path); !found || err != nil {
		t.Fatalf("LoadFile: found %v, %v", found, err)
	}
	for _, c := range []*NodeCredentials{a, b} {
		if err := creds.Revocations.Check(c.Leaf()); err == nil {
			t.Errorf("%s: not revoked after LoadFile", c.NodeID)
		}
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if found, err := creds.Revocations.LoadFile(path); found || err != nil {
		t.Fatalf("LoadFile of a missing file: found %v, %v", found, err)
	}
	if creds.Revocations.Len() != 2 {
		t.Errorf("after the file was removed: %d revoked, want 2", creds.Revocations.Len())
	}
	if _, err := RevokeFiles(dir, nil, 0, Options{}); !jukinet.IsKind(err, jukinet.KindInvalid) {
		t.Errorf("no serial: %v, want KindInvalid", err)
	}
}

// A revoked terminal certificate is refused at the terminal listener's
// handshake; another terminal of the node still gets in.
func TestRevokedTerminalRefusedAtHandshake(t *testing.T) {
	ca := testCA(t, "network CA")
	hofu := testNode(t, ca, "352063")
	issue := func(term string) tls.Certificate {
		c, err := ca.IssueTerminal("352063", term, time.Now(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return c.Certificate
	}
	stolen, kept := issue("T01"), issue("T02")
	client := func(cert tls.Certificate) *tls.Config {
		return &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: ca.Pool(), ServerName: "127.0.0.1", Certificates: []tls.Certificate{cert}}
	}
	serverCfg := hofu.TerminalServerTLSConfig(false)
	peer := func(cs *tls.ConnectionState) (string, error) { return PeerTerminalID(cs, "352063") }
	if got := handshakeWith(t, serverCfg, client(stolen), peer); got.serverErr != nil || got.clientErr != nil {
		t.Fatalf("before revocation: server %v, client %v", got.serverErr, got.clientErr)
	}
	revoke(t, ca, hofu.Revocations, 1, stolen.Leaf.SerialNumber)
	if got := handshakeWith(t, serverCfg, client(stolen), peer); got.serverErr == nil || !strings.Contains(got.serverErr.Error(), "revoked") {
		t.Errorf("revoked terminal: server error %v, want a revocation", got.serverErr)
	}
	if got := handshakeWith(t, serverCfg, client(kept), peer); got.serverErr != nil || got.clientErr != nil {
		t.Errorf("another terminal: server %v, client %v", got.serverErr, got.clientErr)
	}
}

// onResumed wraps cfg's VerifyConnection to count the handshakes it judged
// on a resumed session (the refusal below must come from such a one).
func onResumed(cfg *tls.Config, resumed *int) *tls.Config {
	cfg = cfg.Clone()
	verify := cfg.VerifyConnection
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if cs.DidResume {
			*resumed++
		}
		return verify(cs)
	}
	return cfg
}

// A node resumes its session with a peer it met before (no certificate
// chain verified again, the hybrid post-quantum key exchange kept), and a
// revocation loaded since the session was issued refuses the resumed
// handshake on both sides: the server refuses a revoked client, the client a
// revoked server.
func TestRevokedPeerRefusedOnResumedSession(t *testing.T) {
	ca := testCA(t, "network CA")
	server := testNode(t, ca, "350001")
	client := testNode(t, ca, "352063")
	var serverResumed, clientResumed int
	serverCfg := onResumed(server.ServerTLSConfig(), &serverResumed)
	clientCfg := onResumed(client.ClientTLSConfig("350001"), &clientResumed)

	first := handshake(t, serverCfg, clientCfg)
	if first.serverErr != nil || first.clientErr != nil || first.resumed {
		t.Fatalf("first handshake: server %v, client %v, resumed %v; want a full handshake", first.serverErr, first.clientErr, first.resumed)
	}
	again := handshake(t, serverCfg, clientCfg)
	if again.serverErr != nil || again.clientErr != nil || !again.resumed || again.serverPeer != "352063" {
		t.Fatalf("second handshake: server %v, client %v, resumed %v, peer %q; want a resumed session with 352063",
			again.serverErr, again.clientErr, again.resumed, again.serverPeer)
	}
	// network.Client names the server of each answer by its verified chain.
	if again.clientPeer != "350001" {
		t.Errorf("resumed session: the client's PeerNodeID is %q, want 350001", again.clientPeer)
	}
	if again.curve != tls.X25519MLKEM768 {
		t.Errorf("resumed key exchange %v, want %v", again.curve, tls.X25519MLKEM768)
	}

	revoke(t, ca, server.Revocations, 1, client.Leaf().SerialNumber)
	before := serverResumed
	got := handshake(t, serverCfg, clientCfg)
	if got.serverErr == nil || !strings.Contains(got.serverErr.Error(), "revoked") {
		t.Errorf("revoked client on a resumed session: server error %v, want a revocation", got.serverErr)
	}
	if got.clientErr == nil {
		t.Error("revoked client on a resumed session: the client's first read succeeded")
	}
	if serverResumed == before {
		t.Error("the server judged no resumed handshake: the refusal was not of a resumed session")
	}

	// The client refuses a server revoked since its session was issued.
	other := testNode(t, ca, "402036")
	otherCfg := onResumed(other.ClientTLSConfig("350001"), &clientResumed)
	if got := handshake(t, serverCfg, otherCfg); got.clientErr != nil || got.serverErr != nil {
		t.Fatalf("402036's first handshake: server %v, client %v", got.serverErr, got.clientErr)
	}
	if got := handshake(t, serverCfg, otherCfg); !got.resumed || got.clientErr != nil || got.serverErr != nil {
		t.Fatalf("402036's second handshake: resumed %v, server %v, client %v; want a resumed session", got.resumed, got.serverErr, got.clientErr)
	}
	revoke(t, ca, other.Revocations, 1, server.Leaf().SerialNumber)
	before = clientResumed
	if got := handshake(t, serverCfg, otherCfg); got.clientErr == nil || !strings.Contains(got.clientErr.Error(), "revoked") {
		t.Errorf("revoked server on a resumed session: client error %v, want a revocation", got.clientErr)
	}
	if clientResumed == before {
		t.Error("the client judged no resumed handshake: the refusal was not of a resumed session")
	}
}
