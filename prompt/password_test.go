package prompt

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

const lflagsThatMatter = unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG

func TestReadPasswordFromTerminal(t *testing.T) {
	p := openPTY(t)
	before := p.termios(t)
	if before.Lflag&unix.ECHO == 0 {
		t.Fatal("a fresh pty should echo")
	}
	h := p.startPrompt(t)

	p.waitOutput(t, testPrompt)
	during := p.termios(t)
	if during.Lflag&unix.ECHO != 0 {
		t.Error("echo is on while the password is typed")
	}
	if during.Lflag&(unix.ICANON|unix.ISIG) != unix.ICANON|unix.ISIG {
		t.Errorf("prompt must keep canonical mode and signals, lflag=%#x", during.Lflag)
	}
	p.typeIn(t, []byte("s3cret\n"))

	got := h.wait(t)
	p.closed(t)
	wantReport(t, got, map[string]string{
		"err":    "none",
		"len":    "6",
		"sha256": hashOf([]byte("s3cret")),
		"zeroed": "true",
		"echo":   "true",
	})
	after := p.termios(t)
	if after.Lflag&lflagsThatMatter != before.Lflag&lflagsThatMatter || after.Iflag != before.Iflag {
		t.Errorf("terminal not restored: lflag %#x -> %#x, iflag %#x -> %#x", before.Lflag, after.Lflag, before.Iflag, after.Iflag)
	}
	out := p.output()
	if bytes.Contains(out, []byte("s3cret")) {
		t.Errorf("password echoed to the terminal: %q", out)
	}
	if !bytes.HasSuffix(out, []byte(testPrompt+"\r\n")) {
		t.Errorf("terminal should show the prompt then a newline, showed %q", out)
	}
}

func TestReadPasswordControlC(t *testing.T) {
	p := openPTY(t)
	before := p.termios(t)
	h := p.startPrompt(t)
	p.waitOutput(t, testPrompt)
	p.typeIn(t, []byte("half"))
	p.typeIn(t, []byte{0x03})

	got := h.wait(t)
	p.closed(t)
	// The helper exited normally (wait checks status 0): the signal was
	// turned into an error instead of killing it with echo off.
	wantReport(t, got, map[string]string{
		"err":  "interrupted:2:130",
		"echo": "true",
	})
	if _, ok := got["len"]; ok {
		t.Errorf("interrupted prompt returned a password: %v", got)
	}
	after := p.termios(t)
	if after.Lflag&lflagsThatMatter != before.Lflag&lflagsThatMatter {
		t.Errorf("terminal not restored after ^C: lflag %#x -> %#x", before.Lflag, after.Lflag)
	}
	if bytes.Contains(p.output(), []byte("half")) {
		t.Errorf("partial password echoed: %q", p.output())
	}
}

func TestReadPasswordTerminated(t *testing.T) {
	p := openPTY(t)
	before := p.termios(t)
	h := p.startPrompt(t)
	p.waitOutput(t, testPrompt)
	if err := h.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	got := h.wait(t)
	p.closed(t)
	wantReport(t, got, map[string]string{
		"err":  "interrupted:15:143",
		"echo": "true",
	})
	if after := p.termios(t); after.Lflag&lflagsThatMatter != before.Lflag&lflagsThatMatter {
		t.Errorf("terminal not restored after SIGTERM: lflag %#x -> %#x", before.Lflag, after.Lflag)
	}
}

func TestReadPasswordEndOfInput(t *testing.T) {
	p := openPTY(t)
	before := p.termios(t)
	h := p.startPrompt(t)
	p.waitOutput(t, testPrompt)
	p.typeIn(t, []byte{0x04}) // ^D on an empty line: read returns 0
	got := h.wait(t)
	p.closed(t)
	wantReport(t, got, map[string]string{
		"err":  "empty",
		"echo": "true",
	})
	if after := p.termios(t); after.Lflag&lflagsThatMatter != before.Lflag&lflagsThatMatter {
		t.Errorf("terminal not restored after ^D: lflag %#x -> %#x", before.Lflag, after.Lflag)
	}
}

func TestReadPasswordNoControllingTerminal(t *testing.T) {
	h := startHelper(t, "read", &syscall.SysProcAttr{Setsid: true}, nil)
	wantReport(t, h.wait(t), map[string]string{"err": "noterminal"})
}

func TestReadPasswordNotATerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "plain"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pw, err := readPassword(f, testPrompt)
	if !errors.Is(err, ErrNoTerminal) || pw != nil {
		t.Fatalf("readPassword on a regular file = %v, %v; want ErrNoTerminal", pw, err)
	}
}

func TestInterruptedError(t *testing.T) {
	err := error(&InterruptedError{Signal: syscall.SIGINT})
	if !errors.Is(err, ErrInterrupted) {
		t.Error("InterruptedError must match ErrInterrupted")
	}
	if got := err.Error(); got != "password prompt interrupted by SIGINT" {
		t.Errorf("message %q", got)
	}
	if got := (&InterruptedError{Signal: syscall.SIGINT}).ExitStatus(); got != 130 {
		t.Errorf("exit status for SIGINT = %d, want 130", got)
	}
}
