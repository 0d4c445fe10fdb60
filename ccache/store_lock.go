package ccache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// maxAttempts bounds the open-lock-revalidate loop. Each retry means
// another writer replaced the file while we waited, and under contention a
// waiter can lose many such rounds in a row (every writer queued on the old
// inode wakes up and only one wins the new one), so the bound is high: it
// exists to turn a filesystem with unstable inode numbers into an error
// instead of a spin, not to limit honest contention.
const maxAttempts = 10000

// lockedOpen opens the cache without following a symlink, locks it (shared
// or exclusive) and returns it with its stat.
//
// Why re-validate: writers replace the cache by renaming a new file over
// the path. A process that opened the old file and then waited for the
// lock wakes up holding a lock on an inode nobody will read again;
// reading it would return stale credentials, and replacing the path based
// on it would silently undo the update that just happened. So once the
// lock is granted, the inode behind the descriptor is compared with the
// one the path names now, and on a mismatch the whole open-and-lock starts
// over.
//
// O_NONBLOCK keeps open from hanging on a FIFO planted at the path; the
// flag is harmless for regular files.
//
// The wait for the lock is bounded by s.Wait, over all the rounds.
func (s FileStore) lockedOpen(exclusive bool) (*os.File, fs.FileInfo, error) {
	flag := os.O_RDONLY
	if exclusive {
		// fcntl write locks need a descriptor open for writing.
		flag = os.O_RDWR
	}
	w := s.Wait.start()
	for range maxAttempts {
		f, err := os.OpenFile(s.Path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
		if err != nil {
			return nil, nil, s.openError(err)
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		if !fi.Mode().IsRegular() {
			f.Close()
			return nil, nil, &fs.PathError{Op: "open", Path: s.Path, Err: ErrNotRegular}
		}
		// Checked on the open file, before its contents are read or
		// replaced: a cache planted by another user is never adopted.
		if err := s.policy().check(fi, s.Path, roleCache); err != nil {
			f.Close()
			return nil, nil, err
		}
		if err := s.waitLock(f, fi, exclusive, w); err != nil {
			f.Close()
			return nil, nil, err
		}
		now, err := os.Lstat(s.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			f.Close()
			return nil, nil, &fs.PathError{Op: "open", Path: s.Path, Err: ErrNotFound}
		case err != nil:
			f.Close()
			return nil, nil, err
		case now.Mode()&fs.ModeSymlink != 0:
			f.Close()
			return nil, nil, &fs.PathError{Op: "open", Path: s.Path, Err: ErrSymlink}
		case os.SameFile(fi, now):
			return f, fi, nil
		}
		f.Close() // replaced while we waited: closing drops the stale lock
	}
	return nil, nil, &fs.PathError{Op: "lock", Path: s.Path, Err: fmt.Errorf("cache was replaced %d times while waiting for its lock", maxAttempts)}
}

// openError turns open(2) failures into the package's errors. With
// O_NOFOLLOW a symlink as the last path element fails with ELOOP; lstat
// tells it apart from a loop in the directories above.
func (s FileStore) openError(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &fs.PathError{Op: "open", Path: s.Path, Err: ErrNotFound}
	case errors.Is(err, syscall.ELOOP):
		if fi, lerr := os.Lstat(s.Path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return &fs.PathError{Op: "open", Path: s.Path, Err: ErrSymlink}
		}
	case errors.Is(err, fs.ErrPermission):
		// Another user's cache that is not readable is refused all the
		// same; saying whose it is beats "permission denied". The lstat
		// only words the error: nothing was opened.
		if fi, lerr := os.Lstat(s.Path); lerr == nil && fi.Mode().IsRegular() {
			if uerr := s.policy().check(fi, s.Path, roleCache); uerr != nil {
				return uerr
			}
		}
	}
	return err
}

func (s FileStore) policy() ownerPolicy { return ownerPolicy{anyOwner: s.Explicit} }
