package ptytest

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// reapTimeout bounds how long a kill waits for the process to be reaped.
const reapTimeout = 10 * time.Second

// Start runs cmd in a new session whose controlling terminal is the slave,
// as a login shell's child would be.
//
// If the caller already put Slave() somewhere in cmd (Stdin, Stdout, Stderr
// or ExtraFiles), that descriptor becomes the controlling terminal and the
// other streams are left as they are. Otherwise every standard stream the
// caller left nil is connected to the terminal. cmd.SysProcAttr keeps its
// other fields (a Credential, for example).
//
// The test's copy of the slave is closed once cmd has started, so the
// terminal counts as closed (WaitClosed) when cmd and whatever inherited the
// slave from it are gone. Start waits for cmd in the background: use Wait,
// never cmd.Wait. If cmd is still running when the test ends, it is killed.
func (p *PTY) Start(t testing.TB, cmd *exec.Cmd) {
	t.Helper()
	if p.cmd != nil {
		t.Fatal("ptytest: a PTY runs one process; open another")
	}
	fd := p.childFD(cmd)
	if fd < 0 {
		if cmd.Stdin == nil {
			cmd.Stdin = p.slave
		}
		if cmd.Stdout == nil {
			cmd.Stdout = p.slave
		}
		if cmd.Stderr == nil {
			cmd.Stderr = p.slave
		}
		if fd = p.childFD(cmd); fd < 0 {
			cmd.ExtraFiles = append(cmd.ExtraFiles, p.slave)
			fd = p.childFD(cmd)
		}
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setsid = true
	cmd.SysProcAttr.Setctty = true
	cmd.SysProcAttr.Ctty = fd
	if err := cmd.Start(); err != nil {
		t.Fatalf("ptytest: start %s: %v", cmd.Path, err)
	}
	// Only the child may hold the slave now, or the terminal never closes.
	p.slave.Close()
	p.cmd, p.exited = cmd, make(chan struct{})
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() { p.kill() })
}

// childFD is the descriptor the slave will have in cmd's process, or -1.
func (p *PTY) childFD(cmd *exec.Cmd) int {
	for i, s := range []any{cmd.Stdin, cmd.Stdout, cmd.Stderr} {
		if f, ok := s.(*os.File); ok && f == p.slave {
			return i
		}
	}
	for i, f := range cmd.ExtraFiles {
		if f == p.slave {
			return 3 + i
		}
	}
	return -1
}

// kill ends the process if it is still running and reports whether it was
// reaped. os.Process signals through a pidfd, so an exited process's pid,
// even if reused, is never hit.
func (p *PTY) kill() bool {
	select {
	case <-p.exited:
		return true
	default:
	}
	_ = p.cmd.Process.Kill()
	select {
	case <-p.exited:
		return true
	case <-time.After(reapTimeout):
		return false
	}
}

// Wait waits for the process Start ran to exit and returns its status the
// way a shell reports it: the exit code, or 128+signal if a signal killed
// it. If it is still running after timeout it is killed and the test fails,
// showing what the terminal displayed.
func (p *PTY) Wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	if p.cmd == nil {
		t.Fatal("ptytest: Wait before Start")
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	select {
	case <-p.exited:
	case <-deadline.C:
		reaped := p.kill()
		t.Fatalf("ptytest: %s still running after %v, killed (reaped: %t); the terminal showed %q",
			p.cmd.Path, timeout, reaped, p.Output())
	}
	var exitErr *exec.ExitError
	if p.waitErr != nil && !errors.As(p.waitErr, &exitErr) && !errors.Is(p.waitErr, exec.ErrWaitDelay) {
		t.Fatalf("ptytest: wait for %s: %v", p.cmd.Path, p.waitErr)
	}
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return p.cmd.ProcessState.ExitCode()
}
