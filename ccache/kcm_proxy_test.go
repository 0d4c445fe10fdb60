package ccache

import (
	"encoding/binary"
	"io"
	"net"
	"path/filepath"
	"sync"
	"testing"
)

// kcmProxy sits between a client and a real daemon and counts the
// requests by opcode, to see what a store sends to Heimdal.
type kcmProxy struct {
	socket string
	mu     sync.Mutex
	calls  map[kcmOp]int
}

func (p *kcmProxy) count(op kcmOp) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[op]
}

func startKCMProxy(t *testing.T, upstream string) *kcmProxy {
	t.Helper()
	p := &kcmProxy{socket: filepath.Join(shortSocketDir(t), "proxy.sock"), calls: map[kcmOp]int{}}
	serveUnix(t, p.socket, func(c net.Conn) {
		up, err := net.Dial("unix", upstream)
		if err != nil {
			return
		}
		defer up.Close()
		p.relay(c, up)
	})
	return p
}

// relay forwards one request frame and one reply frame at a time.
func (p *kcmProxy) relay(c, up net.Conn) {
	for {
		var l [4]byte
		if _, err := io.ReadFull(c, l[:]); err != nil {
			return
		}
		req := make([]byte, binary.BigEndian.Uint32(l[:]))
		if _, err := io.ReadFull(c, req); err != nil {
			return
		}
		if len(req) >= 4 {
			p.mu.Lock()
			p.calls[kcmOp(binary.BigEndian.Uint16(req[2:]))]++
			p.mu.Unlock()
		}
		if _, err := up.Write(append(l[:], req...)); err != nil {
			return
		}
		var hdr [8]byte
		if _, err := io.ReadFull(up, hdr[:]); err != nil {
			return
		}
		reply := make([]byte, binary.BigEndian.Uint32(hdr[:4]))
		if _, err := io.ReadFull(up, reply); err != nil {
			return
		}
		if _, err := c.Write(append(hdr[:], reply...)); err != nil {
			return
		}
	}
}
