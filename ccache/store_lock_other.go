//go:build unix && !linux

package ccache

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// tryLock uses flock on systems without Linux OFD locks: it is per open
// file, so goroutines exclude each other, but it does not exclude libkrb5,
// which uses fcntl locks there.
func tryLock(f *os.File, exclusive bool) (got bool, err error) {
	how := unix.LOCK_SH | unix.LOCK_NB
	if exclusive {
		how = unix.LOCK_EX | unix.LOCK_NB
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return false, err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) {
		for {
			if lerr = unix.Flock(int(fd), how); !errors.Is(lerr, unix.EINTR) {
				return
			}
		}
	}); err != nil {
		return false, err
	}
	if errors.Is(lerr, unix.EWOULDBLOCK) {
		return false, nil
	}
	return lerr == nil, lerr
}

// lockHolders is not known without Linux's /proc/locks.
func lockHolders(fs.FileInfo) []LockHolder { return nil }

func renameNoReplace(from, to string) error { return linkNoReplace(from, to) }
