package ccache

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// FileStore reads and atomically replaces one FILE credential cache.
//
// Locking: libkrb5 takes whole-file fcntl locks (open file description
// locks, F_OFD_SETLKW, on Linux) on the cache file around every read and
// write; FileStore takes the same kind of lock, so MIT tools and krenew
// exclude each other and goroutines of one process exclude each other too
// (OFD locks belong to the open file, not to the process). See lockedOpen
// for why each lock is re-validated after it is granted.
//
// Writing: the new cache goes to a fresh temporary file in the same
// directory, is fsynced and renamed over the cache path, so a reader
// without a lock, or a crash, sees either the old or the new cache, never a
// mix or a truncated file. The directory is not fsynced after the rename:
// a power loss can then at worst bring back the previous cache, whose
// ticket is as good as it was, and the directory fsync would double the
// cost of every renewal (libkrb5 syncs nothing at all).
type FileStore struct {
	// Path is the absolute path of the cache file.
	Path string
	// Explicit: the cache was named explicitly (OpenOptions.Explicit), so
	// root may read and replace it although another user owns it.
	// Otherwise a cache file someone else owns is refused (ErrUnsafe),
	// as is one that others than its owner may write, always.
	Explicit bool

	// Wait bounds the wait for a lock another process holds; the zero
	// value waits up to DefaultLockTimeout.
	Wait LockWait

	// NewOwner, when set, owns a file that root creates where none was
	// (a replaced file keeps its owner anyway): a DIR collection's owner.
	NewOwner *FileOwner
}

// FileOwner is a file's owner and group.
type FileOwner struct{ UID, GID int }

// pathSentinel is an error value that also matches another error with
// errors.Is, so ErrNotFound works where callers test fs.ErrNotExist.
type pathSentinel struct {
	msg  string
	also error
}

func (e *pathSentinel) Error() string        { return e.msg }
func (e *pathSentinel) Is(target error) bool { return target == e.also }

// Errors returned wrapped in an *fs.PathError that names the cache file.
var (
	// ErrNotFound: the cache file does not exist. It also matches
	// fs.ErrNotExist.
	ErrNotFound error = &pathSentinel{"credential cache does not exist", fs.ErrNotExist}
	// ErrSymlink: the cache path is a symbolic link. It is never followed
	// and never replaced, because a link planted in a shared directory
	// such as /tmp could otherwise redirect krenew's writes.
	ErrSymlink = errors.New("credential cache is a symbolic link, not following it")
	// ErrNotRegular: the cache path is a directory, FIFO, device or socket.
	ErrNotRegular = errors.New("credential cache is not a regular file")
)

// maxCacheSize bounds what Load reads. Real caches are kilobytes: a TGT
// is about one, a service ticket with a large Active Directory PAC tens of
// kilobytes, so 8 MiB is hundreds of such tickets. A bound keeps a
// hostile or runaway file from costing a daemon memory and time on every
// renewal; libkrb5 has none, and reads such a file slowly to the end.
const maxCacheSize = 8 << 20

// Load reads and parses the cache under a shared lock.
func (s FileStore) Load() (*Cache, error) {
	f, _, err := s.lockedOpen(false)
	if err != nil {
		return nil, err
	}
	defer f.Close() // closing the last descriptor releases the OFD lock
	return s.readParse(f)
}

func (s FileStore) readParse(f *os.File) (*Cache, error) {
	// The size first: a file far over the bound is refused without
	// reading it. It can still grow while it is read, hence the limit.
	var buf bytes.Buffer
	if fi, err := f.Stat(); err == nil {
		if fi.Size() > maxCacheSize {
			return nil, &fs.PathError{Op: "read", Path: s.Path, Err: tooLarge(fi.Size())}
		}
		buf.Grow(int(fi.Size()) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(f, maxCacheSize+1)); err != nil {
		return nil, &fs.PathError{Op: "read", Path: s.Path, Err: err}
	}
	b := buf.Bytes()
	if len(b) > maxCacheSize {
		return nil, &fs.PathError{Op: "read", Path: s.Path, Err: tooLarge(int64(len(b)))}
	}
	c, err := Parse(b)
	if err != nil {
		return nil, &fs.PathError{Op: "parse", Path: s.Path, Err: err}
	}
	return c, nil
}

func tooLarge(size int64) error {
	return fmt.Errorf("%w: %d bytes, and krenew reads at most %d MiB", ErrTooLarge, size, maxCacheSize>>20)
}

// Remove deletes the cache file under an exclusive lock, so it never
// disappears in the middle of another krenew's or libkrb5's update.
func (s FileStore) Remove() error {
	f, _, err := s.lockedOpen(true)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := os.Remove(s.Path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(s.Path))
}
