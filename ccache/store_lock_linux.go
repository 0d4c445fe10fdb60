package ccache

import (
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// tryLock takes a whole-file OFD lock if it is free, the lock libkrb5
// takes on Linux (it uses F_OFD_SETLKW where the kernel has it), so MIT
// tools wait for krenew and krenew waits for them. OFD locks are owned by
// the open file, so two goroutines with their own opens exclude each
// other, which classic POSIX locks (owned by the process) would not do.
// got is false if another open file holds a conflicting lock.
func tryLock(f *os.File, exclusive bool) (got bool, err error) {
	lk := unix.Flock_t{Type: unix.F_RDLCK, Whence: io.SeekStart}
	if exclusive {
		lk.Type = unix.F_WRLCK
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return false, err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) {
		for {
			if lerr = unix.FcntlFlock(fd, unix.F_OFD_SETLK, &lk); !errors.Is(lerr, unix.EINTR) {
				return
			}
		}
	}); err != nil {
		return false, err
	}
	if errors.Is(lerr, unix.EAGAIN) || errors.Is(lerr, unix.EACCES) {
		return false, nil
	}
	return lerr == nil, lerr
}

// renameNoReplace moves a finished temp file to a cache path that must not
// exist yet, failing with EEXIST if another writer created it meanwhile.
func renameNoReplace(from, to string) error {
	err := unix.Renameat2(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.RENAME_NOREPLACE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
		// Filesystem or kernel without RENAME_NOREPLACE.
		return linkNoReplace(from, to)
	}
	if err != nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	return nil
}
