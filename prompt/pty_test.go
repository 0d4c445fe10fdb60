package prompt

import (
	"bytes"
	"fmt"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// ptyPair is a pseudo-terminal made without extra dependencies, so the
// prompt tests run where no terminal exists (CI).
type ptyPair struct {
	master *os.File
	slave  *os.File

	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

func openPTY(t *testing.T) *ptyPair {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty master: %v", err)
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
		t.Fatalf("unlock pty: %v", ierr)
	}
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty slave: %v", err)
	}
	t.Cleanup(func() { slave.Close() })
	p := &ptyPair{master: master, slave: slave, done: make(chan struct{})}
	go p.collect()
	return p
}

func control(t *testing.T, f *os.File, fn func(fd int)) {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Control(func(fd uintptr) { fn(int(fd)) }); err != nil {
		t.Fatal(err)
	}
}

// collect records everything the terminal displays until the last slave
// descriptor is closed (read then fails with EIO).
func (p *ptyPair) collect() {
	defer close(p.done)
	buf := make([]byte, 1024)
	for {
		n, err := p.master.Read(buf)
		p.mu.Lock()
		p.out.Write(buf[:n])
		p.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (p *ptyPair) output() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.out.Bytes())
}

func (p *ptyPair) waitOutput(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !bytes.Contains(p.output(), []byte(want)) {
		if time.Now().After(deadline) {
			t.Fatalf("terminal never showed %q; it showed %q", want, p.output())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// closed waits until the helper (the only other slave holder) is gone and all
// output is collected.
func (p *ptyPair) closed(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Fatal("pty slave still open after the helper exited")
	}
}

func (p *ptyPair) typeIn(t *testing.T, b []byte) {
	t.Helper()
	if _, err := p.master.Write(b); err != nil {
		t.Fatalf("type into terminal: %v", err)
	}
}

// termios reads the slave's settings through the master (Linux applies
// termios ioctls on a pty master to its slave).
func (p *ptyPair) termios(t *testing.T) unix.Termios {
	t.Helper()
	var tio *unix.Termios
	var err error
	control(t, p.master, func(fd int) { tio, err = unix.IoctlGetTermios(fd, unix.TCGETS) })
	if err != nil {
		t.Fatalf("read terminal settings: %v", err)
	}
	return *tio
}

// startPrompt runs ReadPassword in a helper whose controlling terminal is the
// pty slave, with the slave as fd 4 and neither stdin nor stdout on it.
func (p *ptyPair) startPrompt(t *testing.T) *helper {
	t.Helper()
	attr := &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: slaveFD}
	h := startHelper(t, "read", attr, p.slave)
	// Only the helper may hold the slave, so its exit ends collect.
	p.slave.Close()
	return h
}
