package pki

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"net"
	"testing"
	"time"
)

func BenchmarkIssueNode(b *testing.B) {
	ca := testCA(b, "bench CA")
	now := time.Now()
	for b.Loop() {
		if _, err := ca.IssueNode("352063", []string{"127.0.0.1"}, now, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMutualHandshake is the CPU cost of one mutual TLS 1.3 handshake
// between two nodes (both sides), over an in-memory pipe.
func BenchmarkMutualHandshake(b *testing.B) {
	ca := testCA(b, "bench CA")
	server := testNode(b, ca, "350001").ServerTLSConfig()
	client := testNode(b, ca, "352063").ClientTLSConfig("350001")
	ctx := context.Background()
	for b.Loop() {
		c1, c2 := net.Pipe()
		errc := make(chan error, 1)
		go func() { // exits when the handshake ends; the pipe is closed below
			errc <- tls.Server(c2, server).HandshakeContext(ctx)
		}()
		err := tls.Client(c1, client).HandshakeContext(ctx)
		if serr := <-errc; err == nil {
			err = serr
		}
		c1.Close()
		c2.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParsePublicKey(b *testing.B) {
	key, _ := NewSigningKey(nil)
	text := FormatPublicKey(key.Public().(ed25519.PublicKey))
	for b.Loop() {
		if _, err := ParsePublicKey(text); err != nil {
			b.Fatal(err)
		}
	}
}
