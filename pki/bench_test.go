package pki

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"net"
	"syscall"
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
// between two nodes meeting for the first time (both sides), over an
// in-memory pipe. The client keeps no session: offered one, the server
// would write tickets the client never reads, and the pipe would block.
func BenchmarkMutualHandshake(b *testing.B) {
	ca := testCA(b, "bench CA")
	server := testNode(b, ca, "350001").ServerTLSConfig()
	client := testNode(b, ca, "352063").ClientTLSConfig("350001")
	client.ClientSessionCache = nil
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

// BenchmarkReconnect is the CPU cost of a node's connection to a peer it
// met before (both sides, over loopback TCP, the server's first byte
// read so that the client keeps the session ticket): "full" without a
// session cache, "resumed" with the node's (NodeCredentials.Sessions).
func BenchmarkReconnect(b *testing.B) {
	ca := testCA(b, "bench CA")
	server := testNode(b, ca, "350001").ServerTLSConfig()
	client := testNode(b, ca, "352063").ClientTLSConfig("350001")
	noCache := client.Clone()
	noCache.ClientSessionCache = nil
	for _, tc := range []struct {
		name   string
		client *tls.Config
	}{{"full", noCache}, {"resumed", client}} {
		b.Run(tc.name, func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer ln.Close()
			connect(b, ln, server, tc.client) // the first meeting
			cpu0 := cpuTime(b)
			for b.Loop() {
				if resumed := connect(b, ln, server, tc.client); resumed != (tc.client.ClientSessionCache != nil) {
					b.Fatalf("resumed %v", resumed)
				}
			}
			// CPU, not wall time: the machine is shared.
			b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// connect handshakes over loopback TCP (a resumed server's first flight
// carries its tickets, which a synchronous pipe would block on), the server
// writes a byte and the client reads it (taking the session ticket sent
// before it); it reports whether the client resumed.
func connect(b *testing.B, ln net.Listener, server, client *tls.Config) bool {
	errc := make(chan error, 1)
	go func() { // exits once the byte is written or the handshake fails
		c, err := ln.Accept()
		if err != nil {
			errc <- err
			return
		}
		defer c.Close()
		s := tls.Server(c, server)
		if err = s.Handshake(); err == nil {
			_, err = s.Write([]byte{1})
		}
		errc <- err
	}()
	c, err := tls.Dial("tcp", ln.Addr().String(), client)
	if err == nil {
		_, err = c.Read(make([]byte, 1))
		defer c.Close()
	}
	if serr := <-errc; err == nil {
		err = serr
	}
	if err != nil {
		b.Fatal(err)
	}
	return c.ConnectionState().DidResume
}

// cpuTime is the process's CPU time, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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
