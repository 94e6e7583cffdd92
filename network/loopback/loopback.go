// Package loopback hands out loopback TCP ports for listeners whose address
// others must know before the listener starts: a node's network_addr written
// into network.toml for `jukinet serve` processes started later, a private
// PostgreSQL or etcd server's port.
//
// A port the kernel picked for a listener on port 0, closed at once, is free
// only for a moment: it lies in the ephemeral range the kernel also takes
// every outgoing connection's local port from, so any connection made before
// the real listener binds can take it. The ports handed out here lie outside
// that range, and none is handed out twice by one process.
package loopback

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// The span FreePort draws from when the kernel's ephemeral range cannot be
// read: above the common services' ports, below Linux's default 32768–60999.
const (
	defaultLow  = 10000
	defaultHigh = 32767
)

var (
	mu     sync.Mutex
	handed = map[int]bool{}
)

// FreePort returns a port on 127.0.0.1 that nothing listened on when it
// was checked, outside the kernel's ephemeral port range (unless that range
// leaves fewer than 1,000 ports above 10000: then from the default span),
// and not returned before by this process.
func FreePort() (int, error) {
	low, high := outsideEphemeral(ephemeralRange())
	return scan(low, high, low+rand.IntN(high-low+1))
}

// scan steps from start through low–high, wrapping, to the first port
// neither handed out nor bindable by a listener now.
func scan(low, high, start int) (int, error) {
	mu.Lock()
	defer mu.Unlock()
	for i := 0; i <= high-low; i++ {
		p := low + (start-low+i)%(high-low+1)
		if handed[p] {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue // taken, by a listener of this process or another's
		}
		l.Close()
		handed[p] = true
		return p, nil
	}
	return 0, fmt.Errorf("loopback: no free port in %d–%d", low, high)
}

// FreeAddr is FreePort as a "127.0.0.1:port" address.
func FreeAddr() (string, error) {
	p, err := FreePort()
	if err != nil {
		return "", err
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), nil
}

// ephemeralRange reads Linux's local port range; ok is false elsewhere.
func ephemeralRange() (low, high int, ok bool) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, 0, false
	}
	return parseRange(string(b))
}

// parseRange reads "low high" as the kernel writes it.
func parseRange(s string) (low, high int, ok bool) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, 0, false
	}
	low, err1 := strconv.Atoi(f[0])
	high, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || low < 1 || high > 65535 || low > high {
		return 0, 0, false
	}
	return low, high, true
}

// outsideEphemeral is the wider of the spans below and above the ephemeral
// range, staying above the well-known and common service ports (below
// 10000); the default span when the range is unknown or leaves no room.
func outsideEphemeral(elow, ehigh int, ok bool) (low, high int) {
	if !ok {
		return defaultLow, defaultHigh
	}
	below, above := elow-1-defaultLow, 65535-(ehigh+1)
	switch {
	case below >= above && below >= 1000:
		return defaultLow, elow - 1
	case above > below && above >= 1000:
		return ehigh + 1, 65535
	}
	return defaultLow, defaultHigh
}
