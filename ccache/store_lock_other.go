//go:build unix && !linux

package ccache

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// lockFile uses flock on systems without Linux OFD locks: it is per open
// file, so goroutines exclude each other, but it does not exclude libkrb5,
// which uses fcntl locks there.
func lockFile(f *os.File, exclusive bool) error {
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) {
		for {
			if lerr = unix.Flock(int(fd), how); !errors.Is(lerr, unix.EINTR) {
				return
			}
		}
	}); err != nil {
		return err
	}
	return lerr
}

func renameNoReplace(from, to string) error { return linkNoReplace(from, to) }
