// Package sdtest plays systemd's part of the sd_notify protocol in tests:
// the receiving end of NOTIFY_SOCKET, which records each message and the
// pid that sent it (systemd accepts notifications from the main pid only).
package sdtest

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Listener is a datagram socket with SO_PASSCRED, as systemd sets it up.
type Listener struct {
	// Addr is what NOTIFY_SOCKET should be set to.
	Addr string
	conn *net.UnixConn
}

// Notification is one datagram and its sender.
type Notification struct {
	Msg string
	PID int
}

// Listen binds addr (a path, or "@name" for an abstract socket); an empty
// addr gets a short path of its own, because sun_path holds only 108
// bytes and a TempDir under a long TMPDIR may not fit.
func Listen(t testing.TB, addr string) *Listener {
	t.Helper()
	if addr == "" {
		dir, err := os.MkdirTemp("", "sdn")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		addr = filepath.Join(dir, "notify")
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	raw, err := conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_PASSCRED, 1)
	}); err != nil || serr != nil {
		t.Fatalf("SO_PASSCRED: %v %v", err, serr)
	}
	return &Listener{Addr: addr, conn: conn}
}

// Next returns the next notification, or false when none comes within
// limit.
func (l *Listener) Next(t testing.TB, limit time.Duration) (Notification, bool) {
	t.Helper()
	l.conn.SetReadDeadline(time.Now().Add(limit))
	buf := make([]byte, 4096)
	oob := make([]byte, syscall.CmsgSpace(syscall.SizeofUcred))
	n, oobn, _, _, err := l.conn.ReadMsgUnix(buf, oob)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return Notification{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		t.Fatalf("control messages: %v (%d)", err, len(msgs))
	}
	cred, err := syscall.ParseUnixCredentials(&msgs[0])
	if err != nil {
		t.Fatal(err)
	}
	return Notification{Msg: string(buf[:n]), PID: int(cred.Pid)}, true
}

// None fails the test if a notification arrives within limit.
func (l *Listener) None(t testing.TB, limit time.Duration) {
	t.Helper()
	if n, ok := l.Next(t, limit); ok {
		t.Errorf("unexpected notification %q from pid %d", n.Msg, n.PID)
	}
}
