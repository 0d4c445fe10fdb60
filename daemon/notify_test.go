package daemon

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/sdtest"
)

// fakeSystemd is the receiving end of NOTIFY_SOCKET.
type fakeSystemd struct{ *sdtest.Listener }

func listenNotify(t *testing.T, addr string) *fakeSystemd {
	t.Helper()
	return &fakeSystemd{sdtest.Listen(t, addr)}
}

// recv returns the next datagram and its sender's pid; ok is false when
// none arrives within limit.
func (f *fakeSystemd) recv(t *testing.T, limit time.Duration) (msg string, pid int, ok bool) {
	t.Helper()
	n, ok := f.Next(t, limit)
	return n.Msg, n.PID, ok
}

func (f *fakeSystemd) want(t *testing.T, want string) {
	t.Helper()
	msg, pid, ok := f.recv(t, 5*time.Second)
	if !ok {
		t.Fatalf("no notification; want %q", want)
	}
	if msg != want {
		t.Errorf("notification %q, want %q", msg, want)
	}
	if pid != os.Getpid() {
		t.Errorf("notification from pid %d, want %d", pid, os.Getpid())
	}
}

func (f *fakeSystemd) wantNothing(t *testing.T) {
	t.Helper()
	if msg, _, ok := f.recv(t, 200*time.Millisecond); ok {
		t.Errorf("unexpected notification %q", msg)
	}
}

// socketPath is short: t.TempDir() under a long TMPDIR can exceed the
// 108 bytes of sun_path.
func socketPath(t *testing.T) string {
	dir, err := os.MkdirTemp("", "sdn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "notify")
}

// inherited is what a process krenew starts sees of NOTIFY_SOCKET.
func inherited(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("sh", "-c", `echo "${NOTIFY_SOCKET-unset}"`).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

func TestNotifyReadyStatusStopping(t *testing.T) {
	for _, tc := range []struct{ name, addr string }{
		{"path", ""},
		{"abstract", fmt.Sprintf("@krenew-notify-test-%d-%d", os.Getpid(), time.Now().UnixNano())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := tc.addr
			if addr == "" {
				addr = socketPath(t)
			}
			sd := listenNotify(t, addr)
			t.Setenv("NOTIFY_SOCKET", addr)

			n, err := NotifyReady("renewing alice@EXAMPLE.ORG in FILE:/tmp/krb5cc_1000")
			if err != nil || n == nil {
				t.Fatalf("NotifyReady: %v, %v", n, err)
			}
			sd.want(t, "READY=1\nSTATUS=renewing alice@EXAMPLE.ORG in FILE:/tmp/krb5cc_1000")
			if v, ok := os.LookupEnv("NOTIFY_SOCKET"); ok {
				t.Errorf("NOTIFY_SOCKET still set to %q", v)
			}
			if got := inherited(t); got != "unset" {
				t.Errorf("a child process inherited NOTIFY_SOCKET=%q", got)
			}
			// The Notifier keeps the address the environment no longer has.
			if err := n.Status("line one\nREADY=1"); err != nil {
				t.Fatal(err)
			}
			sd.want(t, "STATUS=line one READY=1")
			if err := n.Stopping(); err != nil {
				t.Fatal(err)
			}
			sd.want(t, "STOPPING=1")
			sd.wantNothing(t)
		})
	}
}

func TestNotifyReadyWithoutStatus(t *testing.T) {
	addr := socketPath(t)
	sd := listenNotify(t, addr)
	t.Setenv("NOTIFY_SOCKET", addr)
	if _, err := NotifyReady(""); err != nil {
		t.Fatal(err)
	}
	sd.want(t, "READY=1")
}

// Outside systemd there is nothing to tell and nothing may fail; an empty
// NOTIFY_SOCKET counts as unset, as for sd_notify.
func TestNotifyWithoutSocketIsNoop(t *testing.T) {
	for _, set := range []bool{false, true} {
		t.Setenv("NOTIFY_SOCKET", "")
		if !set {
			os.Unsetenv("NOTIFY_SOCKET")
		}
		n, err := NotifyReady("renewing")
		if n != nil || err != nil {
			t.Fatalf("NotifyReady without NOTIFY_SOCKET (set empty: %v): %v, %v", set, n, err)
		}
		if _, ok := os.LookupEnv("NOTIFY_SOCKET"); ok {
			t.Error("empty NOTIFY_SOCKET left in the environment")
		}
		if err := n.Status("x"); err != nil {
			t.Errorf("Status on nil Notifier: %v", err)
		}
		if err := n.Stopping(); err != nil {
			t.Errorf("Stopping on nil Notifier: %v", err)
		}
	}
}

func TestNotifyRejectsOtherAddresses(t *testing.T) {
	for _, addr := range []string{"relative/notify", "@", "/", "vsock:2:1234"} {
		t.Run(addr, func(t *testing.T) {
			t.Setenv("NOTIFY_SOCKET", addr)
			n, err := NotifyReady("renewing")
			if err == nil || n != nil {
				t.Fatalf("NOTIFY_SOCKET=%q: %v, %v; want an error", addr, n, err)
			}
			if !strings.Contains(err.Error(), "NOTIFY_SOCKET") {
				t.Errorf("error %q does not name NOTIFY_SOCKET", err)
			}
			if _, ok := os.LookupEnv("NOTIFY_SOCKET"); ok {
				t.Error("NOTIFY_SOCKET left in the environment")
			}
		})
	}
}

func TestNotifyNobodyListening(t *testing.T) {
	addr := socketPath(t)
	t.Setenv("NOTIFY_SOCKET", addr)
	n, err := NotifyReady("renewing")
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("NotifyReady to a missing socket: %v; want an error naming %s", err, addr)
	}
	if n == nil {
		t.Fatal("no Notifier returned for a valid address")
	}
	if _, ok := os.LookupEnv("NOTIFY_SOCKET"); ok {
		t.Error("NOTIFY_SOCKET left in the environment")
	}
}

// A manager that stops reading fills the socket's queue; a notification
// must then fail after notifyTimeout instead of blocking the renewals.
func TestNotifyDoesNotBlockOnFullQueue(t *testing.T) {
	old := notifyTimeout
	notifyTimeout = 300 * time.Millisecond
	t.Cleanup(func() { notifyTimeout = old })
	addr := socketPath(t)
	listenNotify(t, addr) // never read
	n := &Notifier{addr: addr}
	status := strings.Repeat("x", 1000)
	for i := 0; i < 10000; i++ {
		began := time.Now()
		err := n.Status(status)
		if err == nil {
			continue
		}
		if took := time.Since(began); took < notifyTimeout || took > 10*notifyTimeout {
			t.Errorf("failed after %s, want about %s", took, notifyTimeout)
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("error %v, want a deadline error", err)
		}
		return
	}
	t.Fatal("10000 notifications into a socket nobody reads all succeeded")
}
