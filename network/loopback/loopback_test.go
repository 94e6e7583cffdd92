package loopback

import (
	"net"
	"strconv"
	"testing"
)

// TestFreePortIsOutsideTheEphemeralRange: every port handed out lies outside
// the range the kernel takes outgoing connections' ports from, can be bound
// at once, and is never handed out twice.
func TestFreePortIsOutsideTheEphemeralRange(t *testing.T) {
	elow, ehigh, ok := ephemeralRange()
	seen := map[int]bool{}
	for i := 0; i < 200; i++ {
		p, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		if ok && p >= elow && p <= ehigh {
			t.Fatalf("port %d lies in the ephemeral range %d–%d", p, elow, ehigh)
		}
		if p < defaultLow || p > 65535 {
			t.Fatalf("port %d outside %d–65535", p, defaultLow)
		}
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			t.Fatalf("port %d handed out but cannot be bound: %v", p, err)
		}
		l.Close()
	}
}

// TestFreePortSkipsATakenPort: a port some listener holds is never handed
// out.
func TestFreePortSkipsATakenPort(t *testing.T) {
	low, high := outsideEphemeral(ephemeralRange())
	held := map[int]bool{}
	// Hold every port of a small window the draw must step over.
	for p := low; p < low+50 && p <= high; p++ {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue
		}
		defer l.Close()
		held[p] = true
	}
	if len(held) < 10 {
		t.Fatalf("held %d ports of %d–%d: the window is mostly taken by others", len(held), low, low+49)
	}
	// A scan that starts at the window's first port steps over all of it.
	p, err := scan(low, high, low)
	if err != nil {
		t.Fatal(err)
	}
	if held[p] {
		t.Fatalf("port %d is held by a listener and was handed out", p)
	}
}

func TestFreeAddr(t *testing.T) {
	a, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(a)
	if err != nil || host != "127.0.0.1" || port == "" {
		t.Fatalf("FreeAddr = %q, want 127.0.0.1:port", a)
	}
}

func TestOutsideEphemeral(t *testing.T) {
	for _, tc := range []struct {
		elow, ehigh int
		ok          bool
		low, high   int
	}{
		{32768, 60999, true, 10000, 32767}, // Linux's default
		{10000, 30000, true, 30001, 65535}, // room only above
		{1024, 65000, true, 10000, 32767},  // no room: the default span
		{0, 0, false, 10000, 32767},        // unknown
	} {
		low, high := outsideEphemeral(tc.elow, tc.ehigh, tc.ok)
		if low != tc.low || high != tc.high {
			t.Errorf("outsideEphemeral(%d, %d, %v) = %d–%d, want %d–%d", tc.elow, tc.ehigh, tc.ok, low, high, tc.low, tc.high)
		}
	}
}

func TestParseRange(t *testing.T) {
	for _, tc := range []struct {
		in        string
		low, high int
		ok        bool
	}{
		{"32768\t60999\n", 32768, 60999, true},
		{"", 0, 0, false},
		{"5 x", 0, 0, false},
		{"60999 32768", 0, 0, false},
		{"0 100", 0, 0, false},
		{"1 70000", 0, 0, false},
	} {
		low, high, ok := parseRange(tc.in)
		if ok != tc.ok || ok && (low != tc.low || high != tc.high) {
			t.Errorf("parseRange(%q) = %d, %d, %v; want %d, %d, %v", tc.in, low, high, ok, tc.low, tc.high, tc.ok)
		}
	}
}

func FuzzParseRange(f *testing.F) {
	f.Add("32768 60999")
	f.Add("1 65535")
	f.Fuzz(func(t *testing.T, s string) {
		low, high, ok := parseRange(s)
		if ok && (low < 1 || high > 65535 || low > high) {
			t.Fatalf("parseRange(%q) = %d, %d accepted", s, low, high)
		}
	})
}
