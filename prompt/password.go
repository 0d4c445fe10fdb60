package prompt

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ttyPath names the controlling terminal of whatever process opens it,
// independent of where stdin and stdout point.
const ttyPath = "/dev/tty"

// interruptSignals end a prompt. Each would otherwise kill krenew with the
// terminal's echo still off.
var interruptSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// ReadPassword writes prompt to the controlling terminal and reads one line
// from it with echo off, then writes the newline the user's Enter did not
// echo. The terminal settings are restored on every return path.
//
// A signal from interruptSignals arriving between the start of the prompt
// and the return (^C, kill, hangup) is consumed: the terminal is restored,
// any partial input wiped, and an *InterruptedError returned. Signals the
// process ignores (nohup) stay ignored.
//
// Errors: ErrNoTerminal (wrapped) when /dev/tty cannot be opened or is not a
// terminal; ErrEmpty for an empty line or ^D; ErrTooLong.
func ReadPassword(prompt string) ([]byte, error) {
	tty, err := os.OpenFile(ttyPath, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		// su -c and setsid leave a process without a controlling terminal
		// but with the user's terminal on its standard input; kinit
		// prompts there, and so does krenew (issue 18).
		if in, restore, ok := stdinTerminal(); ok {
			defer restore()
			return readPassword(in, prompt)
		}
		return nil, fmt.Errorf("%w: %w", ErrNoTerminal, err)
	}
	defer tty.Close()
	return readPassword(tty, prompt)
}

// stdinTerminal is standard input as a file the interrupt path can set
// read deadlines on, when it is a terminal. That takes O_NONBLOCK on its
// open file description, which the invoking shell shares; restore puts
// the flags back and closes the duplicate.
func stdinTerminal() (f *os.File, restore func(), ok bool) {
	if _, err := unix.IoctlGetTermios(0, unix.TCGETS); err != nil {
		return nil, nil, false
	}
	flags, err := unix.FcntlInt(0, unix.F_GETFL, 0)
	if err != nil {
		return nil, nil, false
	}
	fd, err := unix.FcntlInt(0, unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return nil, nil, false
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFL, flags|unix.O_NONBLOCK); err != nil {
		unix.Close(fd)
		return nil, nil, false
	}
	f = os.NewFile(uintptr(fd), "standard input")
	return f, func() {
		_, _ = unix.FcntlInt(0, unix.F_SETFL, flags)
		f.Close()
	}, true
}

func readPassword(tty *os.File, prompt string) (pw []byte, err error) {
	saved, err := getTermios(tty)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoTerminal, err)
	}
	// The interrupt path depends on read deadlines; a tty the poller cannot
	// handle would leave ^C unable to stop the read.
	if err := tty.SetReadDeadline(time.Time{}); err != nil {
		return nil, fmt.Errorf("read password from %s: %w", ttyPath, err)
	}

	sigs := make(chan os.Signal, 1)
	var caught []os.Signal
	for _, s := range interruptSignals {
		if !signal.Ignored(s) {
			caught = append(caught, s)
		}
	}
	// Notify with no signals would catch every signal.
	if len(caught) > 0 {
		signal.Notify(sigs, caught...)
	}
	stop := make(chan struct{})
	got := make(chan os.Signal, 1)
	go func() {
		select {
		case s := <-sigs:
			_ = tty.SetReadDeadline(time.Now())
			got <- s
		case <-stop:
			got <- nil
		}
	}()
	defer func() {
		close(stop)
		s := <-got
		signal.Stop(sigs)
		// A signal that landed after the read finished but before Stop
		// still counts, or it would be silently lost.
		if s == nil {
			select {
			case s = <-sigs:
			default:
			}
		}
		if s != nil {
			Zero(pw)
			pw, err = nil, &InterruptedError{Signal: s.(syscall.Signal)}
		}
	}()

	// TCSETSF drops typeahead, which was typed while echo was still on.
	if err := setTermios(tty, unix.TCSETSF, noEcho(*saved)); err != nil {
		return nil, fmt.Errorf("turn off echo on %s: %w", ttyPath, err)
	}
	defer func() {
		// TCSETS, not a draining variant: restoring must never block.
		rerr := setTermios(tty, unix.TCSETS, saved)
		// The user's Enter was not echoed; after ^C this ends the prompt
		// line so the shell prompt starts on a fresh one.
		_, _ = tty.WriteString("\n")
		if rerr != nil && err == nil {
			Zero(pw)
			pw, err = nil, fmt.Errorf("restore terminal settings on %s: %w", ttyPath, rerr)
		}
	}()

	if _, err := tty.WriteString(prompt); err != nil {
		return nil, fmt.Errorf("write password prompt: %w", err)
	}
	pw, err = ReadLine(tty)
	if err != nil && !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrTooLong) {
		err = fmt.Errorf("read password from %s: %w", ttyPath, err)
	}
	return pw, err
}
