package prompt

import (
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// MaxLen is the longest password accepted, in bytes without the line
// terminator. A canonical-mode tty line cannot be longer anyway.
const MaxLen = 4096

var (
	// ErrNoTerminal means there is no controlling terminal to prompt on
	// (daemon, cron, ssh without -t); --password-stdin is the way out.
	ErrNoTerminal = errors.New("no terminal to prompt for the password")
	// ErrInterrupted is matched (errors.Is) by every *InterruptedError.
	ErrInterrupted = errors.New("interrupted")
	// ErrEmpty means the input held no password (empty line or bare EOF).
	ErrEmpty = errors.New("empty password")
	// ErrTooLong means the line exceeded MaxLen; nothing of it is returned.
	ErrTooLong = fmt.Errorf("password longer than %d bytes", MaxLen)
)

// InterruptedError reports the signal that ended a password prompt. The
// signal is consumed, not re-raised, so the caller must act on it.
type InterruptedError struct {
	Signal syscall.Signal
}

func (e *InterruptedError) Error() string {
	return "password prompt interrupted by " + unix.SignalName(e.Signal)
}

func (e *InterruptedError) Unwrap() error { return ErrInterrupted }

// ExitStatus is the status a shell reports for a process killed by the
// signal (130 for SIGINT), so krenew exits the way an uncaught ^C would.
func (e *InterruptedError) ExitStatus() int { return 128 + int(e.Signal) }
