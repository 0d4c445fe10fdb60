package cli

import (
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// Exit statuses of a command that could not run, as shells report them.
const (
	exitNotExecutable = 126
	exitNotFound      = 127
)

// startCommand runs argv directly (no shell) with the environment given.
// At a terminal where krenew is in the foreground, the command gets its
// own process group and the terminal's foreground: Ctrl-C then reaches
// the command once, from the terminal, and not a second time through
// krenew, which forwards only signals sent to itself. Started in the
// background (krenew -- cmd &), the command stays in krenew's group, so
// that the shell's fg and bg move both.
func startCommand(argv, env []string, stdio [3]*os.File, dir string) (*exec.Cmd, *terminalHandback, error) {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return nil, nil, commandStartFailure(argv[0], err)
	}
	cmd := exec.Command(path, argv[1:]...)
	cmd.Args[0] = argv[0]
	cmd.Env = env
	cmd.Dir = dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdio[0], stdio[1], stdio[2]
	handback := foregroundTerminal(stdio[0])
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	if handback != nil {
		cmd.SysProcAttr.Setpgid = true
		cmd.SysProcAttr.Foreground = true
		cmd.SysProcAttr.Ctty = 0 // the command's stdin, which is the terminal
	}
	if err := cmd.Start(); err != nil {
		handback.restore()
		return nil, nil, commandStartFailure(argv[0], err)
	}
	return cmd, handback, nil
}

// exitStatus is the command's status the way a shell reports it.
func exitStatus(state *os.ProcessState) int {
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return state.ExitCode()
}

// terminalHandback gives the terminal back to krenew's process group once
// the command is done with it.
type terminalHandback struct {
	fd   int
	pgrp int
}

// foregroundTerminal returns a handback when f is a terminal whose
// foreground process group is krenew's; nil when the command should simply
// share krenew's group (no terminal, or krenew runs in the background).
func foregroundTerminal(f *os.File) *terminalHandback {
	if f == nil {
		return nil
	}
	fd := int(f.Fd())
	fg, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	if err != nil || fg != unix.Getpgrp() {
		return nil
	}
	return &terminalHandback{fd: fd, pgrp: fg}
}

func (h *terminalHandback) restore() {
	if h == nil {
		return
	}
	// A background group that sets the foreground gets SIGTTOU; krenew is
	// in the background at this moment, by design.
	signal.Ignore(syscall.SIGTTOU)
	defer signal.Reset(syscall.SIGTTOU)
	_ = unix.IoctlSetPointerInt(h.fd, unix.TIOCSPGRP, h.pgrp)
}
