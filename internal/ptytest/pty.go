package ptytest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// PTY is a pseudo-terminal pair. The master stays with the test; the slave
// goes to the one process Start runs.
type PTY struct {
	master *os.File
	slave  *os.File

	mu      sync.Mutex
	out     bytes.Buffer
	changed chan struct{} // closed and replaced whenever out grows
	done    chan struct{} // closed when every slave descriptor is gone

	cmd     *exec.Cmd     // the process Start ran, nil before
	exited  chan struct{} // closed when cmd.Wait has returned
	waitErr error         // cmd.Wait's result, valid once exited is closed
}

// Open makes a pty with the kernel's default settings (echo on, canonical
// mode, signals) and starts recording its output. Both sides are closed when
// the test ends.
func Open(t testing.TB) *PTY {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("ptytest: open pty master: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	var n uint32
	var ierr error
	control(t, master, func(fd int) {
		if ierr = unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); ierr != nil {
			return
		}
		n, ierr = unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	})
	if ierr != nil {
		t.Fatalf("ptytest: unlock pty: %v", ierr)
	}
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("ptytest: open pty slave: %v", err)
	}
	t.Cleanup(func() { slave.Close() })
	p := &PTY{master: master, slave: slave, changed: make(chan struct{}), done: make(chan struct{})}
	go p.collect()
	return p
}

// Slave is the terminal side, for a caller that wants it at a particular
// descriptor of the child (put it in cmd.ExtraFiles before Start) or wants
// to chown it the way login does. Start closes it.
func (p *PTY) Slave() *os.File { return p.slave }

// control runs fn on f's descriptor without File.Fd, which would switch the
// master to blocking mode and stop Close from ending the collector's read.
func control(t testing.TB, f *os.File, fn func(fd int)) {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatalf("ptytest: %v", err)
	}
	if err := rc.Control(func(fd uintptr) { fn(int(fd)) }); err != nil {
		t.Fatalf("ptytest: %v", err)
	}
}

// collect records everything the terminal displays until the last slave
// descriptor is closed (the master's read then fails with EIO) or the
// master is closed.
func (p *PTY) collect() {
	defer close(p.done)
	buf := make([]byte, 4096)
	for {
		n, err := p.master.Read(buf)
		if n > 0 {
			p.mu.Lock()
			p.out.Write(buf[:n])
			close(p.changed)
			p.changed = make(chan struct{})
			p.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// Output is everything the terminal has displayed so far, with the
// terminal's own translations (a program's "\n" shows as "\r\n").
func (p *PTY) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// Expect waits until the output contains want and returns the output. It
// fails the test, showing the output, when timeout passes or the terminal
// is closed first.
func (p *PTY) Expect(t testing.TB, want string, timeout time.Duration) string {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		out, changed := p.out.String(), p.changed
		p.mu.Unlock()
		if strings.Contains(out, want) {
			return out
		}
		select {
		case <-changed:
		case <-p.done:
			if out := p.Output(); strings.Contains(out, want) {
				return out
			}
			t.Fatalf("ptytest: terminal closed without showing %q; it showed %q", want, p.Output())
		case <-deadline.C:
			t.Fatalf("ptytest: terminal did not show %q within %v; it showed %q", want, timeout, p.Output())
		}
	}
}

// WaitClosed waits until no process holds the slave any more, so Output is
// complete. It fails the test after timeout.
func (p *PTY) WaitClosed(t testing.TB, timeout time.Duration) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("ptytest: terminal still open after %v; it showed %q", timeout, p.Output())
	}
}

// Write types s into the terminal, as a keyboard would: "\n" is Enter,
// "\x03" is ^C, "\x04" is ^D.
func (p *PTY) Write(t testing.TB, s string) {
	t.Helper()
	if _, err := p.master.WriteString(s); err != nil {
		t.Fatalf("ptytest: type into terminal: %v", err)
	}
}

// Termios reads the terminal's current settings through the master (on
// Linux, termios ioctls on a pty master apply to its slave), so it works
// while a process holds the slave and after it has gone.
func (p *PTY) Termios(t testing.TB) unix.Termios {
	t.Helper()
	var tio *unix.Termios
	var err error
	control(t, p.master, func(fd int) { tio, err = unix.IoctlGetTermios(fd, unix.TCGETS) })
	if err != nil {
		t.Fatalf("ptytest: read terminal settings: %v", err)
	}
	return *tio
}
