package testkdc

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// FreePort returns a port that is free on 127.0.0.1 for both UDP and TCP and
// keeps it reserved against every other testkdc user, in this process or in
// another test binary, until t ends. Use it for a KDC address that must stay
// dead (outage tests) as well as for real KDCs.
func FreePort(t testing.TB) int {
	t.Helper()
	port, release, err := reservePort()
	if err != nil {
		t.Fatalf("testkdc: %v", err)
	}
	t.Cleanup(release)
	return port
}

// reservePort picks a port and takes the cross-process lock for it. The lock
// matters because krb5kdc binds with address/port reuse: a second KDC on a
// busy port starts without any error and silently shares the port, so a
// bind failure cannot be relied on to detect a collision.
func reservePort() (int, func(), error) {
	lo, hi := candidateRange()
	for range 500 {
		port := lo + rand.IntN(hi-lo)
		release, ok := lockPort(port)
		if !ok {
			continue
		}
		if portFree(port) {
			return port, release, nil
		}
		release()
	}
	return 0, nil, errors.New("no port free on 127.0.0.1 for both udp and tcp")
}

// portFree probes with sockets that do not ask for address reuse, so a KDC
// already bound there (which does use reuse) makes the probe fail.
func portFree(port int) bool {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	u, err := net.ListenPacket("udp4", addr)
	if err != nil {
		return false
	}
	defer u.Close()
	l, err := net.Listen("tcp4", addr)
	if err != nil {
		return false
	}
	return l.Close() == nil
}

// candidateRange keeps clear of the kernel's ephemeral range, because every
// UDP request a Kerberos client sends comes from an ephemeral port, and one of
// those could otherwise land on a port we hand out.
func candidateRange() (lo, hi int) {
	const floor, ceil, span = 10000, 65536, 10000
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 20000, 30000
	}
	var elo, ehi int
	if _, err := fmt.Sscan(strings.TrimSpace(string(b)), &elo, &ehi); err != nil {
		return 20000, 30000
	}
	switch {
	case elo-span >= floor:
		return elo - span, elo
	case ehi+1+span <= ceil:
		return ehi + 1, ehi + 1 + span
	default:
		return floor, ceil
	}
}
