package prompt

import (
	"os"

	"golang.org/x/sys/unix"
)

// getTermios and setTermios go through SyscallConn because File.Fd would
// switch the descriptor back to blocking mode, and ReadPassword relies on the
// runtime poller to cut a read short when a signal arrives.
func getTermios(f *os.File) (*unix.Termios, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var t *unix.Termios
	var ierr error
	if err := rc.Control(func(fd uintptr) {
		t, ierr = unix.IoctlGetTermios(int(fd), unix.TCGETS)
	}); err != nil {
		return nil, err
	}
	return t, ierr
}

// setTermios applies t; req is TCSETS (now) or TCSETSF (after output drains,
// discarding unread input).
func setTermios(f *os.File, req uint, t *unix.Termios) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ierr error
	if err := rc.Control(func(fd uintptr) {
		ierr = unix.IoctlSetTermios(int(fd), req, t)
	}); err != nil {
		return err
	}
	return ierr
}

// noEcho keeps ICANON so the kernel does line editing and delivers one line
// per read, and ISIG so ^C becomes a SIGINT we can catch. ECHONL would echo
// the newline that ReadPassword writes itself; ICRNL makes Enter on a
// terminal that sends CR end the line.
func noEcho(t unix.Termios) *unix.Termios {
	t.Lflag &^= unix.ECHO | unix.ECHONL
	t.Lflag |= unix.ICANON | unix.ISIG
	t.Iflag |= unix.ICRNL
	return &t
}
