package cli

import "golang.org/x/sys/unix"

// minOpenFiles is the fewest open files krenew is started with. Below a
// handful the Go runtime itself dies at its first poll (epoll_create or
// eventfd fails, and it prints a goroutine dump instead of an error);
// above that, a daemon keeps about a dozen descriptors open at once while
// it renews (stdio, the runtime's poller, its lock's socket, a status
// client, the cache, its lock and the new file, the KDC's socket, the
// idle watch, syslog), and more with a command. The bound leaves room for
// that, so that a limit too low fails here, in one line, and not half way
// through a renewal.
const minOpenFiles = 32

// checkOpenFiles refuses a limit on open files below minOpenFiles. It
// runs first in Main, before anything opens a file or the runtime starts
// its poller. The soft limit is what counts: Go's syscall package has
// already raised it to the hard limit as the program started, so a low
// soft limit alone is no problem, and what is left now is all there is.
func checkOpenFiles() error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return nil // nothing to go by; let the run find out
	}
	return openFilesCheck(lim.Cur)
}

func openFilesCheck(limit uint64) error {
	if limit < minOpenFiles {
		return openFilesFailure(limit, minOpenFiles)
	}
	return nil
}
