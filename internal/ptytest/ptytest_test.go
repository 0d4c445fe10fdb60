package ptytest

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const wait = 20 * time.Second

func TestStartConnectsTerminal(t *testing.T) {
	p := Open(t)
	if p.Termios(t).Lflag&unix.ECHO == 0 {
		t.Fatal("a fresh pty should echo")
	}
	p.Start(t, helperCmd("echo"))
	p.Expect(t, "ready", wait)
	p.Write(t, "hello\n")
	p.Expect(t, "got:hello", wait)
	if code := p.Wait(t, wait); code != 3 {
		t.Errorf("exit status %d, want 3", code)
	}
	p.WaitClosed(t, wait)
	out := p.Output()
	if !strings.Contains(out, "stdin=true stdout=true stderr=true") {
		t.Errorf("standard streams should all be the terminal: %q", out)
	}
	// Echo on: the typed line shows before the helper's answer, with the
	// terminal's CRLF translation.
	if i, j := strings.Index(out, "hello\r\n"), strings.Index(out, "got:hello\r\n"); i < 0 || j < i {
		t.Errorf("typed line not echoed before the answer: %q", out)
	}
}

func TestStartSlaveAtChosenDescriptor(t *testing.T) {
	p := Open(t)
	var stdout strings.Builder
	cmd := helperCmd("streams")
	cmd.Stdout = &stdout
	cmd.ExtraFiles = append(cmd.ExtraFiles, p.Slave())
	p.Start(t, cmd)
	if cmd.SysProcAttr.Ctty != 3 {
		t.Errorf("Ctty = %d, want 3 (the slave's descriptor in the child)", cmd.SysProcAttr.Ctty)
	}
	if code := p.Wait(t, wait); code != 0 {
		t.Fatalf("exit status %d; terminal showed %q", code, p.Output())
	}
	p.WaitClosed(t, wait)
	if !strings.Contains(p.Output(), "ctty ok") {
		t.Errorf("terminal showed %q", p.Output())
	}
	if got := strings.TrimSpace(stdout.String()); got != "stdin=false stdout=false stderr=false" {
		t.Errorf("streams the caller chose were replaced: %q", got)
	}
}

func TestControlCReachesProcess(t *testing.T) {
	p := Open(t)
	p.Start(t, helperCmd("sigint"))
	p.Expect(t, "ready", wait)
	p.Write(t, "\x03")
	p.Expect(t, "caught interrupt", wait)
	if code := p.Wait(t, wait); code != 0 {
		t.Errorf("exit status %d", code)
	}
}

func TestWaitKillsAtDeadline(t *testing.T) {
	p := Open(t)
	p.Start(t, helperCmd("sleep"))
	p.Expect(t, "ready", wait)
	began := time.Now()
	msg := fatalOf(t, func(tb testing.TB) { p.Wait(tb, 200*time.Millisecond) })
	if !strings.Contains(msg, "still running after 200ms, killed (reaped: true)") || !strings.Contains(msg, "ready") {
		t.Errorf("failure message %q", msg)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("Wait took %v", took)
	}
	select {
	case <-p.exited:
	default:
		t.Fatal("process not reaped")
	}
	if ws := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("process ended with %v, want SIGKILL", p.cmd.ProcessState)
	}
}

func TestExpectFailsAtDeadline(t *testing.T) {
	p := Open(t)
	p.Start(t, helperCmd("sleep"))
	p.Expect(t, "ready", wait)
	msg := fatalOf(t, func(tb testing.TB) { p.Expect(tb, "never shown", 100*time.Millisecond) })
	if !strings.Contains(msg, `did not show "never shown" within 100ms`) || !strings.Contains(msg, "ready") {
		t.Errorf("failure message %q", msg)
	}
}

func TestExpectFailsWhenTerminalCloses(t *testing.T) {
	p := Open(t)
	p.Start(t, helperCmd("bye"))
	began := time.Now()
	msg := fatalOf(t, func(tb testing.TB) { p.Expect(tb, "never shown", time.Minute) })
	if !strings.Contains(msg, `closed without showing "never shown"`) || !strings.Contains(msg, "bye") {
		t.Errorf("failure message %q", msg)
	}
	if took := time.Since(began); took > 30*time.Second {
		t.Errorf("Expect waited %v after the terminal closed", took)
	}
	if code := p.Wait(t, wait); code != 0 {
		t.Errorf("exit status %d", code)
	}
}

func TestProcessKilledWhenTestEnds(t *testing.T) {
	var p *PTY
	t.Run("leaves it running", func(t *testing.T) {
		p = Open(t)
		p.Start(t, helperCmd("sleep"))
		p.Expect(t, "ready", wait)
	})
	select {
	case <-p.exited:
	default:
		t.Fatal("process still running after its test ended")
	}
	if ws := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("process ended with %v, want SIGKILL", p.cmd.ProcessState)
	}
}

func TestOneProcessPerPTY(t *testing.T) {
	p := Open(t)
	p.Start(t, helperCmd("bye"))
	msg := fatalOf(t, func(tb testing.TB) { p.Start(tb, helperCmd("bye")) })
	if !strings.Contains(msg, "runs one process") {
		t.Errorf("second Start: failure %q", msg)
	}
	if code := p.Wait(t, wait); code != 0 {
		t.Errorf("exit status %d", code)
	}
}
